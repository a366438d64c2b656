//! # herald-subscriber
//!
//! The client for Herald hubs: it stays connected, resumes where it left off, never loses an
//! event silently, and routes typed events to your code. A sans-IO protocol core ([`proto`])
//! owns authentication, token refresh, subscriptions, recovery with `since`, the reload after
//! a resync, dedupe by offset, backoff and heartbeats, written once; thin drivers are chosen by
//! target: tokio + tokio-tungstenite natively, `web_sys::WebSocket` on wasm32.
//!
//! ## Quick start
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use herald_subscriber::events::PipelineExecutionCompleted;
//! use herald_subscriber::{Client, EventCategory, SubscriptionEvent};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // A user token from your auth service (docs/protocol.md §1); `ws://host:port` means `/ws`.
//! let client = Client::builder("ws://127.0.0.1:8080").token("eyJ…").connect();
//!
//! // Handlers subscribe what they need while they live (here: the `pipeline` channel).
//! let _done = client.on::<PipelineExecutionCompleted>(|run, _| println!("{} finished", run.execution_id));
//! // The user's own notifications: channel `user`, subject `<sub>`.
//! let _inbox = client.on_category(EventCategory::User, |d| println!("{}", d.event.data.get()));
//!
//! // Or a stream of one channel / subject prefix.
//! let mut scans = client.subscribe("security".parse()?, "scan-1".parse()?, Some(50));
//! while let Some(item) = scans.next().await {
//!     match item {
//!         SubscriptionEvent::Event(d) => println!("{} {} replayed={}", d.offset, d.event.event_type, d.replayed),
//!         SubscriptionEvent::Resync => println!("missed events: the latest follow, replayed"),
//!         SubscriptionEvent::Failed(error) => return Err(error.into()), // e.g. forbidden
//!         _ => break,
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! Failures are visible: a refused token (for good when it cannot be refreshed), a wrong URL
//! and a refused subscription reach [`Client::connected`], [`Client::state`],
//! [`Client::on_error`], [`Client::refusals`] and the streams. See `docs/subscriber.md`.

// On wasm32 everything runs on one thread and handlers may hold JavaScript values, so the
// shared state is not Send; `Arc` keeps one code path for both targets.
#![cfg_attr(target_arch = "wasm32", allow(clippy::arc_with_non_send_sync))]

/// `tracing` natively; nothing on wasm32, where the JavaScript binding reports to the console
/// itself and every byte of the browser build counts.
macro_rules! log {
    ($level:ident, $($arg:tt)*) => {{
        #[cfg(not(target_arch = "wasm32"))]
        tracing::$level!($($arg)*);
    }};
}
pub(crate) use log;

mod client;
#[cfg(not(target_arch = "wasm32"))]
mod connector;
mod driver;
pub mod error;
mod history;
pub mod proto;
mod router;
mod time;
mod url;

pub use client::{
    Client, ClientBuilder, Handler, HistoryPage, HistoryQuery, MaybeSendSync, Subscription, TokenFuture, TokenProvider,
};
#[cfg(not(target_arch = "wasm32"))]
pub use connector::ConnectTarget;
pub use error::Error;
pub use proto::{Backoff, ClientProto, ConnectionState, Delivery, ProtoConfig, ProtoEvent, Scope, SubscriptionId};
// The types an application needs next to the client, so it does not have to depend on
// `herald-event-types` itself (the publisher SDK re-exports the same).
pub use herald_event_types::frame::{AuthErrorCode, EventFrame, User};
pub use herald_event_types::{
    ChannelName, CloseCode, DataError, EncodeError, Envelope, ErrorCode, Event, EventCategory, EventId,
    ParseChannelError, ParseSubjectError, Priority, StreamPosition, Subject, Timestamp, category_of, events,
};
pub use router::{Resync, SubscriptionEvent};
pub use time::{Duration, Instant};
