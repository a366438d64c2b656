//! Regression tests for the holes a hostile client could use on a default hub (issue 13), each
//! named after its attack: state created by names the client chooses, sockets pinned by a
//! peer that never reads, chatter before authentication, a narrower token refresh that kept
//! old subscriptions, an `exp` that overflowed, broker errors leaked to clients.

mod common;

use std::time::Duration;

use common::raw::RawClient;
use common::{Client, WAIT, claims, event, spawn_hub, token, user_token};
use serde_json::json;

/// The value of an unlabelled metric in the hub's Prometheus text.
fn metric(hub: &common::TestHub, name: &str) -> f64 {
    let text = hub.hub.metrics().render();
    text.lines()
        .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("metric {name} not exported"))
}

/// Polls `condition` until it holds; panics after [`WAIT`].
async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !condition() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn unsubscribe_flood_of_unknown_names_creates_no_state() {
    let hub = spawn_hub(|_| {}).await;
    let mut client = Client::authed(&hub, &user_token("u-1", "acme")).await;
    // 50,000 distinct valid channel names the hub does not serve, pipelined in chunks (a
    // client that sent them all before reading would overflow its own queue: 4409).
    const FLOOD: u32 = 50_000;
    for chunk in (0..FLOOD).collect::<Vec<_>>().chunks(1000) {
        for n in chunk {
            client.send(json!({"type": "unsubscribe", "id": n, "channel": format!("x{n}")})).await;
        }
        for n in chunk {
            let answer = client.recv().await;
            assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("error"), Some("channel_not_found")));
            assert_eq!(answer["reply_to"], *n);
        }
    }
    // A configured channel in a tenant with no subscriptions: answered, and still nothing kept.
    let id = client.request(json!({"type": "unsubscribe", "channel": "pipeline", "subject": "p-1"})).await;
    let answer = client.recv().await;
    assert_eq!((answer["type"].as_str(), answer["reply_to"].as_u64()), (Some("unsubscribed"), Some(u64::from(id))));
    assert_eq!(metric(&hub, "herald_channel_slots"), 0.0, "no slot for any name a client sent");
    // A real subscription makes exactly one.
    client.subscribe(json!({"channel": "pipeline"})).await;
    assert_eq!(metric(&hub, "herald_channel_slots"), 1.0);
}

#[tokio::test]
async fn a_peer_that_never_reads_is_dropped_and_its_socket_closed() {
    let hub = spawn_hub(|config| config.write_timeout = Duration::from_millis(300)).await;
    let mut sloth = RawClient::connect_small_window(hub.addr, 4096).await;
    sloth.send_text(&json!({"type": "authenticate", "token": user_token("sloth", "acme")}).to_string()).await;
    sloth.send_text(&json!({"type": "subscribe", "channel": "pipeline"}).to_string()).await;
    eventually("the sloth is subscribed", || hub.hub.metrics().subscriptions() == 1).await;

    // Publish 8 KB events until the hub gives up writing to the sloth, which reads nothing.
    let handle = hub.hub.handle();
    let mut big = event("PIPELINE", "p-1");
    big["data"] = json!({"blob": "x".repeat(8 * 1024)});
    let deadline = tokio::time::Instant::now() + WAIT;
    while metric(&hub, "herald_write_timeouts_total") < 1.0 {
        assert!(tokio::time::Instant::now() < deadline, "the hub never gave up the stalled socket");
        for _ in 0..16 {
            let mut next = big.clone();
            next["id"] = json!(format!("big-{}", rand_id()));
            let envelope = herald_event_types::Envelope::from_json(&next.to_string()).unwrap();
            handle.publish("acme", None, &envelope).await.expect("publish");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The hub closed its socket: the sloth, reading at last, reaches the end of the stream,
    // and nothing of the connection is counted any more.
    assert!(sloth.drains_to_eof(WAIT).await, "the hub's side of the socket is still open");
    eventually("the connection gauge is back to 0", || hub.hub.metrics().connections() == 0).await;
    assert_eq!(hub.hub.metrics().subscriptions(), 0);
}

fn rand_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

#[tokio::test]
async fn chatter_before_authentication_is_capped_then_closed_with_4500() {
    let hub = spawn_hub(|_| {}).await;
    let mut client = Client::connect(&hub).await;
    for id in 0..50 {
        client.send(json!({"type": "ping", "id": id})).await;
    }
    let mut answered = 0;
    let code = loop {
        match tokio::time::timeout(WAIT, futures_util::StreamExt::next(&mut client.ws)).await.expect("in time") {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) => {
                assert!(text.contains("not_authenticated"), "{text}");
                answered += 1;
            }
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            other => panic!("expected frames then a close, got {other:?}"),
        }
    };
    assert_eq!(code, Some(4500));
    assert_eq!(answered, 8, "at most 8 answers before authentication");
}

#[tokio::test]
async fn a_refresh_with_narrower_rights_ends_the_connection_with_4503() {
    let hub = spawn_hub(|_| {}).await;
    let wide = token(&claims("u-1", "acme", json!({"subscribe": ["pipeline", "security"]})));
    let narrow = token(&claims("u-1", "acme", json!({"subscribe": ["security"]})));
    let mut client = Client::authed(&hub, &wide).await;
    client.subscribe(json!({"channel": "pipeline"})).await;
    client.subscribe(json!({"channel": "security"})).await;

    // The same rights again: refreshed, subscriptions kept.
    let id = client.request(json!({"type": "authenticate", "token": wide})).await;
    assert_eq!(client.recv().await["type"], "authenticated");
    let _ = id;

    let id = client.request(json!({"type": "authenticate", "token": narrow})).await;
    let answer = client.recv().await;
    assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("error"), Some("forbidden")), "{answer}");
    assert_eq!(answer["reply_to"], id);
    assert!(answer["message"].as_str().unwrap().contains("pipeline"), "{answer}");
    assert_eq!(client.closed().await, Some(4503));
    eventually("the subscriptions are gone", || hub.hub.metrics().subscriptions() == 0).await;
}

#[tokio::test]
async fn a_token_expiring_in_the_year_292_billion_saturates_instead_of_overflowing() {
    let hub = spawn_hub(|_| {}).await;
    let forever = token(&json!({"sub": "u-1", "org": "acme", "exp": i64::MAX}));
    let mut client = Client::connect(&hub).await;
    client.send(json!({"type": "authenticate", "token": forever})).await;
    let answer = client.recv().await;
    assert_eq!(answer["type"], "authenticated", "{answer}");
    assert_eq!(answer["expires_at"], "9999-12-31T23:59:59.999Z");
    // The connection is alive, not expired at once.
    let id = client.request(json!({"type": "ping"})).await;
    let pong = client.recv().await;
    assert_eq!((pong["type"].as_str(), pong["reply_to"].as_u64()), (Some("pong"), Some(u64::from(id))));
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn broker_error_text_never_reaches_a_client() {
    // Nothing listens on port 1: every broker request fails with a connection error.
    let hub = spawn_hub(|config| config.broker = Some("redis://127.0.0.1:1".into())).await;
    let mut client = Client::authed(&hub, &user_token("u-1", "acme")).await;
    let id = client.request(json!({"type": "subscribe", "channel": "pipeline"})).await;
    let answer = client.recv().await;
    assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("error"), Some("unavailable")), "{answer}");
    assert_eq!(answer["reply_to"], id);
    let message = answer["message"].as_str().unwrap().to_lowercase();
    for leak in ["redis", "refused", "127.0.0.1", "os error", "pub/sub"] {
        assert!(!message.contains(leak), "broker detail {leak:?} leaked: {message}");
    }
}

#[tokio::test]
async fn websocket_token_guessing_blocks_the_address_with_429() {
    let hub = spawn_hub(|config| config.max_auth_failures_per_ip = 2).await;
    for guess in ["not-a-jwt", "still.not.valid"] {
        let mut client = Client::connect(&hub).await;
        client.send(json!({"type": "authenticate", "token": guess})).await;
        assert_eq!(client.recv().await["type"], "auth_error");
        assert_eq!(client.closed().await, Some(4401));
    }
    // The address is blocked for the rest of the window: no upgrade, whatever the token.
    let (response, _) = common::raw::upgrade_request(hub.addr).await;
    assert_eq!(response.status, 429, "{}", String::from_utf8_lossy(&response.body));
    assert!(String::from_utf8_lossy(&response.body).contains("rate_limited"));
}

#[tokio::test]
async fn an_event_just_over_the_size_cap_gets_too_large_over_websocket_with_default_limits() {
    let hub = spawn_hub(|_| {}).await;
    let mut publisher = Client::authed(&hub, &common::publisher_token("acme")).await;
    // Serialised, this envelope is a few hundred bytes over the 64 KiB event cap, and its
    // publish frame is over 64 KiB: the frame limit must not close the connection first.
    let mut big = event("PIPELINE", "p-1");
    big["data"] = json!({"blob": "x".repeat(65_536)});
    let answer = publisher.publish(big, None).await;
    assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("error"), Some("too_large")), "{answer}");
    // Still connected: the next publish is answered.
    let answer = publisher.publish(event("PIPELINE", "p-1"), None).await;
    assert_eq!(answer["type"], "published", "{answer}");
}
