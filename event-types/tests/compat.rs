//! Forward compatibility: what this version does not know survives a round trip.

use herald_event_types::events::{ExecutionStatus, PipelineExecutionUpdated};
use herald_event_types::{CatalogueEvent, Envelope, Event, EventCategory, Priority};
use serde_json::{Value, json};

#[test]
fn unknown_event_types_re_encode_byte_for_byte() {
    // Compact, in the envelope's field order, with odd spacing and key order inside `data`.
    let text = r#"{"id":"019ab3c4-0000-7000-8000-000000000001","event_type":"deployment_promoted","category":"PIPELINE","priority":"HIGH","timestamp":"2026-11-22T11:00:00.5+01:00","source":"release-bot","subject":"p-42/r-3","data":{ "z": [1, 2.50, {"deep": null}], "a": "é\u00e9" },"final":true}"#;
    let envelope = Envelope::from_json(text).unwrap();
    assert!(CatalogueEvent::from_envelope(&envelope).unwrap().is_none());
    assert_eq!(envelope.to_json(), text);
}

#[test]
fn unknown_fields_and_enum_values_in_nested_objects_survive() {
    let data = json!({
        "executionId": "e-7",
        "pipelineId": "p-42",
        "execution": {
            "id": "e-7",
            "status": "waiting_for_approval",
            "progress": 50,
            "approver": {"team": "release", "quorum": 2},
            "steps": [{"name": "deploy", "status": "blocked", "gate": "manual"}],
            "labels": ["canary"],
            "bigCount": 18446744073709551615u64
        }
    });
    let event: PipelineExecutionUpdated = serde_json::from_value(data.clone()).unwrap();
    assert_eq!(event.execution.status, ExecutionStatus::Other("waiting_for_approval".into()));
    assert_eq!(event.execution.extra["approver"], json!({"team": "release", "quorum": 2}));
    assert_eq!(serde_json::to_value(&event).unwrap(), data);
}

#[test]
fn floats_in_unknown_fields_survive_a_typed_round_trip_exactly() {
    // Found by the envelope_decode fuzz target: without serde_json's `float_roundtrip`,
    // 5.555555e+60 parses to 5.5555550000000006e+60 once printed and read again, so a typed
    // event was not equal to itself after re-encoding.
    let data = json!({"metrics": {"cpuPercent": 71.5, "someRatio": 5.555555e+60, "tiny": 2.2250738585072014e-308}});
    let event: herald_event_types::events::SystemMetricsUpdate = serde_json::from_value(data).unwrap();
    let text = serde_json::to_string(&event).unwrap();
    let again: herald_event_types::events::SystemMetricsUpdate = serde_json::from_str(&text).unwrap();
    assert_eq!(again, event, "re-encoded as {text}");
    assert_eq!(serde_json::to_string(&again).unwrap(), text);
}

#[test]
fn a_service_defines_its_own_event_without_changing_herald() {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct CanaryPromoted {
        release_id: String,
        traffic_percent: u8,
    }
    impl Event for CanaryPromoted {
        const EVENT_TYPE: &'static str = "canary_promoted";
        const CATEGORY: EventCategory = EventCategory::Pipeline;
        const PRIORITY: Priority = Priority::Medium;
        const FINAL: bool = true;
        fn subject(&self) -> String {
            format!("releases/{}", self.release_id)
        }
    }

    let event = CanaryPromoted { release_id: "r-3".into(), traffic_percent: 25 };
    let envelope = Envelope::new(&event, "release-bot").unwrap();
    let value: Value = serde_json::from_str(&envelope.to_json()).unwrap();
    assert_eq!(value["event_type"], "canary_promoted");
    assert_eq!(value["category"], "PIPELINE");
    assert_eq!(value["subject"], "releases/r-3");
    assert_eq!(value["final"], true);
    assert_eq!(value["data"], json!({"releaseId": "r-3", "trafficPercent": 25}));
    let back = Envelope::from_json(&envelope.to_json()).unwrap();
    assert_eq!(back.decode_data::<CanaryPromoted>().unwrap(), event);
}

#[test]
fn derived_priorities_follow_the_data() {
    use herald_event_types::events::*;
    let failed = PipelineExecutionCompleted {
        execution: Execution { status: ExecutionStatus::Failed, ..Default::default() },
        execution_id: "e".into(),
        pipeline_id: "p".into(),
    };
    assert_eq!(failed.priority(), Priority::High);
    let ok = PipelineExecutionCompleted {
        execution: Execution { status: ExecutionStatus::Completed, ..Default::default() },
        ..failed
    };
    assert_eq!(ok.priority(), Priority::Medium);
    let low = SecurityVulnerabilityDetected {
        vulnerability_id: "v".into(),
        vulnerability: Vulnerability { severity: Severity::Low, ..Default::default() },
    };
    assert_eq!(Envelope::new(&low, "s").unwrap().priority, Priority::Low);
}

#[test]
fn an_event_whose_ids_make_an_invalid_subject_is_refused() {
    use herald_event_types::events::PipelineExecutionLog;
    // An empty pipeline id makes the subject "/e-7": an empty segment.
    let event = PipelineExecutionLog { pipeline_id: String::new(), execution_id: "e-7".into(), ..Default::default() };
    assert!(matches!(Envelope::new(&event, "s"), Err(herald_event_types::EncodeError::Subject(_))));
}
