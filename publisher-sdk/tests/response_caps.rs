//! The publisher against a hostile "hub" (a tiny server in the test, on 127.0.0.1:0) that
//! answers more than any hub would: an endless HTTP response body, an HTTP response that
//! announces a gigabyte, a WebSocket frame header announcing 8 MiB. The publisher reads at
//! most its limit, gives up on that connection, and retries with the same event id.

#![cfg(feature = "http")]

mod common;

use std::time::Duration;

use common::{WAIT, now_secs};
use futures_util::{SinkExt, StreamExt};
use herald_event_types::Timestamp;
use herald_event_types::events::PipelineDeleted;
use herald_publisher::{OutgoingEvent, PublishError, Published, Publisher};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

/// Far more than the publisher's 1 MiB response limit, plus any socket buffering.
const ENDLESS_GUARD: usize = 64 << 20;

async fn accept(listener: &TcpListener) -> TcpStream {
    tokio::time::timeout(WAIT, listener.accept()).await.expect("a connection in time").unwrap().0
}

/// Reads one HTTP request (headers, then `Content-Length` bytes) and returns its body.
async fn read_request(stream: &mut TcpStream) -> String {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let body_start = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = tokio::time::timeout(WAIT, stream.read(&mut chunk)).await.expect("a request in time").unwrap();
        assert!(n > 0, "connection closed mid-request");
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..body_start]).to_ascii_lowercase();
    assert!(head.starts_with("post /api/v1/publish "), "{head}");
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .map(|value| value.trim().parse().unwrap())
        .expect("a content-length");
    while buffer.len() < body_start + length {
        let n = tokio::time::timeout(WAIT, stream.read(&mut chunk)).await.expect("a body in time").unwrap();
        assert!(n > 0, "connection closed mid-body");
        buffer.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8(buffer[body_start..body_start + length].to_vec()).unwrap()
}

/// The event id of a one-event publish batch.
fn event_id(body: &str) -> String {
    let batch: serde_json::Value = serde_json::from_str(body).unwrap();
    batch["events"][0]["event"]["id"].as_str().unwrap().to_owned()
}

/// Answers a publish request as a real hub would: stored at offset 1.
async fn answer_published(stream: &mut TcpStream) {
    let body = r#"{"results":[{"channel":"pipeline","offset":1,"duplicate":false}]}"#;
    let response =
        format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}", body.len());
    stream.write_all(response.as_bytes()).await.unwrap();
}

/// A publisher over HTTP to `addr` whose first `publish().await` runs in a task.
fn publish_one(addr: std::net::SocketAddr) -> (Publisher, JoinHandle<Result<Published, PublishError>>) {
    let publisher = Publisher::builder(format!("http://{addr}"))
        .token("t")
        .source("tests")
        .backoff(Duration::from_millis(10), Duration::from_millis(100))
        .build()
        .unwrap();
    let event = OutgoingEvent::new(&PipelineDeleted { pipeline_id: "p-1".into() }).unwrap();
    let ack = tokio::spawn(publisher.publish_outgoing(event));
    (publisher, ack)
}

#[tokio::test]
async fn an_endless_publish_response_is_cut_at_the_limit_and_the_batch_retried() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (publisher, ack) = publish_one(listener.local_addr().unwrap());

    let mut first = accept(&listener).await;
    let id = event_id(&read_request(&mut first).await);
    first
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
        .await
        .unwrap();
    // Chunks of 64 KiB of whitespace for ever, until the publisher hangs up.
    let mut chunk = format!("{:x}\r\n", 64 << 10).into_bytes();
    chunk.extend(std::iter::repeat_n(b' ', 64 << 10));
    chunk.extend_from_slice(b"\r\n");
    let mut written = 0;
    while first.write_all(&chunk).await.is_ok() {
        written += chunk.len();
        assert!(written < ENDLESS_GUARD, "the publisher read {written} bytes of an endless response");
    }

    // The batch is sent again, with the same event id, and this answer is taken.
    let mut second = accept(&listener).await;
    assert_eq!(event_id(&read_request(&mut second).await), id, "the retry keeps the event id");
    answer_published(&mut second).await;
    let published = tokio::time::timeout(WAIT, ack).await.expect("acknowledged in time").unwrap().unwrap();
    assert_eq!((published.offset, published.duplicate), (1, false));
    assert!(publisher.stats().reconnects >= 1);
}

#[tokio::test]
async fn a_publish_response_announcing_a_gigabyte_is_refused_before_its_body() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (_publisher, ack) = publish_one(listener.local_addr().unwrap());

    let mut first = accept(&listener).await;
    let id = event_id(&read_request(&mut first).await);
    // The headers promise 1 GiB; no byte of it is ever sent.
    first
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1073741824\r\n\r\n")
        .await
        .unwrap();
    // The publisher hangs up without waiting for the body (its request timeout is 30 s).
    let mut rest = [0u8; 64];
    let read = tokio::time::timeout(WAIT, first.read(&mut rest)).await.expect("the publisher hung up in time");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");

    let mut second = accept(&listener).await;
    assert_eq!(event_id(&read_request(&mut second).await), id);
    answer_published(&mut second).await;
    let published = tokio::time::timeout(WAIT, ack).await.expect("acknowledged in time").unwrap().unwrap();
    assert_eq!(published.offset, 1);
}

/// Selects the `herald.v1` subprotocol, as a Herald hub does.
#[allow(clippy::result_large_err, reason = "the signature of tungstenite's handshake callback")]
fn herald_v1(_: &Request, mut response: Response) -> Result<Response, ErrorResponse> {
    response.headers_mut().insert("sec-websocket-protocol", "herald.v1".parse().unwrap());
    Ok(response)
}

/// Accepts a WebSocket publisher and answers its connection with `authenticated`.
async fn accept_ws(listener: &TcpListener) -> WebSocketStream<TcpStream> {
    let mut ws = tokio_tungstenite::accept_hdr_async(accept(listener).await, herald_v1).await.expect("handshake");
    let expires = Timestamp::from_unix_millis(now_secs() * 1000 + 3_600_000);
    let authenticated = format!(
        r#"{{"type":"authenticated","connection_id":"c-1","user":{{"id":"publisher","org":"acme"}},"heartbeat_ms":3600000,"expires_at":"{expires}"}}"#
    );
    ws.send(Message::text(authenticated)).await.unwrap();
    ws
}

#[tokio::test]
async fn a_websocket_frame_header_announcing_8_mib_drops_the_publisher_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let publisher = Publisher::builder(format!("ws://{}", listener.local_addr().unwrap()))
        .token("t")
        .source("tests")
        .backoff(Duration::from_millis(10), Duration::from_millis(100))
        .build()
        .unwrap();
    let mut first = accept_ws(&listener).await;
    // A FIN text frame header announcing 8 MiB (under tungstenite's default 16 MiB frame
    // limit, over the publisher's 1 MiB), then 16 bytes and nothing more.
    let announced: u64 = 8 << 20;
    let mut header = vec![0x81, 127];
    header.extend_from_slice(&announced.to_be_bytes());
    header.extend_from_slice(&[b' '; 16]);
    first.get_mut().write_all(&header).await.unwrap();

    // The publisher gives up on that connection at once and connects again.
    let next = tokio::time::timeout(WAIT, first.next()).await.expect("the publisher hung up in time");
    assert!(!matches!(next, Some(Ok(Message::Text(_)))), "{next:?}");
    let _second = accept_ws(&listener).await;
    assert!(publisher.stats().reconnects >= 1);
}
