//! # herald-publisher
//!
//! What a backend service embeds to publish typed events to a Herald hub.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use herald_event_types::events::{Execution, ExecutionStatus, PipelineExecutionStarted};
//! use herald_publisher::Publisher;
//!
//! let publisher = Publisher::builder("ws://127.0.0.1:8080")
//!     .token(std::env::var("HERALD_TOKEN")?)
//!     .source("pipeline-service")
//!     .build()?;
//! let started = PipelineExecutionStarted {
//!     execution_id: "e-7".into(),
//!     pipeline_id: "p-42".into(),
//!     execution: Execution { id: "e-7".into(), status: ExecutionStatus::Running, ..Default::default() },
//! };
//! publisher.try_publish(&started)?; // never waits: queued in the outbox
//! let ack = publisher.publish(&started).await?; // waits for the hub's acknowledgement
//! assert!(ack.duplicate == false || ack.duplicate == true);
//! publisher.close().await; // drains the outbox, then stops
//! # Ok(()) }
//! ```
//!
//! ## How it works
//!
//! A [`Publisher`] is a cheap `Clone` handle to one background tokio task. `try_publish`
//! wraps the event in an envelope (a fresh UUID v7 id, the time, the type's category,
//! priority, subject and `final` flag; see [`OutgoingEvent`] for per-call overrides) and
//! pushes it into a **bounded outbox**; it never awaits the network. The task drains the
//! outbox in batches over one of three transports:
//!
//! | URL / constructor | transport |
//! |---|---|
//! | `ws://host:port` | one persistent WebSocket (`/ws`); `publish` frames pipelined up to `max_in_flight`, acknowledgements matched by `reply_to` |
//! | `http://host:port` | `POST /api/v1/publish` batches of up to `max_batch` events, one request at a time (feature `http`) |
//! | [`Publisher::in_process`] | an embedded [`herald_hub`](https://docs.rs/herald-hub) in this process (feature `in-process`) |
//!
//! ## Guarantees
//!
//! - **No loss while the hub is away.** Events wait in the outbox and are retried with
//!   full-jitter exponential backoff (default 250 ms doubling to 30 s) after a disconnect,
//!   `unavailable` or `rate_limited`. A hub restart costs latency, not events.
//! - **No duplicates.** A retry re-sends the same event id; the hub's dedup window (10 min by
//!   default) answers `duplicate: true` instead of storing it again.
//! - **Order per channel** across reconnects: unacknowledged events are re-sent in their
//!   original order before anything newer. One exception: when the hub refuses an event
//!   with `rate_limited`, the events already pipelined behind it may be stored before its
//!   retry. Keep the publish rate under the token's limit (the hub's `publish_rate`) to
//!   keep strict order.
//! - **Bounded memory.** The outbox holds at most `outbox_capacity` events (default
//!   10,000) and `outbox_bytes` (default 16 MiB), counting events in flight.
//! - **Overflow policy** when the outbox is full: a new LOW event is shed (counted in
//!   [`Stats::dropped`]); a MEDIUM or HIGH event evicts the oldest queued LOW event, and
//!   when there is none it is refused: `try_publish` returns [`PublishError::Full`].
//!   MEDIUM and HIGH events are never dropped silently. `publish().await` waits for room
//!   instead.
//! - **Permanent refusals** (`forbidden`, `invalid_event`, `channel_not_found`, …) are not
//!   retried: `publish().await` returns [`PublishError::Rejected`]; for `try_publish` they are
//!   counted in [`Stats::failed`] and logged at `warn`. An event the hub finds too big for a
//!   WebSocket message (close 1009) fails alone the same way (`too_large`); the others are
//!   sent again.
//! - **Token refresh.** When the hub closes with 4401 (or answers HTTP 401), the token
//!   provider ([`PublisherBuilder::token_provider`]) is called and the publisher reconnects.
//!   Without a provider the publisher stops and fails what is queued
//!   ([`PublishError::Unauthorized`], with the hub's code: `invalid_token`, `token_expired`,
//!   …). Terminal close codes (4500–4999, 1002, 1007) stop it too
//!   ([`PublishError::Terminated`]); 4429 waits at least the backoff cap.
//! - **A wrong URL stops it.** An HTTP status that retrying cannot fix on the WebSocket
//!   upgrade or on `POST /api/v1/publish` (404, 400, 403, 405, …: docs/publisher.md) stops
//!   the publisher with [`PublishError::Endpoint`], which names the URL tried; 408, 429 and
//!   5xx are retried. Every connection error in the log names the URL.
//!   [`Publisher::stopped`] resolves with the reason when the publisher stops for good.
//! - **Shutdown.** [`Publisher::flush`] waits until everything queued so far is answered;
//!   [`Publisher::close`] stops accepting, flushes and closes the connection. Dropping the
//!   last handle never blocks or panics: the task drains for at most `linger` (default 5 s)
//!   and exits.
//!
//! ## Observability
//!
//! [`Publisher::stats`] returns counters (published, acked, duplicates, retried, failed,
//! dropped by priority, reconnects, token refreshes) and the outbox depth. The task runs in
//! a `tracing` span `herald_publisher` with the source and target.
//!
//! ## Testing a service
//!
//! Write publishing code against [`EventSink`] (implemented by [`Publisher`]) with the
//! typed helpers of [`EventSinkExt`]; with the `mock` feature, `MockEventSink` (mockall)
//! lets a unit test assert which events the service publishes, without a hub.
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `http` | yes | the HTTP transport (`reqwest`, no TLS) |
//! | `in-process` | no | [`Publisher::in_process`]: publish into an embedded `herald-hub` |
//! | `mock` | no | `MockEventSink`, a mockall mock of [`EventSink`] |
//!
//! TLS (`wss://`, `https://`) is not included in this version; terminate TLS in front of the
//! hub or use a local hub. The full guide is `docs/publisher.md`.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod backoff;
mod config;
mod driver;
mod error;
mod event;
mod outbox;
mod publisher;
mod sink;

pub use config::PublisherBuilder;
pub use error::{BoxError, BuildError, PublishError};
pub use event::{OutgoingEvent, Published};
/// The hub's `auth_error` codes, carried by [`PublishError::Unauthorized`].
pub use herald_event_types::frame::AuthErrorCode;
pub use herald_event_types::{
    ChannelName, CloseCode, Envelope, ErrorCode, Event, EventCategory, EventId, Priority, Subject, Timestamp, events,
};
pub use outbox::{PriorityCounts, Stats};
pub use publisher::Publisher;
#[cfg(any(test, feature = "mock"))]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub use sink::MockEventSink;
pub use sink::{EventSink, EventSinkExt};
