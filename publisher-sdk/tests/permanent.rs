//! What stops the publisher for good, what does not, and what its errors say: a wrong URL
//! (HTTP 404/400/501 on the upgrade or the publish request) stops it with an error naming the
//! URL; an event the hub finds too big for a WebSocket message (close 1009) fails alone; a
//! token that runs out on the live connection without a provider reports `token_expired`;
//! every connection failure in the log names the URL tried.

#![cfg(feature = "http")]

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{ORG, Subscriber, WAIT, spawn_hub, token, token_for, unused_addr};
use herald_event_types::{EventCategory, Priority};
use herald_publisher::{AuthErrorCode, ErrorCode, OutgoingEvent, PublishError, Publisher};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A SYSTEM event whose data is `{"n": n, "pad": "xxx…"}` with `pad` bytes of padding.
fn event(n: u64, pad: usize) -> OutgoingEvent {
    let data = serde_json::json!({ "n": n, "pad": "x".repeat(pad) });
    let data = serde_json::value::to_raw_value(&data).unwrap();
    OutgoingEvent::from_parts("test_event", EventCategory::System, Priority::Medium, "stream".parse().unwrap(), data)
        .unwrap()
}

/// A server on 127.0.0.1:0 that is not a hub: it answers every request with `status` and a
/// plain-text body, and counts the requests it got.
async fn not_a_hub(status: &'static str) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                // Read the whole request (head and body) so closing never resets it.
                let mut request = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
                        let length: usize = head
                            .lines()
                            .find_map(|line| line.strip_prefix("content-length:"))
                            .map_or(0, |value| value.trim().parse().unwrap());
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&chunk[..n]),
                    }
                }
                let body = "nothing here\n";
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (addr, requests)
}

/// Publishes one event to `url` and expects the publisher to stop with `Endpoint` naming
/// `expected_url` and `status`, after exactly one request (no retry).
async fn stops_on_a_wrong_endpoint(url: String, expected_url: String, status: u16, requests: &AtomicUsize) {
    let publisher = Publisher::builder(url)
        .token(token())
        .source("tests")
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .build()
        .unwrap();
    let error =
        tokio::time::timeout(WAIT, publisher.publish_outgoing(event(1, 0))).await.expect("answered").unwrap_err();
    let PublishError::Endpoint { url, status: got, .. } = &error else { panic!("{error:?}") };
    assert_eq!((url.as_str(), *got), (expected_url.as_str(), status), "{error}");
    assert!(error.to_string().starts_with(&format!("{expected_url}: HTTP {status}")), "{error}");
    assert!(error.is_terminal());
    // Stopped for good: the task has exited, so no retry can follow.
    let stopped = tokio::time::timeout(WAIT, publisher.stopped()).await.expect("stopped");
    assert!(matches!(stopped, PublishError::Endpoint { .. }), "{stopped:?}");
    assert_eq!(requests.load(Ordering::SeqCst), 1, "{expected_url}: retried");
    assert!(matches!(publisher.try_publish_outgoing(event(2, 0)), Err(PublishError::Endpoint { .. })));
}

#[tokio::test]
async fn a_wrong_websocket_path_on_a_real_hub_stops_with_the_url() {
    let hub = spawn_hub(|_| {}).await;
    let addr = hub.local_addr();
    let publisher = Publisher::builder(format!("ws://{addr}/wrong")).token(token()).source("tests").build().unwrap();
    let error =
        tokio::time::timeout(WAIT, publisher.publish_outgoing(event(1, 0))).await.expect("answered").unwrap_err();
    let expected = format!("ws://{addr}/wrong");
    assert!(matches!(&error, PublishError::Endpoint { url, status: 404, .. } if *url == expected), "{error:?}");
    assert!(error.to_string().contains(&expected), "{error}");
    hub.shutdown().await;
}

#[tokio::test]
async fn a_404_on_the_websocket_upgrade_is_not_retried() {
    let (addr, requests) = not_a_hub("404 Not Found").await;
    let url = format!("ws://{addr}/ws");
    stops_on_a_wrong_endpoint(format!("ws://{addr}"), url, 404, &requests).await;
}

#[tokio::test]
async fn a_400_on_the_websocket_upgrade_is_not_retried() {
    let (addr, requests) = not_a_hub("400 Bad Request").await;
    let url = format!("ws://{addr}/ws");
    stops_on_a_wrong_endpoint(format!("ws://{addr}"), url, 400, &requests).await;
}

#[tokio::test]
async fn a_404_without_a_herald_body_on_publish_is_not_retried() {
    let (addr, requests) = not_a_hub("404 Not Found").await;
    let url = format!("http://{addr}/api/v1/publish");
    stops_on_a_wrong_endpoint(format!("http://{addr}"), url, 404, &requests).await;
}

#[tokio::test]
async fn a_400_or_501_without_a_herald_body_on_publish_is_not_retried() {
    for (status, code) in [("400 Bad Request", 400), ("501 Not Implemented", 501)] {
        let (addr, requests) = not_a_hub(status).await;
        let url = format!("http://{addr}/api/v1/publish");
        stops_on_a_wrong_endpoint(format!("http://{addr}"), url, code, &requests).await;
    }
}

/// A hub whose WebSocket message limit is below the publisher's `max_event_bytes` closes
/// with 1009 on the big event. Only that event fails (`too_large`); the ones before and
/// after it, pipelined on the same connection, are delivered once and in order.
#[tokio::test]
async fn a_1009_fails_only_the_event_that_was_too_big() {
    let hub = spawn_hub(|config| config.max_message_bytes = 4096).await;
    let addr = hub.local_addr();
    let mut subscriber = Subscriber::connect(addr, &["system"], None).await;
    let publisher = Publisher::builder(format!("ws://{addr}"))
        .token(token())
        .source("tests")
        .backoff(Duration::from_millis(10), Duration::from_millis(100))
        .build()
        .unwrap();
    for n in 0..5 {
        publisher.try_publish_outgoing(event(n, 10)).unwrap();
    }
    // Under the publisher's max_event_bytes (65,408), over the hub's 4096-byte messages.
    let big = publisher.publish_outgoing(event(5, 8000));
    for n in 6..11 {
        publisher.try_publish_outgoing(event(n, 10)).unwrap();
    }
    let error = tokio::time::timeout(WAIT, big).await.expect("answered").unwrap_err();
    let PublishError::Rejected { code: ErrorCode::TooLarge, message } = &error else { panic!("{error:?}") };
    assert!(message.contains("1009"), "{message}");
    tokio::time::timeout(WAIT, publisher.flush()).await.expect("flushed");
    let stats = publisher.stats();
    assert_eq!((stats.acked, stats.failed), (10, 1), "{stats:?}");
    let mut seen = Vec::new();
    for _ in 0..10 {
        seen.push(subscriber.next_event().await["event"]["data"]["n"].as_u64().unwrap());
    }
    assert_eq!(seen, [0, 1, 2, 3, 4, 6, 7, 8, 9, 10]);
    // The publisher goes on working.
    publisher.publish_outgoing(event(11, 10)).await.unwrap();
    publisher.close().await;
    drop(subscriber);
    hub.shutdown().await;
}

#[tokio::test]
async fn a_token_that_runs_out_without_a_provider_reports_token_expired() {
    let hub = spawn_hub(|config| {
        config.token_grace = Duration::ZERO;
        if let Some(auth) = config.auth.as_mut() {
            auth.leeway = Duration::ZERO;
        }
    })
    .await;
    let publisher = Publisher::builder(format!("ws://{}", hub.local_addr()))
        .token(token_for(ORG, 2))
        .source("tests")
        .build()
        .unwrap();
    publisher.publish_outgoing(event(1, 0)).await.unwrap();
    let error = tokio::time::timeout(WAIT, publisher.stopped()).await.expect("stopped after the token ran out");
    assert!(matches!(error, PublishError::Unauthorized { code: AuthErrorCode::TokenExpired, .. }), "{error:?}");
    assert_eq!(error.code(), Some("token_expired"));
    hub.shutdown().await;
}

/// A `MakeWriter` into a shared buffer, to read what the publisher logged.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Nothing listens at the URL: the warning names the URL tried and the cause.
#[tokio::test]
async fn connection_failures_name_the_url_tried() {
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let addr = unused_addr();
    for (url, tried) in [
        (format!("ws://{addr}"), format!("ws://{addr}/ws: ")),
        (format!("http://{addr}"), format!("http://{addr}/api/v1/publish: ")),
    ] {
        let publisher = Publisher::builder(url).token(token()).source("tests").build().unwrap();
        publisher.try_publish_outgoing(event(1, 0)).unwrap();
        let deadline = tokio::time::Instant::now() + WAIT;
        while !log.text().contains(&tried) {
            assert!(tokio::time::Instant::now() < deadline, "no warning naming {tried}: {}", log.text());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let line = log.text().lines().find(|line| line.contains(&tried)).unwrap().to_owned();
        assert!(line.to_ascii_lowercase().contains("connection refused"), "{line}");
        drop(publisher);
    }
}
