//! The thundering herd: 2,000 real subscriber SDK clients in this process, one real hub in
//! a child process. The hub is killed with SIGKILL mid-stream and restarted on the same
//! address (memory broker: its history is gone, a new epoch begins). Then:
//!
//! - the clients' first reconnect attempts are spread by the backoff jitter: no 100 ms
//!   bucket of the first backoff window holds more than 3× the uniform share;
//! - every client is resubscribed (receives a post-restart event) within the backoff cap
//!   plus 10 s of the restart;
//! - every client was told to resync (its history is gone), and the history checker is
//!   clean: nothing acknowledged lost without that resync, no duplicate, in order.
//!
//! This is a `--long` scenario (`scripts/test.sh --long`): `cargo test -p herald-e2e
//! --release --test herd -- --ignored --nocapture`. `HERALD_HERD_CLIENTS` sets the herd size.
//!
//! The hub child is this test binary itself, re-run with `HERALD_HERD_HUB=<addr>`: the
//! `hub_process` entry then runs the real hub (the library the `herald-hub` binary wraps)
//! until it is killed.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use futures_util::StreamExt;
use herald_e2e::history::Recorder;
use herald_subscriber::proto::Backoff;
use herald_subscriber::{Client, ConnectionState, ProtoConfig, SubscriptionEvent};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BASE: Duration = Duration::from_secs(1);
const CAP: Duration = Duration::from_secs(5);
const DOWN: Duration = Duration::from_secs(2);

fn clients() -> usize {
    std::env::var("HERALD_HERD_CLIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000)
}

/// Entry point of the hub child process (not a test: ignored, and a no-op without
/// `HERALD_HERD_HUB`).
#[test]
#[ignore = "the herd's hub child process, started by the herd test"]
fn hub_process() {
    let Ok(listen) = std::env::var("HERALD_HERD_HUB") else { return };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let hub = hub(|c| {
            c.listen = listen.parse().unwrap();
            c.max_connections_per_user = 100_000;
            c.max_connections_per_ip = 0; // the whole herd comes from 127.0.0.1
        })
        .await;
        println!("HERALD_HUB_ADDR={}", hub.local_addr());
        hub.wait().await;
    });
}

/// A hub child process, killed (SIGKILL) when dropped.
struct HubProcess {
    child: Child,
    addr: SocketAddr,
}

impl HubProcess {
    fn start(listen: &str) -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "hub_process", "--ignored", "--nocapture", "--test-threads", "1"])
            .env("HERALD_HERD_HUB", listen)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the hub process");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = loop {
            let line = lines.next().expect("the hub prints its address").unwrap();
            // libtest prints "test hub_process ... " on the same line first.
            if let Some((_, addr)) = line.split_once("HERALD_HUB_ADDR=") {
                break addr.trim().parse().unwrap();
            }
        };
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, addr }
    }

    fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `POST /api/v1/publish` over a plain socket; returns the acknowledged offset.
async fn http_publish(addr: SocketAddr, token: &str, id: &str) -> Result<u64, String> {
    let body = serde_json::json!({"event": serde_json::from_str::<serde_json::Value>(&envelope(id, "p-1").to_json()).unwrap()})
        .to_string();
    let request = format!(
        "POST /api/v1/publish HTTP/1.1\r\nhost: hub\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut socket = tokio::net::TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    socket.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
    let mut response = String::new();
    socket.read_to_string(&mut response).await.map_err(|e| e.to_string())?;
    let json = response.split("\r\n\r\n").nth(1).ok_or("no body")?;
    let json: serde_json::Value = serde_json::from_str(json.trim()).map_err(|e| format!("{e}: {response}"))?;
    json["results"][0]["offset"].as_u64().ok_or_else(|| format!("no offset: {response}"))
}

/// Publishes `id` (recording it), retrying until the hub answers.
async fn publish_http(addr: SocketAddr, history: &Recorder, id: &str, epoch: &str) {
    let token = token("acme", "herd-publisher");
    history.publish("acme", "pipeline", "p-1", id);
    let offset = http_publish(addr, &token, id).await.unwrap_or_else(|e| panic!("publish {id}: {e}"));
    history.ack(id, offset, epoch);
}

#[derive(Default)]
struct Herd {
    /// Clients that received an event with this prefix.
    seen_before: AtomicUsize,
    seen_after: AtomicUsize,
    seen_final: AtomicUsize,
    /// When each client started a connection attempt after the kill.
    attempts: Mutex<Vec<(usize, Instant)>>,
    recording: std::sync::atomic::AtomicBool,
}

fn start_client(url: &str, n: usize, history: &Recorder, herd: &Arc<Herd>) -> Client {
    let mut config = ProtoConfig::default();
    config.backoff = Backoff { base: BASE, cap: CAP, custom: None };
    config.stable_after = Duration::from_secs(1);
    let client = Client::builder(url).token(token("acme", &format!("c{n}"))).config(config).connect();
    let state_herd = herd.clone();
    client
        .on_state(move |state| {
            if matches!(state, ConnectionState::Connecting { .. }) && state_herd.recording.load(Ordering::Relaxed) {
                state_herd.attempts.lock().unwrap().push((n, Instant::now()));
            }
        })
        .forget();
    let name = format!("c{n}");
    history.subscribe(&name, "acme", "pipeline", "");
    let mut subscription = client.subscribe("pipeline".parse().unwrap(), "".parse().unwrap(), None);
    let (history, herd) = (history.clone(), herd.clone());
    tokio::spawn(async move {
        let (mut before, mut after) = (false, false);
        while let Some(item) = subscription.next().await {
            history.observe(&name, &item);
            let SubscriptionEvent::Event(delivery) = item else { continue };
            let id = delivery.event.id.to_string();
            if !before && id.starts_with("before-") {
                before = true;
                herd.seen_before.fetch_add(1, Ordering::Relaxed);
            }
            if !after && id.starts_with("after-") {
                after = true;
                herd.seen_after.fetch_add(1, Ordering::Relaxed);
            }
            if id == "final" {
                herd.seen_final.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    client
}

/// Publishes `prefix-N` events every 100 ms until `done` returns true (or the deadline).
async fn publish_until(
    addr: SocketAddr,
    history: &Recorder,
    prefix: &str,
    epoch: &str,
    deadline: Duration,
    done: impl Fn() -> bool,
) -> Duration {
    let start = Instant::now();
    let mut n = 0;
    while !done() {
        assert!(start.elapsed() < deadline, "{prefix}: not done within {deadline:?}");
        publish_http(addr, history, &format!("{prefix}{n}"), epoch).await;
        n += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long: run by scripts/test.sh --long"]
async fn a_herd_survives_a_hub_kill_and_restart() {
    let total = clients();
    let history = Recorder::new();
    let herd = Arc::new(Herd::default());
    let mut hub = HubProcess::start("127.0.0.1:0");
    let addr = hub.addr;
    let url = format!("ws://{addr}/ws");
    let connecting = Instant::now();
    let clients: Vec<Client> = (0..total).map(|n| start_client(&url, n, &history, &herd)).collect();
    let live = publish_until(addr, &history, "before-", "1", Duration::from_secs(120), || {
        herd.seen_before.load(Ordering::Relaxed) == total
    })
    .await;
    println!("herd: {total} clients connected and subscribed in {:?} ({live:?} of publishing)", connecting.elapsed());

    // SIGKILL: no close frames, no goodbyes; the clients see their sockets die.
    herd.recording.store(true, Ordering::Relaxed);
    let killed = Instant::now();
    hub.kill();
    tokio::time::sleep(DOWN).await; // the outage itself, not a readiness wait
    let mut hub = HubProcess::start(&addr.to_string());
    let restarted = Instant::now();
    let recovered = publish_until(addr, &history, "after-", "2", CAP + Duration::from_secs(10), || {
        herd.seen_after.load(Ordering::Relaxed) == total
    })
    .await;
    herd.recording.store(false, Ordering::Relaxed);
    println!(
        "herd: all {total} resubscribed {recovered:?} after the restart (bound {:?})",
        CAP + Duration::from_secs(10)
    );

    publish_http(addr, &history, "final", "2").await;
    let drain = Instant::now();
    while herd.seen_final.load(Ordering::Relaxed) < total {
        assert!(drain.elapsed() < WAIT, "final event reached {} of {total}", herd.seen_final.load(Ordering::Relaxed));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Jitter: first attempts after the kill, in 100 ms buckets over the first backoff window.
    let attempts = herd.attempts.lock().unwrap().clone();
    let mut first = std::collections::HashMap::new();
    for (client, at) in &attempts {
        first.entry(*client).or_insert(*at);
    }
    let buckets = (BASE.as_millis() / 100) as usize;
    let mut counts = vec![0usize; buckets];
    let mut late = 0;
    for at in first.values() {
        let bucket = (at.duration_since(killed).as_millis() / 100) as usize;
        if bucket < buckets { counts[bucket] += 1 } else { late += 1 }
    }
    let share = first.len() as f64 / buckets as f64;
    println!(
        "herd: {} attempts after the kill; first attempts per 100 ms: {counts:?} (+{late} later), uniform share {share:.0}, max {}",
        attempts.len(),
        counts.iter().max().unwrap()
    );
    assert_eq!(first.len(), total, "every client tried to reconnect");
    assert!(counts.iter().all(|&c| (c as f64) <= 3.0 * share), "a 100 ms bucket over 3x the uniform share: {counts:?}");

    let _ = history.save("herd");
    let report = history.check();
    println!("herd: history {report}");
    report.assert_clean();
    assert!(report.resyncs >= total, "every client was told its history was lost: {report}");
    let _ = restarted;
    drop(clients);
    hub.kill();
}
