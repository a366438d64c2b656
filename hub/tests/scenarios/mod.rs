//! Attack scenarios of issue 13 that every broker must withstand, run over a real hub by
//! `broker_hardening.rs` (memory broker) and `redis.rs` (Redis broker).
#![allow(dead_code, unreachable_pub)]

use serde_json::{Value, json};

use crate::common::*;

/// A publisher whose token may only publish and subscribe on `debug` uses an event id first
/// (guessed, or predictable), then repeats ids of `pipeline`. With dedup per tenant it
/// suppressed the trusted publisher's `pipeline` event with that id, and its repeats were
/// answered with `pipeline`'s offset. With dedup per (tenant, channel) the trusted event is
/// delivered and the attacker only ever hears about `debug`.
pub async fn a_narrow_publisher_cannot_suppress_or_probe_another_channels_event_ids(hub: &TestHub) {
    let narrow = token(&claims("intruder", "acme", json!({"publish": ["debug"], "subscribe": ["debug"]})));
    let mut attacker = Client::authed(hub, &narrow).await;
    let mut trusted = Client::authed(hub, &publisher_token("acme")).await;
    let mut viewer = Client::authed(hub, &user_token("viewer", "acme")).await;
    viewer.subscribe(json!({"channel": "pipeline"})).await;

    // Suppression: the attacker takes the id first, on its own channel.
    let target = event("PIPELINE", "p-42");
    let first = attacker.publish(target.clone(), Some("debug")).await;
    assert_published(&first, "debug", 1, false);
    let genuine = trusted.publish(target.clone(), Some("pipeline")).await;
    assert_published(&genuine, "pipeline", 1, false);
    let delivered = viewer.recv().await;
    assert_eq!((&delivered["channel"], &delivered["offset"]), (&json!("pipeline"), &json!(1)), "{delivered}");
    assert_eq!(delivered["event"]["id"], target["id"], "the trusted event reaches its subscribers");

    // Probing: repeats of pipeline's ids tell the attacker nothing about pipeline.
    let probe = attacker.publish(target.clone(), Some("debug")).await;
    assert_published(&probe, "debug", 1, true);
    let other = event("PIPELINE", "p-43");
    assert_published(&trusted.publish(other.clone(), Some("pipeline")).await, "pipeline", 2, false);
    let probe = attacker.publish(other, Some("debug")).await;
    assert_published(&probe, "debug", 2, false);
    // And the attacker still may not publish on pipeline.
    let refused = attacker.publish(event("PIPELINE", "p-44"), Some("pipeline")).await;
    assert_eq!((&refused["type"], &refused["code"]), (&json!("error"), &json!("forbidden")), "{refused}");
    // The trusted publisher's retry is still a duplicate of its own event.
    assert_published(&trusted.publish(target, Some("pipeline")).await, "pipeline", 1, true);
}

#[track_caller]
fn assert_published(answer: &Value, channel: &str, offset: u64, duplicate: bool) {
    assert_eq!(answer["type"], "published", "{answer}");
    assert_eq!(
        (answer["channel"].as_str(), answer["offset"].as_u64(), answer["duplicate"].as_bool()),
        (Some(channel), Some(offset), Some(duplicate)),
        "{answer}"
    );
}

/// A publisher of large events (60 × ~10 KB, within `max_message_bytes`) could grow a
/// channel's history to `history_size` × 64 KB and make every `since` recovery larger than a
/// replay may be (half the outbound queue), so reconnecting clients could never recover. With
/// the default `history_max_bytes` (512 KiB, half of the default queue) the channel keeps only
/// what one replay can carry: recovery from the oldest retained event replays everything.
pub async fn large_events_cannot_grow_history_past_what_one_replay_carries(hub: &TestHub) {
    let mut publisher = Client::authed(hub, &publisher_token("acme")).await;
    let mut published = 0;
    for n in 0..60 {
        let mut big = event("PIPELINE", "p-1");
        big["data"] = json!({ "n": n, "log": "x".repeat(10_000) });
        let answer = publisher.publish(big.clone(), None).await;
        assert_eq!(answer["type"], "published", "{answer}");
        published += big.to_string().len();
    }
    assert!(published > 512 * 1024, "test setup: more than the bound was published");

    let token = user_token("u", "acme");
    let page: Value = reqwest::Client::new()
        .get(hub.http("/api/v1/channels/pipeline/history"))
        .query(&[("limit", "1000")])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events = page["events"].as_array().unwrap();
    let retained: usize = events.iter().map(|e| e.to_string().len()).sum();
    assert!(retained <= 512 * 1024, "history holds {retained} bytes");
    let oldest = events[0]["offset"].as_u64().unwrap();
    assert!(oldest > 1, "the oldest events were evicted");
    assert_eq!(events.last().unwrap()["offset"], 60);

    let mut sub = Client::authed(hub, &token).await;
    let epoch = page["epoch"].clone();
    let since = |offset: u64| json!({"channel": "pipeline", "since": {"epoch": epoch, "offset": offset}});
    let subscribed = sub.subscribe(since(oldest - 1)).await;
    assert_eq!(subscribed["recovered"], true, "{subscribed}");
    assert_eq!(subscribed["replayed"].as_u64(), Some(61 - oldest));
    for offset in oldest..=60 {
        assert_eq!(sub.recv().await["offset"], offset);
    }
    let lost = sub.subscribe(since(oldest - 2)).await;
    assert_eq!((lost["recovered"].as_bool(), lost["replayed"].as_u64()), (Some(false), Some(0)));
}
