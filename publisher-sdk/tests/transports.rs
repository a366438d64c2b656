//! One suite, run against a real hub over each transport: WebSocket, HTTP and in-process.

mod common;
#[path = "../../event-types/tests/support/samples.rs"]
#[allow(dead_code, unreachable_pub)]
mod samples;

use std::collections::HashMap;

use common::{Subscriber, Transport, builder, spawn_hub};
use herald_event_types::{ChannelName, ErrorCode, EventCategory};
use herald_publisher::{OutgoingEvent, PublishError};

const ALL_CHANNELS: [&str; 6] = ["pipeline", "security", "debug", "system", "architecture", "user"];

/// Every catalogue sample is acknowledged and reaches a subscriber with the right channel,
/// subject, `final` flag, priority and data.
async fn round_trip_of_every_catalogue_event(transport: Transport) {
    let hub = spawn_hub(|_| {}).await;
    let mut subscriber = Subscriber::connect(hub.local_addr(), &ALL_CHANNELS, None).await;
    let publisher = builder(&hub, transport).build().unwrap();
    let mut sent = HashMap::new();
    for sample in samples::samples() {
        let envelope = sample.to_envelope("tests").unwrap();
        let event = OutgoingEvent::from_envelope(envelope.clone());
        let ack = publisher.publish_outgoing(event).await.unwrap_or_else(|e| panic!("{}: {e}", sample.event_type()));
        assert_eq!(ack.channel, envelope.default_channel());
        assert!(!ack.duplicate);
        sent.insert(envelope.id.to_string(), (envelope, ack));
    }
    assert!(sent.len() >= 20, "the catalogue has {} samples", sent.len());
    for _ in 0..sent.len() {
        let frame = subscriber.next_event().await;
        let id = frame["event"]["id"].as_str().unwrap().to_owned();
        let (envelope, ack) = sent.remove(&id).unwrap_or_else(|| panic!("unexpected or repeated event {frame}"));
        let received = herald_event_types::Envelope::from_json(&frame["event"].to_string()).unwrap();
        assert_eq!(frame["channel"], ack.channel.as_str());
        assert_eq!(frame["offset"], ack.offset);
        assert_eq!(received, envelope, "{}", envelope.event_type);
        assert_eq!(frame["event"].get("final").is_some(), envelope.is_final);
    }
    publisher.close().await;
    drop(subscriber);
    hub.shutdown().await;
}

/// Publishing the same event id twice stores and delivers it once.
async fn same_id_twice_is_delivered_once(transport: Transport) {
    let hub = spawn_hub(|_| {}).await;
    let mut subscriber = Subscriber::connect(hub.local_addr(), &["system"], None).await;
    let publisher = builder(&hub, transport).build().unwrap();
    let event = custom("system", "twice", 1);
    let first = publisher.publish_outgoing(event.clone()).await.unwrap();
    let second = publisher.publish_outgoing(event.clone()).await.unwrap();
    assert!(!first.duplicate && second.duplicate);
    assert_eq!(first.offset, second.offset);
    let marker = custom("system", "marker", 2);
    publisher.publish_outgoing(marker.clone()).await.unwrap();
    assert_eq!(subscriber.next_event().await["event"]["id"], event.id().as_str());
    assert_eq!(subscriber.next_event().await["event"]["id"], marker.id().as_str(), "the repeat was not delivered");
    let stats = publisher.stats();
    assert_eq!((stats.acked, stats.duplicates, stats.failed), (3, 1, 0));
    publisher.close().await;
    drop(subscriber);
    hub.shutdown().await;
}

/// A permanent refusal is returned to `publish().await`, counted for `try_publish`, and
/// does not block the events behind it.
async fn permanent_refusals_are_reported(transport: Transport) {
    let hub = spawn_hub(|_| {}).await;
    let publisher = builder(&hub, transport).build().unwrap();
    let unknown = ChannelName::new("no-such-channel").unwrap();
    let error = publisher.publish_outgoing(custom("system", "x", 1).with_channel(unknown.clone())).await.unwrap_err();
    assert!(matches!(&error, PublishError::Rejected { code: ErrorCode::ChannelNotFound, .. }), "{error:?}");
    assert!(!error.is_retryable());
    publisher.try_publish_outgoing(custom("system", "x", 2).with_channel(unknown)).unwrap();
    let fine = publisher.publish_outgoing(custom("system", "x", 3)).await.unwrap();
    assert!(!fine.duplicate);
    publisher.flush().await;
    let stats = publisher.stats();
    assert_eq!((stats.failed, stats.acked, stats.outbox_depth), (2, 1, 0));
    publisher.close().await;
    hub.shutdown().await;
}

/// `try_publish` of many events over two channels, then `flush`: all acknowledged, and a
/// subscriber sees each channel in publish order.
async fn try_publish_and_flush_keep_order_per_channel(transport: Transport) {
    let hub = spawn_hub(|_| {}).await;
    let mut subscriber = Subscriber::connect(hub.local_addr(), &["pipeline", "security"], None).await;
    let publisher = builder(&hub, transport).max_batch(64).build().unwrap();
    const N: u64 = 600;
    for n in 0..N {
        let channel = if n % 3 == 0 { "security" } else { "pipeline" };
        publisher.try_publish_outgoing(custom(channel, "order", n)).unwrap();
    }
    publisher.flush().await;
    let stats = publisher.stats();
    assert_eq!((stats.published, stats.acked, stats.outbox_depth), (N, N, 0));
    let mut last: HashMap<String, i64> = HashMap::new();
    for _ in 0..N {
        let frame = subscriber.next_event().await;
        let n = frame["event"]["data"]["n"].as_i64().unwrap();
        let previous = last.insert(frame["channel"].as_str().unwrap().to_owned(), n).unwrap_or(-1);
        assert!(n > previous, "out of order on {}: {n} after {previous}", frame["channel"]);
    }
    publisher.close().await;
    // Closed: nothing is accepted any more.
    assert!(matches!(publisher.try_publish_outgoing(custom("system", "late", 0)), Err(PublishError::Closed)));
    drop(subscriber);
    hub.shutdown().await;
}

/// A service-defined event on `channel`'s category with `data: {"n": n}`.
fn custom(channel: &str, subject: &str, n: u64) -> OutgoingEvent {
    let category = EventCategory::ALL.into_iter().find(|c| c.channel_name() == channel).unwrap();
    let data = serde_json::value::to_raw_value(&serde_json::json!({ "n": n })).unwrap();
    OutgoingEvent::from_parts(
        "test_event",
        category,
        herald_event_types::Priority::Medium,
        subject.parse().unwrap(),
        data,
    )
    .unwrap()
}

macro_rules! suite {
    ($($transport:ident => $module:ident),+) => {$(
        mod $module {
            use super::*;
            #[tokio::test]
            async fn round_trip_of_every_catalogue_event() {
                super::round_trip_of_every_catalogue_event(Transport::$transport).await;
            }
            #[tokio::test]
            async fn same_id_twice_is_delivered_once() {
                super::same_id_twice_is_delivered_once(Transport::$transport).await;
            }
            #[tokio::test]
            async fn permanent_refusals_are_reported() {
                super::permanent_refusals_are_reported(Transport::$transport).await;
            }
            #[tokio::test]
            async fn try_publish_and_flush_keep_order_per_channel() {
                super::try_publish_and_flush_keep_order_per_channel(Transport::$transport).await;
            }
        }
    )+};
}

suite!(Ws => websocket, Http => http, InProcess => in_process);
