//! The WebSocket publisher against a hub that goes away, fills up, or expires its token.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::{ORG, Subscriber, WAIT, spawn_hub, spawn_hub_at, token, token_for, unused_addr};
use herald_event_types::{EventCategory, Priority};
use herald_publisher::{AuthErrorCode, OutgoingEvent, PublishError, Publisher};
use serde_json::Value;

fn event(category: EventCategory, priority: Priority, n: u64) -> OutgoingEvent {
    let data = serde_json::value::to_raw_value(&serde_json::json!({ "n": n })).unwrap();
    OutgoingEvent::from_parts("test_event", category, priority, "stream".parse().unwrap(), data).unwrap()
}

/// Numbers `n` seen per channel, checking they increase (order) and never repeat.
fn per_channel(frames: &[Value]) -> HashMap<String, Vec<u64>> {
    let mut seen: HashMap<String, Vec<u64>> = HashMap::new();
    for frame in frames {
        let list = seen.entry(frame["channel"].as_str().unwrap().to_owned()).or_default();
        let n = frame["event"]["data"]["n"].as_u64().unwrap();
        assert!(list.last().is_none_or(|&last| n > last), "out of order or repeated: {n} after {list:?}");
        list.push(n);
    }
    seen
}

#[tokio::test]
async fn hub_restart_mid_stream_costs_no_event_and_duplicates_none() {
    let hub = spawn_hub(|_| {}).await;
    let addr = hub.local_addr();
    let mut before = Subscriber::connect(addr, &["pipeline", "security"], None).await;
    let publisher = Publisher::builder(format!("ws://{addr}"))
        .token(token())
        .source("tests")
        .backoff(Duration::from_millis(10), Duration::from_millis(200))
        .build()
        .unwrap();
    const N: u64 = 400;
    let category = |n: u64| if n % 2 == 0 { EventCategory::Pipeline } else { EventCategory::Security };
    // First half: some acknowledged, some in flight when the hub goes away.
    for n in 0..N / 2 {
        publisher.try_publish_outgoing(event(category(n), Priority::Medium, n)).unwrap();
    }
    let shutdown = tokio::spawn(hub.shutdown());
    let seen_before = before.events_until_closed().await;
    shutdown.await.unwrap();
    // Second half while the hub is down: it waits in the outbox.
    for n in N / 2..N {
        publisher.try_publish_outgoing(event(category(n), Priority::Medium, n)).unwrap();
    }
    assert!(publisher.stats().outbox_depth >= (N / 2) as usize);

    let hub = spawn_hub_at(addr).await;
    // History replay covers whatever the publisher sent before this subscription.
    let mut after = Subscriber::connect(addr, &["pipeline", "security"], Some(1000)).await;
    tokio::time::timeout(WAIT, publisher.flush()).await.expect("flushed after the restart");

    let stats = publisher.stats();
    assert_eq!((stats.acked, stats.failed, stats.outbox_depth), (N, 0, 0), "{stats:?}");
    assert_eq!(stats.dropped.low + stats.dropped.medium + stats.dropped.high, 0);
    assert!(stats.reconnects >= 1);

    // The old hub delivered a prefix of each channel, the new hub the rest, in order, and
    // together they hold every event. Events the old hub stored without acknowledging are
    // stored again by the new hub (it lost its dedup memory), never twice by one hub.
    let before = per_channel(&seen_before);
    let remaining = N as usize - seen_before.len();
    let mut frames = Vec::new();
    while frames.len() < remaining {
        frames.push(after.next_event().await);
    }
    let after_seen = per_channel(&frames);
    for channel in ["pipeline", "security"] {
        let old = before.get(channel).cloned().unwrap_or_default();
        let new = after_seen.get(channel).cloned().unwrap_or_default();
        let expected: Vec<u64> = (0..N).filter(|&n| category(n).channel_name() == channel).collect();
        // The new hub starts at or before where the old one stopped: no gap.
        let first_new = new.first().copied().unwrap_or(u64::MAX);
        let resumed_at = expected.iter().position(|&n| n == first_new).unwrap_or(expected.len());
        assert!(resumed_at <= old.len(), "{channel}: gap between {old:?} and {new:?}");
        assert_eq!(old, expected[..old.len()], "{channel}: the old hub delivered a prefix");
        assert_eq!(new, expected[resumed_at..], "{channel}: the new hub delivered the rest in order");
    }
    publisher.close().await;
    drop(after);
    hub.shutdown().await;
}

#[tokio::test]
async fn full_outbox_sheds_low_and_refuses_high() {
    let addr = unused_addr();
    let publisher = Publisher::builder(format!("ws://{addr}"))
        .token(token())
        .source("tests")
        .outbox_capacity(10)
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .build()
        .unwrap();
    for n in 0..5 {
        publisher.try_publish_outgoing(event(EventCategory::System, Priority::Low, n)).unwrap();
        publisher.try_publish_outgoing(event(EventCategory::System, Priority::High, 100 + n)).unwrap();
    }
    // Full. A LOW event is shed and `Ok` is returned; counted.
    publisher.try_publish_outgoing(event(EventCategory::System, Priority::Low, 5)).unwrap();
    // HIGH and MEDIUM events evict queued LOW events while there are any…
    for n in 0..4 {
        publisher.try_publish_outgoing(event(EventCategory::System, Priority::High, 105 + n)).unwrap();
    }
    publisher.try_publish_outgoing(event(EventCategory::System, Priority::Medium, 200)).unwrap();
    // …then they are refused, never dropped silently.
    let error = publisher.try_publish_outgoing(event(EventCategory::System, Priority::High, 300)).unwrap_err();
    assert!(matches!(error, PublishError::Full { priority: Priority::High }), "{error:?}");
    assert!(error.is_retryable());
    let error = publisher.try_publish_outgoing(event(EventCategory::System, Priority::Medium, 301)).unwrap_err();
    assert!(matches!(error, PublishError::Full { priority: Priority::Medium }), "{error:?}");
    let stats = publisher.stats();
    assert_eq!((stats.dropped.low, stats.dropped.medium, stats.dropped.high), (6, 1, 1), "{stats:?}");
    assert_eq!(stats.outbox_depth, 10);

    // The hub comes up: the ten queued events (no LOW left) are delivered in order.
    let hub = spawn_hub_at(addr).await;
    let mut subscriber = Subscriber::connect(addr, &["system"], Some(100)).await;
    tokio::time::timeout(WAIT, publisher.flush()).await.expect("flushed");
    let mut numbers = Vec::new();
    for _ in 0..10 {
        let frame = subscriber.next_event().await;
        assert_ne!(frame["event"]["priority"], "LOW");
        numbers.push(frame["event"]["data"]["n"].as_u64().unwrap());
    }
    assert_eq!(numbers, [100, 101, 102, 103, 104, 105, 106, 107, 108, 200]);
    publisher.close().await;
    drop(subscriber);
    hub.shutdown().await;
}

#[tokio::test]
async fn an_expiring_token_is_refreshed_in_band_without_reconnecting() {
    let hub = spawn_hub(|config| {
        config.token_grace = Duration::ZERO;
        if let Some(auth) = config.auth.as_mut() {
            auth.leeway = Duration::ZERO;
        }
    })
    .await;
    let addr = hub.local_addr();
    let mut subscriber = Subscriber::connect(addr, &["system"], None).await;
    let calls = Arc::new(AtomicU32::new(0));
    let (called_tx, called_rx) = tokio::sync::oneshot::channel::<()>();
    let called_tx = Arc::new(std::sync::Mutex::new(Some(called_tx)));
    let provider = {
        let calls = calls.clone();
        move || {
            calls.fetch_add(1, Ordering::SeqCst);
            if let Some(tx) = called_tx.lock().unwrap().take() {
                let _ = tx.send(());
            }
            async { Ok::<_, std::io::Error>(token_for(ORG, 3600)) }
        }
    };
    let publisher = Publisher::builder(format!("ws://{addr}"))
        .token(token_for(ORG, 2)) // expires within 2 s: refreshed in band before the hub's 4401
        .token_provider(provider)
        .source("tests")
        .backoff(Duration::from_millis(10), Duration::from_millis(100))
        .build()
        .unwrap();
    let first = event(EventCategory::System, Priority::Medium, 1);
    publisher.publish_outgoing(first.clone()).await.unwrap();
    tokio::time::timeout(WAIT, called_rx).await.expect("token provider called before expiry").unwrap();
    let second = event(EventCategory::System, Priority::Medium, 2);
    publisher.publish_outgoing(second.clone()).await.unwrap();
    assert_eq!(subscriber.next_event().await["event"]["id"], first.id().as_str());
    assert_eq!(subscriber.next_event().await["event"]["id"], second.id().as_str());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // Outlive the first token (exp = start + 2 s, no leeway, no grace): without the in-band
    // refresh the hub would close with 4401 and the publisher would reconnect.
    let past_first_expiry = std::time::SystemTime::now() + Duration::from_secs(3);
    while std::time::SystemTime::now() < past_first_expiry {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let third = event(EventCategory::System, Priority::Medium, 3);
    publisher.publish_outgoing(third.clone()).await.unwrap();
    assert_eq!(subscriber.next_event().await["event"]["id"], third.id().as_str());
    let stats = publisher.stats();
    assert_eq!((stats.token_refreshes, stats.acked, stats.failed), (1, 3, 0));
    assert_eq!(stats.reconnects, 0, "refreshed on the live connection: {stats:?}");
    publisher.close().await;
    drop(subscriber);
    hub.shutdown().await;
}

/// A token the hub refuses (signed with another secret), over `url`: without a provider the
/// publisher stops, and every error carries the hub's code and message.
async fn refused_token_without_provider_stops_and_reports(url: fn(std::net::SocketAddr) -> String) {
    let hub = spawn_hub(|_| {}).await;
    let bad = herald_hub::auth::mint_hs256(
        b"another secret",
        &serde_json::json!({"sub": "x", "org": ORG, "exp": common::now_secs() + 60}),
    );
    let publisher = Publisher::builder(url(hub.local_addr())).token(bad).source("tests").build().unwrap();
    let invalid_token = |error: &PublishError| matches!(error, PublishError::Unauthorized { code: AuthErrorCode::InvalidToken, message } if !message.is_empty());
    let error = publisher.publish_outgoing(event(EventCategory::System, Priority::High, 1)).await.unwrap_err();
    assert!(invalid_token(&error), "{error:?}");
    assert_eq!(error.code(), Some("invalid_token"));
    assert!(error.to_string().starts_with("the hub refused the token (invalid_token): "), "{error}");
    let error = publisher.try_publish_outgoing(event(EventCategory::System, Priority::High, 2)).unwrap_err();
    assert!(invalid_token(&error) && error.is_terminal(), "{error:?}");
    let error = tokio::time::timeout(WAIT, publisher.stopped()).await.expect("stopped");
    assert!(invalid_token(&error), "{error:?}");
    hub.shutdown().await;
}

#[tokio::test]
async fn refused_token_without_provider_stops_and_reports_over_websocket() {
    refused_token_without_provider_stops_and_reports(|addr| format!("ws://{addr}")).await;
}

#[tokio::test]
async fn refused_token_without_provider_stops_and_reports_over_http() {
    refused_token_without_provider_stops_and_reports(|addr| format!("http://{addr}")).await;
}

#[tokio::test]
async fn publish_waits_for_room_and_dropping_never_blocks() {
    let addr = unused_addr();
    let publisher = Publisher::builder(format!("ws://{addr}"))
        .token(token())
        .source("tests")
        .outbox_capacity(1)
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .build()
        .unwrap();
    publisher.try_publish_outgoing(event(EventCategory::System, Priority::High, 1)).unwrap();
    // `publish().await` waits for room instead of failing.
    let waiting = tokio::spawn(publisher.publish_outgoing(event(EventCategory::System, Priority::High, 2)));
    let hub = spawn_hub_at(addr).await;
    let ack = tokio::time::timeout(WAIT, waiting).await.expect("acknowledged").unwrap().unwrap();
    assert_eq!(ack.offset, 2);
    // Dropping the last handle returns at once, whatever is queued.
    drop(publisher);
    hub.shutdown().await;
}

#[tokio::test]
async fn rate_limited_publishes_are_retried_not_dropped() {
    // 20 publishes per second per token, with a burst of one second's worth.
    let hub = spawn_hub(|config| config.publish_rate = 20).await;
    let addr = hub.local_addr();
    let mut subscriber = Subscriber::connect(addr, &["system"], None).await;
    let publisher = Publisher::builder(format!("ws://{addr}"))
        .token(token())
        .source("tests")
        .backoff(Duration::from_millis(20), Duration::from_millis(200))
        .build()
        .unwrap();
    const N: u64 = 50;
    let mut ids = std::collections::HashSet::new();
    for n in 0..N {
        let event = event(EventCategory::System, Priority::Medium, n);
        ids.insert(event.id().to_string());
        publisher.try_publish_outgoing(event).unwrap();
    }
    tokio::time::timeout(WAIT, publisher.flush()).await.expect("flushed");
    let stats = publisher.stats();
    assert_eq!((stats.acked, stats.failed), (N, 0), "{stats:?}");
    assert!(stats.retried > 0, "the hub refused some with rate_limited: {stats:?}");
    for _ in 0..N {
        let frame = subscriber.next_event().await;
        assert!(ids.remove(frame["event"]["id"].as_str().unwrap()), "unknown or repeated {frame}");
    }
    publisher.close().await;
    drop(subscriber);
    hub.shutdown().await;
}

/// An expired token is refused (WebSocket `auth_error` + 4401, HTTP 401); the provider's
/// token is used and nothing is lost.
async fn refused_token_is_replaced_by_the_provider(url: fn(std::net::SocketAddr) -> String) {
    let hub = spawn_hub(|_| {}).await;
    let expired = herald_hub::auth::mint_hs256(
        common::SECRET,
        &serde_json::json!({"sub": "publisher", "org": ORG, "exp": common::now_secs() - 600, "publish": ["*"]}),
    );
    let publisher = Publisher::builder(url(hub.local_addr()))
        .token(expired)
        .token_provider(|| async { Ok::<_, std::io::Error>(token()) })
        .source("tests")
        .backoff(Duration::from_millis(10), Duration::from_millis(100))
        .build()
        .unwrap();
    let ack = publisher.publish_outgoing(event(EventCategory::System, Priority::High, 1)).await.unwrap();
    assert_eq!(ack.offset, 1);
    let stats = publisher.stats();
    assert_eq!((stats.token_refreshes, stats.acked, stats.failed), (1, 1, 0), "{stats:?}");
    publisher.close().await;
    hub.shutdown().await;
}

#[tokio::test]
async fn refused_token_is_replaced_by_the_provider_over_websocket() {
    refused_token_is_replaced_by_the_provider(|addr| format!("ws://{addr}")).await;
}

#[tokio::test]
async fn refused_token_is_replaced_by_the_provider_over_http() {
    refused_token_is_replaced_by_the_provider(|addr| format!("http://{addr}")).await;
}

/// The hub's counter `name` from its own metrics.
fn hub_counter(hub: &herald_hub::RunningHub, name: &str) -> u64 {
    let text = hub.metrics().render();
    text.lines()
        .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("metric {name} not exported"))
}

#[tokio::test]
async fn a_429_with_retry_after_is_honoured_instead_of_hammering_the_hub() {
    for transport in [common::Transport::Ws, common::Transport::Http] {
        // One failed authentication blocks the address for 60 s (429 with Retry-After).
        let hub = spawn_hub(|c| c.max_auth_failures_per_ip = 1).await;
        let addr = hub.local_addr();
        let bad = reqwest::Client::new()
            .post(format!("http://{addr}/api/v1/publish"))
            .bearer_auth("not-a-token")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 401);
        // A valid publisher from that address, with a quick backoff (10 ms to 200 ms): the
        // WebSocket one is refused at the upgrade, the HTTP one at its first batch.
        let publisher = common::builder(&hub, transport).build().unwrap();
        publisher.try_publish_outgoing(event(EventCategory::Pipeline, Priority::Low, 1)).unwrap();
        let deadline = tokio::time::Instant::now() + WAIT;
        while hub_counter(&hub, "herald_auth_blocked_total") < 1 {
            assert!(tokio::time::Instant::now() < deadline, "the publisher never tried");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Its next attempt waits for Retry-After (about 60 s): none within the next second,
        // where the backoff alone would have retried several times.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let attempts = hub_counter(&hub, "herald_auth_blocked_total");
        assert_eq!(attempts, 1, "{transport:?}: the publisher retried before Retry-After");
        drop(publisher);
    }
}
