//! # herald-subscriber
//!
//! The subscriber SDK: a sans-IO protocol core ([`proto`]) that owns authentication, token
//! refresh, the desired-subscription table, recovery with `since`, dedupe by offset,
//! backoff and heartbeats — written once, and driven by thin transport drivers.

pub mod error;
pub mod proto;
mod time;

pub use error::Error;
pub use proto::{ClientProto, ConnectionState, Delivery, ProtoConfig, ProtoEvent, SubscriptionId};
pub use time::{Duration, Instant};
