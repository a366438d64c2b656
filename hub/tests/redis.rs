//! Scale-out on Redis (feature `redis`): real `redis-server` instances started here on free
//! ports, real hubs on 127.0.0.1:0, real WebSocket clients.
#![cfg(feature = "redis")]

mod common;
#[path = "../src/broker/test_redis.rs"]
mod test_redis;

use common::*;
use serde_json::{Value, json};
use test_redis::RedisServer;

async fn hub_on(server: &RedisServer) -> TestHub {
    let url = server.url();
    spawn_hub(move |config| config.broker = Some(url.as_str().into())).await
}

/// Reads `n` event frames; returns their offsets.
async fn offsets(client: &mut Client, n: usize) -> Vec<u64> {
    let mut seen = Vec::with_capacity(n);
    while seen.len() < n {
        let frame = client.recv().await;
        assert_eq!(frame["type"], "event", "{frame}");
        seen.push(frame["offset"].as_u64().unwrap());
    }
    seen
}

async fn publish(publisher: &mut Client) -> Value {
    let answer = publisher.publish(event("PIPELINE", "p-1"), None).await;
    assert_eq!(answer["type"], "published", "{answer}");
    answer
}

/// Polls `/readyz` until it answers `status` (or the overall wait runs out).
async fn wait_ready(hub: &TestHub, status: u16) {
    let client = reqwest::Client::new();
    tokio::time::timeout(WAIT, async {
        loop {
            let got = client.get(hub.http("/readyz")).send().await.map(|r| r.status().as_u16());
            if got.ok() == Some(status) {
                return;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("/readyz never answered {status}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hubs_deliver_everything_in_order_exactly_once() {
    let server = RedisServer::start();
    let (a, b, c) = (hub_on(&server).await, hub_on(&server).await, hub_on(&server).await);
    let mut on_b = Client::authed(&b, &user_token("u1", "acme")).await;
    let mut on_c = Client::authed(&c, &user_token("u2", "acme")).await;
    let mut on_a = Client::authed(&a, &user_token("u3", "acme")).await;
    let epoch = on_b.subscribe(json!({"channel": "pipeline"})).await["epoch"].clone();
    assert_eq!(on_c.subscribe(json!({"channel": "pipeline"})).await["epoch"], epoch, "one epoch for all hubs");
    on_a.subscribe(json!({"channel": "pipeline"})).await;

    let mut publisher = Client::authed(&a, &publisher_token("acme")).await;
    let mut other = Client::authed(&c, &publisher_token("acme")).await;
    for n in 0..30 {
        // Publishes from two hubs interleave into one order.
        publish(if n % 3 == 0 { &mut other } else { &mut publisher }).await;
    }
    let expected: Vec<u64> = (1..=30).collect();
    for client in [&mut on_a, &mut on_b, &mut on_c] {
        assert_eq!(offsets(client, 30).await, expected);
    }
    // Nothing twice: the next frame each receives is the next event.
    publish(&mut publisher).await;
    for client in [&mut on_a, &mut on_b, &mut on_c] {
        assert_eq!(offsets(client, 1).await, [31]);
    }
    // Another tenant sees nothing of it.
    let mut stranger = Client::authed(&b, &user_token("x", "globex")).await;
    assert_eq!(stranger.subscribe(json!({"channel": "pipeline"})).await["offset"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_moves_between_hubs_without_a_gap() {
    let server = RedisServer::start();
    let (a, b, c) = (hub_on(&server).await, hub_on(&server).await, hub_on(&server).await);
    let mut publisher = Client::authed(&a, &publisher_token("acme")).await;
    let mut sub = Client::authed(&b, &user_token("u", "acme")).await;
    let epoch = sub.subscribe(json!({"channel": "pipeline"})).await["epoch"].clone();
    for _ in 0..10 {
        publish(&mut publisher).await;
    }
    assert_eq!(offsets(&mut sub, 10).await, (1..=10).collect::<Vec<_>>());
    drop(sub); // b goes away for this client mid-stream
    for _ in 0..10 {
        publish(&mut publisher).await;
    }
    let mut moved = Client::authed(&c, &user_token("u", "acme")).await;
    let subscribed = moved.subscribe(json!({"channel": "pipeline", "since": {"epoch": epoch, "offset": 10}})).await;
    assert_eq!((subscribed["recovered"].as_bool(), subscribed["replayed"].as_u64()), (Some(true), Some(10)));
    assert_eq!(offsets(&mut moved, 10).await, (11..=20).collect::<Vec<_>>());
    publish(&mut publisher).await;
    assert_eq!(offsets(&mut moved, 1).await, [21], "then live, from another hub's publish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_fails_publishes_loudly_and_a_new_epoch_forces_a_resync() {
    let mut server = RedisServer::start();
    let (a, b) = (hub_on(&server).await, hub_on(&server).await);
    let mut publisher = Client::authed(&a, &publisher_token("acme")).await;
    let mut sub = Client::authed(&b, &user_token("u", "acme")).await;
    let epoch = sub.subscribe(json!({"channel": "pipeline"})).await["epoch"].clone();
    publish(&mut publisher).await;
    assert_eq!(offsets(&mut sub, 1).await, [1]);

    server.kill();
    let answer = publisher.publish(event("PIPELINE", "p-1"), None).await;
    assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("error"), Some("unavailable")), "{answer}");
    let http = reqwest::Client::new()
        .post(a.http("/api/v1/publish"))
        .bearer_auth(publisher_token("acme"))
        .json(&json!({"event": event("PIPELINE", "p-1")}))
        .send()
        .await
        .unwrap();
    assert_eq!(http.status().as_u16(), 503);
    wait_ready(&a, 503).await;

    // Back without its data: a new epoch. The live subscriber is closed (1012) so it
    // reconnects, and its `since` is refused: the SDK surfaces `Resync`.
    server.restart();
    wait_ready(&a, 200).await;
    assert_eq!(sub.closed().await, Some(1012));
    let mut again = Client::authed(&b, &user_token("u", "acme")).await;
    let subscribed = again.subscribe(json!({"channel": "pipeline", "since": {"epoch": epoch, "offset": 1}})).await;
    assert_eq!(subscribed["recovered"], false);
    assert_ne!(subscribed["epoch"], epoch);
    publish(&mut publisher).await;
    assert_eq!(offsets(&mut again, 1).await, [1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_aof_always_no_acknowledged_event_is_lost() {
    let mut server = RedisServer::start_with(true);
    let a = hub_on(&server).await;
    let mut publisher = Client::authed(&a, &publisher_token("acme")).await;
    let mut probe = Client::authed(&a, &user_token("u", "acme")).await;
    let epoch = probe.subscribe(json!({"channel": "pipeline"})).await["epoch"].clone();
    for _ in 0..20 {
        publish(&mut publisher).await;
    }
    server.restart(); // SIGKILL, then replay the AOF
    wait_ready(&a, 200).await;
    let b = hub_on(&server).await;
    let mut sub = Client::authed(&b, &user_token("u", "acme")).await;
    let subscribed = sub.subscribe(json!({"channel": "pipeline", "since": {"epoch": epoch, "offset": 0}})).await;
    assert_eq!((subscribed["recovered"].as_bool(), subscribed["replayed"].as_u64()), (Some(true), Some(20)));
    assert_eq!(offsets(&mut sub, 20).await, (1..=20).collect::<Vec<_>>());
}
