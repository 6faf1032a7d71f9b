//! The SSO OIDC service (`oidc.{region}.amazonaws.com`): client
//! registration, device authorization, the token endpoint for the device
//! code, authorization code (PKCE) and refresh token grants, and the
//! browser-facing `/authorize` and `/device` pages a test plays the user on.
//!
//! Access tokens it issues are accepted by the portal endpoints of the same
//! emulator, so a login made here works for `GetRoleCredentials`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::credentials::opaque_text;
use crate::state::Shared;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// How the OIDC side of the emulator behaves. Built with chained methods:
///
/// ```
/// use std::time::Duration;
/// use ssocred_emulator::OidcConfig;
///
/// let oidc = OidcConfig::default()
///     .approval_delay(Some(Duration::from_millis(200)))
///     .token_lifetime(Duration::from_secs(3600))
///     .rotate_refresh_tokens(true);
/// ```
#[derive(Clone, Debug)]
pub struct OidcConfig {
    pub(crate) registration_lifetime: Duration,
    pub(crate) token_lifetime: Duration,
    pub(crate) device_code_lifetime: Duration,
    pub(crate) interval: u32,
    pub(crate) approval_delay: Option<Duration>,
    pub(crate) slow_down_polls: u32,
    pub(crate) rotate_refresh_tokens: bool,
    pub(crate) latency: Duration,
}

impl Default for OidcConfig {
    /// Registrations for 90 days, access tokens for 8 hours, device codes
    /// for 10 minutes polled every second, devices approved only when a test
    /// approves them, no slow-down, refresh tokens kept on refresh, no
    /// latency.
    fn default() -> Self {
        Self {
            registration_lifetime: Duration::from_secs(90 * 24 * 3600),
            token_lifetime: Duration::from_secs(8 * 3600),
            device_code_lifetime: Duration::from_secs(600),
            interval: 1,
            approval_delay: None,
            slow_down_polls: 0,
            rotate_refresh_tokens: false,
            latency: Duration::ZERO,
        }
    }
}

impl OidcConfig {
    /// How long a client registration stays valid (`clientSecretExpiresAt`).
    pub fn registration_lifetime(mut self, lifetime: Duration) -> Self {
        self.registration_lifetime = lifetime;
        self
    }

    /// How long issued access tokens are valid (`expiresIn`).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// How long a device code can be polled before `ExpiredTokenException`.
    pub fn device_code_lifetime(mut self, lifetime: Duration) -> Self {
        self.device_code_lifetime = lifetime;
        self
    }

    /// The polling interval StartDeviceAuthorization reports, in seconds.
    pub fn interval(mut self, seconds: u32) -> Self {
        self.interval = seconds;
        self
    }

    /// Approve each device code by itself this long after it was issued;
    /// `None` waits for [`crate::Emulator::approve_device`] or a visit to the
    /// verification URL.
    pub fn approval_delay(mut self, delay: Option<Duration>) -> Self {
        self.approval_delay = delay;
        self
    }

    /// Answer the first `polls` polls of each device code with
    /// `SlowDownException`.
    pub fn slow_down_polls(mut self, polls: u32) -> Self {
        self.slow_down_polls = polls;
        self
    }

    /// When `true`, each refresh issues a new refresh token and invalidates
    /// the old one.
    pub fn rotate_refresh_tokens(mut self, rotate: bool) -> Self {
        self.rotate_refresh_tokens = rotate;
        self
    }

    /// Delay before each OIDC API request is answered.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }
}

/// An SSO OIDC operation (and the browser-facing authorize page).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OidcOperation {
    /// `POST /client/register`
    RegisterClient,
    /// `POST /device_authorization`
    StartDeviceAuthorization,
    /// `POST /token`, every grant type.
    CreateToken,
    /// `GET /authorize`, the page the browser is sent to in the PKCE flow.
    Authorize,
}

impl OidcOperation {
    /// Every operation, in declaration order.
    pub const ALL: [OidcOperation; 4] = [
        OidcOperation::RegisterClient,
        OidcOperation::StartDeviceAuthorization,
        OidcOperation::CreateToken,
        OidcOperation::Authorize,
    ];

    /// The operation's name in the service model.
    pub fn name(self) -> &'static str {
        match self {
            OidcOperation::RegisterClient => "RegisterClient",
            OidcOperation::StartDeviceAuthorization => "StartDeviceAuthorization",
            OidcOperation::CreateToken => "CreateToken",
            OidcOperation::Authorize => "Authorize",
        }
    }
}

impl fmt::Display for OidcOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The OIDC service's state, shared by its handlers and the handle.
pub(crate) struct OidcState {
    portal: Arc<Shared>,
    inner: Mutex<Inner>,
}

struct Inner {
    config: OidcConfig,
    counts: BTreeMap<String, u64>,
    sequence: u64,
    clients: HashMap<String, Client>,
    devices: HashMap<String, Device>,
    codes: HashMap<String, AuthCode>,
    refresh_tokens: HashMap<String, String>,
    refresh_revoked: bool,
}

struct Client {
    secret: String,
    expires_at: u64,
    scopes: Vec<String>,
    grant_types: Vec<String>,
    redirect_uris: Vec<String>,
}

struct Device {
    client_id: String,
    user_code: String,
    issued: Instant,
    expires: Instant,
    approved: bool,
    polls: u32,
}

struct AuthCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
}

impl OidcState {
    pub(crate) fn new(config: OidcConfig, portal: Arc<Shared>) -> Self {
        Self {
            portal,
            inner: Mutex::new(Inner {
                config,
                counts: BTreeMap::new(),
                sequence: 0,
                clients: HashMap::new(),
                devices: HashMap::new(),
                codes: HashMap::new(),
                refresh_tokens: HashMap::new(),
                refresh_revoked: false,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn arrive(&self, key: &str) -> Duration {
        let mut inner = self.lock();
        *inner.counts.entry(key.to_owned()).or_default() += 1;
        inner.config.latency
    }

    pub(crate) fn count(&self, operation: OidcOperation) -> u64 {
        self.count_key(operation.name())
    }

    fn count_key(&self, key: &str) -> u64 {
        self.lock().counts.get(key).copied().unwrap_or(0)
    }

    pub(crate) fn counts(&self) -> BTreeMap<String, u64> {
        let inner = self.lock();
        let mut all: BTreeMap<String, u64> = OidcOperation::ALL
            .iter()
            .map(|op| (op.name().to_owned(), 0))
            .collect();
        all.extend(inner.counts.iter().map(|(k, v)| (k.clone(), *v)));
        all
    }

    pub(crate) fn grant_count(&self, grant_type: &str) -> u64 {
        self.count_key(&format!("CreateToken:{grant_type}"))
    }

    pub(crate) fn approve(&self, user_code: &str) -> bool {
        let mut inner = self.lock();
        let mut found = false;
        for device in inner.devices.values_mut() {
            if device.user_code == user_code {
                device.approved = true;
                found = true;
            }
        }
        found
    }

    pub(crate) fn revoke_refresh_tokens(&self) {
        let mut inner = self.lock();
        inner.refresh_revoked = true;
        inner.refresh_tokens.clear();
    }

    pub(crate) fn expire_registrations(&self) {
        let mut inner = self.lock();
        for client in inner.clients.values_mut() {
            client.expires_at = 0;
        }
    }

    pub(crate) fn set_config(&self, config: OidcConfig) {
        self.lock().config = config;
    }

    fn next(&self, inner: &mut Inner, kind: &str, len: usize) -> String {
        inner.sequence += 1;
        let _ = self;
        format!(
            "{kind}-{}",
            opaque_text(&[kind.as_bytes(), &inner.sequence.to_le_bytes()], len)
        )
    }

    fn register(&self, input: RegisterInput) -> Result<RegisterOutput, OidcError> {
        if input.client_name.is_empty() || input.client_type != "public" {
            return Err(OidcError::InvalidRequest(
                "clientName is required and clientType must be public".into(),
            ));
        }
        let grant_types = input.grant_types.unwrap_or_default();
        if grant_types.iter().any(|g| g == "authorization_code")
            && (input
                .redirect_uris
                .as_deref()
                .unwrap_or_default()
                .is_empty()
                || input.issuer_url.is_none())
        {
            return Err(OidcError::InvalidRequest(
                "authorization_code clients need redirectUris and issuerUrl".into(),
            ));
        }
        let mut inner = self.lock();
        let id = self.next(&mut inner, "client", 22);
        let secret = self.next(&mut inner, "secret", 60);
        let now = now_secs();
        let expires_at = now + inner.config.registration_lifetime.as_secs();
        inner.clients.insert(
            id.clone(),
            Client {
                secret: secret.clone(),
                expires_at,
                scopes: input.scopes.unwrap_or_default(),
                grant_types,
                redirect_uris: input.redirect_uris.unwrap_or_default(),
            },
        );
        Ok(RegisterOutput {
            client_id: id,
            client_secret: secret,
            client_id_issued_at: now,
            client_secret_expires_at: expires_at,
        })
    }

    fn check_client(inner: &Inner, id: &str, secret: &str) -> Result<(), OidcError> {
        match inner.clients.get(id) {
            Some(c) if c.secret == secret && c.expires_at > now_secs() => Ok(()),
            Some(c) if c.secret == secret => Err(OidcError::InvalidClient(
                "the client registration has expired".into(),
            )),
            _ => Err(OidcError::InvalidClient(
                "unknown client or wrong secret".into(),
            )),
        }
    }

    fn start_device(&self, input: DeviceInput, base: &str) -> Result<DeviceOutput, OidcError> {
        let mut inner = self.lock();
        Self::check_client(&inner, &input.client_id, &input.client_secret)?;
        if input.start_url.is_empty() {
            return Err(OidcError::InvalidRequest("startUrl is required".into()));
        }
        let device_code = self.next(&mut inner, "device", 40);
        let raw = opaque_text(&[b"user", &inner.sequence.to_le_bytes()], 8).to_uppercase();
        let letters: String = raw
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { 'X' })
            .collect();
        let user_code = format!("{}-{}", &letters[..4], &letters[4..]);
        let now = Instant::now();
        let lifetime = inner.config.device_code_lifetime;
        inner.devices.insert(
            device_code.clone(),
            Device {
                client_id: input.client_id,
                user_code: user_code.clone(),
                issued: now,
                expires: now + lifetime,
                approved: false,
                polls: 0,
            },
        );
        Ok(DeviceOutput {
            verification_uri: format!("{base}/device"),
            verification_uri_complete: format!("{base}/device?user_code={user_code}"),
            device_code,
            user_code,
            expires_in: lifetime.as_secs(),
            interval: inner.config.interval,
        })
    }

    fn authorize(&self, params: &HashMap<String, String>) -> Result<String, String> {
        let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
        if get("response_type") != "code" || get("code_challenge_method") != "S256" {
            return Err("response_type must be code and code_challenge_method S256".into());
        }
        let challenge = get("code_challenge");
        if challenge.is_empty() || get("state").is_empty() {
            return Err("code_challenge and state are required".into());
        }
        let redirect_uri = get("redirect_uri");
        let mut inner = self.lock();
        let Some(client) = inner.clients.get(get("client_id")) else {
            return Err("unknown client_id".into());
        };
        if client.expires_at <= now_secs() {
            return Err("the client registration has expired".into());
        }
        if !client.grant_types.iter().any(|g| g == "authorization_code") {
            return Err("the client is not registered for authorization_code".into());
        }
        // Loopback redirects match the registered URI with any port (RFC 8252).
        let without_port = strip_loopback_port(redirect_uri);
        if !client.redirect_uris.contains(&without_port) {
            return Err(format!("redirect_uri {redirect_uri} is not registered"));
        }
        let code = self.next(&mut inner, "code", 32);
        inner.codes.insert(
            code.clone(),
            AuthCode {
                client_id: get("client_id").to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                challenge: challenge.trim_end_matches('=').to_owned(),
            },
        );
        let state = percent_encode(get("state"));
        Ok(format!(
            "{redirect_uri}?code={}&state={state}",
            percent_encode(&code)
        ))
    }

    fn create_token(&self, input: TokenInput) -> Result<TokenOutput, OidcError> {
        let mut inner = self.lock();
        Self::check_client(&inner, &input.client_id, &input.client_secret)?;
        let scopes = inner
            .clients
            .get(&input.client_id)
            .map(|c| c.scopes.clone())
            .unwrap_or_default();
        match input.grant_type.as_str() {
            DEVICE_GRANT => {
                let code = input.device_code.unwrap_or_default();
                let delay = inner.config.approval_delay;
                let slow = inner.config.slow_down_polls;
                let Some(device) = inner.devices.get_mut(&code) else {
                    return Err(OidcError::InvalidGrant("unknown device code".into()));
                };
                if device.client_id != input.client_id {
                    return Err(OidcError::InvalidGrant(
                        "device code of another client".into(),
                    ));
                }
                let now = Instant::now();
                if now >= device.expires {
                    return Err(OidcError::ExpiredToken);
                }
                device.polls += 1;
                if device.polls <= slow {
                    return Err(OidcError::SlowDown);
                }
                let approved = device.approved || delay.is_some_and(|d| now >= device.issued + d);
                if !approved {
                    return Err(OidcError::AuthorizationPending);
                }
                inner.devices.remove(&code);
                Ok(self.issue(&mut inner, &input.client_id, !scopes.is_empty()))
            }
            "authorization_code" => {
                let code = input.code.unwrap_or_default();
                let Some(grant) = inner.codes.remove(&code) else {
                    return Err(OidcError::InvalidGrant("unknown or used code".into()));
                };
                if grant.client_id != input.client_id
                    || Some(&grant.redirect_uri) != input.redirect_uri.as_ref()
                {
                    return Err(OidcError::InvalidGrant(
                        "code issued to another client or redirect_uri".into(),
                    ));
                }
                let verifier = input.code_verifier.unwrap_or_default();
                let digest = Sha256::digest(verifier.as_bytes());
                let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
                if computed != grant.challenge {
                    return Err(OidcError::InvalidGrant(
                        "code_verifier does not match the code_challenge".into(),
                    ));
                }
                Ok(self.issue(&mut inner, &input.client_id, true))
            }
            "refresh_token" => {
                let token = input.refresh_token.unwrap_or_default();
                let owner = inner.refresh_tokens.get(&token).cloned();
                if inner.refresh_revoked || owner.as_deref() != Some(input.client_id.as_str()) {
                    return Err(OidcError::InvalidGrant("invalid refresh token".into()));
                }
                let mut out = self.issue(&mut inner, &input.client_id, false);
                if inner.config.rotate_refresh_tokens {
                    inner.refresh_tokens.remove(&token);
                    let fresh = self.next(&mut inner, "refresh", 60);
                    inner
                        .refresh_tokens
                        .insert(fresh.clone(), input.client_id.clone());
                    out.refresh_token = Some(fresh);
                } else {
                    out.refresh_token = Some(token);
                }
                Ok(out)
            }
            other => Err(OidcError::UnsupportedGrantType(other.to_owned())),
        }
    }

    fn issue(&self, inner: &mut Inner, client_id: &str, with_refresh: bool) -> TokenOutput {
        let access = self.next(inner, "oidc-access", 60);
        self.portal.accept_token(access.clone());
        let refresh_token = with_refresh.then(|| {
            let refresh = self.next(inner, "refresh", 60);
            inner
                .refresh_tokens
                .insert(refresh.clone(), client_id.to_owned());
            refresh
        });
        TokenOutput {
            access_token: access,
            token_type: "Bearer",
            expires_in: inner.config.token_lifetime.as_secs(),
            refresh_token,
        }
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

/// `http://127.0.0.1:PORT/path` without `:PORT`.
fn strip_loopback_port(uri: &str) -> String {
    for host in ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"] {
        if let Some(rest) = uri.strip_prefix(host) {
            let path_start = rest.find('/').unwrap_or(rest.len());
            if rest[..path_start].chars().all(|c| c.is_ascii_digit()) {
                return format!("{}{}", host.trim_end_matches(':'), &rest[path_start..]);
            }
        }
    }
    uri.to_owned()
}

pub(crate) fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterInput {
    #[serde(default)]
    client_name: String,
    #[serde(default)]
    client_type: String,
    scopes: Option<Vec<String>>,
    grant_types: Option<Vec<String>>,
    redirect_uris: Option<Vec<String>>,
    issuer_url: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RegisterOutput {
    client_id: String,
    client_secret: String,
    client_id_issued_at: u64,
    client_secret_expires_at: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeviceInput {
    client_id: String,
    client_secret: String,
    #[serde(default)]
    start_url: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeviceOutput {
    device_code: String,
    user_code: String,
    verification_uri: String,
    verification_uri_complete: String,
    expires_in: u64,
    interval: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenInput {
    client_id: String,
    client_secret: String,
    grant_type: String,
    device_code: Option<String>,
    code: Option<String>,
    refresh_token: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenOutput {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

/// An SSO OIDC error as the service sends it: a status, the type in
/// `x-amzn-errortype`, and `{"error", "error_description"}` as the body.
#[derive(Debug)]
enum OidcError {
    InvalidRequest(String),
    InvalidClient(String),
    InvalidGrant(String),
    UnsupportedGrantType(String),
    AuthorizationPending,
    SlowDown,
    ExpiredToken,
}

impl IntoResponse for OidcError {
    fn into_response(self) -> Response {
        let (status, kind, error, description) = match &self {
            Self::InvalidRequest(m) => (
                400,
                "InvalidRequestException",
                "invalid_request",
                m.as_str(),
            ),
            Self::InvalidClient(m) => (401, "InvalidClientException", "invalid_client", m.as_str()),
            Self::InvalidGrant(m) => (400, "InvalidGrantException", "invalid_grant", m.as_str()),
            Self::UnsupportedGrantType(m) => (
                400,
                "UnsupportedGrantTypeException",
                "unsupported_grant_type",
                m.as_str(),
            ),
            Self::AuthorizationPending => (
                400,
                "AuthorizationPendingException",
                "authorization_pending",
                "Authorization is still pending",
            ),
            Self::SlowDown => (
                400,
                "SlowDownException",
                "slow_down",
                "Client is polling too fast",
            ),
            Self::ExpiredToken => (
                400,
                "ExpiredTokenException",
                "expired_token",
                "The device code has expired",
            ),
        };
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        (
            status,
            [(
                HeaderName::from_static("x-amzn-errortype"),
                HeaderValue::from_static(kind),
            )],
            Json(serde_json::json!({"error": error, "error_description": description})),
        )
            .into_response()
    }
}

type OidcShared = State<Arc<OidcState>>;

pub(crate) fn router(state: Arc<OidcState>) -> Router {
    Router::new()
        .route("/client/register", post(register_client))
        .route("/device_authorization", post(start_device_authorization))
        .route("/token", post(create_token))
        .route("/authorize", get(authorize))
        .route("/device", get(verify_device))
        .route("/_emulator/oidc/counts", get(admin_counts))
        .with_state(state)
}

async fn wait(latency: Duration) {
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
}

/// The requests' JSON bodies are read by hand so that a malformed one is the
/// service's InvalidRequestException, not axum's plain-text rejection.
fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, OidcError> {
    serde_json::from_slice(body).map_err(|e| OidcError::InvalidRequest(e.to_string()))
}

async fn register_client(State(state): OidcShared, body: axum::body::Bytes) -> Response {
    wait(state.arrive(OidcOperation::RegisterClient.name())).await;
    parse(&body)
        .and_then(|input| state.register(input))
        .map(Json)
        .into_response()
}

async fn start_device_authorization(
    State(state): OidcShared,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    wait(state.arrive(OidcOperation::StartDeviceAuthorization.name())).await;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let base = format!("http://{host}");
    parse(&body)
        .and_then(|input| state.start_device(input, &base))
        .map(Json)
        .into_response()
}

async fn create_token(State(state): OidcShared, body: axum::body::Bytes) -> Response {
    wait(state.arrive(OidcOperation::CreateToken.name())).await;
    let input: TokenInput = match parse(&body) {
        Ok(input) => input,
        Err(e) => return e.into_response(),
    };
    state.arrive(&format!("CreateToken:{}", input.grant_type));
    state.create_token(input).map(Json).into_response()
}

async fn authorize(
    State(state): OidcShared,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    wait(state.arrive(OidcOperation::Authorize.name())).await;
    match state.authorize(&params) {
        Ok(location) => match HeaderValue::from_str(&location) {
            Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
            Err(_) => (StatusCode::BAD_REQUEST, "bad redirect").into_response(),
        },
        Err(message) => (StatusCode::BAD_REQUEST, message).into_response(),
    }
}

/// The verification page: visiting it with a user code approves that device,
/// as a user signing in and clicking "Allow" would.
async fn verify_device(
    State(state): OidcShared,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    match params.get("user_code") {
        Some(code) if state.approve(code) => (StatusCode::OK, "Request approved").into_response(),
        Some(_) => (StatusCode::NOT_FOUND, "Unknown user code").into_response(),
        None => (StatusCode::OK, "Enter the code shown by your application").into_response(),
    }
}

async fn admin_counts(State(state): OidcShared) -> impl IntoResponse {
    Json(state.counts())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_ports_are_ignored_when_matching_redirects() {
        assert_eq!(
            strip_loopback_port("http://127.0.0.1:4321/oauth/callback"),
            "http://127.0.0.1/oauth/callback"
        );
        assert_eq!(
            strip_loopback_port("http://evil.example:80/oauth/callback"),
            "http://evil.example:80/oauth/callback"
        );
    }

    #[test]
    fn state_is_percent_encoded() {
        assert_eq!(percent_encode("a b&c"), "a%20b%26c");
    }
}
