//! The event catalogue: one typed `data` struct per event of the platform's WebSocket API
//! document, plus user notifications, execution log lines and agent tool runs.
//!
//! The nested objects (`pipeline`, `execution`, `vulnerability`, …) are typed structs with
//! the fields a live dashboard needs. Each keeps fields it does not know in `extra`, and
//! every status-like enum keeps values it does not know in `Other`, so an event from a newer
//! service survives a decode/encode round trip unchanged. `docs/events.md` is generated from
//! this module.

mod architecture;
mod debug;
mod pipeline;
mod security;
mod system;
mod tool;
mod user;

pub use architecture::*;
pub use debug::*;
pub use pipeline::*;
pub use security::*;
pub use system::*;
pub use tool::*;
pub use user::*;
