//! Errors of the publisher: [`PublishError`] for publishing, [`BuildError`] for
//! [`PublisherBuilder::build`](crate::PublisherBuilder::build).

use herald_event_types::frame::AuthErrorCode;
use herald_event_types::{CloseCode, EncodeError, ErrorCode, Priority};

/// A boxed error from a token provider.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why an event was not published. Every variant says what the caller should do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The outbox is full (count or bytes) and holds no LOW event to shed, so this MEDIUM or
    /// HIGH event was refused (LOW events are shed instead, see [`PublishError::Dropped`]).
    /// The hub is down or slower than the service; the event was **not** queued. Retry later,
    /// use `publish().await` (which waits for room), or raise the outbox limits.
    #[error("outbox full; {priority} event refused")]
    Full {
        /// The refused event's priority.
        priority: Priority,
    },
    /// A LOW event was shed to make room for newer events (counted in
    /// [`Stats::dropped`](crate::Stats)). Only `publish().await` callers see this; nothing to do
    /// unless LOW events matter, in which case publish them as MEDIUM.
    #[error("LOW event dropped because the outbox was full")]
    Dropped,
    /// The encoded event is larger than the builder's `max_event_bytes` (which mirrors the
    /// hub's message limit). Not queued. Make the event smaller; retrying fails again.
    #[error("event is {bytes} bytes, over the limit of {max}")]
    TooLarge {
        /// The event's size (the envelope as JSON).
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// The hub refused the event for good (`forbidden`, `invalid_event`,
    /// `channel_not_found`, `bad_request`, …). Retrying the same event fails again: fix the
    /// event, its channel, or the token's `publish` permissions.
    #[error("hub rejected the event: {code}: {message}")]
    Rejected {
        /// The protocol error code.
        code: ErrorCode,
        /// The hub's explanation.
        message: String,
    },
    /// No acknowledgement within the builder's `ack_timeout`. The event is still queued and
    /// may be published later; publishing it again with the same id is safe (idempotent).
    #[error("no acknowledgement within the ack timeout")]
    Timeout,
    /// The publisher was closed ([`Publisher::close`](crate::Publisher::close)); nothing is
    /// accepted any more. Build a new publisher.
    #[error("publisher closed")]
    Closed,
    /// The hub refused the token (WebSocket `auth_error` and close 4401, or HTTP 401) and no
    /// token provider is set. The publisher stopped and failed every queued event. Build a new
    /// publisher with a valid token, or give it a `token_provider`.
    #[error("the hub refused the token ({code}): {message}")]
    Unauthorized {
        /// The hub's code (docs/protocol.md §1): `invalid_token`, `token_expired`,
        /// `token_not_yet_valid`, `wrong_audience`, `wrong_issuer`, `missing_claim`; on
        /// HTTP also `not_authenticated` (kept as [`AuthErrorCode::Other`]). A close 4401
        /// without an `auth_error` (the token expired on a live connection) is reported
        /// as `token_expired`.
        code: AuthErrorCode,
        /// The hub's explanation.
        message: String,
    },
    /// The hub closed the connection with a terminal code (4500 protocol violation, 4503
    /// forbidden, 1002 or 1007). The publisher stopped and failed every queued event. Do not
    /// retry in a loop: fix the configuration or the tenant. (1009, message too big, fails
    /// only the event that caused it: [`PublishError::Rejected`] with `too_large`.)
    #[error("the hub closed the connection for good: {code}")]
    Terminated {
        /// The close code.
        code: CloseCode,
    },
    /// The URL answered the WebSocket upgrade or the publish request with an HTTP status
    /// that retrying cannot fix: 400, 403, 404, 405, 501, a success instead of an upgrade,
    /// or any other status than 401, 408, 429 and 5xx (which are retried). Usually the URL
    /// or its path is wrong (`ws://host:port/wrong`), or it points at something that is not
    /// a Herald hub; a hub's 403 on the upgrade means a refused `Origin`. The publisher
    /// stopped and failed every queued event. Fix the URL.
    #[error("{url}: HTTP {status}{} (not retried: check the hub URL and its path)", http_detail(code.as_ref(), message))]
    Endpoint {
        /// The URL tried (with the path the publisher added: `ws://host:port/ws`,
        /// `http://host:port/api/v1/publish`).
        url: String,
        /// The HTTP status.
        status: u16,
        /// The hub's error code, when the body was a Herald error (`{"code","message"}`).
        code: Option<ErrorCode>,
        /// The hub's message, or the status's reason phrase.
        message: String,
    },
    /// The event could not be encoded (an invalid subject, `data` not a JSON object). Fix
    /// the event.
    #[error("cannot encode the event")]
    Encode(#[from] EncodeError),
}

/// ` (code): message`, or `: message` without a code.
fn http_detail(code: Option<&ErrorCode>, message: &str) -> String {
    let code = code.map(|code| format!(" ({code})")).unwrap_or_default();
    if message.is_empty() { code } else { format!("{code}: {message}") }
}

impl PublishError {
    /// Whether the same event may succeed later: `Full` and `Timeout`. Every other error
    /// fails again on retry or means the publisher stopped.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Full { .. } | Self::Timeout)
    }

    /// The hub's error code as on the wire: `forbidden`, `too_large`, … for
    /// [`PublishError::Rejected`]; `invalid_token`, `token_expired`, … for
    /// [`PublishError::Unauthorized`]; the body's code, if any, for
    /// [`PublishError::Endpoint`]. `None` for errors the hub did not name.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Rejected { code, .. } => Some(code.as_str()),
            Self::Unauthorized { code, .. } => Some(code.as_str()),
            Self::Endpoint { code, .. } => code.as_ref().map(ErrorCode::as_str),
            _ => None,
        }
    }

    /// Whether the publisher has stopped for good with this error (it fails every event
    /// from then on): [`PublishError::Unauthorized`], [`PublishError::Terminated`],
    /// [`PublishError::Endpoint`] and [`PublishError::Closed`].
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Unauthorized { .. } | Self::Terminated { .. } | Self::Endpoint { .. } | Self::Closed)
    }

    /// A copy for fanning a terminal error out to many waiters (sources are not `Clone`).
    pub(crate) fn duplicate(&self) -> Self {
        match self {
            Self::Full { priority } => Self::Full { priority: *priority },
            Self::Dropped => Self::Dropped,
            Self::TooLarge { bytes, max } => Self::TooLarge { bytes: *bytes, max: *max },
            Self::Rejected { code, message } => Self::Rejected { code: code.clone(), message: message.clone() },
            Self::Timeout => Self::Timeout,
            Self::Unauthorized { code, message } => Self::Unauthorized { code: code.clone(), message: message.clone() },
            Self::Terminated { code } => Self::Terminated { code: *code },
            Self::Endpoint { url, status, code, message } => {
                Self::Endpoint { url: url.clone(), status: *status, code: code.clone(), message: message.clone() }
            }
            Self::Closed | Self::Encode(_) => Self::Closed,
        }
    }
}

/// Why a [`Publisher`](crate::Publisher) could not be built. Fix the configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The hub URL is not a valid `ws://` or `http://` URL (`wss://`/`https://` need TLS,
    /// which this version does not include: terminate TLS in front of the service).
    #[error("invalid or unsupported hub URL {url:?}: {reason}")]
    Url {
        /// The URL given.
        url: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The URL is `http://` but the `http` feature is disabled. Enable it or use `ws://`.
    #[error("the http transport needs the `http` feature")]
    HttpDisabled,
    /// Neither `token` nor `token_provider` was set (required for `ws://` and `http://`).
    #[error("no token: set token() or token_provider()")]
    MissingToken,
    /// `source` was not set or is empty. Every envelope names its publishing service.
    #[error("no source: set source(\"my-service\")")]
    MissingSource,
    /// `build()` was called outside a tokio runtime; the publisher needs one for its task.
    #[error("no tokio runtime: build the publisher inside one")]
    NoRuntime,
    /// A limit is zero (`outbox_capacity`, `outbox_bytes`, `max_batch`, `max_in_flight`).
    #[error("{0} must be greater than zero")]
    Zero(&'static str),
    /// The HTTP client could not be created.
    #[cfg(feature = "http")]
    #[error("cannot create the HTTP client")]
    Http(#[source] reqwest::Error),
}
