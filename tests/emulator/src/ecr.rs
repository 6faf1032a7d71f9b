//! Amazon ECR's `GetAuthorizationToken` (awsJson1_1: `POST /` with
//! `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken`),
//! for credentials this emulator issued.
//!
//! The caller is who the SigV4 `Authorization` header's
//! `Credential=AKID/DATE/REGION/ecr/aws4_request` and the
//! `X-Amz-Security-Token` header say: they must be a set of role
//! credentials the portal issued, unexpired. The signature itself is not
//! recomputed. Refusals are the JSON errors ECR sends
//! (`{"__type","message"}`): 403 `UnrecognizedClientException` for unknown
//! credentials, 403 `ExpiredTokenException` for expired ones, 403
//! `InvalidSignatureException` for a scope of another service, and 400
//! `AccessDeniedException` for a role refused with [`crate::Emulator::deny_ecr`].
//!
//! The answer's token is base64 of `AWS:PASSWORD`; the password is new on
//! every call and remembered with its owner, so a test can ask whose it is
//! ([`crate::Emulator::ecr_token_owner`], `POST /_emulator/ecr/owner` with
//! `{"password"}`). `expiresAt` is 12 hours after the call unless
//! [`crate::Emulator::set_ecr_token_lifetime`] says otherwise.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use crate::credentials::{IssuedCredentials, opaque_text};

/// The `X-Amz-Target` of the operation.
pub(crate) const TARGET: &str = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken";

/// How long a token lives unless a test changes it: ECR's 12 hours.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// Whose an ECR password is.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EcrTokenOwner {
    /// The account of the credentials that asked for it.
    pub account_id: String,
    /// Their role.
    pub role_name: String,
    /// Their access key id.
    pub access_key_id: String,
    /// The region of the request's credential scope.
    pub region: String,
}

struct Grant {
    password: String,
    owner: EcrTokenOwner,
}

struct Inner {
    lifetime: Duration,
    grants: Vec<Grant>,
    denied: Vec<(String, String)>,
}

/// The tokens handed out, and what tests changed.
pub(crate) struct EcrState {
    inner: Mutex<Inner>,
}

impl EcrState {
    pub(crate) fn new() -> Self {
        EcrState {
            inner: Mutex::new(Inner {
                lifetime: DEFAULT_TOKEN_LIFETIME,
                grants: Vec::new(),
                denied: Vec::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn set_lifetime(&self, lifetime: Duration) {
        self.lock().lifetime = lifetime;
    }

    pub(crate) fn deny(&self, account_id: &str, role_name: &str) {
        self.lock()
            .denied
            .push((account_id.to_owned(), role_name.to_owned()));
    }

    pub(crate) fn owner(&self, password: &str) -> Option<EcrTokenOwner> {
        self.lock()
            .grants
            .iter()
            .find(|g| g.password == password)
            .map(|g| g.owner.clone())
    }
}

/// An ECR error answer.
fn refuse(status: StatusCode, kind: &str, message: &str) -> Response {
    let mut response = (
        status,
        Json(serde_json::json!({ "__type": kind, "message": message })),
    )
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    response
}

/// A refusal: status, error type and message.
type Refusal = (StatusCode, &'static str, &'static str);

const UNRECOGNISED: Refusal = (
    StatusCode::FORBIDDEN,
    "UnrecognizedClientException",
    "The security token included in the request is invalid.",
);

/// The access key id and the region of a SigV4 `Authorization` header whose
/// scope is the `ecr` service.
fn credential_scope(headers: &HeaderMap) -> Result<(String, String), Refusal> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(UNRECOGNISED)?;
    let credential = authorization
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .and_then(|rest| {
            rest.split(',')
                .find_map(|part| part.trim().strip_prefix("Credential="))
        })
        .ok_or(UNRECOGNISED)?;
    let parts: Vec<&str> = credential.split('/').collect();
    let [key, _date, region, service, "aws4_request"] = parts.as_slice() else {
        return Err(UNRECOGNISED);
    };
    if *service != "ecr" {
        return Err((
            StatusCode::FORBIDDEN,
            "InvalidSignatureException",
            "Credential should be scoped to correct service: 'ecr'.",
        ));
    }
    Ok(((*key).to_owned(), (*region).to_owned()))
}

impl EcrState {
    /// The answer to `POST /` with the GetAuthorizationToken target and
    /// `headers`, for the credentials in `issued`.
    pub(crate) fn get_authorization_token(
        &self,
        issued: &[IssuedCredentials],
        headers: &HeaderMap,
    ) -> Response {
        let (key, region) = match credential_scope(headers) {
            Ok(scope) => scope,
            Err((status, kind, message)) => return refuse(status, kind, message),
        };
        let token = headers
            .get("x-amz-security-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let Some(creds) = issued
            .iter()
            .find(|c| c.access_key_id == key && c.session_token == token)
        else {
            let (status, kind, message) = UNRECOGNISED;
            return refuse(status, kind, message);
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        if u128::try_from(creds.expiration_epoch_ms).unwrap_or(0) <= now.as_millis() {
            return refuse(
                StatusCode::FORBIDDEN,
                "ExpiredTokenException",
                "The security token included in the request is expired",
            );
        }
        let mut inner = self.lock();
        if inner
            .denied
            .iter()
            .any(|(a, r)| *a == creds.account_id && *r == creds.role_name)
        {
            let message = format!(
                "User: arn:aws:sts::{}:assumed-role/{}/ssocred-emulator is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action",
                creds.account_id, creds.role_name
            );
            drop(inner);
            return refuse(StatusCode::BAD_REQUEST, "AccessDeniedException", &message);
        }
        let sequence = inner.grants.len().to_string();
        // Real passwords are long base64 JSON; this one holds `+` and `/` too.
        let password = opaque_text(&[b"ecr", key.as_bytes(), sequence.as_bytes()], 1200);
        let expires_at = now.as_secs() + inner.lifetime.as_secs();
        inner.grants.push(Grant {
            password: password.clone(),
            owner: EcrTokenOwner {
                account_id: creds.account_id.clone(),
                role_name: creds.role_name.clone(),
                access_key_id: key,
                region: region.clone(),
            },
        });
        drop(inner);
        let token = base64::engine::general_purpose::STANDARD.encode(format!("AWS:{password}"));
        let body = serde_json::json!({
            "authorizationData": [{
                "authorizationToken": token,
                "expiresAt": expires_at as f64,
                "proxyEndpoint": format!("https://{}.dkr.ecr.{region}.amazonaws.com", creds.account_id),
            }]
        });
        let mut response = Json(body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(lifetime: Duration) -> IssuedCredentials {
        IssuedCredentials::generate("123456789012", "Push", 1, lifetime)
    }

    fn headers(authorization: &str, token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, authorization.parse().unwrap());
        h.insert("x-amz-security-token", token.parse().unwrap());
        h
    }

    fn auth(key: &str, service: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential={key}/20261201/eu-west-1/{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
        )
    }

    async fn error_type(response: Response) -> (u16, String) {
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
        (
            status,
            doc["__type"].as_str().unwrap_or_default().to_owned(),
        )
    }

    #[tokio::test]
    async fn only_issued_unexpired_credentials_scoped_to_ecr_get_a_token() {
        let state = EcrState::new();
        let live = creds(Duration::from_secs(3600));
        let dead = creds(Duration::ZERO);
        let issued = [live.clone()];
        let cases = [
            (
                headers(&auth("ASIANOTISSUED0000000", "ecr"), &live.session_token),
                &issued[..],
                (403, "UnrecognizedClientException"),
            ),
            (
                headers(&auth(&live.access_key_id, "ecr"), "another-token"),
                &issued[..],
                (403, "UnrecognizedClientException"),
            ),
            (
                headers(&auth(&live.access_key_id, "sts"), &live.session_token),
                &issued[..],
                (403, "InvalidSignatureException"),
            ),
            (
                headers("Bearer x", &live.session_token),
                &issued[..],
                (403, "UnrecognizedClientException"),
            ),
            (
                headers(&auth(&dead.access_key_id, "ecr"), &dead.session_token),
                &[dead.clone()][..],
                (403, "ExpiredTokenException"),
            ),
        ];
        for (h, issued, (status, kind)) in cases {
            let got = error_type(state.get_authorization_token(issued, &h)).await;
            assert_eq!(got, (status, kind.to_owned()));
        }
        let ok = state.get_authorization_token(
            &issued,
            &headers(&auth(&live.access_key_id, "ecr"), &live.session_token),
        );
        assert_eq!(ok.status(), StatusCode::OK);
        let body = axum::body::to_bytes(ok.into_body(), 1 << 20).await.unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let data = &doc["authorizationData"][0];
        assert_eq!(
            data["proxyEndpoint"],
            "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com"
        );
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(data["authorizationToken"].as_str().unwrap())
            .unwrap();
        let decoded = String::from_utf8(decoded).unwrap();
        let password = decoded.strip_prefix("AWS:").unwrap();
        let owner = state.owner(password).unwrap();
        assert_eq!(
            (
                owner.account_id.as_str(),
                owner.role_name.as_str(),
                owner.region.as_str()
            ),
            ("123456789012", "Push", "eu-west-1")
        );
        let expires = data["expiresAt"].as_f64().unwrap() as u64;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(
            (now + 12 * 3600 - 5..=now + 12 * 3600 + 5).contains(&expires),
            "{expires}"
        );
        state.deny("123456789012", "Push");
        let denied = state.get_authorization_token(
            &issued,
            &headers(&auth(&live.access_key_id, "ecr"), &live.session_token),
        );
        assert_eq!(
            error_type(denied).await,
            (400, "AccessDeniedException".to_owned())
        );
    }
}
