//! # herald-publisher
//!
//! **Not implemented yet** (issue 4): this crate will hold the `Publisher` a backend service
//! embeds to publish typed events through a bounded outbox. Until then it only re-exports
//! the event types a publisher builds, so nothing here pretends to publish.

pub use herald_event_types::{Envelope, Event, EventCategory, Priority, events};
