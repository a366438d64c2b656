//! One clock type for every target: `std::time::Instant` natively, `web_time::Instant` on
//! wasm32 (where `std`'s panics). The sans-IO core never reads the clock; drivers do.

pub use web_time::{Duration, Instant};
