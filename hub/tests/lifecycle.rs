//! Connection lifecycle: heartbeats, slow consumers, shutdown.

mod common;

use std::time::Duration;

use common::raw::RawClient;
use common::*;
use serde_json::json;

#[tokio::test]
async fn a_client_that_never_answers_pings_is_closed_with_4408() {
    let hub = spawn_hub(|c| {
        c.heartbeat = Duration::from_millis(50);
        c.pong_timeout = Duration::from_millis(100);
    })
    .await;
    let mut raw = RawClient::connect(hub.addr).await;
    raw.send_text(&json!({"type": "authenticate", "token": user_token("u", "acme")}).to_string()).await;
    // Read everything, answer nothing: the hub pings, gives up, closes.
    let (code, seen) = raw.read_until_close().await;
    assert_eq!(code, Some(4408));
    assert!(seen.iter().any(|f| f.opcode == 0x9), "the hub pinged first");
}

#[tokio::test]
async fn a_client_that_answers_pings_stays_connected() {
    let hub = spawn_hub(|c| {
        c.heartbeat = Duration::from_millis(20);
        c.pong_timeout = Duration::from_millis(40);
    })
    .await;
    let mut client = Client::authed(&hub, &user_token("u", "acme")).await;
    // tungstenite answers pings while reading; read through many heartbeat periods.
    let mut pings = 0;
    use futures_util::StreamExt;
    while pings < 10 {
        match tokio::time::timeout(WAIT, client.ws.next()).await.expect("frames") {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Ping(_))) => pings += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    let id = client.request(json!({"type": "ping"})).await;
    assert_eq!(client.recv().await["reply_to"], id);
}

#[tokio::test]
async fn app_level_ping_is_answered_with_pong() {
    let hub = spawn_hub(|_| {}).await;
    let mut client = Client::authed(&hub, &user_token("u", "acme")).await;
    client.send(json!({"type": "ping"})).await;
    let pong = client.recv().await;
    assert_eq!(pong["type"], "pong");
    assert!(pong.get("reply_to").is_none(), "no id, no reply_to");
    let id = client.request(json!({"type": "ping"})).await;
    assert_eq!(client.recv().await, json!({"type": "pong", "reply_to": id}));
}

#[tokio::test]
async fn a_slow_consumer_is_closed_with_4409_and_never_slows_the_others() {
    // The smallest queue the default 64 KiB event limit allows (4 events' worth).
    let hub = spawn_hub(|c| c.client_queue_bytes = 256 * 1024).await;
    let mut slow = Client::authed(&hub, &user_token("slow", "acme")).await;
    slow.subscribe(json!({"channel": "pipeline"})).await;
    let mut fast = Client::authed(&hub, &user_token("fast", "acme")).await;
    fast.subscribe(json!({"channel": "pipeline"})).await;

    // `slow` reads nothing while ~24 MB flows: socket buffers fill, then its queue overflows.
    // `fast` reads concurrently and must get every event, in order.
    let total = 400u64;
    let reader = tokio::spawn(async move {
        for offset in 1..=total {
            assert_eq!(fast.recv().await["offset"], offset);
        }
    });
    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;
    let padding = "x".repeat(60_000);
    for _ in 0..total {
        let mut e = event("PIPELINE", "p");
        e["data"]["padding"] = json!(padding);
        publisher.publish(e, None).await;
    }
    reader.await.unwrap();
    assert_eq!(slow.closed().await, Some(4409));
    let metrics = reqwest::get(hub.http("/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("herald_slow_consumer_closes_total 1"), "{metrics}");
}

#[tokio::test]
async fn shutdown_closes_every_connection_with_1001() {
    let hub = spawn_hub(|_| {}).await;
    let mut authed = Client::authed(&hub, &user_token("u", "acme")).await;
    authed.subscribe(json!({"channel": "pipeline"})).await;
    let mut anonymous = Client::connect(&hub).await;
    let shutdown = tokio::spawn(hub.hub.shutdown());
    assert_eq!(authed.closed().await, Some(1001));
    assert_eq!(anonymous.closed().await, Some(1001));
    shutdown.await.unwrap();
    assert!(tokio::net::TcpStream::connect(hub.addr).await.is_err(), "no longer accepting");
}

#[tokio::test]
async fn gauges_return_to_zero_after_clients_leave() {
    let hub = spawn_hub(|_| {}).await;
    for i in 0..20 {
        let mut client = Client::authed(&hub, &user_token(&format!("u{i}"), "acme")).await;
        client.subscribe(json!({"channel": "pipeline"})).await;
        client.subscribe(json!({"channel": "security", "subject": "s"})).await;
        if i % 2 == 0 {
            client.ws.close(None).await.unwrap();
        }
        drop(client);
    }
    // Closing is asynchronous: poll the gauges (bounded by WAIT), no fixed sleep.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (connections, subscriptions) = (hub.hub.metrics().connections(), hub.hub.metrics().subscriptions());
        if connections == 0 && subscriptions == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "connections {connections}, subscriptions {subscriptions}");
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_connection_that_never_sends_a_byte_is_dropped() {
    let hub = spawn_hub(|c| c.header_read_timeout = Duration::from_millis(200)).await;
    let mut silent = tokio::net::TcpStream::connect(hub.addr).await.unwrap();
    let mut buf = [0u8; 1];
    use tokio::io::AsyncReadExt;
    let read = tokio::time::timeout(WAIT, silent.read(&mut buf)).await.expect("the hub closes it");
    assert!(matches!(read, Ok(0) | Err(_)), "closed without a response: {read:?}");
}

#[tokio::test]
async fn shutdown_does_not_wait_for_connections_that_never_sent_a_byte() {
    // Browsers open connections ahead of use; a shutdown must not wait out their first byte.
    let hub = spawn_hub(|c| c.header_read_timeout = Duration::from_secs(3600)).await;
    let mut silent = tokio::net::TcpStream::connect(hub.addr).await.unwrap();
    let shutdown = tokio::spawn(hub.hub.shutdown());
    let mut buf = [0u8; 1];
    use tokio::io::AsyncReadExt;
    let read = tokio::time::timeout(WAIT, silent.read(&mut buf)).await.expect("the hub closes it on shutdown");
    assert!(matches!(read, Ok(0) | Err(_)), "closed without a response: {read:?}");
    shutdown.await.unwrap();
}
