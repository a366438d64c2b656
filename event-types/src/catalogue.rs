//! The whole catalogue as data: [`CATALOGUE`], [`CatalogueEvent`] and the generator of
//! `docs/events.md`.

use std::fmt::Write as _;

use serde_json::value::RawValue;

use crate::envelope::Envelope;
use crate::error::{DataError, EncodeError};
use crate::event::{EventInfo, FieldInfo};
use crate::events::*;

macro_rules! catalogue {
    ($($name:ident),+ $(,)?) => {
        /// Metadata of every catalogue event, in documentation order.
        pub const CATALOGUE: &[EventInfo] = &[$($name::INFO),+];

        /// The category of a catalogue event type; `None` outside the catalogue. Cheaper
        /// than searching [`CATALOGUE`] where size matters (it does not pull in the field
        /// metadata, so a wasm build stays small).
        pub fn category_of(event_type: &str) -> Option<crate::EventCategory> {
            match event_type {
                $( <$name as crate::Event>::EVENT_TYPE => Some(<$name as crate::Event>::CATEGORY), )+
                _ => None,
            }
        }

        /// Any catalogue event, decoded. Match on it to handle events by type; event types
        /// outside the catalogue stay [`Envelope`]s.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        #[allow(missing_docs)] // each variant is named after, and documented on, its struct
        pub enum CatalogueEvent {
            $($name($name)),+
        }

        impl CatalogueEvent {
            /// Decodes `envelope.data` by `envelope.event_type`.
            ///
            /// Returns `Ok(None)` for an event type outside the catalogue (a service's own
            /// type): keep the [`Envelope`], which re-encodes to equivalent JSON.
            ///
            /// # Errors
            /// [`DataError::Json`] when a catalogue type's `data` does not match its fields.
            pub fn from_envelope(envelope: &Envelope) -> Result<Option<Self>, DataError> {
                match envelope.event_type.as_str() {
                    $( <$name as crate::Event>::EVENT_TYPE => envelope.decode_data::<$name>().map(|e| Some(Self::$name(e))), )+
                    _ => Ok(None),
                }
            }

            /// The event's `event_type`.
            pub fn event_type(&self) -> &'static str {
                match self {
                    $( Self::$name(_) => <$name as crate::Event>::EVENT_TYPE, )+
                }
            }

            /// The event's catalogue metadata.
            pub fn info(&self) -> &'static EventInfo {
                match self {
                    $( Self::$name(_) => &$name::INFO, )+
                }
            }

            /// The event's `data` as JSON.
            ///
            /// # Errors
            /// [`EncodeError::Data`] only if a `serde_json::Value` inside cannot be written,
            /// which does not happen for values built from JSON.
            pub fn to_data(&self) -> Result<Box<RawValue>, EncodeError> {
                match self {
                    $( Self::$name(e) => serde_json::value::to_raw_value(e), )+
                }
                .map_err(EncodeError::Data)
            }

            /// Wraps the event in a fresh envelope, as [`Envelope::new`].
            ///
            /// # Errors
            /// As [`Envelope::new`].
            pub fn to_envelope(&self, source: impl Into<String>) -> Result<Envelope, EncodeError> {
                match self {
                    $( Self::$name(e) => Envelope::new(e, source), )+
                }
            }
        }
    };
}

catalogue![
    PipelineCreated,
    PipelineUpdated,
    PipelineDeleted,
    PipelineExecutionStarted,
    PipelineExecutionUpdated,
    PipelineExecutionCompleted,
    PipelineExecutionLog,
    SecurityVulnerabilityDetected,
    SecurityVulnerabilityUpdated,
    SecurityScanStarted,
    SecurityScanUpdated,
    SecurityScanCompleted,
    DebugSessionCreated,
    DebugSessionUpdated,
    DebugErrorDetected,
    DebugMlClassification,
    DebugPatchGenerated,
    DebugPatchApplied,
    DebugPatchRollback,
    ToolStarted,
    ToolProgress,
    ToolCompleted,
    SystemStatusUpdate,
    SystemMetricsUpdate,
    SystemAlert,
    ArchitectureDiagramUpdate,
    UserNotification,
];

/// The nested objects of the catalogue, with their fields, for documentation.
pub const MODELS: &[(&str, &[FieldInfo])] = &[
    ("Pipeline", Pipeline::FIELDS),
    ("Execution", Execution::FIELDS),
    ("ExecutionStep", ExecutionStep::FIELDS),
    ("Vulnerability", Vulnerability::FIELDS),
    ("Scan", Scan::FIELDS),
    ("FindingCounts", FindingCounts::FIELDS),
    ("DebugSession", DebugSession::FIELDS),
    ("DebugError", DebugError::FIELDS),
    ("Classification", Classification::FIELDS),
    ("Patch", Patch::FIELDS),
    ("PatchResult", PatchResult::FIELDS),
    ("SystemStatus", SystemStatus::FIELDS),
    ("ComponentStatus", ComponentStatus::FIELDS),
    ("SystemMetrics", SystemMetrics::FIELDS),
    ("Alert", Alert::FIELDS),
    ("Diagram", Diagram::FIELDS),
    ("DiagramNode", DiagramNode::FIELDS),
    ("DiagramEdge", DiagramEdge::FIELDS),
    ("Notification", Notification::FIELDS),
];

/// The enums of the catalogue with their known values, for documentation.
pub const ENUMS: &[(&str, &[&str])] = &[
    ("PipelineStatus", PipelineStatus::KNOWN),
    ("ExecutionStatus", ExecutionStatus::KNOWN),
    ("StepStatus", StepStatus::KNOWN),
    ("LogLevel", LogLevel::KNOWN),
    ("LogStream", LogStream::KNOWN),
    ("Severity", Severity::KNOWN),
    ("VulnerabilityStatus", VulnerabilityStatus::KNOWN),
    ("ScanStatus", ScanStatus::KNOWN),
    ("SessionStatus", SessionStatus::KNOWN),
    ("HealthStatus", HealthStatus::KNOWN),
    ("NotificationLevel", NotificationLevel::KNOWN),
    ("ToolStatus", ToolStatus::KNOWN),
];

fn field_list(fields: &[FieldInfo]) -> String {
    fields
        .iter()
        .map(|f| {
            let optional = if f.required { "" } else { "?" };
            format!("`{}`{optional}: {}", f.json_name(), f.ty.replace(' ', ""))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Renders `docs/events.md` from [`CATALOGUE`], [`MODELS`] and [`ENUMS`].
pub fn catalogue_markdown() -> String {
    let mut out = String::new();
    out.push_str(
        "# Event catalogue\n\n\
         <!-- Generated from herald-event-types by `UPDATE_DOCS=1 cargo test -p herald-event-types --test docs`. Do not edit. -->\n\n\
         Every event travels in the envelope of `docs/protocol.md` §2. The channel is the\n\
         category in lower case unless the publisher chooses another. Field names are the JSON\n\
         names; `?` marks an optional field, omitted when absent. Nested objects keep unknown\n\
         fields, and enums keep unknown values, so a round trip never loses data.\n\n\
         The Rust type of each event is in `herald_event_types::events` (re-exported by both SDKs\n\
         as `herald_publisher::events` and `herald_subscriber::events`); its fields are the JSON\n\
         names in snake case (`pipelineId` → `pipeline_id`, see \"Fields in detail\"). In\n\
         TypeScript, `EventOfType<'pipeline_created'>` from `@herald/client` is the same event.\n\n\
         | event_type | Rust type | category | priority | subject | final | data fields |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for info in CATALOGUE {
        let priority = match info.priority_rule {
            Some(rule) => format!("{} ({rule})", info.priority),
            None => info.priority.to_string(),
        };
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {} | {} | `{}` | {} | {} |",
            info.event_type,
            info.rust_type,
            info.category,
            priority,
            info.subject,
            if info.is_final { "yes" } else { "" },
            field_list(info.fields),
        );
    }
    out.push_str("\n## Nested objects\n\n| object | fields |\n|---|---|\n");
    for (name, fields) in MODELS {
        let _ = writeln!(out, "| `{name}` | {} |", field_list(fields));
    }
    out.push_str("\n## Enumerations\n\nValues are lower-case strings; unknown values are kept.\n\n| enum | values |\n|---|---|\n");
    for (name, values) in ENUMS {
        let values = values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ");
        let _ = writeln!(out, "| `{name}` | {values} |");
    }
    out.push_str("\n## Fields in detail\n");
    let details = |out: &mut String, fields: &[FieldInfo]| {
        for f in fields {
            let optional = if f.required { "" } else { " (optional)" };
            let _ = writeln!(out, "- `{}` (Rust `{}`){optional}: {}", f.json_name(), f.name, f.doc);
        }
    };
    for info in CATALOGUE {
        let _ = writeln!(out, "\n### `{}` (`{}`)\n", info.event_type, info.rust_type);
        details(&mut out, info.fields);
    }
    for (name, fields) in MODELS {
        let _ = writeln!(out, "\n### `{name}`\n");
        details(&mut out, fields);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_are_unique() {
        let mut names: Vec<_> = CATALOGUE.iter().map(|i| i.event_type).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CATALOGUE.len());
    }

    #[test]
    fn unknown_event_types_stay_envelopes() {
        let envelope = Envelope::from_json(
            r#"{"id":"1","event_type":"cache_warmed","category":"SYSTEM","priority":"LOW",
                "timestamp":"2026-11-22T10:00:00Z","source":"s","data":{"x":1}}"#,
        )
        .unwrap();
        assert!(CatalogueEvent::from_envelope(&envelope).unwrap().is_none());
    }
}
