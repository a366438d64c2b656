//! The [`Event`] trait every typed event implements, and catalogue metadata.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::channel::ChannelName;
use crate::envelope::{EventCategory, Priority};

/// A typed event: its `data` struct plus what the envelope needs to know about it.
///
/// Every catalogue event implements it, and so can a service's own event, without
/// changing any Herald crate:
///
/// ```
/// use herald_event_types::{Envelope, Event, EventCategory, Priority};
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// #[serde(rename_all = "camelCase")]
/// struct CacheWarmed { cache_id: String, entries: u64 }
///
/// impl Event for CacheWarmed {
///     const EVENT_TYPE: &'static str = "cache_warmed";
///     const CATEGORY: EventCategory = EventCategory::System;
///     const PRIORITY: Priority = Priority::Low;
///     fn subject(&self) -> String { self.cache_id.clone() }
/// }
///
/// let envelope = Envelope::new(&CacheWarmed { cache_id: "c-1".into(), entries: 9 }, "cache").unwrap();
/// assert_eq!(envelope.event_type, "cache_warmed");
/// assert_eq!(envelope.default_channel().as_str(), "system");
/// ```
pub trait Event: Serialize + DeserializeOwned {
    /// The `event_type` on the wire (`pipeline_execution_started`).
    const EVENT_TYPE: &'static str;
    /// The event's category; its default channel is the category's.
    const CATEGORY: EventCategory;
    /// The default priority; [`Event::priority`] may refine it per event.
    const PRIORITY: Priority;
    /// Whether events of this type end their subject (`"final": true`). Default `false`.
    const FINAL: bool = false;

    /// The subject, derived from the event's ids (`p-42/e-7`); `""` for none.
    fn subject(&self) -> String;

    /// This event's priority. Default: [`Event::PRIORITY`].
    fn priority(&self) -> Priority {
        Self::PRIORITY
    }

    /// The channel the event is published to. Default: its category's channel.
    fn channel(&self) -> ChannelName {
        Self::CATEGORY.channel()
    }
}

/// One field of an event's `data` or of a nested object, for generated documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldInfo {
    /// The Rust field name (`pipeline_id`); [`FieldInfo::json_name`] gives the wire name.
    pub name: &'static str,
    /// The Rust type as written (`Option<u8>` fields are listed by their inner type).
    pub ty: &'static str,
    /// What the field means.
    pub doc: &'static str,
    /// Whether the field must be present.
    pub required: bool,
}

impl FieldInfo {
    /// The JSON name: the Rust name in camelCase (`pipelineId`), as serde writes it.
    pub fn json_name(&self) -> String {
        let mut out = String::with_capacity(self.name.len());
        let mut upper = false;
        for c in self.name.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                out.extend(c.to_uppercase());
                upper = false;
            } else {
                out.push(c);
            }
        }
        out
    }
}

/// Catalogue metadata of one typed event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventInfo {
    /// The `event_type`.
    pub event_type: &'static str,
    /// The Rust type in [`events`](crate::events) (`PipelineCreated`).
    pub rust_type: &'static str,
    /// Its category.
    pub category: EventCategory,
    /// Its default priority.
    pub priority: Priority,
    /// When the priority depends on the data, the rule (`HIGH when status is failed`).
    pub priority_rule: Option<&'static str>,
    /// How the subject is derived, with JSON field names in braces (`{pipelineId}/{executionId}`).
    pub subject: &'static str,
    /// Whether the event ends its subject.
    pub is_final: bool,
    /// The fields of `data`.
    pub fields: &'static [FieldInfo],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_are_camel_case() {
        let field = FieldInfo { name: "pipeline_id", ty: "String", doc: "", required: true };
        assert_eq!(field.json_name(), "pipelineId");
        let field = FieldInfo { name: "duration_ms", ty: "u64", doc: "", required: true };
        assert_eq!(field.json_name(), "durationMs");
        let field = FieldInfo { name: "line", ty: "String", doc: "", required: true };
        assert_eq!(field.json_name(), "line");
    }
}
