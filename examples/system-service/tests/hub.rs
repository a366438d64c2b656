//! `system-service` against a real hub: its events arrive with the catalogue's types and
//! real values (the hub's own connection count, the host's memory use, the status of a
//! service that just published), and it exits non-zero with the hub's code when the hub
//! refuses its token.

#[path = "../../common/hubs.rs"]
mod hubs;

use herald_event_types::Envelope;
use herald_event_types::events::{HealthStatus, PipelineDeleted, SystemAlert, SystemMetricsUpdate, SystemStatusUpdate};
use herald_publisher::Publisher;
use hubs::{dev_hub, dev_token, production_hub, run_to_exit};

const BIN: &str = env!("CARGO_BIN_EXE_system-service");

#[tokio::test]
async fn snapshots_status_and_alerts_arrive_typed_with_real_values() {
    let hub = dev_hub().await;
    let addr = hub.local_addr();
    // pipeline-service has just published; the other services have not.
    let pipeline = Publisher::builder(format!("ws://{addr}"))
        .token(dev_token(addr, "publisher", "pipeline-service").await)
        .source("pipeline-service")
        .build()
        .unwrap();
    pipeline.publish(&PipelineDeleted { pipeline_id: "p-1".into() }).await.unwrap();
    pipeline.close().await;

    // Memory use is always at least 0%: the memory alert is raised at the first snapshot.
    let hub_url = format!("ws://{addr}");
    let args = ["--dev", "--hub", &hub_url, "--rate", "10", "--count", "3", "--memory-alert-percent", "0"];
    let (status, stderr) = run_to_exit(BIN, &args).await;
    assert!(status.success(), "{status}: {stderr}");

    let history = hubs::history(addr, "system", 100).await;
    let events: Vec<Envelope> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| Envelope::from_json(&item["event"].to_string()).unwrap())
        .collect();
    assert!(events.iter().all(|e| e.source == "system-service"), "{events:?}");
    fn of_type<'a>(events: &'a [Envelope], event_type: &'a str) -> impl Iterator<Item = &'a Envelope> {
        events.iter().filter(move |e| e.event_type == event_type)
    }

    let metrics: Vec<SystemMetricsUpdate> =
        of_type(&events, "system_metrics_update").map(|e| e.decode_data().unwrap()).collect();
    assert_eq!(metrics.len(), 3, "one snapshot per step");
    for snapshot in &metrics {
        let m = &snapshot.metrics;
        // At least the service's own WebSocket connection to the hub.
        assert!(m.connected_clients.is_some_and(|n| n >= 1), "{m:?}");
        assert!(m.extra.contains_key("hubSubscriptions"), "{m:?}");
        if cfg!(target_os = "linux") {
            assert!(m.memory_percent.is_some_and(|p| p > 0.0 && p <= 100.0), "{m:?}");
            assert!(m.cpu_percent.is_some_and(|p| (0.0..=100.0).contains(&p)), "{m:?}");
        }
    }
    assert!(metrics[2].metrics.events_per_second.is_some(), "a rate from the second snapshot on");

    let statuses: Vec<SystemStatusUpdate> =
        of_type(&events, "system_status_update").map(|e| e.decode_data().unwrap()).collect();
    assert_eq!(statuses.len(), 1, "published once: nothing changed in between");
    let status = &statuses[0].status;
    assert_eq!(status.status, HealthStatus::Degraded, "{status:?}");
    let health = |name: &str| status.components.iter().flatten().find(|c| c.name == name).map(|c| c.status.clone());
    assert_eq!(health("hub"), Some(HealthStatus::Healthy));
    assert_eq!(health("pipeline-service"), Some(HealthStatus::Healthy));
    assert_eq!(health("security-service"), Some(HealthStatus::Down));

    let alerts: Vec<SystemAlert> = of_type(&events, "system_alert").map(|e| e.decode_data().unwrap()).collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!((alerts[0].alert_id.as_str(), alerts[0].alert.resolved), ("memory", Some(false)));
    hub.shutdown().await;
}

#[tokio::test]
async fn a_refused_token_ends_the_service_with_the_hubs_code() {
    let hub = production_hub().await;
    let url = format!("ws://{}", hub.local_addr());
    let (status, stderr) = run_to_exit(BIN, &["--token", "garbage", "--hub", &url]).await;
    assert!(!status.success(), "{status}");
    assert!(
        stderr.lines().any(|line| line.starts_with("system-service: the hub refused the token (invalid_token): ")),
        "{stderr}"
    );
    hub.shutdown().await;
}
