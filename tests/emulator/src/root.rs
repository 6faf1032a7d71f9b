//! `POST /`: the path that query-protocol services (STS) and awsJson
//! services (their operation named in `X-Amz-Target`, such as ECR's
//! `GetAuthorizationToken`) share. The request's shape decides which service
//! answers.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::error::ApiError;
use crate::sigv4;
use crate::state::{Operation, Shared};
use crate::sts::{self, QueryRequest, StsError};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/",
            post(post_root).fallback(|| async { ApiError::UnknownOperation }),
        )
        .with_state(shared)
}

async fn post_root(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(target) = headers.get("x-amz-target") {
        if target.to_str().ok() == Some(crate::ecr::TARGET) {
            let latency = shared.arrive(Operation::GetAuthorizationToken);
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            return shared
                .ecr
                .get_authorization_token(&shared.issued(), &headers);
        }
        return (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/x-amz-json-1.1")],
            r#"{"__type":"UnknownOperationException"}"#,
        )
            .into_response();
    }
    let Some(params) = std::str::from_utf8(&body).ok().and_then(sigv4::parse_pairs) else {
        return StsError::malformed_form().into_response();
    };
    let request = QueryRequest {
        method: method.as_str(),
        path: uri.path(),
        query: uri.query().unwrap_or_default(),
        headers: &headers,
        body: &body,
        params,
    };
    let action = request.param("Action").map(str::to_owned);
    let version = request.param("Version").unwrap_or("NO_VERSION_SPECIFIED");
    match action.as_deref() {
        None => StsError::missing_action().into_response(),
        Some(action) if version != sts::VERSION => {
            StsError::invalid_action(action, version).into_response()
        }
        Some("AssumeRole") => sts::assume_role(&shared, &request),
        Some("GetCallerIdentity") => sts::get_caller_identity(&shared, &request),
        Some(other) => StsError::invalid_action(other, version).into_response(),
    }
}
