//! [`OutgoingEvent`]: an event on its way out, with per-call overrides; [`Published`]: the
//! hub's acknowledgement.

use std::cell::RefCell;

use herald_event_types::{
    ChannelName, DataError, EncodeError, Envelope, Event, EventCategory, EventId, Priority, Subject, Timestamp,
};
use rand::RngCore;
use serde_json::value::RawValue;

/// An event ready to publish: the envelope (without its `source`, which the publisher sets)
/// and the target channel.
///
/// Built from a typed event, whose type gives the channel, subject, priority and `final`
/// flag; each can be overridden per call with the `with_*` methods. The event id (a UUID v7)
/// and the timestamp are fixed when it is built, so re-publishing the same `OutgoingEvent`
/// is idempotent at the hub.
///
/// ```
/// use herald_publisher::events::PipelineDeleted;
/// use herald_publisher::{OutgoingEvent, Priority};
///
/// let event = OutgoingEvent::new(&PipelineDeleted { pipeline_id: "p-42".into() })?
///     .with_priority(Priority::High);
/// assert_eq!(event.event_type(), "pipeline_deleted");
/// assert_eq!(event.channel().as_str(), "pipeline");
/// assert_eq!(event.subject(), "p-42");
/// # Ok::<(), herald_publisher::EncodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingEvent {
    pub(crate) envelope: Envelope,
    pub(crate) channel: Option<ChannelName>,
}

impl OutgoingEvent {
    /// Wraps a typed event (catalogue or a service's own [`Event`] type).
    ///
    /// # Errors
    /// [`EncodeError`] when the event's subject is invalid (an empty id, say) or its `data`
    /// is not a JSON object.
    pub fn new<E: Event>(event: &E) -> Result<Self, EncodeError> {
        let subject = Subject::new(event.subject()).map_err(EncodeError::Subject)?;
        let data = serde_json::value::to_raw_value(event).map_err(EncodeError::Data)?;
        Self::from_parts(E::EVENT_TYPE, E::CATEGORY, event.priority(), subject, data).map(|e| e.with_final(E::FINAL))
    }

    /// Builds an untyped event.
    ///
    /// # Errors
    /// [`EncodeError`] when `event_type` is empty or `data` is not a JSON object.
    pub fn from_parts(
        event_type: impl Into<String>,
        category: EventCategory,
        priority: Priority,
        subject: Subject,
        data: Box<RawValue>,
    ) -> Result<Self, EncodeError> {
        let event_type = event_type.into();
        if event_type.is_empty() {
            return Err(EncodeError::Empty("event_type"));
        }
        if !data.get().starts_with('{') {
            return Err(EncodeError::NotAnObject);
        }
        let envelope = Envelope {
            id: fast_event_id(),
            event_type,
            category,
            priority,
            timestamp: now(),
            source: String::new(),
            subject,
            data,
            is_final: false,
        };
        Ok(Self { envelope, channel: None })
    }

    /// Wraps a complete envelope (its `source` is kept when non-empty; otherwise the
    /// publisher's is used). Use it to re-publish an event with its original id.
    pub fn from_envelope(envelope: Envelope) -> Self {
        Self { envelope, channel: None }
    }

    /// Publishes to `channel` instead of the category's channel.
    pub fn with_channel(mut self, channel: ChannelName) -> Self {
        self.channel = Some(channel);
        self
    }

    /// Overrides the priority (which also decides what the outbox sheds first).
    pub fn with_priority(mut self, priority: Priority) -> Self {
        self.envelope.priority = priority;
        self
    }

    /// Overrides the subject.
    pub fn with_subject(mut self, subject: Subject) -> Self {
        self.envelope.subject = subject;
        self
    }

    /// Sets or clears `final` (the event ends its subject).
    pub fn with_final(mut self, is_final: bool) -> Self {
        self.envelope.is_final = is_final;
        self
    }

    /// Replaces the event id (the hub's idempotency key).
    pub fn with_id(mut self, id: EventId) -> Self {
        self.envelope.id = id;
        self
    }

    /// The event id.
    pub fn id(&self) -> &EventId {
        &self.envelope.id
    }

    /// The `event_type`.
    pub fn event_type(&self) -> &str {
        &self.envelope.event_type
    }

    /// The category.
    pub fn category(&self) -> EventCategory {
        self.envelope.category
    }

    /// The priority.
    pub fn priority(&self) -> Priority {
        self.envelope.priority
    }

    /// The subject (`""` for none).
    pub fn subject(&self) -> &str {
        self.envelope.subject.as_str()
    }

    /// Whether the event ends its subject.
    pub fn is_final(&self) -> bool {
        self.envelope.is_final
    }

    /// The target channel: the override, or the category's channel.
    pub fn channel(&self) -> ChannelName {
        self.channel.clone().unwrap_or_else(|| self.envelope.default_channel())
    }

    /// The envelope as it will be sent (its `source` is empty until a publisher sets it).
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// Decodes `data` as the typed event `E` (handy in tests with a mock sink).
    ///
    /// # Errors
    /// [`DataError`] when the type differs or the data does not match `E`.
    pub fn decode<E: Event>(&self) -> Result<E, DataError> {
        self.envelope.decode_data()
    }

    /// The size the outbox accounts for: the envelope's JSON, approximately (within a few
    /// bytes), without encoding it.
    pub(crate) fn approx_bytes(&self) -> usize {
        let e = &self.envelope;
        // Field names, quotes and punctuation of the envelope: ~130 bytes.
        130 + e.id.as_str().len()
            + e.event_type.len()
            + e.timestamp.as_str().len()
            + e.source.len()
            + e.subject.as_str().len()
            + e.data.get().len()
    }
}

/// The hub's acknowledgement of a publish.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Published {
    /// The channel holding the event (for a duplicate: the first publish's channel).
    pub channel: ChannelName,
    /// The event's offset in the channel (for a duplicate: the first offset).
    pub offset: u64,
    /// `true` when the hub had already stored this event id (a retry): it was not delivered
    /// again.
    pub duplicate: bool,
}

impl Published {
    /// An acknowledgement, for mocks and tests.
    pub fn new(channel: ChannelName, offset: u64, duplicate: bool) -> Self {
        Self { channel, offset, duplicate }
    }
}

thread_local! {
    static RNG: RefCell<rand::rngs::ThreadRng> = RefCell::new(rand::rng());
    /// The last timestamp made on this thread: events of the same millisecond share its
    /// text instead of formatting it again.
    static LAST_TIMESTAMP: RefCell<(u64, Option<Timestamp>)> = const { RefCell::new((0, None)) };
}

fn unix_millis() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or_default()
}

/// The current time as [`Timestamp::now`] writes it (UTC, milliseconds), formatted at most
/// once per millisecond per thread.
fn now() -> Timestamp {
    let millis = unix_millis();
    LAST_TIMESTAMP.with(|last| {
        let mut last = last.borrow_mut();
        match &last.1 {
            Some(timestamp) if last.0 == millis => timestamp.clone(),
            _ => {
                let timestamp = Timestamp::from_unix_millis(millis);
                *last = (millis, Some(timestamp.clone()));
                timestamp
            }
        }
    })
}

/// A UUID v7 from the thread's random generator: the same format as [`EventId::new`], without
/// a system call per id (which would dominate the cost of `try_publish`).
pub(crate) fn fast_event_id() -> EventId {
    let millis = unix_millis();
    let mut random = [0u8; 10];
    RNG.with(|rng| rng.borrow_mut().fill_bytes(&mut random));
    let uuid = uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid();
    let mut text = String::with_capacity(36);
    text.push_str(uuid.hyphenated().encode_lower(&mut uuid::Uuid::encode_buffer()));
    EventId::from_string(text).unwrap_or_else(|_| EventId::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_event_types::events::PipelineDeleted;

    #[test]
    fn ids_are_uuid_v7_and_distinct() {
        let (a, b) = (fast_event_id(), fast_event_id());
        assert_ne!(a, b);
        assert_eq!(uuid::Uuid::parse_str(a.as_str()).unwrap().get_version_num(), 7);
    }

    #[test]
    fn cached_timestamps_match_fresh_ones() {
        let (a, b) = (now(), Timestamp::now());
        assert!(b.unix_millis() - a.unix_millis() < 1000, "{a} vs {b}");
        assert!(a.as_str().ends_with('Z') && a.as_str().len() == "2026-11-22T10:00:00.123Z".len());
    }

    #[test]
    fn approx_bytes_is_close_to_the_encoding() {
        let mut event = OutgoingEvent::new(&PipelineDeleted { pipeline_id: "p-42".into() }).unwrap();
        event.envelope.source = "pipeline-service".into();
        let real = event.envelope.to_json().len();
        let approx = event.approx_bytes();
        assert!(approx >= real && approx < real + 64, "{approx} vs {real}");
    }

    #[test]
    fn overrides_apply() {
        let event = OutgoingEvent::new(&PipelineDeleted { pipeline_id: "p-42".into() })
            .unwrap()
            .with_channel(ChannelName::new("builds").unwrap())
            .with_final(true)
            .with_priority(Priority::Low);
        assert_eq!(event.channel().as_str(), "builds");
        assert!(event.is_final());
        assert_eq!(event.priority(), Priority::Low);
        assert_eq!(event.decode::<PipelineDeleted>().unwrap().pipeline_id, "p-42");
    }
}
