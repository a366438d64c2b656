//! Broker hardening over a real hub on the memory broker (issue 13): dedup scoped per
//! channel, history bounded in bytes. The Redis broker runs the same scenarios in `redis.rs`.

mod common;
mod scenarios;

use common::*;
use serde_json::json;

#[tokio::test]
async fn a_narrow_publisher_cannot_suppress_or_probe_another_channels_event_ids() {
    let hub = spawn_hub(|_| {}).await;
    scenarios::a_narrow_publisher_cannot_suppress_or_probe_another_channels_event_ids(&hub).await;
}

#[tokio::test]
async fn large_events_cannot_grow_history_past_what_one_replay_carries() {
    let hub = spawn_hub(|_| {}).await;
    scenarios::large_events_cannot_grow_history_past_what_one_replay_carries(&hub).await;
}

/// `HERALD_HISTORY_MAX_BYTES` is honoured by the hub: a small bound keeps only the newest
/// events that fit in it.
#[tokio::test]
async fn history_max_bytes_bounds_each_channel() {
    let hub = spawn_hub(|c| c.memory.history_max_bytes = 2000).await;
    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;
    for _ in 0..20 {
        publisher.publish(event("PIPELINE", "p-1"), None).await;
    }
    let mut sub = Client::authed(&hub, &user_token("u", "acme")).await;
    let subscribed = sub.subscribe(json!({"channel": "pipeline", "history": 100})).await;
    let replayed = subscribed["replayed"].as_u64().unwrap();
    assert!((1..20).contains(&replayed), "{subscribed}");
    let mut bytes = 0;
    for offset in 21 - replayed..=20 {
        let frame = sub.recv().await;
        assert_eq!(frame["offset"], offset);
        bytes += frame.to_string().len();
    }
    assert!(bytes <= 2000, "{bytes} bytes retained");
}
