//! # herald-wasm
//!
//! **Not implemented yet** (issue 6): this crate will export `HeraldClient` to JavaScript
//! over the subscriber SDK's wasm driver. Until then it exports nothing.

pub use herald_event_types::CloseCode;
