//! Errors of the subscriber SDK.

use herald_event_types::frame::AuthErrorCode;
use herald_event_types::{CloseCode, ErrorCode};

/// Something that went wrong. Every variant says whether retrying can help
/// ([`Error::is_retryable`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The hub refused the token. With a token provider the client asks it for a fresh one
    /// and reconnects (a provider that hands back the very token refused gets
    /// [`Error::Token`] and is asked again after the backoff delay). A fixed
    /// [`token`](crate::ClientBuilder::token) cannot change: the client closes with this
    /// error. Not retryable as is: it needs another token.
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
    /// The hub refused a subscription (`forbidden`, `channel_not_found`, `bad_request`, …):
    /// it is gone and is not retried (docs/protocol.md §11.8). Reaches the subscription's
    /// stream, the handlers that implied it, [`Client::on_error`](crate::Client::on_error)
    /// and [`Client::refusals`](crate::Client::refusals).
    #[error("subscription to {channel} (subject \"{subject}\") refused ({code}): {message}")]
    SubscribeRefused {
        /// The channel.
        channel: herald_event_types::ChannelName,
        /// The subject prefix (`""` for the whole channel).
        subject: herald_event_types::Subject,
        /// The hub's error code.
        code: ErrorCode,
        /// The hub's message.
        message: String,
    },
    /// An HTTP request failed: the WebSocket upgrade was answered with a client error (404: no
    /// hub at this path; 400: not a WebSocket endpoint), or a history read failed. A refused
    /// upgrade closes the client: the same URL cannot succeed.
    #[error("{url}: HTTP {status}{}", http_detail(code.as_ref(), message))]
    Http {
        /// The URL requested.
        url: String,
        /// The HTTP status; 0 when no answer arrived.
        status: u16,
        /// The hub's error code, when the body carried one.
        code: Option<ErrorCode>,
        /// The hub's message, or what went wrong.
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
    /// The client's configuration cannot work, so it closed: an invalid URL, a scheme other
    /// than `ws://`/`wss://`, `wss://` without TLS support in this build, a URL the browser
    /// refuses. Not retryable: fix the configuration.
    #[error("{0}")]
    Config(String),
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
    /// The client was shut down (every [`Client`](crate::Client) handle dropped).
    #[error("client closed")]
    ClientClosed,
}

fn http_detail(code: Option<&ErrorCode>, message: &str) -> String {
    let code = code.map(|c| format!(" ({c})")).unwrap_or_default();
    if message.is_empty() { code } else { format!("{code}: {message}") }
}

impl Error {
    /// Whether trying again (later) can succeed without changing anything.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Token(_) | Self::Transport(_) | Self::MessageTooBig { .. } => true,
            Self::Auth { .. } | Self::Config(_) => false,
            Self::Refused { code, .. } => matches!(code, ErrorCode::RateLimited | ErrorCode::Unavailable),
            Self::SubscribeRefused { code, .. } => matches!(code, ErrorCode::RateLimited | ErrorCode::Unavailable),
            Self::Http { status, .. } => *status == 0 || *status >= 500 || matches!(status, 408 | 429),
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
