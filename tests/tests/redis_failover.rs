//! Scale-out on Redis: a hub dies mid-stream and its clients carry on through another hub
//! of the same Redis, without a gap, a duplicate or a resync (the stream, the offsets and the
//! epoch live in Redis, not in the hub).

#![cfg(feature = "redis")]

mod common;
#[path = "../../hub/src/broker/test_redis.rs"]
mod test_redis;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt;
use herald_event_types::Envelope;
use herald_hub::RunningHub;
use herald_hub::auth::mint_hs256;
use herald_subscriber::proto::Backoff;
use herald_subscriber::{Client, SubscriptionEvent};
use serde_json::json;
use test_redis::RedisServer;
use tokio::net::{TcpListener, TcpStream};

use common::SECRET;
const WAIT: Duration = Duration::from_secs(20);

async fn hub(redis: &RedisServer) -> RunningHub {
    common::hub(|c| c.broker = Some(redis.url().as_str().into())).await
}

/// A load balancer in miniature: each connection goes to the first hub that accepts it.
async fn balancer(hubs: Vec<SocketAddr>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let hubs = hubs.clone();
            tokio::spawn(async move {
                for hub in hubs {
                    if let Ok(mut outbound) = TcpStream::connect(hub).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        return;
                    }
                }
            });
        }
    });
    addr
}

fn envelope(n: u64) -> Envelope {
    Envelope::from_json(
        &json!({"id": format!("f-{n}"), "event_type": "pipeline_deleted", "category": "PIPELINE", "priority": "LOW",
                "timestamp": "2026-11-22T10:00:00Z", "source": "failover", "subject": "p-1", "data": {"pipelineId": "p-1"}})
        .to_string(),
    )
    .unwrap()
}

async fn next_offset(sub: &mut herald_subscriber::Subscription) -> u64 {
    match tokio::time::timeout(WAIT, sub.next()).await.expect("an event in time").expect("stream open") {
        SubscriptionEvent::Event(delivery) => delivery.offset,
        other => panic!("expected an event, not {other:?} (a resync would mean a gap)"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_killed_mid_stream_costs_its_clients_nothing() {
    let redis = RedisServer::start();
    let (first, second) = (hub(&redis).await, hub(&redis).await);
    let entry = balancer(vec![first.local_addr(), second.local_addr()]).await;
    let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600;
    let token = mint_hs256(SECRET, &json!({"sub": "u", "org": "acme", "exp": exp}));
    let backoff = Backoff { base: Duration::from_millis(20), cap: Duration::from_millis(200), custom: None };
    let client = Client::builder(format!("ws://{entry}/ws")).token(token).backoff(backoff).connect();
    let mut sub = client.subscribe("pipeline".parse().unwrap(), "".parse().unwrap(), None);
    client.connected().await.unwrap();

    // Publish through the second hub; the client is on the first (the balancer's choice).
    let publisher = second.handle();
    let mut n = 0;
    let mut last = loop {
        n += 1;
        publisher.publish("acme", None, &envelope(n)).await.unwrap();
        if let Ok(Some(SubscriptionEvent::Event(d))) =
            tokio::time::timeout(Duration::from_millis(100), sub.next()).await
        {
            break d.offset;
        }
    };
    for _ in 0..10 {
        n += 1;
        publisher.publish("acme", None, &envelope(n)).await.unwrap();
    }
    while last < n {
        let offset = next_offset(&mut sub).await;
        assert_eq!(offset, last + 1);
        last = offset;
    }

    // The first hub dies; the client is pushed back to the balancer, which now picks the second.
    first.shutdown().await;
    for _ in 0..20 {
        n += 1;
        publisher.publish("acme", None, &envelope(n)).await.unwrap();
    }
    while last < n {
        let offset = next_offset(&mut sub).await;
        assert_eq!(offset, last + 1, "every event once, in order, across the failover");
        last = offset;
    }
    client.close();
    second.shutdown().await;
}
