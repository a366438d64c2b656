//! The whole path: a service publishes typed events through the publisher SDK, the hub
//! fans them out, a subscriber SDK client receives them, typed, in order, exactly once.

mod common;

use std::time::Duration;

use futures_util::StreamExt;
use herald_event_types::events::{Execution, ExecutionStatus, PipelineExecutionUpdated};
use herald_hub::auth::mint_hs256;
use herald_publisher::Publisher;
use herald_subscriber::{Client, SubscriptionEvent};
use serde_json::json;

use common::SECRET;
const WAIT: Duration = Duration::from_secs(20);

fn token(claims: serde_json::Value) -> String {
    let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600;
    let mut claims = claims;
    claims["exp"] = json!(exp);
    mint_hs256(SECRET, &claims)
}

#[tokio::test]
async fn typed_events_flow_from_a_publisher_to_a_subscriber_in_order_exactly_once() {
    let hub = common::hub(|_| {}).await;
    let addr = hub.local_addr();

    let client =
        Client::builder(format!("ws://{addr}/ws")).token(token(json!({"sub": "dash", "org": "acme"}))).connect();
    let mut progress = client.subscribe("pipeline".parse().unwrap(), "p-1/e-1".parse().unwrap(), None);
    client.connected().await.unwrap();
    // The subscription is live once `subscribed` is processed; an unrelated probe
    // subscription's first event tells us the pipeline one (sent before it) is active too.
    let mut probe = client.subscribe("system".parse().unwrap(), "".parse().unwrap(), None);

    let publisher = Publisher::builder(format!("ws://{addr}"))
        .token(token(json!({"sub": "svc", "org": "acme", "publish": ["*"]})))
        .source("pipeline-service")
        .build()
        .unwrap();
    loop {
        let probe_event = herald_event_types::events::SystemMetricsUpdate { metrics: Default::default() };
        publisher.publish(&probe_event).await.unwrap();
        if tokio::time::timeout(Duration::from_millis(100), probe.next()).await.is_ok() {
            break;
        }
    }

    let updates = 500u64;
    for progress_pct in 0..updates {
        let event = PipelineExecutionUpdated {
            execution_id: "e-1".into(),
            pipeline_id: "p-1".into(),
            execution: Execution {
                id: "e-1".into(),
                status: ExecutionStatus::Running,
                progress: Some((progress_pct % 101) as u8),
                ..Default::default()
            },
        };
        publisher.try_publish(&event).unwrap();
    }
    tokio::time::timeout(WAIT, publisher.flush()).await.unwrap();

    let mut last_offset = 0;
    for n in 0..updates {
        let item = tokio::time::timeout(WAIT, progress.next()).await.unwrap().unwrap();
        let SubscriptionEvent::Event(delivery) = item else { panic!("{item:?}") };
        assert!(delivery.offset > last_offset, "in order, once");
        last_offset = delivery.offset;
        let typed: PipelineExecutionUpdated = delivery.event.decode_data().unwrap();
        assert_eq!(u64::from(typed.execution.progress.unwrap()), n % 101, "every update, in publish order");
    }
    let stats = publisher.stats();
    assert_eq!(
        (stats.acked, stats.failed, stats.dropped.high + stats.dropped.medium + stats.dropped.low),
        (stats.published, 0, 0),
        "{stats:?}"
    );
    publisher.close().await;
    client.close();
}
