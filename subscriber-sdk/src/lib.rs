//! # herald-subscriber
//!
//! **Not implemented yet** (issue 5): this crate will hold the sans-IO subscriber core and
//! its native and wasm drivers. Until then it only re-exports the frame and event types a
//! subscriber decodes, so nothing here pretends to connect.

pub use herald_event_types::{CatalogueEvent, CloseCode, Envelope, ServerFrame};
