//! The event envelope (docs/protocol.md §2) and its scalar fields.
//!
//! An [`Envelope`] carries `data` as raw JSON bytes ([`RawValue`]): the hub validates the
//! envelope and routes the bytes without ever decoding `data`, and an event type this
//! version does not know re-encodes to equivalent JSON. Typed access goes through
//! [`Envelope::decode_data`] or [`CatalogueEvent`](crate::CatalogueEvent).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::channel::{ChannelName, Subject};
use crate::error::{DataError, DecodeError, EncodeError};
use crate::event::Event;

/// Longest event id, in bytes. A Herald addition (docs/protocol.md §2): ids are kept in
/// the hub's dedup window, so they must stay small.
pub const MAX_EVENT_ID_LEN: usize = 128;

/// The category of an event. Each category has a default channel, its name in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventCategory {
    /// Pipelines, executions, execution logs. Channel `pipeline`.
    Pipeline,
    /// Vulnerabilities and scans. Channel `security`.
    Security,
    /// Debug sessions, errors, classifications, patches, agent tool runs. Channel `debug`.
    Debug,
    /// Platform status, metrics and alerts. Channel `system`.
    System,
    /// Architecture diagrams. Channel `architecture`.
    Architecture,
    /// Notifications for one user. Channel `user`, subject = the user id.
    User,
}

impl EventCategory {
    /// Every category, in protocol order.
    pub const ALL: [Self; 6] =
        [Self::Pipeline, Self::Security, Self::Debug, Self::System, Self::Architecture, Self::User];

    /// The wire name (`"PIPELINE"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pipeline => "PIPELINE",
            Self::Security => "SECURITY",
            Self::Debug => "DEBUG",
            Self::System => "SYSTEM",
            Self::Architecture => "ARCHITECTURE",
            Self::User => "USER",
        }
    }

    /// The name of the category's default channel (`"pipeline"`).
    pub const fn channel_name(self) -> &'static str {
        match self {
            Self::Pipeline => "pipeline",
            Self::Security => "security",
            Self::Debug => "debug",
            Self::System => "system",
            Self::Architecture => "architecture",
            Self::User => "user",
        }
    }

    /// The category's default channel.
    pub fn channel(self) -> ChannelName {
        ChannelName::new(self.channel_name()).expect("category channel names are valid")
    }

    /// Parses the wire name; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

impl fmt::Display for EventCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How urgent an event is. Dashboards highlight `High`; the publisher's outbox drops `Low`
/// first when full and never drops `High` silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Priority {
    /// Needs attention now (failures, critical findings, alerts).
    High,
    /// The default for state changes.
    Medium,
    /// High-volume, superseded quickly (logs, metrics, progress).
    Low,
}

impl Priority {
    /// Every priority, most urgent first.
    pub const ALL: [Self; 3] = [Self::High, Self::Medium, Self::Low];

    /// The wire name (`"HIGH"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::High => "HIGH",
            Self::Medium => "MEDIUM",
            Self::Low => "LOW",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event id: the publisher's idempotency key. Herald generates UUID v7 strings (time
/// ordered); any non-empty string of at most 128 bytes is accepted on decode.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(String);

impl EventId {
    /// A fresh UUID v7 id (millisecond timestamp + 74 random bits).
    ///
    /// # Panics
    /// Only if the platform has no random source (`getrandom` fails), which no supported
    /// target does.
    pub fn new() -> Self {
        let millis = Timestamp::unix_millis_now();
        let mut random = [0u8; 10];
        getrandom::fill(&mut random).expect("the platform provides randomness");
        let uuid = uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid();
        Self(uuid.hyphenated().to_string())
    }

    /// Wraps an existing id.
    ///
    /// # Errors
    /// [`DecodeError`] when `id` is empty or longer than 128 bytes.
    pub fn from_string(id: impl Into<String>) -> Result<Self, DecodeError> {
        let id = id.into();
        if id.is_empty() || id.len() > MAX_EVENT_ID_LEN {
            return Err(DecodeError::invalid("event id must be 1 to 128 bytes"));
        }
        Ok(Self(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for EventId {
    /// A fresh UUID v7, as [`EventId::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for EventId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for EventId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::from_string(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// An RFC 3339 timestamp. The original text is kept, so decoding and re-encoding never
/// changes it; [`Timestamp::now`] writes UTC with milliseconds (`2026-11-22T10:00:00.123Z`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp(String);

impl Timestamp {
    /// The current time (UTC, millisecond precision). Works on `wasm32-unknown-unknown`
    /// through `web-time`.
    pub fn now() -> Self {
        Self::from_unix_millis(Self::unix_millis_now())
    }

    /// The time `millis` milliseconds after the Unix epoch, in UTC. Instants after
    /// 9999-12-31T23:59:59.999Z (RFC 3339 has four-digit years) saturate to it.
    pub fn from_unix_millis(millis: u64) -> Self {
        // RFC 3339 has four-digit years: later instants saturate at the last millisecond of
        // 9999 (a token may claim to expire in the year 292 billion).
        const MAX_MILLIS: u64 = 253_402_300_799_999;
        let nanos = i128::from(millis.min(MAX_MILLIS)) * 1_000_000;
        let at = OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        Self(format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second(),
            at.millisecond()
        ))
    }

    /// Validates an RFC 3339 text.
    ///
    /// # Errors
    /// [`DecodeError`] when `text` is not RFC 3339 (`2026-11-22T10:00:00Z`,
    /// `2026-11-22T11:00:00.5+01:00`).
    pub fn parse(text: impl Into<String>) -> Result<Self, DecodeError> {
        let text = text.into();
        OffsetDateTime::parse(&text, &Rfc3339).map_err(|_| DecodeError::invalid("timestamp must be RFC 3339"))?;
        Ok(Self(text))
    }

    /// The text, exactly as decoded or generated.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Milliseconds since the Unix epoch (negative before 1970).
    pub fn unix_millis(&self) -> i64 {
        OffsetDateTime::parse(&self.0, &Rfc3339)
            .map(|at| (at.unix_timestamp_nanos() / 1_000_000) as i64)
            .unwrap_or_default()
    }

    fn unix_millis_now() -> u64 {
        web_time::SystemTime::now()
            .duration_since(web_time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default()
    }
}

impl Default for Timestamp {
    /// The current time, as [`Timestamp::now`].
    fn default() -> Self {
        Self::now()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::parse(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// One event on the wire (docs/protocol.md §2), with `data` kept as raw JSON.
///
/// Decoding checks every rule of docs/protocol.md §9.3: `id`, `event_type` and `source` are
/// non-empty strings, `category` and `priority` come from their lists, `timestamp` is
/// RFC 3339, `data` is an object, `subject` (absent = `""`) is a valid [`Subject`]. Unknown
/// envelope fields are ignored.
///
/// ```
/// use herald_event_types::{Envelope, Event, events::PipelineDeleted};
/// let event = PipelineDeleted { pipeline_id: "p-42".into() };
/// let envelope = Envelope::new(&event, "pipeline-service").unwrap();
/// assert_eq!(envelope.event_type, "pipeline_deleted");
/// assert_eq!(envelope.subject.as_str(), "p-42");
/// let back: PipelineDeleted = envelope.decode_data().unwrap();
/// assert_eq!(back, event);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "RawEnvelope")]
pub struct Envelope {
    /// Unique per event; the publisher's idempotency key.
    pub id: EventId,
    /// The catalogue name (`pipeline_execution_started`) or a service's own type.
    pub event_type: String,
    /// The event's category.
    pub category: EventCategory,
    /// The event's priority.
    pub priority: Priority,
    /// When the publisher created the event.
    pub timestamp: Timestamp,
    /// The publishing service (`ai-pipeline-generator`).
    pub source: String,
    /// The entity the event is about inside its channel; `""` for none.
    pub subject: Subject,
    /// The event's payload: a JSON object, kept as raw bytes.
    pub data: Box<RawValue>,
    /// `true` when this event ends its subject (a completed run). Omitted when `false`.
    #[serde(rename = "final", skip_serializing_if = "is_false")]
    pub is_final: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// The unchecked shape of an envelope; [`Envelope`] validates it.
#[derive(Deserialize)]
struct RawEnvelope {
    id: EventId,
    event_type: String,
    category: EventCategory,
    priority: Priority,
    timestamp: Timestamp,
    source: String,
    #[serde(default)]
    subject: Subject,
    data: Box<RawValue>,
    #[serde(default, rename = "final")]
    is_final: bool,
}

impl TryFrom<RawEnvelope> for Envelope {
    type Error = DecodeError;
    fn try_from(raw: RawEnvelope) -> Result<Self, Self::Error> {
        if raw.event_type.is_empty() {
            return Err(DecodeError::invalid("event_type must be a non-empty string"));
        }
        if raw.source.is_empty() {
            return Err(DecodeError::invalid("source must be a non-empty string"));
        }
        if !raw.data.get().starts_with('{') {
            return Err(DecodeError::invalid("data must be a JSON object"));
        }
        Ok(Self {
            id: raw.id,
            event_type: raw.event_type,
            category: raw.category,
            priority: raw.priority,
            timestamp: raw.timestamp,
            source: raw.source,
            subject: raw.subject,
            data: raw.data,
            is_final: raw.is_final,
        })
    }
}

impl Envelope {
    /// Wraps a typed event: a fresh id, the current time, and the event's type, category,
    /// priority, subject and `final` flag. Override any of them with the `with_*` methods.
    ///
    /// # Errors
    /// [`EncodeError`] when `source` is empty, the event's subject is not a valid
    /// [`Subject`] (an empty id, say), or `data` does not serialise to a JSON object.
    pub fn new<E: Event>(event: &E, source: impl Into<String>) -> Result<Self, EncodeError> {
        let subject = Subject::new(event.subject()).map_err(EncodeError::Subject)?;
        let data = serde_json::value::to_raw_value(event).map_err(EncodeError::Data)?;
        Self::from_parts(E::EVENT_TYPE, E::CATEGORY, event.priority(), subject, data, source)
            .map(|envelope| envelope.with_final(E::FINAL))
    }

    /// Builds an untyped envelope, for event types that have no Rust type.
    ///
    /// # Errors
    /// [`EncodeError`] when `event_type` or `source` is empty or `data` is not a JSON object.
    pub fn from_parts(
        event_type: impl Into<String>,
        category: EventCategory,
        priority: Priority,
        subject: Subject,
        data: Box<RawValue>,
        source: impl Into<String>,
    ) -> Result<Self, EncodeError> {
        let (event_type, source) = (event_type.into(), source.into());
        if event_type.is_empty() {
            return Err(EncodeError::Empty("event_type"));
        }
        if source.is_empty() {
            return Err(EncodeError::Empty("source"));
        }
        if !data.get().starts_with('{') {
            return Err(EncodeError::NotAnObject);
        }
        Ok(Self {
            id: EventId::new(),
            event_type,
            category,
            priority,
            timestamp: Timestamp::now(),
            source,
            subject,
            data,
            is_final: false,
        })
    }

    /// Replaces the id (for example to re-publish the same event idempotently).
    pub fn with_id(mut self, id: EventId) -> Self {
        self.id = id;
        self
    }

    /// Replaces the priority.
    pub fn with_priority(mut self, priority: Priority) -> Self {
        self.priority = priority;
        self
    }

    /// Replaces the subject.
    pub fn with_subject(mut self, subject: Subject) -> Self {
        self.subject = subject;
        self
    }

    /// Replaces the timestamp.
    pub fn with_timestamp(mut self, timestamp: Timestamp) -> Self {
        self.timestamp = timestamp;
        self
    }

    /// Sets or clears `final`.
    pub fn with_final(mut self, is_final: bool) -> Self {
        self.is_final = is_final;
        self
    }

    /// The category's default channel, where the event is published unless told otherwise.
    pub fn default_channel(&self) -> ChannelName {
        self.category.channel()
    }

    /// Decodes `data` as the typed event `E`.
    ///
    /// # Errors
    /// [`DataError::WrongType`] when `event_type` is not `E::EVENT_TYPE`;
    /// [`DataError::Json`] when `data` does not match `E`'s fields.
    pub fn decode_data<E: Event>(&self) -> Result<E, DataError> {
        if self.event_type != E::EVENT_TYPE {
            return Err(DataError::WrongType { expected: E::EVENT_TYPE, found: self.event_type.clone() });
        }
        serde_json::from_str(self.data.get()).map_err(DataError::Json)
    }

    /// Decodes an envelope from JSON text.
    ///
    /// # Errors
    /// [`DecodeError`] for anything that breaks docs/protocol.md §9.3, or text that is not JSON.
    pub fn from_json(text: &str) -> Result<Self, DecodeError> {
        serde_json::from_str(text).map_err(DecodeError::Json)
    }

    /// Decodes an envelope from bytes; invalid UTF-8 is an error, never a panic.
    ///
    /// # Errors
    /// As [`Envelope::from_json`].
    pub fn from_slice(bytes: &[u8]) -> Result<Self, DecodeError> {
        serde_json::from_slice(bytes).map_err(DecodeError::Json)
    }

    /// Encodes the envelope as compact JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an envelope always serialises")
    }
}

/// Two envelopes are equal when every field is, `data` compared as JSON values (so the
/// same event pretty-printed and compact is equal; key order and whitespace do not matter).
impl PartialEq for Envelope {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.event_type == other.event_type
            && self.category == other.category
            && self.priority == other.priority
            && self.timestamp == other.timestamp
            && self.source == other.source
            && self.subject == other.subject
            && same_json(&self.data, &other.data)
            && self.is_final == other.is_final
    }
}

fn same_json(a: &RawValue, b: &RawValue) -> bool {
    a.get() == b.get()
        || matches!(
            (serde_json::from_str::<serde_json::Value>(a.get()), serde_json::from_str::<serde_json::Value>(b.get())),
            (Ok(a), Ok(b)) if a == b
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_uuid_v7_and_distinct() {
        let (a, b) = (EventId::new(), EventId::new());
        assert_ne!(a, b);
        let parsed = uuid::Uuid::parse_str(a.as_str()).unwrap();
        assert_eq!(parsed.get_version_num(), 7);
    }

    #[test]
    fn timestamps_keep_their_text_and_format_millis() {
        let ts = Timestamp::from_unix_millis(1_795_000_000_123);
        assert!(ts.as_str().ends_with(".123Z"), "{ts}");
        assert_eq!(ts.unix_millis(), 1_795_000_000_123);
        let odd = Timestamp::parse("2026-11-22T11:00:00.5+01:00").unwrap();
        assert_eq!(odd.as_str(), "2026-11-22T11:00:00.5+01:00");
        assert!(Timestamp::parse("2026-11-22 10:00").is_err());
    }

    #[test]
    fn envelope_rules_of_section_9_3_are_enforced() {
        let good = r#"{"id":"e1","event_type":"x","category":"SYSTEM","priority":"LOW",
            "timestamp":"2026-11-22T10:00:00Z","source":"s","data":{}}"#;
        let envelope = Envelope::from_json(good).unwrap();
        assert_eq!(envelope.subject.as_str(), "");
        for (field, bad) in [
            ("id", r#""""#),
            ("event_type", r#""""#),
            ("source", r#""""#),
            ("category", r#""OTHER""#),
            ("priority", r#""URGENT""#),
            ("timestamp", r#""yesterday""#),
            ("data", "[]"),
            ("data", r#""text""#),
            ("subject", r#""a//b""#),
            ("final", r#""yes""#),
        ] {
            let mut value: serde_json::Value = serde_json::from_str(good).unwrap();
            value[field] = serde_json::from_str(bad).unwrap();
            assert!(Envelope::from_json(&value.to_string()).is_err(), "{field}: {bad}");
        }
        for missing in ["id", "event_type", "category", "priority", "timestamp", "source", "data"] {
            let mut value: serde_json::Value = serde_json::from_str(good).unwrap();
            value.as_object_mut().unwrap().remove(missing);
            assert!(Envelope::from_json(&value.to_string()).is_err(), "missing {missing}");
        }
    }
}
