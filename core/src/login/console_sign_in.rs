//! `ssocred login` for a console session: the sign-in of `aws login`, so
//! that a `login_session` profile can be set up and renewed without the
//! AWS CLI.
//!
//! The flow is OAuth 2.0's authorization code with PKCE at AWS Sign-In:
//!
//! - same-device (the default): client `arn:aws:signin:::devtools/same-device`,
//!   the browser opens `/v1/authorize` and comes back to a listener on
//!   127.0.0.1 (`--redirect-port` fixes its port) at `/oauth/callback`;
//! - cross-device (`--remote`): client `arn:aws:signin:::devtools/cross-device`,
//!   the redirect is Sign-In's own confirmation page, which shows a code
//!   (base64 of `code=...&state=...`) to paste here.
//!
//! The code is exchanged at `/v1/token` (`CreateOAuth2Token`, grant
//! `authorization_code`) with a DPoP proof of a new P-256 key, which the
//! session is then bound to. The result is written where and as the AWS CLI
//! writes it, so `aws`, botocore and the SDKs use and refresh it too.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_signin::config::{BehaviorVersion, Region};
use aws_sdk_signin::types::CreateOAuth2TokenRequestBody;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::SecretKey;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::LineEnding;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::{
    LoginSettings, callback, encode, open_browser, random_bytes, random_hex, random_verifier,
};
use crate::aws::sdk;
use crate::domain::network::Network;
use crate::domain::text::visible;
use crate::domain::time_fmt;
use crate::os::fs::{FileLock, write_atomic};
use crate::{CredentialSet, Error};

/// The same-device client of the AWS CLI.
pub const SAME_DEVICE_CLIENT: &str = "arn:aws:signin:::devtools/same-device";
/// The cross-device client of the AWS CLI (`aws login --remote`).
pub const CROSS_DEVICE_CLIENT: &str = "arn:aws:signin:::devtools/cross-device";

/// One sign-in: where, through what, and how.
#[derive(Debug)]
pub struct SignIn<'a> {
    /// The profile, for messages.
    pub profile: &'a str,
    /// Sign-In's region.
    pub region: &'a str,
    /// The network Sign-In is reached through.
    pub network: &'a Network,
    /// The cache directory (`AWS_LOGIN_CACHE_DIRECTORY` or
    /// `~/.aws/login/cache`).
    pub cache_dir: PathBuf,
    /// Browser, `--remote`, redirect port, timeout.
    pub settings: &'a LoginSettings,
}

/// What a sign-in gave.
#[derive(Debug)]
pub struct SignedIn {
    /// The session: the user's ARN, for the profile's `login_session`.
    pub login_session: String,
    /// The session's cache file, written.
    pub cache_file: PathBuf,
    /// When its first credentials expire.
    pub expiration: OffsetDateTime,
}

/// The base URL of Sign-In in `region`: `AWS_ENDPOINT_URL_SIGNIN` when set,
/// else the SDK's endpoint rules (with the network's FIPS and dual-stack
/// settings).
pub fn endpoint(
    region: &str,
    network: &Network,
    var: impl Fn(&str) -> Option<String>,
) -> Result<String, Error> {
    use aws_sdk_signin::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
    if let Some(url) =
        crate::domain::endpoints::endpoint_override(var, super::console::ENDPOINT_VARIABLE)
    {
        return Ok(url);
    }
    let params = Params::builder()
        .region(region)
        .use_fips(network.endpoints.fips)
        .use_dual_stack(network.endpoints.dualstack)
        .build()
        .map_err(|e| Error::Usage(format!("region {region}: {e}")))?;
    let resolver = DefaultResolver::new();
    let mut future = std::pin::pin!(resolver.resolve_endpoint(&params));
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    let std::task::Poll::Ready(resolved) = future.as_mut().poll(&mut context) else {
        return Err(Error::Internal(
            "the Sign-In endpoint rules did not resolve at once".to_owned(),
        ));
    };
    let resolved = resolved.map_err(|e| {
        Error::Usage(format!(
            "no AWS Sign-In endpoint for region {region}: {}; set AWS_ENDPOINT_URL_SIGNIN",
            sdk::error_text(&*e)
        ))
    })?;
    Ok(resolved.url().trim_end_matches('/').to_owned())
}

/// Signs in, writes the session's cache file (0600, atomically, under the
/// file's lock) and returns it.
pub async fn sign_in(sign: &SignIn<'_>, ui: &mut dyn Write) -> Result<SignedIn, Error> {
    let base = endpoint(sign.region, sign.network, |k| std::env::var(k).ok())?;
    let key = new_key()?;
    let verifier = SecretString::from(random_verifier());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.expose_secret().as_bytes()));
    let state = random_hex(16);
    let (client, redirect_uri, listener) = if sign.settings.remote {
        (
            CROSS_DEVICE_CLIENT,
            format!("{base}/v1/sessions/confirmation"),
            None,
        )
    } else {
        let listener = callback::Listener::bind(sign.settings.redirect_port)
            .await
            .map_err(|e| {
                failed(
                    sign,
                    &format!(
                        "cannot listen on 127.0.0.1 for the sign-in redirect: {e}; use --remote"
                    ),
                )
            })?;
        (SAME_DEVICE_CLIENT, listener.redirect_uri(), Some(listener))
    };
    let url = format!(
        "{base}/v1/authorize?response_type=code&client_id={}&state={}&code_challenge_method=SHA-256&scope=openid&redirect_uri={}&code_challenge={challenge}",
        encode(client),
        encode(&state),
        encode(&redirect_uri),
    );
    let code = match listener {
        Some(listener) => {
            let _ = writeln!(
                ui,
                "To sign in to the AWS console session of profile `{}`, open this URL in a browser on this machine:\n\n    {url}\n",
                visible(sign.profile)
            );
            let _ = ui.flush();
            let _page = (sign.settings.open_browser && sign.settings.desktop.display)
                .then(|| open_browser(sign.settings, &url, ui))
                .flatten();
            let answer = tokio::time::timeout(sign.settings.timeout, listener.wait(&state))
                .await
                .map_err(|_| failed(sign, "no sign-in arrived at the redirect in time"))?
                .map_err(|e| failed(sign, &format!("the sign-in redirect failed: {e}")))?;
            match answer {
                callback::Answer::Code(code) => code,
                callback::Answer::Error(why) => {
                    return Err(failed(sign, &format!("the sign-in was refused ({why})")));
                }
            }
        }
        None => {
            let _ = writeln!(
                ui,
                "To sign in to the AWS console session of profile `{}`, open this URL in a browser on any machine:\n\n    {url}\n\nAfter you sign in, the page shows a code. Paste it here:",
                visible(sign.profile)
            );
            let _ = ui.flush();
            let pasted = tokio::time::timeout(sign.settings.timeout, super::read_pasted_line())
                .await
                .map_err(|_| failed(sign, "nothing was pasted in time"))?
                .map_err(|e| failed(sign, &format!("cannot read the pasted code: {e}")))?;
            pasted_code(&pasted, &state).map_err(|why| failed(sign, &why))?
        }
    };
    let token = exchange(sign, &base, client, &code, &redirect_uri, &verifier, &key).await?;
    write_session(sign, token, &key)
}

/// The code in what was pasted for `--remote`: base64 of
/// `code=CODE&state=STATE`, whose state must be this sign-in's.
fn pasted_code(pasted: &str, state: &str) -> Result<String, String> {
    let pasted = pasted.trim();
    if pasted.is_empty() {
        return Err("nothing was pasted".to_owned());
    }
    let decoded = STANDARD
        .decode(pasted)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| "what was pasted is not the code the sign-in page shows".to_owned())?;
    let mut code = None;
    let mut got_state = None;
    for pair in decoded.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_encoding::percent_decode_str(v)
            .decode_utf8_lossy()
            .into_owned();
        match k {
            "code" => code = Some(v),
            "state" => got_state = Some(v),
            _ => {}
        }
    }
    if got_state.as_deref() != Some(state) {
        return Err(
            "the pasted code is from another sign-in (its state differs); sign in again".to_owned(),
        );
    }
    code.filter(|c| !c.is_empty())
        .ok_or_else(|| "the pasted code holds no authorization code".to_owned())
}

/// A new P-256 key for the session.
fn new_key() -> Result<SecretKey, Error> {
    // A random 32-byte string is a valid scalar but with negligible odds.
    for _ in 0..8 {
        if let Ok(key) = SecretKey::from_slice(&random_bytes(32)) {
            return Ok(key);
        }
    }
    Err(Error::Internal("cannot make a P-256 key".to_owned()))
}

/// A DPoP proof (RFC 9449) of `key` for `POST htu`, as Sign-In asks for.
fn dpop_proof(key: &SecretKey, htu: &str) -> Result<String, String> {
    let point = key.public_key().to_encoded_point(false);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        return Err("the session key has no coordinates".to_owned());
    };
    let header = serde_json::json!({
        "typ": "dpop+jwt",
        "alg": "ES256",
        "jwk": {"kty": "EC", "crv": "P-256", "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y)},
    });
    let iat = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let claims = serde_json::json!({"jti": random_hex(16), "htm": "POST", "htu": htu, "iat": iat});
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature: Signature = SigningKey::from(key).sign(message.as_bytes());
    Ok(format!(
        "{message}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    ))
}

/// Adds the DPoP header to each attempt of `CreateOAuth2Token`, for the
/// URL it is sent to (a retry gets a fresh `jti`).
#[derive(Debug)]
struct DpopHeader(SecretKey);

impl Intercept for DpopHeader {
    fn name(&self) -> &'static str {
        "DpopHeader"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let proof = dpop_proof(&self.0, request.uri())?;
        request.headers_mut().insert("DPoP", proof);
        Ok(())
    }
}

/// What the code exchange answered.
struct Token {
    credentials: CredentialSet,
    refresh_token: SecretString,
    id_token: String,
    login_session: String,
    client: &'static str,
}

async fn exchange(
    sign: &SignIn<'_>,
    base: &str,
    client: &'static str,
    code: &str,
    redirect_uri: &str,
    verifier: &SecretString,
    key: &SecretKey,
) -> Result<Token, Error> {
    let config = aws_sdk_signin::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(sign.region.to_owned()))
        .endpoint_url(base)
        .http_client(sdk::http_client(base, sign.network))
        .retry_config(sdk::retry_config())
        .timeout_config(sdk::timeout_config())
        .interceptor(DpopHeader(key.clone()))
        .build();
    let body = CreateOAuth2TokenRequestBody::builder()
        .client_id(client)
        .grant_type("authorization_code")
        .code(code)
        .code_verifier(verifier.expose_secret())
        .redirect_uri(redirect_uri)
        .build()
        .map_err(|e| Error::Internal(e.to_string()))?;
    let answer = aws_sdk_signin::Client::from_conf(config)
        .create_o_auth2_token()
        .token_input(body)
        .send()
        .await
        .map_err(|e| {
            failed(
                sign,
                &format!(
                    "Sign-In at {base} refused the code: {}",
                    sdk::remote_error(&e, &[code, verifier.expose_secret()])
                ),
            )
        })?;
    let output = answer
        .token_output
        .ok_or_else(|| failed(sign, "Sign-In answered without a token"))?;
    let access = output
        .access_token()
        .ok_or_else(|| failed(sign, "Sign-In answered without credentials"))?;
    let id_token = output.id_token().unwrap_or_default().to_owned();
    let login_session = subject(&id_token)
        .ok_or_else(|| failed(sign, "Sign-In's id token names no session (`sub`)"))?;
    let account_id = login_session
        .split(':')
        .nth(4)
        .unwrap_or_default()
        .to_owned();
    let expiration = OffsetDateTime::now_utc()
        + Duration::from_secs(u64::try_from(output.expires_in()).unwrap_or(0));
    let name = login_session
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    Ok(Token {
        credentials: CredentialSet {
            account_id,
            account_name: None,
            role_name: name,
            role_arn: login_session.clone(),
            access_key_id: access.access_key_id().to_owned(),
            secret_access_key: SecretString::from(access.secret_access_key().to_owned()),
            session_token: SecretString::from(access.session_token().to_owned()),
            expiration,
            region: Some(sign.region.to_owned()),
            sso_profile: sign.profile.to_owned(),
            sso_session: None,
            start_url: String::new(),
            assumed_via: Vec::new(),
        },
        refresh_token: SecretString::from(output.refresh_token().to_owned()),
        id_token,
        login_session,
        client,
    })
}

/// The OID of P-256 (prime256v1, secp256r1).
const P256_OID: sec1::der::asn1::ObjectIdentifier =
    sec1::der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

/// The session key as the AWS CLI writes `dpopKey`: SEC1 `ECPrivateKey`
/// with the curve's OID and the public key, in PEM. (The elliptic-curve
/// crate's own SEC1 form leaves the OID out, which awscrt, botocore's
/// reader, refuses.)
fn sec1_pem(key: &SecretKey) -> Result<SecretString, sec1::der::Error> {
    use sec1::der::EncodePem;
    let secret = key.to_bytes();
    let public = key.public_key().to_encoded_point(false);
    let pem = sec1::EcPrivateKey {
        private_key: &secret,
        parameters: Some(sec1::EcParameters::NamedCurve(P256_OID)),
        public_key: Some(public.as_bytes()),
    }
    .to_pem(LineEnding::LF)?;
    Ok(SecretString::from(pem))
}

/// The `sub` claim of a JWT: the session's ARN.
fn subject(id_token: &str) -> Option<String> {
    let payload = id_token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let sub = claims["sub"].as_str()?;
    sub.starts_with("arn:").then(|| sub.to_owned())
}

/// Writes the session where the AWS CLI keeps it, in its format.
fn write_session(sign: &SignIn<'_>, token: Token, key: &SecretKey) -> Result<SignedIn, Error> {
    let pem =
        sec1_pem(key).map_err(|e| Error::Internal(format!("cannot write the session key: {e}")))?;
    let set = &token.credentials;
    let document = serde_json::json!({
        "accessToken": {
            "accessKeyId": set.access_key_id,
            "secretAccessKey": set.secret_access_key.expose_secret(),
            "sessionToken": set.session_token.expose_secret(),
            "accountId": set.account_id,
            "expiresAt": time_fmt::utc_z(set.expiration),
        },
        "tokenType": "aws_sigv4",
        "clientId": token.client,
        "refreshToken": token.refresh_token.expose_secret(),
        "idToken": token.id_token,
        "dpopKey": pem.expose_secret(),
    });
    let text = SecretString::from(document.to_string());
    let cache_file = super::console::cache_file_in(&sign.cache_dir, &token.login_session);
    let io = |what: &str, e: std::io::Error| Error::ConfigFile {
        path: cache_file.clone(),
        message: format!("{what}: {e}"),
    };
    let _turn = FileLock::acquire(&cache_file).map_err(|e| io("cannot lock its sidecar", e))?;
    write_atomic(&cache_file, text.expose_secret().as_bytes())
        .map_err(|e| io("cannot write", e))?;
    Ok(SignedIn {
        login_session: token.login_session,
        cache_file,
        expiration: set.expiration,
    })
}

fn failed(sign: &SignIn<'_>, why: &str) -> Error {
    Error::LoginRequired {
        reason: format!(
            "sign-in of the console session of profile `{}` failed: {why}",
            visible(sign.profile)
        ),
        login_command: crate::aws::portal::login_command(sign.profile),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pasted_code_needs_this_sign_ins_state() {
        let paste = STANDARD.encode("code=c%2B1&state=s-1");
        assert_eq!(pasted_code(&format!(" {paste}\n"), "s-1").unwrap(), "c+1");
        let e = pasted_code(&paste, "s-2").unwrap_err();
        assert!(e.contains("another sign-in"), "{e}");
        assert!(pasted_code("not base64!", "s-1").is_err());
        assert!(pasted_code("", "s-1").is_err());
        let no_code = STANDARD.encode("state=s-1");
        assert!(
            pasted_code(&no_code, "s-1")
                .unwrap_err()
                .contains("no authorization code")
        );
    }

    #[test]
    fn the_session_is_the_id_tokens_subject() {
        let claims = URL_SAFE_NO_PAD.encode(r#"{"sub":"arn:aws:iam::1:user/ana"}"#);
        assert_eq!(
            subject(&format!("h.{claims}.s")).as_deref(),
            Some("arn:aws:iam::1:user/ana")
        );
        assert_eq!(subject("h.e30.s"), None);
        assert_eq!(subject("nope"), None);
    }

    #[test]
    fn the_session_key_names_its_curve_as_the_cli_writes_it() {
        let key = new_key().unwrap();
        let pem = sec1_pem(&key).unwrap();
        let pem = pem.expose_secret();
        assert!(pem.starts_with("-----BEGIN EC PRIVATE KEY-----\n"), "{pem}");
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = STANDARD.decode(body).unwrap();
        // SEQUENCE of 119 bytes: version 1, the 32-byte key, [0] the
        // P-256 OID, [1] the uncompressed public key (121 bytes in all, as
        // awscrt exports SEC1).
        assert_eq!(der.len(), 121);
        let oid = [
            0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
        ];
        assert_eq!(&der[39..51], &oid);
        assert_eq!(SecretKey::from_sec1_pem(pem).unwrap(), key);
    }

    #[test]
    fn a_proof_is_signed_by_the_key_it_names() {
        use p256::ecdsa::VerifyingKey;
        use p256::ecdsa::signature::Verifier;
        let key = new_key().unwrap();
        let proof = dpop_proof(&key, "https://x/v1/token").unwrap();
        let parts: Vec<&str> = proof.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(claims["htu"], "https://x/v1/token");
        assert_eq!(claims["htm"], "POST");
        let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
        VerifyingKey::from(&SigningKey::from(&key))
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .unwrap();
        assert_ne!(
            proof,
            dpop_proof(&key, "https://x/v1/token").unwrap(),
            "a new jti each time"
        );
    }
}
