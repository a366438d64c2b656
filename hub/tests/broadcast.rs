//! Fan-out: every subscriber of a channel gets each event once, in offset order, with the
//! same bytes; subject prefixes select whole segments; tenants never see each other.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn subscribers_receive_each_event_once_in_order_with_identical_bytes() {
    let hub = spawn_hub(|_| {}).await;
    let mut a = Client::authed(&hub, &user_token("u-a", "acme")).await;
    let mut b = Client::authed(&hub, &user_token("u-b", "acme")).await;
    let subscribed = a.subscribe(json!({"channel": "pipeline"})).await;
    assert_eq!(subscribed["offset"], 0);
    assert_eq!(subscribed["recovered"], false);
    b.subscribe(json!({"channel": "pipeline"})).await;

    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;
    for i in 1..=20u64 {
        let published = publisher.publish(event("PIPELINE", &format!("p-{i}")), None).await;
        assert_eq!(published["type"], "published", "{published}");
        assert_eq!(published["offset"], i);
        assert_eq!(published["channel"], "pipeline");
        assert_eq!(published["duplicate"], false);
    }
    for client in [&mut a, &mut b] {
        for i in 1..=20u64 {
            let frame = client.recv().await;
            assert_eq!(frame["type"], "event");
            assert_eq!(frame["offset"], i);
            assert_eq!(frame["event"]["subject"], format!("p-{i}"));
        }
    }
    // Identical bytes: compare the raw text of one more event.
    publisher.publish(event("PIPELINE", "p-x"), None).await;
    use futures_util::StreamExt;
    let ra = a.ws.next().await.unwrap().unwrap().into_text().unwrap();
    let rb = b.ws.next().await.unwrap().unwrap().into_text().unwrap();
    assert_eq!(ra, rb);
}

#[tokio::test]
async fn subject_prefixes_match_whole_segments_and_deliver_once_per_connection() {
    let hub = spawn_hub(|_| {}).await;
    let mut sub = Client::authed(&hub, &user_token("u", "acme")).await;
    sub.subscribe(json!({"channel": "pipeline", "subject": "p-42"})).await;
    sub.subscribe(json!({"channel": "pipeline", "subject": "p-42/e-7"})).await;
    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;
    publisher.publish(event("PIPELINE", "p-420"), None).await;
    publisher.publish(event("PIPELINE", "p-42/e-7"), None).await;
    publisher.publish(event("PIPELINE", "p-42"), None).await;
    // p-420 is not delivered; p-42/e-7 matches both subscriptions but arrives once.
    let first = sub.recv().await;
    assert_eq!((first["offset"].as_u64(), first["event"]["subject"].as_str()), (Some(2), Some("p-42/e-7")));
    let second = sub.recv().await;
    assert_eq!((second["offset"].as_u64(), second["event"]["subject"].as_str()), (Some(3), Some("p-42")));
}

#[tokio::test]
async fn tenants_never_see_each_other() {
    let hub = spawn_hub(|_| {}).await;
    let mut other_tenant = Client::authed(&hub, &user_token("u", "globex")).await;
    other_tenant.subscribe(json!({"channel": "security"})).await;
    let mut acme = Client::authed(&hub, &publisher_token("acme")).await;
    let mut globex = Client::authed(&hub, &publisher_token("globex")).await;
    for _ in 0..5 {
        acme.publish(event("SECURITY", "scan-1"), None).await;
    }
    // Offsets are per tenant: globex's first event is offset 1 and is the first frame seen.
    let marker = globex.publish(event("SECURITY", "scan-1"), None).await;
    assert_eq!(marker["offset"], 1);
    let frame = other_tenant.recv().await;
    assert_eq!(frame["offset"], 1);
    assert_eq!(frame["event"]["source"], "tests");
    // Same event id in another tenant is not a duplicate.
    let mut shared = event("SECURITY", "x");
    shared["id"] = json!("same-id");
    assert_eq!(acme.publish(shared.clone(), None).await["duplicate"], false);
    assert_eq!(globex.publish(shared, None).await["duplicate"], false);
}

#[tokio::test]
async fn publishing_needs_permission_and_a_configured_channel() {
    let hub = spawn_hub(|c| c.channels.push("builds".parse().unwrap())).await;
    let mut plain = Client::authed(&hub, &user_token("u", "acme")).await;
    let answer = plain.publish(event("PIPELINE", "p"), None).await;
    assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("error"), Some("forbidden")));

    let scoped = token(&claims("svc", "acme", json!({"publish": ["pipeline/p-1"]})));
    let mut scoped = Client::authed(&hub, &scoped).await;
    assert_eq!(scoped.publish(event("PIPELINE", "p-1/e-1"), None).await["type"], "published");
    assert_eq!(scoped.publish(event("PIPELINE", "p-10"), None).await["code"], "forbidden");

    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;
    assert_eq!(publisher.publish(event("PIPELINE", "p"), Some("builds")).await["channel"], "builds");
    assert_eq!(publisher.publish(event("PIPELINE", "p"), Some("nope")).await["code"], "channel_not_found");
    assert_eq!(publisher.publish(event("PIPELINE", "p"), Some("Bad!")).await["code"], "bad_request");
}

#[tokio::test]
async fn an_embedded_service_publishes_in_process() {
    let hub = spawn_hub(|_| {}).await;
    let mut sub = Client::authed(&hub, &user_token("u", "acme")).await;
    sub.subscribe(json!({"channel": "pipeline"})).await;
    let handle = hub.hub.handle();
    let envelope = herald_event_types::Envelope::from_json(&event("PIPELINE", "p-1").to_string()).unwrap();
    let outcome = handle.publish("acme", None, &envelope).await.unwrap();
    assert_eq!((outcome.offset, outcome.duplicate), (1, false));
    assert!(handle.publish("acme", None, &envelope).await.unwrap().duplicate);
    let missing = handle.publish("acme", Some("nope".parse().unwrap()), &envelope).await.unwrap_err();
    assert_eq!(missing.code, herald_event_types::ErrorCode::ChannelNotFound);
    assert_eq!(sub.recv().await["offset"], 1);
}
