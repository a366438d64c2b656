//! [`EventSink`]: what a service publishes through, so its tests can swap the
//! [`Publisher`](crate::Publisher) for a mock.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use herald_event_types::Event;

use crate::error::PublishError;
use crate::event::{OutgoingEvent, Published};

/// Something events are published to: a [`Publisher`](crate::Publisher), or in tests the
/// mockall mock `MockEventSink` (feature `mock`). Write a service's publishing code against
/// `&impl EventSink` and use the typed helpers of [`EventSinkExt`].
///
/// ```
/// use herald_publisher::events::PipelineDeleted;
/// use herald_publisher::{EventSink, EventSinkExt, PublishError};
///
/// fn on_delete(sink: &impl EventSink, id: &str) -> Result<(), PublishError> {
///     sink.try_publish(&PipelineDeleted { pipeline_id: id.into() })
/// }
/// ```
///
/// With the `mock` feature, a test asserts what was published:
///
#[cfg_attr(feature = "mock", doc = "```")]
#[cfg_attr(not(feature = "mock"), doc = "```ignore")]
/// # use herald_publisher::events::PipelineDeleted;
/// # use herald_publisher::{EventSink, EventSinkExt, PublishError};
/// # fn on_delete(sink: &impl EventSink, id: &str) -> Result<(), PublishError> {
/// #     sink.try_publish(&PipelineDeleted { pipeline_id: id.into() })
/// # }
/// let mut sink = herald_publisher::MockEventSink::new();
/// sink.expect_try_publish_outgoing()
///     .withf(|e| e.event_type() == "pipeline_deleted" && e.subject() == "p-42")
///     .times(1)
///     .returning(|_| Ok(()));
/// on_delete(&sink, "p-42").unwrap();
/// ```
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait EventSink: Send + Sync {
    /// Queues `event` without waiting; see [`Publisher::try_publish`](crate::Publisher::try_publish).
    ///
    /// # Errors
    /// As [`Publisher::try_publish`](crate::Publisher::try_publish).
    fn try_publish_outgoing(&self, event: OutgoingEvent) -> Result<(), PublishError>;

    /// Publishes `event` and resolves with the hub's acknowledgement; see
    /// [`Publisher::publish`](crate::Publisher::publish). The future owns what it needs.
    fn publish_outgoing(&self, event: OutgoingEvent) -> BoxFuture<'static, Result<Published, PublishError>>;
}

/// Typed helpers over any [`EventSink`]: the event type gives the channel, subject,
/// priority and `final` flag.
pub trait EventSinkExt: EventSink {
    /// Wraps `event` and queues it without waiting.
    ///
    /// # Errors
    /// [`PublishError::Encode`] for an event that cannot be encoded; otherwise as
    /// [`EventSink::try_publish_outgoing`].
    fn try_publish<E: Event>(&self, event: &E) -> Result<(), PublishError> {
        self.try_publish_outgoing(OutgoingEvent::new(event)?)
    }

    /// Wraps `event`, publishes it and resolves with the acknowledgement.
    fn publish<E: Event>(&self, event: &E) -> BoxFuture<'static, Result<Published, PublishError>> {
        match OutgoingEvent::new(event) {
            Ok(event) => self.publish_outgoing(event),
            Err(error) => Box::pin(std::future::ready(Err(error.into()))),
        }
    }
}

impl<S: EventSink + ?Sized> EventSinkExt for S {}

impl<S: EventSink + ?Sized> EventSink for Arc<S> {
    fn try_publish_outgoing(&self, event: OutgoingEvent) -> Result<(), PublishError> {
        (**self).try_publish_outgoing(event)
    }
    fn publish_outgoing(&self, event: OutgoingEvent) -> BoxFuture<'static, Result<Published, PublishError>> {
        (**self).publish_outgoing(event)
    }
}

impl<S: EventSink + ?Sized> EventSink for &S {
    fn try_publish_outgoing(&self, event: OutgoingEvent) -> Result<(), PublishError> {
        (**self).try_publish_outgoing(event)
    }
    fn publish_outgoing(&self, event: OutgoingEvent) -> BoxFuture<'static, Result<Published, PublishError>> {
        (**self).publish_outgoing(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_event_types::events::PipelineDeleted;

    fn on_delete(sink: &impl EventSink, id: &str) -> Result<(), PublishError> {
        sink.try_publish(&PipelineDeleted { pipeline_id: id.into() })
    }

    #[test]
    fn the_mock_sees_typed_events() {
        let mut sink = MockEventSink::new();
        sink.expect_try_publish_outgoing()
            .withf(|e| e.event_type() == "pipeline_deleted" && e.subject() == "p-42")
            .times(1)
            .returning(|_| Ok(()));
        on_delete(&sink, "p-42").unwrap();
    }
}
