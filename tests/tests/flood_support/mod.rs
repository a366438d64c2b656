//! The victim of the flood scenarios: tenant B, one subscriber and one publisher sending a
//! paced stream, checked for completeness, order, duplicates and foreign events; plus small
//! helpers shared by `floods.rs` and `floods_long.rs`.
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use std::net::SocketAddr;

use crate::common::{Client, TestHub, claims, publisher_token, token};

/// Connects to `addr` and authenticates with an `authenticate` frame.
pub async fn authed(addr: SocketAddr, token: &str) -> Client {
    let mut client = Client::connect_addr(addr).await;
    client.send(json!({"type": "authenticate", "token": token})).await;
    let answer = client.recv().await;
    assert_eq!(answer["type"], "authenticated", "{answer}");
    client
}

/// A token of tenant A (the attacker) that may publish and subscribe anywhere in A.
pub fn attacker_token(sub: &str) -> String {
    token(&claims(sub, "tenant-a", json!({"publish": ["*"], "subscribe": ["*"]})))
}

/// A valid envelope of tenant `tenant` ("a" or "b"): id `<tenant>-<seq>`, `data.seq`.
pub fn tenant_event(tenant: &str, seq: u64, subject: &str) -> Value {
    json!({
        "id": format!("{tenant}-{seq}"),
        "event_type": "flood_test",
        "category": "PIPELINE",
        "priority": "MEDIUM",
        "timestamp": "2026-11-22T10:00:00.000Z",
        "source": format!("tenant-{tenant}"),
        "subject": subject,
        "data": {"seq": seq},
    })
}

/// A `ping` round trip: the connection is open and has handled everything before it.
/// Returns the frames that arrived before the `pong`.
pub async fn ping(client: &mut Client) -> Vec<Value> {
    let id = client.request(json!({"type": "ping"})).await;
    let (pong, skipped) = client.recv_type_reply(id).await;
    assert_eq!(pong["type"], "pong", "{pong}");
    skipped
}

/// What the victim saw: how many events it published, and for each delivery the time from
/// sending the publish frame to receiving the event frame.
#[derive(Debug)]
pub struct VictimReport {
    pub published: u64,
    pub latencies: Vec<Duration>,
}

/// Tenant B: a subscriber on `pipeline` (every subject) and a publisher sending events 1, 2,
/// 3… to it, one per `period`, until [`Victim::finish`] (and at least `min_events`).
pub struct Victim {
    stop: watch::Sender<bool>,
    publisher: JoinHandle<u64>,
    subscriber: JoinHandle<Vec<(Value, Instant)>>,
    target: watch::Sender<Option<u64>>,
    base: Instant,
}

impl Victim {
    /// Connections the victim holds (both from 127.0.0.1, like everyone's in these tests).
    pub const CONNECTIONS: usize = 2;

    /// A victim publishing one event every 10 ms, at least 30 in all. Returns once both
    /// connections are authenticated and the subscription is live.
    pub async fn start(hub: &TestHub) -> Self {
        Self::start_paced(hub.addr, Duration::from_millis(10), 30).await
    }

    /// A victim publishing one event every `period`, at least `min_events` in all.
    pub async fn start_paced(addr: SocketAddr, period: Duration, min_events: u64) -> Self {
        let mut subscriber = authed(addr, &token(&claims("b-viewer", "tenant-b", json!({})))).await;
        subscriber.subscribe(json!({"channel": "pipeline"})).await;
        let mut publisher = authed(addr, &publisher_token("tenant-b")).await;
        let base = Instant::now();
        let (stop, stop_rx) = watch::channel(false);
        let (target, mut target_rx) = watch::channel(None::<u64>);

        let publisher = tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut seq = 0;
            while !(*stop_rx.borrow() && seq >= min_events) {
                tick.tick().await;
                seq += 1;
                let mut event = tenant_event("b", seq, "b");
                event["data"]["sent_ns"] = json!(base.elapsed().as_nanos() as u64);
                let answer = publisher.publish(event, Some("pipeline")).await;
                assert_eq!(
                    (answer["type"].as_str(), answer["offset"].as_u64()),
                    (Some("published"), Some(seq)),
                    "the victim's own publishes are never refused: {answer}"
                );
            }
            seq
        });
        let subscriber = tokio::spawn(async move {
            let mut received = Vec::new();
            loop {
                if target_rx.borrow().is_some_and(|n| received.len() as u64 >= n) {
                    break;
                }
                tokio::select! {
                    changed = target_rx.changed() => changed.expect("victim alive"),
                    frame = subscriber.recv() => received.push((frame, Instant::now())),
                }
            }
            // Anything delivered after the stream (a duplicate, a foreign event) is queued
            // before the pong.
            let now = Instant::now();
            received.extend(ping(&mut subscriber).await.into_iter().map(|frame| (frame, now)));
            received
        });
        Self { stop, publisher, subscriber, target, base }
    }

    /// Stops the stream and checks what B received: events 1..=n of its own stream, in order,
    /// each once, with nothing else (nothing of tenant A's).
    pub async fn finish(self) -> VictimReport {
        self.stop.send_replace(true);
        let published = self.publisher.await.expect("victim publisher");
        self.target.send_replace(Some(published));
        let received = self.subscriber.await.expect("victim subscriber");
        let mut latencies = Vec::with_capacity(received.len());
        for (i, (frame, at)) in received.iter().enumerate() {
            let seq = i as u64 + 1;
            assert_eq!(frame["type"], "event", "B got only events of its stream: {frame}");
            assert_eq!(frame["event"]["source"], "tenant-b", "zero cross-tenant deliveries: {frame}");
            assert_eq!(frame["event"]["id"], format!("b-{seq}"), "every event, in order, once: {frame}");
            assert_eq!(frame["offset"].as_u64(), Some(seq), "{frame}");
            let sent = Duration::from_nanos(frame["event"]["data"]["sent_ns"].as_u64().expect("sent_ns"));
            latencies.push(at.duration_since(self.base).saturating_sub(sent));
        }
        assert_eq!(received.len() as u64, published, "B received all {published} events and nothing more");
        VictimReport { published, latencies }
    }
}
