//! Limits and misbehaving clients: subscriptions and connections per user, the WebSocket
//! publish rate, the Origin check, message size, bad UTF-8, binary frames and a barrage of
//! bad frames, which must not disturb anyone else.

mod common;

use common::raw::{self, RawClient};
use common::*;
use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// Subscribes; returns the answer (which may be an error).
async fn try_subscribe(client: &mut Client, channel: &str, subject: &str) -> Value {
    let id = client.request(json!({"type": "subscribe", "channel": channel, "subject": subject})).await;
    let answer = client.recv().await;
    assert_eq!(answer["reply_to"], id, "{answer}");
    answer
}

/// A `ping` round trip: proves the connection is open and has handled everything before it.
async fn ping(client: &mut Client) -> Vec<Value> {
    let id = client.request(json!({"type": "ping"})).await;
    let (pong, skipped) = client.recv_type_reply(id).await;
    assert_eq!(pong["type"], "pong", "{pong}");
    skipped
}

/// Opens `/ws` with `Origin: origin` (none when `None`); `Ok` after the upgrade, or the HTTP
/// status that refused it.
async fn upgrade_with_origin(hub: &TestHub, origin: Option<&str>) -> Result<(), u16> {
    let mut request = hub.ws_url().into_client_request().unwrap();
    if let Some(origin) = origin {
        request.headers_mut().insert("origin", origin.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => Ok(()),
        Err(WsError::Http(response)) => Err(response.status().as_u16()),
        Err(other) => panic!("unexpected connect error: {other}"),
    }
}

#[tokio::test]
async fn subscriptions_beyond_the_limit_are_refused_but_resubscribing_a_held_one_works() {
    let hub = spawn_hub(|c| c.max_subscriptions = 2).await;
    let mut client = Client::authed(&hub, &user_token("u", "acme")).await;
    assert_eq!(try_subscribe(&mut client, "pipeline", "").await["type"], "subscribed");
    assert_eq!(try_subscribe(&mut client, "pipeline", "p-1").await["type"], "subscribed");
    for (channel, subject) in [("security", ""), ("pipeline", "p-2")] {
        let answer = try_subscribe(&mut client, channel, subject).await;
        assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("error"), Some("too_many_subscriptions")));
    }
    // The same (channel, subject) again replaces the old one and does not count twice.
    assert_eq!(try_subscribe(&mut client, "pipeline", "p-1").await["type"], "subscribed");
    assert_eq!(try_subscribe(&mut client, "pipeline", "").await["type"], "subscribed");
    // Unsubscribing frees a place.
    let id = client.request(json!({"type": "unsubscribe", "channel": "pipeline", "subject": "p-1"})).await;
    assert_eq!(client.recv().await["reply_to"], id);
    assert_eq!(try_subscribe(&mut client, "security", "").await["type"], "subscribed");
}

#[tokio::test]
async fn a_connection_beyond_the_per_user_limit_is_closed_4429_and_others_are_unaffected() {
    let hub = spawn_hub(|c| c.max_connections_per_user = 2).await;
    let token = user_token("u-1", "acme");
    let mut first = Client::authed(&hub, &token).await;
    let mut second = Client::authed(&hub, &token).await;

    let mut third = Client::connect(&hub).await;
    third.send(json!({"type": "authenticate", "token": token})).await;
    assert_eq!(third.closed().await, Some(4429));
    let mut by_header = Client::connect_with_header(&hub, &token).await;
    assert_eq!(by_header.closed().await, Some(4429));
    drop((third, by_header));

    // Another user, and the same sub in another tenant, are other users.
    Client::authed(&hub, &user_token("u-2", "acme")).await;
    Client::authed(&hub, &user_token("u-1", "globex")).await;
    ping(&mut first).await;
    ping(&mut second).await;

    // Closing one frees its place once the hub has let the connection go.
    first.ws.close(None).await.unwrap();
    first.closed().await;
    // Every connection but `second` has ended (closed by either side, or dropped).
    let metrics = hub.hub.metrics();
    tokio::time::timeout(WAIT, async {
        while metrics.connections() > 1 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the closed connection is released");
    let mut again = Client::authed(&hub, &token).await;
    ping(&mut again).await;
}

#[tokio::test]
async fn websocket_publishes_over_the_rate_get_rate_limited_and_the_connection_stays_open() {
    let hub = spawn_hub(|c| c.publish_rate = 5).await;
    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;
    // Pipelined, so all six arrive within the same second's burst.
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(publisher.request(json!({"type": "publish", "event": event("PIPELINE", "p")})).await);
    }
    for (i, id) in ids.iter().enumerate() {
        let answer = publisher.recv().await;
        assert_eq!(answer["reply_to"], *id, "{answer}");
        if i < 5 {
            assert_eq!((answer["type"].as_str(), answer["offset"].as_u64()), (Some("published"), Some(i as u64 + 1)));
        } else {
            assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("error"), Some("rate_limited")));
        }
    }
    ping(&mut publisher).await;
    // Never a silent drop: the refused event was not stored.
    let subscribed = publisher.subscribe(json!({"channel": "pipeline", "history": 10})).await;
    assert_eq!((subscribed["offset"].as_u64(), subscribed["replayed"].as_u64()), (Some(5), Some(5)));
}

#[tokio::test]
async fn only_allowed_origins_may_upgrade_and_native_clients_without_origin_may() {
    let hub = spawn_hub(|c| c.allowed_origins = Some(vec!["https://ok.example".into()])).await;
    assert_eq!(upgrade_with_origin(&hub, Some("https://evil.example")).await, Err(403));
    assert_eq!(upgrade_with_origin(&hub, Some("null")).await, Err(403));
    assert_eq!(upgrade_with_origin(&hub, Some("https://ok.example.evil")).await, Err(403));
    assert_eq!(upgrade_with_origin(&hub, Some("http://ok.example")).await, Err(403));
    assert_eq!(upgrade_with_origin(&hub, None).await, Ok(()));
    assert_eq!(upgrade_with_origin(&hub, Some("https://ok.example")).await, Ok(()));

    let open = spawn_hub(|_| {}).await;
    assert_eq!(upgrade_with_origin(&open, Some("https://evil.example")).await, Ok(()), "unset = any origin");
}

#[tokio::test]
async fn a_message_over_max_message_bytes_closes_1009() {
    let hub = spawn_hub(|c| c.max_message_bytes = 1024).await;
    let mut client = Client::authed(&hub, &user_token("u", "acme")).await;
    // Just under the limit is fine (unknown fields are ignored).
    let mut frame = json!({"type": "ping", "id": 1, "pad": ""});
    let room = 1024 - frame.to_string().len();
    frame["pad"] = json!("x".repeat(room));
    client.send(frame).await;
    assert_eq!(client.recv().await, json!({"type": "pong", "reply_to": 1}));

    client.send_text(&format!(r#"{{"type":"ping","pad":"{}"}}"#, "x".repeat(2048))).await;
    assert_eq!(client.closed().await, Some(1009));
}

#[tokio::test]
async fn a_text_frame_with_invalid_utf8_closes_1007() {
    let hub = spawn_hub(|_| {}).await;
    let mut raw = RawClient::connect(hub.addr).await;
    raw.send_frame(0x1, b"{\"type\":\"ping\",\"x\":\"\xff\xfe\"}").await;
    let (code, _) = raw.read_until_close().await;
    assert_eq!(code, Some(1007));
}

#[tokio::test]
async fn a_binary_frame_is_a_bad_request_and_the_connection_stays_open() {
    let hub = spawn_hub(|_| {}).await;
    let mut client = Client::authed(&hub, &user_token("u", "acme")).await;
    client.ws.send(Message::binary(br#"{"type":"ping","id":8}"#.to_vec())).await.unwrap();
    let answer = client.recv().await;
    assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("error"), Some("bad_request")));
    assert!(answer.get("reply_to").is_none(), "a binary frame is never read for an id: {answer}");
    client.send(json!({"type": "ping", "id": 9})).await;
    assert_eq!(client.recv().await, json!({"type": "pong", "reply_to": 9}));
}

#[tokio::test]
async fn more_than_100_bad_frames_close_4500_without_disturbing_other_connections() {
    let hub = spawn_hub(|_| {}).await;
    let mut control = Client::authed(&hub, &user_token("control", "acme")).await;
    control.subscribe(json!({"channel": "pipeline"})).await;
    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;
    let mut bad = Client::authed(&hub, &user_token("bad", "acme")).await;

    let barrage = async {
        // Ids far from the ping's, which is matched by its reply_to.
        for i in 1000..1100 {
            match i % 4 {
                0 => bad.send_text("not json").await,
                1 => bad.send(json!({"type": "frobnicate", "id": i})).await,
                2 => bad.send(json!({"type": "publish", "id": i, "event": {"id": "x"}})).await,
                _ => bad.ws.send(Message::binary(vec![0u8; 16])).await.unwrap(),
            }
        }
        // Exactly 100 bad frames: still open, and every one was answered with an error.
        let errors = ping(&mut bad).await;
        assert_eq!(errors.len(), 100);
        assert!(errors.iter().all(|e| e["type"] == "error"), "{errors:?}");
        bad.send_text("not json").await;
        bad.closed().await
    };
    let publishing = async {
        let mut offsets = Vec::new();
        for _ in 0..40 {
            offsets.push(publisher.publish(event("PIPELINE", "p"), None).await["offset"].as_u64().unwrap());
        }
        offsets
    };
    let (code, offsets) = tokio::join!(barrage, publishing);
    assert_eq!(code, Some(4500));
    assert_eq!(offsets, (1..=40).collect::<Vec<u64>>());

    // Afterwards the hub still serves the others.
    assert_eq!(publisher.publish(event("PIPELINE", "p"), None).await["offset"], 41);
    for offset in 1..=41u64 {
        let frame = control.recv().await;
        assert_eq!((frame["type"].as_str(), frame["offset"].as_u64()), (Some("event"), Some(offset)), "{frame}");
    }
}

// The sliding 10 s window itself (a burst straddling any boundary) is unit-tested with explicit
// instants in hub/src/limits.rs (`bad_frames_are_counted_over_a_sliding_window`), not here with
// a 10 s sleep.

/// All tests run on 127.0.0.1, so every connection here comes from one address: this checks
/// the per-address counter with that one address. Other addresses having their own counts
/// (and IPv6 /64 grouping) is unit-tested in hub/src/limits.rs.
#[tokio::test]
async fn the_connection_beyond_the_per_ip_limit_gets_429_before_the_upgrade_and_a_closed_one_frees_its_place() {
    let hub = spawn_hub(|c| c.max_connections_per_ip = 3).await;
    // Three connections from 127.0.0.1: two users (the limit is per address, not per user)
    // and one that never authenticates (counted from the upgrade on).
    let mut first = Client::authed(&hub, &user_token("u-1", "acme")).await;
    let mut second = Client::authed(&hub, &user_token("u-2", "globex")).await;
    let mut unauthenticated = Client::connect(&hub).await;

    for _ in 0..5 {
        let (response, _) = raw::upgrade_request(hub.addr).await;
        assert_eq!(response.status, 429, "{}", response.head);
        assert!(response.head.contains("content-type: application/json"), "{}", response.head);
        assert!(!response.head.contains("upgrade: websocket"), "no upgrade: {}", response.head);
        let body: Value = serde_json::from_slice(&response.body).expect("JSON error body");
        assert_eq!(body["code"], "rate_limited", "{body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    }
    // The SDK-style client sees the same refusal as an HTTP error.
    assert_eq!(upgrade_with_origin(&hub, None).await, Err(429));
    // Plain HTTP requests from the address are not counted.
    let health = reqwest::get(hub.http("/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    let metrics = reqwest::get(hub.http("/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("herald_ip_limit_refused_total 6"), "{metrics}");

    // The connections that were in are untouched.
    ping(&mut first).await;
    ping(&mut second).await;
    let id = unauthenticated.request(json!({"type": "ping"})).await;
    let answer = unauthenticated.recv().await;
    assert_eq!(
        (answer["reply_to"].as_u64(), answer["code"].as_str()),
        (Some(u64::from(id)), Some("not_authenticated"))
    );

    // Closing one frees exactly one place (the refusals above counted nothing).
    first.ws.close(None).await.unwrap();
    first.closed().await;
    let gauge = hub.hub.metrics();
    tokio::time::timeout(WAIT, async {
        while gauge.connections() > 2 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the closed connection is released");
    let mut again = Client::authed(&hub, &user_token("u-1", "acme")).await;
    ping(&mut again).await;
    assert_eq!(raw::upgrade_request(hub.addr).await.0.status, 429, "full again");
    ping(&mut second).await;
}
