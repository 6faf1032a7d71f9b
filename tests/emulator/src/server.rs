//! The HTTP surface: the four portal operations on the service's own paths,
//! and the `/_emulator/*` endpoints for out-of-process tests.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use crate::error::ApiError;
use crate::state::{Operation, PageRequest, Shared};

const BEARER_TOKEN_HEADER: &str = "x-amz-sso_bearer_token";
/// The API's bounds for `max_result`.
const MAX_RESULT_RANGE: std::ops::RangeInclusive<usize> = 1..=100;

type SharedState = State<Arc<Shared>>;
type RawQuery = Result<Query<HashMap<String, String>>, QueryRejection>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/federation/credentials", get(get_role_credentials))
        .route("/assignment/accounts", get(list_accounts))
        .route("/assignment/roles", get(list_account_roles))
        .route("/logout", post(logout))
        .route("/_emulator/counts", get(admin_counts))
        .route("/_emulator/issued", get(admin_issued))
        .route("/_emulator/reset", post(admin_reset))
        .route("/_emulator/eks/verify", post(admin_verify_eks))
        .route("/_emulator/ecr/owner", post(admin_ecr_owner))
        .fallback(unknown_operation)
        .method_not_allowed_fallback(unknown_operation)
        .with_state(shared)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GetRoleCredentialsOutput {
    role_credentials: RoleCredentials,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RoleCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListAccountsOutput {
    account_list: Vec<AccountInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccountInfo {
    account_id: String,
    account_name: String,
    email_address: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListAccountRolesOutput {
    role_list: Vec<RoleInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RoleInfo {
    role_name: String,
    account_id: String,
}

async fn get_role_credentials(
    State(shared): SharedState,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Json<GetRoleCredentialsOutput>, ApiError> {
    admit(&shared, Operation::GetRoleCredentials, &headers).await?;
    let params = Params::parse(query)?;
    let role_name = params.required("role_name")?;
    let account_id = params.required("account_id")?;
    let issued = shared.role_credentials(account_id, role_name)?;
    Ok(Json(GetRoleCredentialsOutput {
        role_credentials: RoleCredentials {
            access_key_id: issued.access_key_id,
            secret_access_key: issued.secret_access_key,
            session_token: issued.session_token,
            expiration: issued.expiration_epoch_ms,
        },
    }))
}

async fn list_accounts(
    State(shared): SharedState,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Json<ListAccountsOutput>, ApiError> {
    admit(&shared, Operation::ListAccounts, &headers).await?;
    let params = Params::parse(query)?;
    let page = shared.list_accounts(params.page_request()?)?;
    Ok(Json(ListAccountsOutput {
        account_list: page
            .items
            .into_iter()
            .map(|account| AccountInfo {
                account_id: account.id,
                account_name: account.name,
                email_address: account.email,
            })
            .collect(),
        next_token: page.next_token,
    }))
}

async fn list_account_roles(
    State(shared): SharedState,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Json<ListAccountRolesOutput>, ApiError> {
    admit(&shared, Operation::ListAccountRoles, &headers).await?;
    let params = Params::parse(query)?;
    let account_id = params.required("account_id")?;
    let page = shared.list_account_roles(account_id, params.page_request()?)?;
    Ok(Json(ListAccountRolesOutput {
        role_list: page
            .items
            .into_iter()
            .map(|role_name| RoleInfo {
                role_name,
                account_id: account_id.to_owned(),
            })
            .collect(),
        next_token: page.next_token,
    }))
}

async fn logout(State(shared): SharedState, headers: HeaderMap) -> Result<Response, ApiError> {
    admit(&shared, Operation::Logout, &headers).await?;
    if let Some(token) = bearer_token(&headers) {
        shared.logout(token);
    }
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
    )
        .into_response())
}

async fn admin_counts(State(shared): SharedState) -> impl IntoResponse {
    Json(shared.counts())
}

async fn admin_issued(State(shared): SharedState) -> impl IntoResponse {
    Json(shared.issued())
}

async fn admin_reset(State(shared): SharedState) -> StatusCode {
    shared.reset_counts();
    StatusCode::NO_CONTENT
}

#[derive(serde::Deserialize)]
struct EksVerifyInput {
    token: String,
    cluster: String,
}

/// What a cluster would make of a token: 200 `{"arn"}` or 401 `{"reason"}`.
async fn admin_verify_eks(
    State(shared): SharedState,
    Json(input): Json<EksVerifyInput>,
) -> Response {
    let now = std::time::SystemTime::now();
    match crate::eks::verify_token(&shared.issued(), &input.token, &input.cluster, now) {
        Ok(arn) => Json(serde_json::json!({ "arn": arn })).into_response(),
        Err(reason) => (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({ "reason": reason })),
        )
            .into_response(),
    }
}

#[derive(serde::Deserialize)]
struct EcrOwnerInput {
    password: String,
}

/// Whose an ECR password is: 200 with the owner, or 404 `{"reason"}`.
async fn admin_ecr_owner(State(shared): SharedState, Json(input): Json<EcrOwnerInput>) -> Response {
    match shared.ecr.owner(&input.password) {
        Some(owner) => Json(owner).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "reason": "no ECR token has this password" })),
        )
            .into_response(),
    }
}

async fn unknown_operation() -> ApiError {
    ApiError::UnknownOperation
}

/// What every portal request goes through first, in the service's order:
/// it is counted, waits out the configured latency, has its token checked
/// and may be throttled.
async fn admit(shared: &Shared, operation: Operation, headers: &HeaderMap) -> Result<(), ApiError> {
    let latency = shared.arrive(operation);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    shared.authorise(bearer_token(headers))
}

/// The bearer token; a value that is not visible ASCII can match no
/// configured token, so it reads as empty.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(BEARER_TOKEN_HEADER)
        .map(|value| value.to_str().unwrap_or_default())
}

/// Query parameters, where an empty value counts as absent (clients send
/// `next_token=` on a first page).
struct Params(HashMap<String, String>);

impl Params {
    fn parse(query: RawQuery) -> Result<Self, ApiError> {
        query
            .map(|Query(params)| Self(params))
            .map_err(|rejection| ApiError::invalid_request(rejection.body_text()))
    }

    fn optional(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }

    fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.optional(name)
            .ok_or_else(|| ApiError::invalid_request(format!("Missing required parameter {name}")))
    }

    fn page_request(&self) -> Result<PageRequest<'_>, ApiError> {
        let max_result = match self.optional("max_result") {
            None => None,
            Some(text) => match text.parse() {
                Ok(max) if MAX_RESULT_RANGE.contains(&max) => Some(max),
                _ => {
                    return Err(ApiError::invalid_request(format!(
                        "max_result must be an integer from 1 to 100, not {text:?}"
                    )));
                }
            },
        };
        Ok(PageRequest {
            next_token: self.optional("next_token"),
            max_result,
        })
    }
}
