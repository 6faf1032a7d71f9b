//! AWS Sign-In's OAuth 2.0 token endpoint, as the console sessions of
//! `aws login` use it: `POST /v1/token` (`CreateOAuth2Token`, REST-JSON),
//! each request carrying a DPoP proof (RFC 9449) in its `DPoP` header.
//!
//! A session starts with [`crate::Emulator::console_login`], which plays the
//! browser sign-in: it makes the session's P-256 key, issues the first
//! credentials and a refresh token bound to that key, and returns the cache
//! file as the AWS CLI writes it. A refresh (`grantType` `refresh_token`)
//! is answered only when its proof is an ES256 JWT of type `dpop+jwt`,
//! signed by the key in its own `jwk` header, that key is the one the
//! refresh token is bound to, `htm` is `POST`, `htu` is this endpoint's URL,
//! `iat` is within five minutes of now and `jti` has not been seen before.
//! Each refresh token works once: the answer carries the next one.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::LineEnding;
use p256::{EncodedPoint, SecretKey};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::credentials::IssuedCredentials;
use crate::state::Shared;

/// The path of `CreateOAuth2Token`.
pub(crate) const TOKEN_PATH: &str = "/v1/token";

/// How far a proof's `iat` may be from the server's clock, in seconds.
const IAT_WINDOW: u64 = 300;

/// The `clientId` of the AWS CLI's same-device sign-in.
pub const CLI_CLIENT_ID: &str = "arn:aws:signin:::devtools/same-device";

/// The `clientId` of the AWS CLI's cross-device sign-in (`aws login --remote`).
pub const CROSS_DEVICE_CLIENT_ID: &str = "arn:aws:signin:::devtools/cross-device";

/// Where a cross-device sign-in sends the browser: a page showing the code
/// to paste.
pub(crate) const CONFIRMATION_PATH: &str = "/v1/sessions/confirmation";

/// A console session that [`crate::Emulator::console_login`] started.
/// `Debug` shows the user and the key id only.
#[derive(Clone)]
pub struct ConsoleLogin {
    /// The `login_session` of the profile: the user's ARN.
    pub user_arn: String,
    /// The first credentials.
    pub credentials: IssuedCredentials,
    /// The refresh token, bound to the session's key.
    pub refresh_token: String,
    /// The session's private key, SEC1 PEM (`BEGIN EC PRIVATE KEY`).
    pub dpop_key_pem: String,
    /// The whole cache file, as the AWS CLI writes it to
    /// `~/.aws/login/cache/SHA256(login_session).json`.
    pub cache_json: String,
}

impl fmt::Debug for ConsoleLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsoleLogin")
            .field("user_arn", &self.user_arn)
            .field("access_key_id", &self.credentials.access_key_id)
            .finish_non_exhaustive()
    }
}

/// What the endpoint did with one request, for the tests' assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigninOutcome {
    /// An authorization code exchanged: the access key id issued.
    SignedIn(String),
    /// Refreshed: the access key id issued.
    Refreshed(String),
    /// Refused: the reason, as the error message says it.
    Refused(String),
}

/// One refresh token's grant.
struct Grant {
    user_arn: String,
    account_id: String,
    /// The RFC 7638 thumbprint of the key the token is bound to.
    thumbprint: String,
    used: bool,
}

/// An authorization code not yet exchanged.
struct PendingCode {
    client_id: String,
    redirect_uri: String,
    /// The PKCE challenge: base64url of SHA-256 of the verifier, no padding.
    challenge: String,
    user_arn: String,
}

#[derive(Default)]
struct Inner {
    grants: HashMap<String, Grant>,
    codes: HashMap<String, PendingCode>,
    seen_jti: HashSet<String>,
    outcomes: Vec<SigninOutcome>,
    sessions: u64,
}

/// The Sign-In state: grants, seen proofs, outcomes.
pub(crate) struct SigninState {
    portal: Arc<Shared>,
    scheme: &'static str,
    console_user: Option<String>,
    inner: Mutex<Inner>,
}

impl SigninState {
    pub(crate) fn new(portal: Arc<Shared>, tls: bool, console_user: Option<String>) -> Self {
        SigninState {
            portal,
            scheme: if tls { "https" } else { "http" },
            console_user,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a session for `user_arn` (`arn:aws:iam::ACCOUNT:user/NAME`).
    pub(crate) fn login(&self, user_arn: &str) -> ConsoleLogin {
        let account_id = user_arn.split(':').nth(4).unwrap_or_default().to_owned();
        let mut inner = self.lock();
        inner.sessions += 1;
        let seed = Sha256::digest(format!("{user_arn}#{}", inner.sessions).as_bytes());
        let key = SecretKey::from_slice(&seed).expect("a SHA-256 digest is a valid P-256 scalar");
        let (x, y) = public_coordinates(&key);
        let dpop_key_pem = sec1_pem(&key);
        let credentials = self.portal.user_credentials(&account_id, user_arn);
        let refresh_token = new_refresh_token(&mut inner, user_arn, &account_id, &x, &y);
        let cache_json = serde_json::to_string_pretty(&json!({
            "accessToken": {
                "accessKeyId": credentials.access_key_id,
                "secretAccessKey": credentials.secret_access_key,
                "sessionToken": credentials.session_token,
                "accountId": account_id,
                "expiresAt": rfc3339_seconds(credentials.expiration_epoch_ms / 1000),
            },
            "tokenType": "aws_sigv4",
            "refreshToken": refresh_token,
            "idToken": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJlbXVsYXRvciJ9.",
            "clientId": CLI_CLIENT_ID,
            "dpopKey": dpop_key_pem,
        }))
        .expect("JSON values serialise");
        ConsoleLogin {
            user_arn: user_arn.to_owned(),
            credentials,
            refresh_token,
            dpop_key_pem,
            cache_json,
        }
    }

    /// Every request's outcome so far, in order.
    pub(crate) fn outcomes(&self) -> Vec<SigninOutcome> {
        self.lock().outcomes.clone()
    }

    /// Answers one `CreateOAuth2Token` request.
    fn token(&self, headers: &HeaderMap, body: &[u8]) -> Result<Value, SigninError> {
        let request: TokenRequest = serde_json::from_slice(body).map_err(|e| {
            SigninError::validation(format!("the request body is not a token request: {e}"))
        })?;
        let cross_device = request.client_id == CROSS_DEVICE_CLIENT_ID;
        if request.client_id != CLI_CLIENT_ID && !cross_device {
            return Err(SigninError::denied(
                "INVALID_REQUEST",
                format!("unknown clientId `{}`", request.client_id),
            ));
        }
        let proof = headers
            .get("dpop")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| SigninError::proof("the DPoP header is missing"))?;
        let host = headers
            .get("host")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let htu = format!("{}://{host}{TOKEN_PATH}", self.scheme);
        let proven = verify_proof(proof, &htu, now_seconds()).map_err(SigninError::proof)?;
        let mut inner = self.lock();
        if !inner.seen_jti.insert(proven.jti.clone()) {
            return Err(SigninError::proof("the proof's jti was used before"));
        }
        match request.grant_type.as_str() {
            "refresh_token" => {}
            "authorization_code" => {
                drop(inner);
                return self.exchange_code(&request, &proven);
            }
            other => {
                return Err(SigninError::validation(format!(
                    "grantType `{other}` is not supported"
                )));
            }
        }
        let refresh_token = request
            .refresh_token
            .clone()
            .ok_or_else(|| SigninError::validation("refreshToken is required"))?;
        let (user_arn, account_id) = {
            let grant = inner
                .grants
                .get_mut(&refresh_token)
                .filter(|g| !g.used)
                .ok_or_else(|| {
                    SigninError::denied("TOKEN_EXPIRED", "the refresh token is unknown or used")
                })?;
            if grant.thumbprint != proven.thumbprint {
                return Err(SigninError::proof(
                    "the proof is signed by another key than the session's",
                ));
            }
            grant.used = true;
            (grant.user_arn.clone(), grant.account_id.clone())
        };
        let credentials = self.portal.user_credentials(&account_id, &user_arn);
        let (x, y) = proven.coordinates;
        let next = new_refresh_token(&mut inner, &user_arn, &account_id, &x, &y);
        inner
            .outcomes
            .push(SigninOutcome::Refreshed(credentials.access_key_id.clone()));
        let lifetime =
            (credentials.expiration_epoch_ms / 1000).saturating_sub(now_seconds() as i64);
        Ok(json!({
            "accessToken": {
                "accessKeyId": credentials.access_key_id,
                "secretAccessKey": credentials.secret_access_key,
                "sessionToken": credentials.session_token,
            },
            "tokenType": "aws_sigv4",
            "expiresIn": lifetime,
            "refreshToken": next,
        }))
    }
}

impl SigninState {
    /// `GET /v1/authorize`: the console user signs in at once. Same-device
    /// (a loopback `redirect_uri` ending `/oauth/callback`): the answer
    /// redirects there with the code and the state. Cross-device (the
    /// confirmation page as `redirect_uri`): a page showing the code to
    /// paste, base64 of `code=CODE&state=STATE`, as the real page does.
    fn authorize(&self, params: &HashMap<String, String>) -> Result<Response, String> {
        let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
        if get("response_type") != "code" || get("code_challenge_method") != "SHA-256" {
            return Err("response_type must be code and code_challenge_method SHA-256".into());
        }
        if get("scope") != "openid" {
            return Err("scope must be openid".into());
        }
        let challenge = get("code_challenge");
        if challenge.len() != 43 || get("state").is_empty() {
            return Err("a 43-character code_challenge and a state are required".into());
        }
        let client_id = get("client_id");
        let redirect_uri = get("redirect_uri");
        let cross_device = match client_id {
            CLI_CLIENT_ID => {
                let loopback = redirect_uri
                    .strip_prefix("http://127.0.0.1:")
                    .and_then(|rest| rest.split_once('/'))
                    .is_some_and(|(port, path)| {
                        port.parse::<u16>().is_ok() && path == "oauth/callback"
                    });
                if !loopback {
                    return Err(format!(
                        "redirect_uri {redirect_uri} is not a loopback callback"
                    ));
                }
                false
            }
            CROSS_DEVICE_CLIENT_ID => {
                if !redirect_uri.ends_with(CONFIRMATION_PATH) {
                    return Err(format!(
                        "redirect_uri {redirect_uri} is not the confirmation page"
                    ));
                }
                true
            }
            other => return Err(format!("unknown client_id `{other}`")),
        };
        let Some(user_arn) = self.console_user.clone() else {
            return Err("no console user is configured to sign in".into());
        };
        let mut inner = self.lock();
        let code = format!(
            "code-{}",
            URL_SAFE_NO_PAD.encode(Sha256::digest(
                format!("{}#{}", inner.codes.len(), get("state")).as_bytes()
            ))
        );
        inner.codes.insert(
            code.clone(),
            PendingCode {
                client_id: client_id.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                challenge: challenge.to_owned(),
                user_arn,
            },
        );
        let state = crate::oidc::percent_encode(get("state"));
        let code_q = crate::oidc::percent_encode(&code);
        if cross_device {
            let pasted = base64::engine::general_purpose::STANDARD
                .encode(format!("code={code_q}&state={state}"));
            return Ok((
                StatusCode::OK,
                [(axum::http::header::CONTENT_TYPE, "text/html")],
                format!("<p>Paste this code: <code id=\"verification-code\">{pasted}</code></p>"),
            )
                .into_response());
        }
        let location = format!("{redirect_uri}?code={code_q}&state={state}");
        let location = HeaderValue::from_str(&location).map_err(|_| "bad redirect".to_owned())?;
        Ok((
            StatusCode::FOUND,
            [(axum::http::header::LOCATION, location)],
        )
            .into_response())
    }

    /// The `authorization_code` grant: the code once, for its client and
    /// redirect URI, with the PKCE verifier of its challenge; the session's
    /// key is the proof's.
    fn exchange_code(&self, request: &TokenRequest, proven: &Proven) -> Result<Value, SigninError> {
        let mut inner = self.lock();
        let code = request.code.as_deref().unwrap_or_default();
        let pending = inner.codes.remove(code).ok_or_else(|| {
            SigninError::denied(
                "AUTHCODE_EXPIRED",
                "the authorization code is unknown or used",
            )
        })?;
        if pending.client_id != request.client_id
            || Some(pending.redirect_uri.as_str()) != request.redirect_uri.as_deref()
        {
            return Err(SigninError::denied(
                "INVALID_REQUEST",
                "clientId or redirectUri differ from the authorization's",
            ));
        }
        let verifier = request.code_verifier.as_deref().unwrap_or_default();
        if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != pending.challenge {
            return Err(SigninError::denied(
                "INVALID_REQUEST",
                "the codeVerifier does not match the code_challenge",
            ));
        }
        drop(inner);
        let account_id = pending
            .user_arn
            .split(':')
            .nth(4)
            .unwrap_or_default()
            .to_owned();
        let credentials = self.portal.user_credentials(&account_id, &pending.user_arn);
        let mut inner = self.lock();
        let (x, y) = &proven.coordinates;
        let refresh_token = new_refresh_token(&mut inner, &pending.user_arn, &account_id, x, y);
        inner
            .outcomes
            .push(SigninOutcome::SignedIn(credentials.access_key_id.clone()));
        let claims = URL_SAFE_NO_PAD.encode(json!({"sub": pending.user_arn}).to_string());
        let lifetime =
            (credentials.expiration_epoch_ms / 1000).saturating_sub(now_seconds() as i64);
        Ok(json!({
            "accessToken": {
                "accessKeyId": credentials.access_key_id,
                "secretAccessKey": credentials.secret_access_key,
                "sessionToken": credentials.session_token,
            },
            "tokenType": "aws_sigv4",
            "expiresIn": lifetime,
            "refreshToken": refresh_token,
            "idToken": format!("eyJhbGciOiJub25lIn0.{claims}."),
        }))
    }
}

/// A new refresh token for the user, bound to the key `(x, y)`.
fn new_refresh_token(
    inner: &mut Inner,
    user_arn: &str,
    account_id: &str,
    x: &str,
    y: &str,
) -> String {
    let token = format!(
        "rt-{}",
        URL_SAFE_NO_PAD.encode(Sha256::digest(
            format!("{user_arn}/{}/{}", inner.grants.len(), inner.sessions).as_bytes()
        ))
    );
    inner.grants.insert(
        token.clone(),
        Grant {
            user_arn: user_arn.to_owned(),
            account_id: account_id.to_owned(),
            thumbprint: thumbprint(x, y),
            used: false,
        },
    );
    token
}

/// The body of `CreateOAuth2Token`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenRequest {
    client_id: String,
    grant_type: String,
    refresh_token: Option<String>,
    code: Option<String>,
    code_verifier: Option<String>,
    redirect_uri: Option<String>,
}

/// What a valid proof proved: its key and its `jti`.
struct Proven {
    thumbprint: String,
    coordinates: (String, String),
    jti: String,
}

/// The key as the AWS CLI writes `dpopKey`: SEC1 `ECPrivateKey` with the
/// curve's OID and the public key (awscrt, which botocore reads it with,
/// needs both), in PEM.
fn sec1_pem(key: &SecretKey) -> String {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    use sec1::der::EncodePem;
    let secret = key.to_bytes();
    let public = key.public_key().to_encoded_point(false);
    sec1::EcPrivateKey {
        private_key: &secret,
        parameters: Some(sec1::EcParameters::NamedCurve(P256_OID)),
        public_key: Some(public.as_bytes()),
    }
    .to_pem(LineEnding::LF)
    .expect("a P-256 key encodes")
}

/// The OID of P-256 (prime256v1, secp256r1).
const P256_OID: sec1::der::asn1::ObjectIdentifier =
    sec1::der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

/// The public key's coordinates, base64url, as a JWK holds them.
fn public_coordinates(key: &SecretKey) -> (String, String) {
    let point = key.public_key().to_encoded_point(false);
    let x = point.x().expect("an uncompressed point has x");
    let y = point.y().expect("an uncompressed point has y");
    (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y))
}

/// The RFC 7638 thumbprint of a P-256 JWK.
fn thumbprint(x: &str, y: &str) -> String {
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// Checks a DPoP proof for `POST htu` at `now` (seconds): the error says
/// which rule it broke. The `jti` is returned for the replay check.
fn verify_proof(proof: &str, htu: &str, now: u64) -> Result<Proven, String> {
    let mut parts = proof.split('.');
    let (Some(header64), Some(payload64), Some(signature64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the proof is not a compact JWS".to_owned());
    };
    let decode = |what: &str, part: &str| -> Result<Vec<u8>, String> {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| format!("the proof's {what} is not base64url"))
    };
    let header: Value = serde_json::from_slice(&decode("header", header64)?)
        .map_err(|_| "the proof's header is not JSON".to_owned())?;
    let claims: Value = serde_json::from_slice(&decode("payload", payload64)?)
        .map_err(|_| "the proof's payload is not JSON".to_owned())?;
    if header["typ"] != "dpop+jwt" || header["alg"] != "ES256" {
        return Err("the proof is not an ES256 dpop+jwt".to_owned());
    }
    let jwk = &header["jwk"];
    let (Some(x), Some(y)) = (jwk["x"].as_str(), jwk["y"].as_str()) else {
        return Err("the proof's jwk has no x and y".to_owned());
    };
    if jwk["kty"] != "EC" || jwk["crv"] != "P-256" {
        return Err("the proof's jwk is not a P-256 key".to_owned());
    }
    let (xb, yb) = (decode("jwk x", x)?, decode("jwk y", y)?);
    if xb.len() != 32 || yb.len() != 32 {
        return Err("the proof's jwk coordinates are not 32 bytes".to_owned());
    }
    let point =
        EncodedPoint::from_affine_coordinates(xb.as_slice().into(), yb.as_slice().into(), false);
    let key = VerifyingKey::from_encoded_point(&point)
        .map_err(|_| "the proof's jwk is not a point of P-256".to_owned())?;
    let signature = Signature::from_slice(&decode("signature", signature64)?)
        .map_err(|_| "the proof's signature is not an ES256 signature".to_owned())?;
    key.verify(format!("{header64}.{payload64}").as_bytes(), &signature)
        .map_err(|_| "the proof's signature does not verify with its jwk".to_owned())?;
    if claims["htm"] != "POST" {
        return Err("the proof's htm is not POST".to_owned());
    }
    let claimed = claims["htu"].as_str().unwrap_or_default();
    let claimed = claimed.split(['?', '#']).next().unwrap_or_default();
    if claimed != htu {
        return Err(format!("the proof's htu `{claimed}` is not {htu}"));
    }
    let iat = claims["iat"]
        .as_u64()
        .ok_or_else(|| "the proof has no iat".to_owned())?;
    if iat.abs_diff(now) > IAT_WINDOW {
        return Err("the proof's iat is too far from now".to_owned());
    }
    let jti = claims["jti"].as_str().unwrap_or_default();
    if jti.is_empty() {
        return Err("the proof has no jti".to_owned());
    }
    Ok(Proven {
        thumbprint: thumbprint(x, y),
        coordinates: (x.to_owned(), y.to_owned()),
        jti: jti.to_owned(),
    })
}

fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `YYYY-MM-DDTHH:MM:SSZ`, as the AWS CLI writes `expiresAt`.
fn rfc3339_seconds(epoch: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(epoch)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// An error of `CreateOAuth2Token`, answered as REST-JSON errors are: the
/// type in `x-amzn-errortype`, `{"error", "message"}` as the body.
#[derive(Debug)]
struct SigninError {
    status: StatusCode,
    kind: &'static str,
    code: &'static str,
    message: String,
}

impl SigninError {
    fn validation(message: impl Into<String>) -> Self {
        SigninError {
            status: StatusCode::BAD_REQUEST,
            kind: "ValidationException",
            code: "INVALID_REQUEST",
            message: message.into(),
        }
    }

    fn denied(code: &'static str, message: impl Into<String>) -> Self {
        SigninError {
            status: StatusCode::BAD_REQUEST,
            kind: "AccessDeniedException",
            code,
            message: message.into(),
        }
    }

    fn proof(message: impl Into<String>) -> Self {
        SigninError {
            status: StatusCode::UNAUTHORIZED,
            kind: "AccessDeniedException",
            code: "INVALID_REQUEST",
            message: message.into(),
        }
    }
}

impl IntoResponse for SigninError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({"error": self.code, "message": self.message})),
        )
            .into_response();
        response.headers_mut().insert(
            HeaderName::from_static("x-amzn-errortype"),
            HeaderValue::from_static(self.kind),
        );
        response
    }
}

async fn create_token(
    State(state): State<Arc<SigninState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    match state.token(&headers, &body) {
        Ok(answer) => Json(answer).into_response(),
        Err(e) => {
            state
                .lock()
                .outcomes
                .push(SigninOutcome::Refused(e.message.clone()));
            e.into_response()
        }
    }
}

async fn authorize(
    State(state): State<Arc<SigninState>>,
    axum::extract::Query(params): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    state
        .authorize(&params)
        .unwrap_or_else(|message| (StatusCode::BAD_REQUEST, message).into_response())
}

pub(crate) fn router(state: Arc<SigninState>) -> Router {
    Router::new()
        .route(TOKEN_PATH, post(create_token))
        .route("/v1/authorize", axum::routing::get(authorize))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::SigningKey;
    use p256::ecdsa::signature::Signer;

    const HTU: &str = "http://127.0.0.1:9/v1/token";

    fn key(n: u8) -> SecretKey {
        SecretKey::from_slice(&Sha256::digest([n])).unwrap()
    }

    /// A proof signed by `signer` whose header names `named`'s key.
    fn proof(signer: &SecretKey, named: &SecretKey, claims: &Value) -> String {
        let (x, y) = public_coordinates(named);
        let header = json!({"typ": "dpop+jwt", "alg": "ES256",
            "jwk": {"kty": "EC", "crv": "P-256", "x": x, "y": y}});
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature: Signature = SigningKey::from(signer).sign(message.as_bytes());
        format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    fn claims(htm: &str, htu: &str, iat: u64) -> Value {
        json!({"jti": "j-1", "htm": htm, "htu": htu, "iat": iat})
    }

    #[test]
    fn a_good_proof_names_its_key_and_every_broken_rule_is_named() {
        let now = 1_800_000_000;
        let k = key(1);
        let good = verify_proof(&proof(&k, &k, &claims("POST", HTU, now)), HTU, now).unwrap();
        let (x, y) = public_coordinates(&k);
        assert_eq!(good.thumbprint, thumbprint(&x, &y));
        assert_eq!(good.jti, "j-1");
        let with_query = format!("{HTU}?a=b");
        assert!(verify_proof(&proof(&k, &k, &claims("POST", &with_query, now)), HTU, now).is_ok());
        for (bad, why) in [
            (
                proof(&key(2), &k, &claims("POST", HTU, now)),
                "does not verify",
            ),
            (proof(&k, &k, &claims("GET", HTU, now)), "htm is not POST"),
            (
                proof(&k, &k, &claims("POST", "http://127.0.0.1:9/token", now)),
                "htu",
            ),
            (proof(&k, &k, &claims("POST", HTU, now - 301)), "iat"),
            (
                proof(&k, &k, &json!({"htm": "POST", "htu": HTU, "iat": now})),
                "no jti",
            ),
            ("a.b".to_owned(), "not a compact JWS"),
        ] {
            let e = verify_proof(&bad, HTU, now).err().unwrap_or_default();
            assert!(e.contains(why), "{why}: {e}");
        }
    }

    /// The token endpoint itself: a refresh with a good proof works once;
    /// a replayed `jti`, a proof of another key than the session's, and a
    /// used refresh token are refused, each saying why.
    #[test]
    fn refreshes_need_the_sessions_key_a_fresh_jti_and_an_unused_token() {
        let state = SigninState::new(
            Arc::new(Shared::new(crate::EmulatorConfig::new())),
            false,
            None,
        );
        let login = state.login("arn:aws:iam::123456789012:user/ana");
        let session_key = SecretKey::from_sec1_pem(&login.dpop_key_pem).unwrap();
        let host = "127.0.0.1:9";
        let htu = format!("http://{host}{TOKEN_PATH}");
        let now = now_seconds();
        let call = |key: &SecretKey, jti: &str, refresh_token: &str| {
            let claims = json!({"jti": jti, "htm": "POST", "htu": htu, "iat": now});
            let mut headers = HeaderMap::new();
            headers.insert("host", HeaderValue::from_static("127.0.0.1:9"));
            headers.insert(
                "dpop",
                HeaderValue::from_str(&proof(key, key, &claims)).unwrap(),
            );
            let body = json!({"clientId": CLI_CLIENT_ID, "grantType": "refresh_token",
                "refreshToken": refresh_token});
            state.token(&headers, body.to_string().as_bytes())
        };
        let other = key(9);
        let e = call(&other, "j-1", &login.refresh_token).unwrap_err();
        assert!(e.message.contains("another key"), "{e:?}");
        let answer = call(&session_key, "j-2", &login.refresh_token).unwrap();
        let next = answer["refreshToken"].as_str().unwrap().to_owned();
        assert_ne!(next, login.refresh_token);
        let e = call(&session_key, "j-2", &next).unwrap_err();
        assert!(e.message.contains("jti was used before"), "{e:?}");
        let e = call(&session_key, "j-3", &login.refresh_token).unwrap_err();
        assert_eq!(e.code, "TOKEN_EXPIRED", "{e:?}");
        assert!(call(&session_key, "j-4", &next).is_ok());
    }
}
