//! # herald-subscriber
//!
//! The subscriber SDK: a sans-IO protocol core ([`proto`]) that owns authentication, token
//! refresh, the desired-subscription table, recovery with `since`, dedupe by offset, backoff
//! and heartbeats — written once — and thin drivers chosen by target: tokio +
//! tokio-tungstenite natively, `web_sys::WebSocket` on wasm32.
//!
//! The application uses [`Client`]: subscriptions as `Stream`s ([`Subscription`]), typed
//! handlers ([`Client::on`]), category handlers, resync and state notifications.

// On wasm32 everything runs on one thread and handlers may hold JavaScript values, so the
// shared state is not Send; `Arc` keeps one code path for both targets.
#![cfg_attr(target_arch = "wasm32", allow(clippy::arc_with_non_send_sync))]

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
pub use herald_event_types::frame::{EventFrame, User};
pub use herald_event_types::{
    ChannelName, CloseCode, Envelope, ErrorCode, EventCategory, Priority, StreamPosition, Subject, Timestamp, events,
};
pub use router::{Resync, SubscriptionEvent};
pub use time::{Duration, Instant};
