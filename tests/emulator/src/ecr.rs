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

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use crate::credentials::opaque_text;
use crate::state::{Operation, Shared};

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

/// The access key id and the region of a SigV4 `Authorization` header whose
/// scope is the `ecr` service.
fn credential_scope(headers: &HeaderMap) -> Result<(String, String), Response> {
    let unrecognised = || {
        refuse(
            StatusCode::FORBIDDEN,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unrecognised)?;
    let credential = authorization
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .and_then(|rest| {
            rest.split(',')
                .find_map(|part| part.trim().strip_prefix("Credential="))
        })
        .ok_or_else(unrecognised)?;
    let parts: Vec<&str> = credential.split('/').collect();
    let [key, _date, region, service, "aws4_request"] = parts.as_slice() else {
        return Err(unrecognised());
    };
    if *service != "ecr" {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "InvalidSignatureException",
            "Credential should be scoped to correct service: 'ecr'.",
        ));
    }
    Ok(((*key).to_owned(), (*region).to_owned()))
}

/// `POST /` with the GetAuthorizationToken target.
pub(crate) async fn get_authorization_token(shared: Arc<Shared>, headers: HeaderMap) -> Response {
    let latency = shared.arrive(Operation::GetAuthorizationToken);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (key, region) = match credential_scope(&headers) {
        Ok(scope) => scope,
        Err(refusal) => return refusal,
    };
    let token = headers
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let issued = shared.issued();
    let Some(creds) = issued
        .iter()
        .find(|c| c.access_key_id == key && c.session_token == token)
    else {
        return refuse(
            StatusCode::FORBIDDEN,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        );
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
    let ecr = &shared.ecr;
    let mut inner = ecr.lock();
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

#[derive(serde::Deserialize)]
pub(crate) struct OwnerInput {
    password: String,
}

/// `POST /_emulator/ecr/owner` `{"password"}`: 200 with the owner, or 404.
pub(crate) async fn admin_owner(
    State(shared): State<Arc<Shared>>,
    Json(input): Json<OwnerInput>,
) -> Response {
    match shared.ecr.owner(&input.password) {
        Some(owner) => Json(owner).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "reason": "no ECR token has this password" })),
        )
            .into_response(),
    }
}
