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
        Self { status, code: code.as_str().to_owned(), message: message.into() }
    }

    /// 401 with the `auth_error` code of a refused token.
    pub(crate) fn unauthorized(code: &AuthErrorCode, message: impl Into<String>) -> Self {
        Self { status: StatusCode::UNAUTHORIZED, code: code.as_str().to_owned(), message: message.into() }
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
        (self.status, Json(body)).into_response()
    }
}
