//! `POST /`: the AWS protocols that put the operation in the request rather
//! than the path. awsJson1_1 services name it in the `X-Amz-Target` header
//! (ECR's `GetAuthorizationToken`); anything else is an unknown operation.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::state::{Operation, Shared};

/// Dispatches a `POST /` on its `X-Amz-Target` header.
pub(crate) async fn post_root(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if target == crate::ecr::TARGET {
        let latency = shared.arrive(Operation::GetAuthorizationToken);
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        return shared
            .ecr
            .get_authorization_token(&shared.issued(), &headers);
    }
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({ "__type": "UnknownOperationException" })),
    )
        .into_response()
}
