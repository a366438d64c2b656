//! Real sockets through the fault proxy: the real subscriber SDK against a real hub, with
//! latency, a bandwidth cap, 1-byte segments, a silent half-open connection, resets and
//! cuts. Every scenario's history must pass the checker: nothing acknowledged is lost,
//! nothing arrives twice or out of order.

mod common;

use common::*;
use herald_e2e::fault_proxy::{Direction, FaultProxy};
use herald_e2e::history::Recorder;
use std::time::Duration;

/// A hub that pings often, so dead connections are found quickly.
async fn fast_hub() -> herald_hub::RunningHub {
    hub(|c| {
        c.heartbeat = Duration::from_millis(200);
        c.pong_timeout = Duration::from_millis(400);
    })
    .await
}

/// One subscriber through the proxy; returns what is needed to publish and check.
async fn setup(name: &str) -> (herald_hub::RunningHub, FaultProxy, herald_subscriber::Client, Watcher, Recorder, u64) {
    let hub = fast_hub().await;
    let proxy = FaultProxy::start(hub.local_addr()).await;
    let history = Recorder::new();
    let client = fast_client(&format!("ws://{}/ws", proxy.addr()), token("acme", name));
    let mut watcher = Watcher::start(&client, &history, name, "acme", "");
    let offset = warm_up(&hub.handle(), &history, "acme", &mut watcher, name).await;
    (hub, proxy, client, watcher, history, offset)
}

async fn publish_batch(hub: &herald_hub::RunningHub, history: &Recorder, prefix: &str, count: usize) -> u64 {
    let mut last = 0;
    for n in 0..count {
        last = publish(&hub.handle(), history, "acme", &format!("{prefix}-{n}"), "p-1", "1").await;
    }
    last
}

fn finish(history: &Recorder, name: &str) {
    let _ = history.save(name);
    let report = history.check();
    report.assert_clean();
    assert!(report.delivered >= 100, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_byte_segments_with_latency_corrupt_nothing() {
    let (hub, proxy, client, mut watcher, history, _) = setup("slices").await;
    proxy.update(Direction::Down, |l| (l.slice, l.latency) = (Some(1), Duration::from_millis(20)));
    proxy.update(Direction::Up, |l| (l.slice, l.latency) = (Some(1), Duration::from_millis(20)));
    let last = publish_batch(&hub, &history, "s", 150).await;
    watcher.reached(last).await;
    assert_eq!(proxy.accepted(), 1, "no reconnect was needed");
    finish(&history, "one_byte_segments");
    client.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bandwidth_cap_slows_delivery_but_loses_nothing() {
    let (hub, proxy, client, mut watcher, history, _) = setup("narrow").await;
    proxy.update(Direction::Down, |l| l.bytes_per_sec = Some(32 * 1024));
    let last = publish_batch(&hub, &history, "b", 200).await;
    watcher.reached(last).await;
    finish(&history, "bandwidth_cap");
    client.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_half_open_connection_is_detected_and_recovered() {
    let (hub, proxy, client, mut watcher, history, _) = setup("stalled").await;
    let mut states = client.state_changes();
    proxy.stall();
    // Events published while the client's connection is silently dead.
    let last = publish_batch(&hub, &history, "h", 100).await;
    // The SDK notices the silence (no ping within heartbeat + pong_timeout), reconnects
    // through a fresh connection and recovers the missed events with `since`.
    tokio::time::timeout(WAIT, states.wait_for(|s| *s != herald_subscriber::ConnectionState::Connected))
        .await
        .expect("the dead connection is detected")
        .unwrap();
    watcher.reached(last).await;
    assert!(proxy.accepted() >= 2, "reconnected through a new connection");
    let report = history.check();
    assert_eq!(report.resyncs, 0, "recovered from history, no resync: {report}");
    finish(&history, "half_open");
    client.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resets_and_cuts_mid_stream_lose_nothing() {
    let (hub, proxy, client, mut watcher, history, _) = setup("reset").await;
    let mut last = 0;
    for round in 0..6 {
        last = publish_batch(&hub, &history, &format!("r{round}"), 30).await;
        if round % 2 == 0 { proxy.reset() } else { proxy.cut() }
    }
    last = last.max(publish_batch(&hub, &history, "tail", 20).await);
    watcher.reached(last).await;
    assert!(proxy.accepted() >= 2, "the faults forced reconnects");
    let report = history.check();
    assert_eq!(report.resyncs, 0, "every gap recovered from history: {report}");
    finish(&history, "resets_and_cuts");
    client.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_freeze_shorter_than_the_heartbeat_bound_is_ridden_out() {
    let hub = hub(|c| {
        c.heartbeat = Duration::from_secs(20);
        c.pong_timeout = Duration::from_secs(10);
    })
    .await;
    let proxy = FaultProxy::start(hub.local_addr()).await;
    let history = Recorder::new();
    let client =
        herald_subscriber::Client::builder(format!("ws://{}/ws", proxy.addr())).token(token("acme", "f")).connect();
    let mut watcher = Watcher::start(&client, &history, "frozen", "acme", "");
    warm_up(&hub.handle(), &history, "acme", &mut watcher, "f").await;
    proxy.freeze();
    let last = publish_batch(&hub, &history, "f", 100).await;
    assert!(*watcher.last.borrow() < last, "nothing passes a frozen link");
    proxy.thaw();
    watcher.reached(last).await;
    assert_eq!(proxy.accepted(), 1, "the held bytes arrived on the same connection");
    finish(&history, "freeze_thaw");
    client.close();
}
