//! Protocol frames (docs/protocol.md §4–5): one JSON object per WebSocket text frame, tagged by
//! `"type"`.
//!
//! Frames are flat objects, and `type` may come anywhere in them, so decoding is two-step:
//! read the tag (and the request `id`), then decode the body into the frame's own struct.
//! (A serde internally tagged enum cannot hold the raw `data` bytes of an event.) Encoding
//! always writes `type` first.

mod client;
mod server;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

pub use client::*;
pub use server::*;

string_enum! {
    /// The `code` of an `error` frame (docs/protocol.md §4) and of an HTTP error body.
    pub enum ErrorCode {
        /// The frame or request is malformed (not JSON, missing or mistyped fields, invalid
        /// channel name, binary frame). Fix the request.
        BadRequest = "bad_request",
        /// The frame's `type` is not one this hub knows.
        UnknownType = "unknown_type",
        /// The token's permissions do not cover the channel or subject.
        Forbidden = "forbidden",
        /// The connection has not authenticated yet.
        NotAuthenticated = "not_authenticated",
        /// Too many publishes for this token; slow down and retry later.
        RateLimited = "rate_limited",
        /// The connection holds the maximum number of subscriptions.
        TooManySubscriptions = "too_many_subscriptions",
        /// A valid channel name that the hub is not configured with.
        ChannelNotFound = "channel_not_found",
        /// A publish whose `event` breaks the envelope rules (docs/protocol.md §9.3).
        InvalidEvent = "invalid_event",
        /// Herald addition: an HTTP body over the size limit (HTTP 413).
        TooLarge = "too_large",
        /// Herald addition: the broker is unreachable; retry later (HTTP 503).
        Unavailable = "unavailable",
    }
    default = BadRequest;
}

string_enum! {
    /// The `code` of an `auth_error` frame (docs/protocol.md §1). Every one is followed by
    /// close 4401, except `auth_timeout` (4408).
    pub enum AuthErrorCode {
        /// Bad signature, malformed token, wrong algorithm, or a refresh for another
        /// `sub`/`org`.
        InvalidToken = "invalid_token",
        /// `exp` is in the past (beyond the leeway).
        TokenExpired = "token_expired",
        /// `nbf` or `iat` is in the future (beyond the leeway).
        TokenNotYetValid = "token_not_yet_valid",
        /// `aud` does not match the hub's configured audience.
        WrongAudience = "wrong_audience",
        /// `iss` does not match the hub's configured issuer.
        WrongIssuer = "wrong_issuer",
        /// A required claim is missing or empty.
        MissingClaim = "missing_claim",
        /// No `authenticate` frame arrived within `auth_timeout`.
        AuthTimeout = "auth_timeout",
    }
    default = InvalidToken;
}

/// A position in a channel's stream: the last `(epoch, offset)` a client has seen.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StreamPosition {
    /// The channel's epoch; a different epoch means its history was lost.
    pub epoch: String,
    /// The last offset seen (offsets start at 1).
    pub offset: u64,
}

/// A frame that could not be decoded. Hubs answer client frames with
/// [`FrameError::to_frame`]; the connection stays open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct FrameError {
    /// The error code to answer with: `bad_request`, `unknown_type` or `invalid_event`.
    pub code: ErrorCode,
    /// The request's `id`, when it carried a valid one (docs/protocol.md §9.2).
    pub reply_to: Option<u32>,
    /// What is wrong, for the peer.
    pub message: String,
}

impl FrameError {
    fn new(code: ErrorCode, reply_to: Option<u32>, message: impl Into<String>) -> Self {
        Self { code, reply_to, message: message.into() }
    }

    /// The `error` frame that answers this failure.
    pub fn to_frame(&self) -> ServerFrame {
        ServerFrame::Error(ErrorFrame {
            reply_to: self.reply_to,
            code: self.code.clone(),
            message: self.message.clone(),
        })
    }
}

/// The tag and request id of a frame, read before its body.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(rename = "type", borrow, default)]
    ty: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
}

/// Reads the head of `text`: the frame type and, when valid, the request id.
fn read_head(text: &str) -> Result<(Cow<'_, str>, Option<u32>), FrameError> {
    let head: Head<'_> = serde_json::from_str(text).map_err(|e| {
        FrameError::new(ErrorCode::BadRequest, None, format!("frame is not a JSON object with a string \"type\": {e}"))
    })?;
    let reply_to = match head.id {
        None => None,
        Some(raw) => match serde_json::from_str::<Option<u32>>(raw.get()) {
            Ok(id) => id,
            Err(_) => {
                return Err(FrameError::new(ErrorCode::BadRequest, None, "\"id\" must be an unsigned 32-bit integer"));
            }
        },
    };
    let ty = head.ty.ok_or_else(|| FrameError::new(ErrorCode::BadRequest, reply_to, "frame has no \"type\""))?;
    Ok((ty, reply_to))
}

fn utf8(bytes: &[u8]) -> Result<&str, FrameError> {
    std::str::from_utf8(bytes).map_err(|_| FrameError::new(ErrorCode::BadRequest, None, "frame is not valid UTF-8"))
}

fn body<'a, T: Deserialize<'a>>(text: &'a str, ty: &str, reply_to: Option<u32>) -> Result<T, FrameError> {
    serde_json::from_str(text)
        .map_err(|e| FrameError::new(ErrorCode::BadRequest, reply_to, format!("invalid {ty} frame: {e}")))
}
