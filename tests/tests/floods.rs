//! Floods against the hub's limits (docs/reliability.md, battery rows 15 and 16), each while a victim
//! tenant B receives a steady stream: an attacker in tenant A floods connections per user
//! (close 4429), connections per address (HTTP 429 before the upgrade), subscriptions
//! (`too_many_subscriptions`) and publishes (`rate_limited` on WebSocket and HTTP). Each limit
//! must answer exactly as docs/protocol.md and docs/operations.md say, the attacker's
//! earlier connections must stay usable, and B must receive every event of its stream, in
//! order, once, and nothing of A's.
//!
//! These default tests assert behaviour only, never timing (timing goals live in
//! benchmarks): the p99 comparison is the `#[ignore]`d long-mode test in `floods_long.rs`.
//! Every hub listens on 127.0.0.1:0, so all connections come from one address.

#[path = "../../hub/tests/common/mod.rs"]
mod common;
mod flood_support;

use common::raw::upgrade_request;
use common::*;
use flood_support::{Victim, attacker_token, ping, tenant_event};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// Reads until the hub closes: the text frames before the Close, its code and its reason.
async fn frames_until_close(client: &mut Client) -> (Vec<Value>, Option<(u16, String)>) {
    let mut frames = Vec::new();
    loop {
        match tokio::time::timeout(WAIT, client.ws.next()).await.expect("close in time") {
            Some(Ok(Message::Text(text))) => frames.push(serde_json::from_str(&text).expect("JSON frame")),
            Some(Ok(Message::Close(close))) => {
                let close = close.map(|f| (u16::from(f.code), f.reason.to_string()));
                let _ = tokio::time::timeout(WAIT, async { while client.ws.next().await.is_some() {} }).await;
                return (frames, close);
            }
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return (frames, None),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_per_user_connection_flood_gets_4429_for_the_excess_and_spares_the_rest() {
    let hub = spawn_hub(|c| {
        c.max_connections_per_user = 3;
        c.max_connections_per_ip = 64;
    })
    .await;
    let victim = Victim::start(&hub).await;

    let token = attacker_token("a-1");
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(Client::authed(&hub, &token).await);
    }
    for attempt in 0..20 {
        // Both ways of authenticating meet the same limit.
        let mut excess = if attempt % 2 == 0 {
            let mut client = Client::connect(&hub).await;
            client.send(json!({"type": "authenticate", "token": token})).await;
            client
        } else {
            Client::connect_with_header(&hub, &token).await
        };
        let (frames, close) = frames_until_close(&mut excess).await;
        assert_eq!(close, Some((4429, "too many connections".to_owned())), "attempt {attempt}: {frames:?}");
        assert!(frames.iter().all(|f| f["type"] != "authenticated"), "never authenticated: {frames:?}");
        assert!(frames.iter().all(|f| f["code"] == "rate_limited"), "{frames:?}");
    }
    // The three that were in are intact, and another user of tenant A is not limited by a-1.
    for client in &mut held {
        ping(client).await;
    }
    ping(&mut Client::authed(&hub, &attacker_token("a-2")).await).await;

    victim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_per_ip_connection_flood_gets_429_before_the_upgrade_and_spares_the_rest() {
    const PER_IP: usize = 8;
    let hub = spawn_hub(|c| c.max_connections_per_ip = PER_IP).await;
    // The victim's two connections come from 127.0.0.1 too: they were in first.
    let victim = Victim::start(&hub).await;

    let mut held = Vec::new();
    for i in 0..PER_IP - Victim::CONNECTIONS {
        held.push(Client::authed(&hub, &attacker_token(&format!("a-{i}"))).await);
    }
    for _ in 0..30 {
        let (response, _) = upgrade_request(hub.addr).await;
        assert_eq!(response.status, 429, "{}", response.head);
        assert!(response.head.contains("content-type: application/json"), "{}", response.head);
        assert!(!response.head.contains("sec-websocket-accept"), "no upgrade: {}", response.head);
        let body: Value = serde_json::from_slice(&response.body).expect("JSON body");
        assert_eq!(body["code"], "rate_limited", "{body}");
        assert!(body["message"].is_string(), "{body}");
    }
    for client in &mut held {
        ping(client).await;
    }
    // The attacker lets go of one: exactly one new connection fits again.
    let mut gone = held.pop().expect("one held");
    gone.ws.close(None).await.expect("close");
    gone.closed().await;
    let metrics = hub.hub.metrics();
    tokio::time::timeout(WAIT, async {
        while metrics.connections() > (PER_IP - 1) as i64 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the closed connection is released");
    held.push(Client::authed(&hub, &attacker_token("a-again")).await);
    assert_eq!(upgrade_request(hub.addr).await.0.status, 429);

    victim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_flood_gets_too_many_subscriptions_and_the_connection_stays_usable() {
    const MAX: usize = 4;
    let hub = spawn_hub(|c| c.max_subscriptions = MAX).await;
    let victim = Victim::start(&hub).await;

    let mut attacker = Client::authed(&hub, &attacker_token("a-1")).await;
    for i in 0..MAX {
        attacker.subscribe(json!({"channel": "pipeline", "subject": format!("s-{i}")})).await;
    }
    // 200 more, pipelined: every one is answered, each with too_many_subscriptions.
    let mut ids = Vec::new();
    for i in 0..200 {
        let channel = ["pipeline", "security", "system"][i % 3];
        ids.push(attacker.request(json!({"type": "subscribe", "channel": channel, "subject": format!("x-{i}")})).await);
    }
    for id in ids {
        let answer = attacker.recv().await;
        assert_eq!(answer["reply_to"], id, "{answer}");
        assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("error"), Some("too_many_subscriptions")));
    }
    // Still usable: a held subscription delivers, and an unsubscribe frees a place.
    let mut own = Client::authed(&hub, &attacker_token("a-pub")).await;
    let published = own.publish(tenant_event("a", 1, "s-0"), Some("pipeline")).await;
    assert_eq!(published["type"], "published", "{published}");
    let (event, _) = attacker.recv_type("event").await;
    assert_eq!(event["event"]["id"], "a-1", "{event}");
    let id = attacker.request(json!({"type": "unsubscribe", "channel": "pipeline", "subject": "s-3"})).await;
    assert_eq!(attacker.recv().await["reply_to"], id);
    attacker.subscribe(json!({"channel": "security", "subject": "new"})).await;
    ping(&mut attacker).await;

    victim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_flood_gets_rate_limited_on_websocket_and_http_and_the_hub_keeps_serving() {
    const RATE: u32 = 200;
    let hub = spawn_hub(|c| c.publish_rate = RATE).await;
    let victim = Victim::start(&hub).await;

    // WebSocket: 20 × the burst, pipelined in chunks of 100. Every publish is answered once:
    // `published` or `error` `rate_limited`, never a silent drop.
    let token = attacker_token("a-flood");
    let mut attacker = Client::authed(&hub, &token).await;
    let (mut accepted, mut limited, mut next_seq) = (Vec::new(), 0usize, 1u64);
    for _ in 0..40 {
        let mut ids = Vec::new();
        for _ in 0..100 {
            let frame = json!({"type": "publish", "channel": "pipeline", "event": tenant_event("a", next_seq, "b")});
            next_seq += 1;
            ids.push(attacker.request(frame).await);
        }
        for id in ids {
            let answer = attacker.recv().await;
            assert_eq!(answer["reply_to"], id, "{answer}");
            match (answer["type"].as_str(), answer["code"].as_str()) {
                (Some("published"), _) => accepted.push(answer["offset"].as_u64().expect("offset")),
                (Some("error"), Some("rate_limited")) => limited += 1,
                other => panic!("unexpected answer {other:?}: {answer}"),
            }
        }
    }
    assert_eq!(accepted.len() + limited, 4000);
    assert!(limited > 0 && accepted.len() >= RATE as usize, "accepted {} limited {limited}", accepted.len());
    assert_eq!(accepted, (1..=accepted.len() as u64).collect::<Vec<_>>(), "accepted ones stored in order");
    ping(&mut attacker).await;

    // HTTP, same token (one bucket for both paths): a batch larger than the rate is always
    // refused, and single publishes meet 429 `rate_limited` while the flood goes on.
    let http = reqwest::Client::new();
    let post = |body: Value| http.post(hub.http("/api/v1/publish")).bearer_auth(&token).json(&body).send();
    let batch: Vec<Value> = (0..=RATE as u64).map(|i| tenant_event("a", 100_000 + i, "b")).collect();
    let response = post(json!({"channel": "pipeline", "events": batch})).await.expect("http");
    assert_eq!(response.status(), 429);
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["code"], "rate_limited", "{body}");
    // 4 × the burst, 100 in flight at a time: far above the rate however slow the machine.
    let mut statuses = std::collections::BTreeMap::new();
    for chunk in 0..(4 * RATE as u64 / 100) {
        let requests = (0..100).map(|i| {
            let event = tenant_event("a", 200_000 + chunk * 100 + i, "b");
            let request = post(json!({"channel": "pipeline", "event": event}));
            async { request.await.expect("http") }
        });
        for response in futures_util::future::join_all(requests).await {
            let status = response.status().as_u16();
            *statuses.entry(status).or_insert(0) += 1;
            let body: Value = response.json().await.expect("JSON body");
            match status {
                200 => assert!(body["results"][0]["offset"].is_u64(), "{body}"),
                429 => assert_eq!(body["code"], "rate_limited", "{body}"),
                other => panic!("unexpected status {other}: {body}"),
            }
        }
    }
    assert!(statuses.get(&429).is_some_and(|&n| n > 0), "{statuses:?}");

    // The hub keeps serving: the flooding connection too.
    ping(&mut attacker).await;
    victim.finish().await;
}
