//! # herald-event-types
//!
//! The bottom of the Herald crate family: pure data and serde, no async, no I/O; builds for
//! `wasm32-unknown-unknown`. It holds
//!
//! - the event [`Envelope`] and its fields ([`EventId`], [`EventCategory`], [`Priority`],
//!   [`Timestamp`]), as docs/protocol.md §2 fixes them;
//! - the typed event catalogue ([`events`], [`CatalogueEvent`], [`CATALOGUE`]) and the
//!   [`Event`] trait a service implements for its own event types;
//! - channel names and subjects ([`ChannelName`], [`Subject`]);
//! - the protocol frames ([`ClientFrame`], [`ServerFrame`]) with their error codes;
//! - [`CloseCode`] with the reconnect policy of docs/protocol.md §7.
//!
//! The wire format is pinned by golden fixtures in `docs/protocol/fixtures/`; the
//! catalogue table in `docs/events.md` is generated from this crate.
//!
//! ```
//! use herald_event_types::{CatalogueEvent, Envelope, ServerFrame};
//! use herald_event_types::events::{Execution, ExecutionStatus, PipelineExecutionStarted};
//!
//! // A publisher wraps a typed event in an envelope…
//! let started = PipelineExecutionStarted {
//!     execution_id: "e-7".into(),
//!     pipeline_id: "p-42".into(),
//!     execution: Execution { id: "e-7".into(), status: ExecutionStatus::Running, ..Default::default() },
//! };
//! let envelope = Envelope::new(&started, "ai-pipeline-generator").unwrap();
//! assert_eq!(envelope.subject.as_str(), "p-42/e-7");
//!
//! // …a subscriber decodes the hub's frame and routes by type.
//! let text = format!(r#"{{"type":"event","channel":"pipeline","offset":1,"event":{}}}"#, envelope.to_json());
//! let ServerFrame::Event(frame) = ServerFrame::decode(&text).unwrap() else { unreachable!() };
//! match CatalogueEvent::from_envelope(&frame.event).unwrap() {
//!     Some(CatalogueEvent::PipelineExecutionStarted(e)) => assert_eq!(e.execution.status, ExecutionStatus::Running),
//!     other => panic!("unexpected {other:?}"),
//! }
//! ```

#[macro_use]
mod macros;

pub mod catalogue;
pub mod channel;
pub mod close_code;
pub mod envelope;
pub mod error;
pub mod event;
pub mod events;
pub mod frame;

pub use catalogue::{CATALOGUE, CatalogueEvent, category_of};
pub use channel::{ChannelName, ParseChannelError, ParseSubjectError, Subject};
pub use close_code::{CloseCode, Reconnect};
pub use envelope::{Envelope, EventCategory, EventId, Priority, Timestamp};
pub use error::{DataError, DecodeError, EncodeError};
pub use event::Event;
pub use frame::{ClientFrame, ErrorCode, FrameError, ServerFrame, StreamPosition};
