//! What the core reports: connection states, driver actions, application events.

use std::sync::Arc;

use herald_event_types::{ChannelName, CloseCode, Envelope, StreamPosition, Subject};

use crate::error::Error;
use crate::time::Duration;

/// The connection as the application sees it. Every state says what happens next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionState {
    /// Not started: built with [`ClientBuilder::build`](crate::ClientBuilder::build) and not
    /// connected yet. Next: `Connecting` on [`Client::connect`](crate::Client::connect).
    Idle,
    /// Opening a connection (or waiting for a token) and authenticating. Next: `Connected`,
    /// or `Reconnecting` if it fails.
    Connecting {
        /// Reconnect attempt (0 for the first connection or after a stable one).
        attempt: u32,
    },
    /// Authenticated; subscriptions are (re)established and events flow. Next:
    /// `Reconnecting` when the connection drops, or `Closed`.
    Connected,
    /// Waiting `next_in` before attempt `attempt`. Subscriptions are kept and resumed.
    Reconnecting {
        /// The attempt that will start after the delay.
        attempt: u32,
        /// The delay chosen (full-jitter backoff).
        next_in: Duration,
    },
    /// Closed: by the application, by a close code that forbids reconnecting
    /// (docs/protocol.md §7), or by a failure that retrying cannot fix (a refused fixed token,
    /// a URL that is not a Herald hub, `wss://` without TLS). Nothing happens until
    /// [`Client::connect`](crate::Client::connect) is called again.
    Closed {
        /// The close code, when there was one.
        code: Option<CloseCode>,
        /// Why.
        reason: String,
        /// The permanent failure that closed the client; `None` when the application closed it.
        error: Option<Error>,
    },
}

impl ConnectionState {
    /// Whether events can flow now.
    pub fn is_connected(&self) -> bool {
        matches!(self, Self::Connected)
    }
}

/// What the driver must do for the core.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Call the token provider, then [`ClientProto::handle_token`](super::ClientProto::handle_token).
    FetchToken,
    /// Open a WebSocket to the hub, then call `handle_connected`, and later exactly one
    /// `handle_closed`.
    Connect,
    /// Close the open WebSocket with this code (and then report `handle_closed`).
    Disconnect {
        /// The close code to send.
        code: CloseCode,
        /// The close reason to send.
        reason: &'static str,
    },
}

/// A handle to one subscription, unique within a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriptionId(pub(crate) u64);

impl SubscriptionId {
    /// The numeric id.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// One event for the application.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The channel.
    pub channel: ChannelName,
    /// The channel's epoch the offset belongs to (shared by the channel's deliveries).
    pub epoch: Arc<str>,
    /// The event's offset in the channel.
    pub offset: u64,
    /// `true` when the event came as part of a replay (`history`, a `since` recovery, or the
    /// reload after a resync) rather than live.
    pub replayed: bool,
    /// The event.
    pub event: Arc<Envelope>,
    /// The subscriptions this delivery is for (those that match it and had not seen it).
    pub subscriptions: Vec<SubscriptionId>,
    /// `true` the first time the client sees this event; `false` when it only reaches a
    /// subscription through that subscription's replay after other subscriptions already
    /// delivered it. Type and category handlers fire only on first deliveries.
    pub first: bool,
}

impl Delivery {
    /// The position of this event: `(epoch, offset)`.
    pub fn position(&self) -> StreamPosition {
        StreamPosition { epoch: self.epoch.to_string(), offset: self.offset }
    }
}

/// What the core tells the application.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ProtoEvent {
    /// The connection state changed.
    StateChanged(ConnectionState),
    /// The hub accepted the token (on every connection and every in-band refresh).
    Authenticated {
        /// Who the hub says the client is.
        user: herald_event_types::frame::User,
    },
    /// An event, in offset order per channel, never twice per subscription.
    Delivered(Delivery),
    /// Recovery failed for these subscriptions (history lost or too old): events may have
    /// been missed. Unless [`ProtoConfig::resync_history`](super::ProtoConfig::resync_history)
    /// is off, the core reloads the channel's latest events itself right after this: they
    /// follow as deliveries marked `replayed`, then live events continue.
    Resync {
        /// The subscriptions affected.
        subscriptions: Vec<SubscriptionId>,
        /// The channel.
        channel: ChannelName,
        /// The subscription's subject prefix.
        subject: Subject,
    },
    /// A `final` event ended these subscriptions; they are gone.
    SubjectEnded {
        /// The subscriptions that ended.
        subscriptions: Vec<SubscriptionId>,
        /// The channel.
        channel: ChannelName,
        /// The subject.
        subject: Subject,
    },
    /// The hub refused these subscriptions; they are gone (see [`Error::is_retryable`]).
    SubscribeFailed {
        /// The subscriptions refused.
        subscriptions: Vec<SubscriptionId>,
        /// Why.
        error: Error,
    },
    /// Something went wrong that the application may want to show or log. The core
    /// handles recovery itself.
    Error(Error),
}

/// The hub's HTTP answer to an upgrade request it refused
/// ([`ClientProto::handle_refused`](super::ClientProto::handle_refused)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The URL the upgrade was requested from.
    pub url: String,
    /// The HTTP status (429, 503, …).
    pub status: u16,
    /// The `code` of the hub's error body (`rate_limited`, `unavailable`, …), when it had one.
    pub code: Option<herald_event_types::ErrorCode>,
    /// The `message` of the error body (empty without one).
    pub message: String,
    /// The `Retry-After` header, when the hub sent one in seconds.
    pub retry_after: Option<crate::time::Duration>,
}
