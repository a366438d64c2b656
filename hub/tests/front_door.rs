//! The HTTP front door and the per-event size cap, attacked with real clients: an event big
//! enough to knock out a channel's subscribers (on every publish path), a bad token with a
//! large body that is never sent, requests held open past `max_http_in_flight` over HTTP/1
//! and HTTP/2, and broker error text leaking to clients.

mod common;

use std::net::SocketAddr;

use axum::body::{Body, Bytes};
use common::*;
use herald_event_types::{Envelope, ErrorCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `POST /api/v1/publish` with `body` and a bearer token; the status and the JSON body.
async fn publish(hub: &TestHub, token: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(hub.http("/api/v1/publish"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("publish request");
    (response.status().as_u16(), response.json().await.expect("JSON body"))
}

/// Asserts an error answer: `status` and `code`; returns the message.
#[track_caller]
fn assert_error((status, body): &(u16, Value), expected_status: u16, code: &str) -> String {
    assert_eq!(*status, expected_status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    body["message"].as_str().expect("a message").to_owned()
}

/// A valid event whose `data` carries `padding` bytes.
fn padded_event(padding: usize) -> Value {
    let mut event = event("PIPELINE", "p-1");
    event["data"]["padding"] = json!("x".repeat(padding));
    event
}

/// The status of a raw HTTP/1.1 response on `stream`, read within [`WAIT`]: the head, then
/// the body by `content-length`.
async fn read_response(stream: &mut TcpStream) -> (u16, String) {
    let read = async {
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(stream.read_u8().await.expect("response head"));
        }
        let head = String::from_utf8_lossy(&head).to_lowercase();
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status code");
        let length = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        stream.read_exact(&mut body).await.expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    };
    tokio::time::timeout(WAIT, read).await.expect("a response without the body having been sent")
}

/// Opens a connection and sends `head` (a request head, without its body).
async fn send_head(addr: SocketAddr, head: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("tcp connect");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

fn publish_head(addr: SocketAddr, token: &str, length: usize, extra: &str) -> String {
    format!(
        "POST /api/v1/publish HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\n{extra}\r\n"
    )
}

#[tokio::test]
async fn an_oversize_http_event_gets_413_too_large_and_subscribers_keep_receiving() {
    let hub = spawn_hub(|_| {}).await;
    let mut subscriber = Client::authed(&hub, &user_token("u", "acme")).await;
    subscriber.subscribe(json!({"channel": "pipeline"})).await;
    let token = publisher_token("acme");

    // Near the 1 MiB body limit: two of these would overflow every subscriber's queue (4409).
    let huge = padded_event(900_000);
    let message = assert_error(&publish(&hub, &token, &json!({"event": huge})).await, 413, "too_large");
    assert!(message.contains("max_event_bytes"), "{message}");
    // Just over the 64 KiB default, alone and inside a batch (which is refused whole).
    let over = padded_event(65_536);
    assert_error(&publish(&hub, &token, &json!({"event": over})).await, 413, "too_large");
    let batch = json!({"events": [event("PIPELINE", "p-1"), padded_event(70_000)]});
    let message = assert_error(&publish(&hub, &token, &batch).await, 413, "too_large");
    assert!(message.starts_with("events[1]: "), "{message}");

    // Nothing was stored, and the subscriber is still connected and receiving.
    let fits = padded_event(60_000);
    let (status, body) = publish(&hub, &token, &json!({"event": fits})).await;
    assert_eq!((status, body["results"][0]["offset"].as_u64()), (200, Some(1)), "{body}");
    let frame = subscriber.recv().await;
    assert_eq!((frame["type"].as_str(), frame["offset"].as_u64()), (Some("event"), Some(1)));
    let metrics = reqwest::get(hub.http("/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("herald_slow_consumer_closes_total 0"), "{metrics}");
}

#[tokio::test]
async fn an_oversize_websocket_publish_gets_too_large_and_the_connection_stays_open() {
    // Messages may be larger than events here, so the event cap is what refuses it.
    let hub = spawn_hub(|c| c.max_message_bytes = 512 * 1024).await;
    let mut subscriber = Client::authed(&hub, &user_token("u", "acme")).await;
    subscriber.subscribe(json!({"channel": "pipeline"})).await;
    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;

    let id = publisher.request(json!({"type": "publish", "event": padded_event(300_000)})).await;
    let (answer, _) = publisher.recv_type_reply(id).await;
    assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("error"), Some("too_large")), "{answer}");

    let published = publisher.publish(event("PIPELINE", "p-1"), None).await;
    assert_eq!((published["type"].as_str(), published["offset"].as_u64()), (Some("published"), Some(1)));
    let frame = subscriber.recv().await;
    assert_eq!((frame["type"].as_str(), frame["offset"].as_u64()), (Some("event"), Some(1)));
}

#[tokio::test]
async fn an_oversize_in_process_publish_is_refused_too_large() {
    let hub = spawn_hub(|c| c.max_event_bytes = 4096).await;
    let handle = hub.hub.handle();
    let big = Envelope::from_json(&padded_event(5000).to_string()).unwrap();
    let refused = handle.publish("acme", None, &big).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::TooLarge, "{refused}");
    let small = Envelope::from_json(&event("PIPELINE", "p-1").to_string()).unwrap();
    assert_eq!(handle.publish("acme", None, &small).await.unwrap().offset, 1);
}

#[tokio::test]
async fn a_queue_smaller_than_four_events_is_refused_at_startup() {
    let mut config = herald_hub::Config::default();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.client_queue_bytes = 64 * 1024;
    let error = herald_hub::Hub::builder().config(config).jwt_secret(SECRET.to_vec()).spawn().await.unwrap_err();
    let text = error.to_string();
    assert!(text.contains("HERALD_CLIENT_QUEUE_BYTES") && text.contains("HERALD_MAX_EVENT_BYTES"), "{text}");
}

#[tokio::test]
async fn a_bad_token_gets_401_before_the_body_is_sent() {
    let hub = spawn_hub(|_| {}).await;
    // Headers announcing a 1 MB body that never comes: the answer must not wait for it.
    let mut stream = send_head(hub.addr, &publish_head(hub.addr, "not-a-token", 1_000_000, "")).await;
    let (status, body) = read_response(&mut stream).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("invalid_token"), "{body}");

    let head = format!("POST /api/v1/publish HTTP/1.1\r\nHost: {}\r\nContent-Length: 1000000\r\n\r\n", hub.addr);
    let (status, body) = read_response(&mut send_head(hub.addr, &head).await).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("not_authenticated"), "{body}");

    // With `Expect: 100-continue` the client is told no before it sends anything.
    let head = publish_head(hub.addr, "not-a-token", 1_000_000, "Expect: 100-continue\r\n");
    let (status, _) = read_response(&mut send_head(hub.addr, &head).await).await;
    assert_eq!(status, 401);

    // A good token with a declared length over the body limit is refused without reading.
    let head = publish_head(hub.addr, &publisher_token("acme"), 2 << 20, "");
    let (status, body) = read_response(&mut send_head(hub.addr, &head).await).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("too_large"), "{body}");
}

/// Polls `probe` until it answers `status` (a request must be answered at all), within [`WAIT`].
async fn until_status<F: std::future::Future<Output = u16>>(what: &str, status: u16, mut probe: impl FnMut() -> F) {
    tokio::time::timeout(WAIT, async {
        while probe().await != status {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what}: no {status} in time"));
}

#[tokio::test]
async fn requests_held_open_past_max_http_in_flight_get_503_over_http1() {
    let hub = spawn_hub(|c| c.max_http_in_flight = 2).await;
    let token = publisher_token("acme");
    // Two authenticated publishes whose bodies are still on the way hold both places.
    let body = json!({"event": event("PIPELINE", "p-1")}).to_string();
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(send_head(hub.addr, &publish_head(hub.addr, &token, body.len(), "")).await);
    }
    let client = reqwest::Client::new();
    let readyz_url = hub.http("/readyz");
    let readyz = || {
        let request = client.get(&readyz_url);
        async move { request.send().await.expect("readyz").status().as_u16() }
    };
    until_status("a third request while two are held", 503, readyz).await;
    let response = client.get(hub.http("/readyz")).send().await.unwrap();
    assert_eq!(response.headers()["retry-after"], "1");
    let refused: Value = response.json().await.unwrap();
    assert_eq!(refused["code"], "unavailable", "{refused}");
    // Liveness is never refused for being busy.
    assert_eq!(client.get(hub.http("/healthz")).send().await.unwrap().status(), 200);

    // The held requests complete once their bodies arrive, and the places free up.
    for stream in &mut held {
        stream.write_all(body.as_bytes()).await.unwrap();
        let (status, answer) = read_response(stream).await;
        assert_eq!(status, 200, "{answer}");
    }
    until_status("a request after the held ones finished", 200, readyz).await;
    let metrics = client.get(hub.http("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(!metrics.contains("herald_http_in_flight_refused_total 0\n"), "{metrics}");
}

#[tokio::test]
async fn streams_held_open_past_max_http_in_flight_get_503_over_http2() {
    let hub = spawn_hub(|c| c.max_http_in_flight = 2).await;
    let token = publisher_token("acme");
    let tcp = TcpStream::connect(hub.addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp)).await.expect("h2 handshake");
    tokio::spawn(connection);
    let url = |path: &str| format!("http://{}{path}", hub.addr);

    // Two streams on one connection, each with a body that waits for its signal.
    let body = json!({"event": event("PIPELINE", "p-1")}).to_string();
    let mut releases = Vec::new();
    let mut answers = Vec::new();
    for _ in 0..2 {
        let (release, wait) = tokio::sync::oneshot::channel::<()>();
        let chunk = body.clone();
        let stream = futures_util::stream::once(async move {
            let _ = wait.await;
            Ok::<_, std::io::Error>(Bytes::from(chunk))
        });
        let request = hyper::Request::post(url("/api/v1/publish"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from_stream(stream))
            .unwrap();
        answers.push(tokio::spawn(sender.send_request(request)));
        releases.push(release);
    }
    let probe = || {
        let mut sender = sender.clone();
        let request = hyper::Request::get(url("/readyz")).body(Body::empty()).unwrap();
        async move { sender.send_request(request).await.expect("h2 response").status().as_u16() }
    };
    until_status("a third stream while two are held", 503, probe).await;

    for release in releases {
        release.send(()).unwrap();
    }
    for answer in answers {
        let response = tokio::time::timeout(WAIT, answer).await.expect("in time").unwrap().expect("response");
        assert_eq!(response.status(), 200);
    }
    until_status("a stream after the held ones finished", 200, probe).await;
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn a_broker_failure_answers_503_without_the_brokers_error_text() {
    // Nothing listens on port 1: every broker call fails with a connection error.
    let hub = spawn_hub(|c| c.broker = Some("redis://127.0.0.1:1".into())).await;
    let token = publisher_token("acme");
    let answers = [
        publish(&hub, &token, &json!({"event": event("PIPELINE", "p-1")})).await,
        history_answer(&hub, &token, &[]).await,
        history_answer(&hub, &token, &[("since_offset", "0")]).await,
    ];
    for answer in &answers {
        let message = assert_error(answer, 503, "unavailable");
        assert_eq!(message, "the broker is unavailable; retry later");
    }
}

#[cfg(feature = "redis")]
async fn history_answer(hub: &TestHub, token: &str, query: &[(&str, &str)]) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(hub.http("/api/v1/channels/pipeline/history"))
        .query(query)
        .bearer_auth(token)
        .send()
        .await
        .expect("history request");
    (response.status().as_u16(), response.json().await.expect("JSON body"))
}
