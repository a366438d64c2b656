//! Test support shared by the example services (included with `#[path]`): a mockall
//! `MockEventSink` that records what a simulation publishes.

use std::sync::{Arc, Mutex};

use herald_publisher::{MockEventSink, OutgoingEvent};

/// A mock sink that accepts every `try_publish` and records the event; `publish().await`
/// must not be used by the simulations.
pub(crate) fn recording_sink() -> (MockEventSink, Arc<Mutex<Vec<OutgoingEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let mut sink = MockEventSink::new();
    let seen = events.clone();
    sink.expect_try_publish_outgoing().returning(move |event| {
        seen.lock().unwrap().push(event);
        Ok(())
    });
    sink.expect_publish_outgoing().never();
    (sink, events)
}

/// Runs `step` `steps` times against a recording sink; returns what was published.
pub(crate) fn record(
    steps: usize,
    mut step: impl FnMut(&MockEventSink) -> Result<(), herald_publisher::PublishError>,
) -> Vec<OutgoingEvent> {
    let (sink, events) = recording_sink();
    for _ in 0..steps {
        step(&sink).unwrap();
    }
    std::mem::take(&mut *events.lock().unwrap())
}
