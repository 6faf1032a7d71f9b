//! The console federation endpoint (`signin.aws.amazon.com/federation`):
//! `Action=getSigninToken` exchanges session credentials this emulator
//! issued for a sign-in token, and `Action=login` with that token redirects
//! to a console page that names the account and the role.
//!
//! The protocol follows the AWS IAM User Guide, "Enable custom identity
//! broker access to the AWS console": `Session` is the JSON
//! `{"sessionId","sessionKey","sessionToken"}`, `SessionDuration` is
//! optional and from 900 to 43200 seconds (and refused for credentials from
//! role chaining, which the emulator's STS issued), and the answer is
//! `{"SigninToken": "..."}`. Refusals are 400 with a plain-text body.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use crate::credentials::opaque_text;
use crate::state::Shared;

/// An operation of the federation endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FederationOperation {
    /// `GET /federation?Action=getSigninToken`
    GetSigninToken,
    /// `GET /federation?Action=login`
    Login,
    /// `GET /console/{n}`: the page a login lands on.
    ConsolePage,
}

impl FederationOperation {
    /// Every operation, in declaration order.
    pub const ALL: [FederationOperation; 3] = [
        FederationOperation::GetSigninToken,
        FederationOperation::Login,
        FederationOperation::ConsolePage,
    ];

    /// Its name, as `/_emulator/federation-counts` reports it.
    pub fn name(self) -> &'static str {
        match self {
            FederationOperation::GetSigninToken => "GetSigninToken",
            FederationOperation::Login => "Login",
            FederationOperation::ConsolePage => "ConsolePage",
        }
    }
}

impl fmt::Display for FederationOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One sign-in token handed out, and what it signs in as.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SigninGrant {
    /// The account of the credentials exchanged.
    pub account_id: String,
    /// Their role.
    pub role_name: String,
    /// The `SessionDuration` asked for, if any.
    pub session_duration: Option<u32>,
    /// The `Destination` of each login with the token, in order.
    pub destinations: Vec<String>,
}

#[derive(Default)]
struct Inner {
    counts: [u64; FederationOperation::ALL.len()],
    /// By sign-in token.
    grants: HashMap<String, SigninGrant>,
    /// The sign-in token of each console page, by page number.
    pages: Vec<String>,
}

pub(crate) struct FederationState {
    inner: Mutex<Inner>,
    portal: Arc<Shared>,
}

impl FederationState {
    pub(crate) fn new(portal: Arc<Shared>) -> Self {
        FederationState {
            inner: Mutex::new(Inner::default()),
            portal,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn arrive(&self, operation: FederationOperation) {
        self.lock().counts[operation as usize] += 1;
    }

    pub(crate) fn count(&self, operation: FederationOperation) -> u64 {
        self.lock().counts[operation as usize]
    }

    pub(crate) fn counts(&self) -> BTreeMap<String, u64> {
        let inner = self.lock();
        FederationOperation::ALL
            .iter()
            .map(|op| (op.name().to_owned(), inner.counts[*op as usize]))
            .collect()
    }

    pub(crate) fn grants(&self) -> Vec<SigninGrant> {
        self.lock().grants.values().cloned().collect()
    }
}

pub(crate) fn router(state: Arc<FederationState>) -> Router {
    Router::new()
        .route("/federation", get(federation))
        .route("/console/{page}", get(console_page))
        .route("/_emulator/federation-counts", get(admin_counts))
        .with_state(state)
}

type Params = Query<HashMap<String, String>>;

fn refuse(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, message.to_owned()).into_response()
}

async fn federation(State(state): State<Arc<FederationState>>, Query(params): Params) -> Response {
    match params.get("Action").map(String::as_str) {
        Some("getSigninToken") => get_signin_token(&state, &params),
        Some("login") => login(&state, &params),
        _ => refuse("Action must be getSigninToken or login"),
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Session {
    session_id: String,
    session_key: String,
    session_token: String,
}

fn get_signin_token(state: &FederationState, params: &HashMap<String, String>) -> Response {
    state.arrive(FederationOperation::GetSigninToken);
    let session_duration = match params.get("SessionDuration") {
        None => None,
        Some(text) => match text.parse::<u32>() {
            Ok(n) if (900..=43_200).contains(&n) => Some(n),
            _ => return refuse("SessionDuration must be from 900 to 43200"),
        },
    };
    let Some(session) = params
        .get("Session")
        .and_then(|s| serde_json::from_str::<Session>(s).ok())
    else {
        return refuse("Session must be JSON with sessionId, sessionKey and sessionToken");
    };
    let issued = state.portal.issued();
    let Some(credentials) = issued.iter().find(|c| {
        c.access_key_id == session.session_id
            && c.secret_access_key == session.session_key
            && c.session_token == session.session_token
    }) else {
        return refuse("The session credentials are not valid");
    };
    // As the federation endpoint does: role-chained sessions keep their own
    // (at most one hour) length.
    if credentials.assumed_by.is_some() && session_duration.is_some() {
        return refuse("SessionDuration cannot be used with credentials from role chaining");
    }
    let mut inner = state.lock();
    let sequence = inner.grants.len().to_string();
    let token = opaque_text(
        &[
            b"signin",
            credentials.access_key_id.as_bytes(),
            sequence.as_bytes(),
        ],
        256,
    );
    inner.grants.insert(
        token.clone(),
        SigninGrant {
            account_id: credentials.account_id.clone(),
            role_name: credentials.role_name.clone(),
            session_duration,
            destinations: Vec::new(),
        },
    );
    Json(serde_json::json!({ "SigninToken": token })).into_response()
}

fn login(state: &FederationState, params: &HashMap<String, String>) -> Response {
    state.arrive(FederationOperation::Login);
    let (Some(token), Some(destination)) = (params.get("SigninToken"), params.get("Destination"))
    else {
        return refuse("login needs SigninToken and Destination");
    };
    if !destination.starts_with("https://") {
        return refuse("Destination must be an https URL");
    }
    let mut inner = state.lock();
    let Some(grant) = inner.grants.get_mut(token) else {
        return refuse("The sign-in token is not valid");
    };
    grant.destinations.push(destination.clone());
    let cookie = format!(
        "{}={}; Max-Age=3600; Path=/; HttpOnly",
        session_cookie_name(&grant.account_id, &grant.role_name),
        inner.pages.len() + 1
    );
    inner.pages.push(token.clone());
    let page = inner.pages.len();
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, format!("/console/{page}")),
            (header::SET_COOKIE, cookie),
        ],
    )
        .into_response()
}

/// The name of the cookie a login sets, one per role as the real console's
/// session cookies are per sign-in: `console-ACCOUNT-ROLE`, with every
/// character a cookie name cannot hold made `_`. It lasts an hour, so a
/// browser keeps it in its profile's cookie store.
pub fn session_cookie_name(account_id: &str, role_name: &str) -> String {
    format!("console-{account_id}-{role_name}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `text` escaped for HTML.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn console_page(
    State(state): State<Arc<FederationState>>,
    axum::extract::Path(page): axum::extract::Path<usize>,
) -> Response {
    state.arrive(FederationOperation::ConsolePage);
    let inner = state.lock();
    let grant = page
        .checked_sub(1)
        .and_then(|i| inner.pages.get(i))
        .and_then(|token| inner.grants.get(token));
    let Some(grant) = grant else {
        return (StatusCode::NOT_FOUND, "no such console page").into_response();
    };
    let destination = grant.destinations.last().cloned().unwrap_or_default();
    // An HTML page (a browser renders it for a screenshot) whose text
    // holds one `key: value` line each.
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!(
            "<!DOCTYPE html><html><head><title>AWS Management Console (emulated)</title></head>\n<body style=\"font-family:sans-serif\"><h1>AWS Management Console (emulated)</h1>\n<pre>\naccount: {}\nrole: {}\ndestination: {}\n</pre></body></html>\n",
            html_escape(&grant.account_id),
            html_escape(&grant.role_name),
            html_escape(&destination)
        ),
    )
        .into_response()
}

async fn admin_counts(State(state): State<Arc<FederationState>>) -> impl IntoResponse {
    Json(state.counts())
}
