use axum::Json;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The header restJson1 clients read the error type from.
const ERROR_TYPE_HEADER: HeaderName = HeaderName::from_static("x-amzn-errortype");

/// A portal error, answered as the real service does: a status code, the
/// error type in `x-amzn-errortype`, and `{"message": ...}` as the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApiError {
    /// 400: a parameter is missing or out of range.
    InvalidRequest(String),
    /// 401: the bearer token is missing, unknown or logged out.
    Unauthorized(String),
    /// 404: the account or the role is not assigned to the user.
    ResourceNotFound(String),
    /// 429: throttling injected by the configuration.
    TooManyRequests,
    /// 404: no operation lives at this method and path.
    UnknownOperation,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    message: &'a str,
}

impl ApiError {
    pub(crate) fn invalid_request(message: impl Into<String>) -> Self {
        Self::InvalidRequest(message.into())
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::ResourceNotFound(message.into())
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::ResourceNotFound(_) | Self::UnknownOperation => StatusCode::NOT_FOUND,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "InvalidRequestException",
            Self::Unauthorized(_) => "UnauthorizedException",
            Self::ResourceNotFound(_) => "ResourceNotFoundException",
            Self::TooManyRequests => "TooManyRequestsException",
            Self::UnknownOperation => "UnknownOperationException",
        }
    }

    fn message(&self) -> &str {
        match self {
            Self::InvalidRequest(message)
            | Self::Unauthorized(message)
            | Self::ResourceNotFound(message) => message,
            Self::TooManyRequests => "Rate exceeded",
            Self::UnknownOperation => "No operation matches this method and path",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(ErrorBody {
            message: self.message(),
        });
        (
            self.status(),
            [(
                ERROR_TYPE_HEADER,
                HeaderValue::from_static(self.type_name()),
            )],
            body,
        )
            .into_response()
    }
}
