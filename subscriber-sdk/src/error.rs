//! Errors of the subscriber SDK.

use herald_event_types::frame::AuthErrorCode;
use herald_event_types::{CloseCode, ErrorCode};

/// Something that went wrong. Every variant says whether retrying can help
/// ([`Error::is_retryable`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The hub refused the token. The client asks the token provider for a fresh one and
    /// reconnects; retryable unless the provider keeps returning bad tokens.
    #[error("authentication failed ({code}): {message}")]
    Auth {
        /// The `auth_error` code.
        code: AuthErrorCode,
        /// The hub's message.
        message: String,
    },
    /// The token provider failed. Retried with backoff.
    #[error("token provider failed: {0}")]
    Token(String),
    /// The hub refused a request (subscribe, unsubscribe). Retryable only for
    /// `rate_limited` and `unavailable`.
    #[error("request refused ({code}): {message}")]
    Refused {
        /// The error code.
        code: ErrorCode,
        /// The hub's message.
        message: String,
    },
    /// The connection closed with a code that forbids reconnecting (docs/protocol.md §7); the
    /// client is closed. Fix the cause (permissions, client bug) before reconnecting.
    #[error("connection closed ({code:?}): {reason}")]
    Closed {
        /// The close code, when there was one.
        code: Option<CloseCode>,
        /// The close reason.
        reason: String,
    },
    /// The network failed or the hub was unreachable. Retried with backoff.
    #[error("transport error: {0}")]
    Transport(String),
    /// The hub (or something impersonating it) sent a message larger than the client's
    /// limit ([`ClientBuilder::max_message_bytes`](crate::ClientBuilder::max_message_bytes),
    /// default 1 MiB). The client did not read the rest of it: it closed that connection
    /// with 1009 and reconnects with backoff, resuming every subscription with `since`.
    /// Retryable; if it repeats, the hub sends frames larger than the limit (raise the limit
    /// to at least the hub's largest frame) or the URL does not point at a Herald hub.
    #[error("the hub sent a message of at least {size} bytes, over the client's limit of {limit}; reconnecting")]
    MessageTooBig {
        /// The message's size as far as it was read: the length a frame header announced,
        /// or the bytes of a fragmented message so far.
        size: usize,
        /// The client's limit.
        limit: usize,
    },
    /// The client was closed by the application; create a new one.
    #[error("client closed")]
    ClientClosed,
}

impl Error {
    /// Whether trying again (later) can succeed without changing anything.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Auth { .. } | Self::Token(_) | Self::Transport(_) | Self::MessageTooBig { .. } => true,
            Self::Refused { code, .. } => matches!(code, ErrorCode::RateLimited | ErrorCode::Unavailable),
            Self::Closed { code, .. } => code.is_none_or(CloseCode::can_reconnect),
            Self::ClientClosed => false,
        }
    }

    /// The close code, for [`Error::Closed`].
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Self::Closed { code, .. } => *code,
            _ => None,
        }
    }
}
