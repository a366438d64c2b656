//! HTTP errors: a status and the body `{"code","message"}` (docs/protocol.md §9.10).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use herald_event_types::ErrorCode;
use herald_event_types::frame::AuthErrorCode;

/// An HTTP error answer.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: String,
    message: String,
    /// `Retry-After`, in whole seconds (rounded up), when set.
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with the status that belongs to `code`.
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        let status = match code {
            ErrorCode::BadRequest | ErrorCode::InvalidEvent | ErrorCode::UnknownType => StatusCode::BAD_REQUEST,
            ErrorCode::NotAuthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::ChannelNotFound => StatusCode::NOT_FOUND,
            ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::RateLimited | ErrorCode::TooManySubscriptions => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        Self { status, code: code.as_str().to_owned(), message: message.into(), retry_after: None }
    }

    /// Adds `Retry-After` (whole seconds, rounded up, at least 1): when to try again.
    pub(crate) fn retry_after(mut self, wait: std::time::Duration) -> Self {
        self.retry_after = Some(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).map(|s| s.max(1));
        self
    }

    /// 401 with the `auth_error` code of a refused token.
    pub(crate) fn unauthorized(code: &AuthErrorCode, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            code: code.as_str().to_owned(),
            message: message.into(),
            retry_after: None,
        }
    }
}

impl From<(ErrorCode, String)> for ApiError {
    fn from((code, message): (ErrorCode, String)) -> Self {
        Self::new(code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "code": self.code, "message": self.message });
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}
