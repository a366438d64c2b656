//! Shared helpers for the native end-to-end tests: a real hub, a cuttable TCP proxy, and
//! the delivery checker.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use herald_event_types::Envelope;
use herald_hub::auth::{AuthConfig, JwtKey, mint_hs256};
use herald_hub::{Config, Hub, RunningHub};
use herald_subscriber::proto::Backoff;
use herald_subscriber::{Client, Delivery, SubscriptionEvent};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

pub const SECRET: &[u8] = b"subscriber-test-secret-0123456789a";
pub const WAIT: Duration = Duration::from_secs(15);

pub fn config(listen: SocketAddr, tweak: impl FnOnce(&mut Config)) -> Config {
    let mut config = Config::default();
    config.listen = listen;
    config.auth =
        Some(AuthConfig { key: JwtKey::Hs256(SECRET.to_vec()), audience: None, issuer: None, leeway: Duration::ZERO });
    tweak(&mut config);
    config
}

pub async fn hub_on(listen: SocketAddr, tweak: impl FnOnce(&mut Config)) -> RunningHub {
    Hub::builder().config(config(listen, tweak)).spawn().await.expect("hub starts")
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

pub fn token_for(sub: &str, ttl_secs: u64) -> String {
    mint_hs256(SECRET, &json!({"sub": sub, "org": "acme", "exp": now_secs() + ttl_secs, "subscribe": ["*"]}))
}

/// A token with the hub's default permissions (no `subscribe` claim): the category channels
/// and `user/${sub}` only (docs/protocol.md §3).
pub fn default_token_for(sub: &str) -> String {
    mint_hs256(SECRET, &json!({"sub": sub, "org": "acme", "exp": now_secs() + 3600}))
}

/// A token that may subscribe only what `subscribe` lists.
pub fn token_with(sub: &str, subscribe: &[&str]) -> String {
    mint_hs256(SECRET, &json!({"sub": sub, "org": "acme", "exp": now_secs() + 3600, "subscribe": subscribe}))
}

/// An event of `event_type` (a catalogue type of `category`) for `subject`.
pub fn typed_envelope(event_type: &str, category: &str, subject: &str, data: serde_json::Value) -> Envelope {
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Envelope::from_json(
        &json!({
            "id": format!("t-{n}"), "event_type": event_type, "category": category, "priority": "MEDIUM",
            "timestamp": "2026-11-22T10:00:00Z", "source": "test", "subject": subject, "data": data
        })
        .to_string(),
    )
    .unwrap()
}

/// Fast reconnects for tests (the protocol defaults are 1 s / 30 s).
pub fn fast_backoff() -> Backoff {
    Backoff { base: Duration::from_millis(20), cap: Duration::from_millis(200), custom: None }
}

pub fn client(url: &str) -> Client {
    Client::builder(url).token(token_for("u-1", 3600)).backoff(fast_backoff()).connect()
}

static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

pub fn envelope(subject: &str) -> Envelope {
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Envelope::from_json(
        &json!({
            "id": format!("e-{n}"), "event_type": "pipeline_deleted", "category": "PIPELINE", "priority": "LOW",
            "timestamp": "2026-11-22T10:00:00Z", "source": "test", "subject": subject, "data": {"pipelineId": subject}
        })
        .to_string(),
    )
    .unwrap()
}

/// A TCP proxy in front of the hub whose connections can be cut (a network failure the
/// hub does not see as a shutdown: its history survives), and whose upstream can be
/// switched (another hub at the same address) or removed (connections refused meanwhile).
pub struct Proxy {
    pub addr: SocketAddr,
    cut: Arc<Notify>,
    upstream: Arc<Mutex<Option<SocketAddr>>>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cut = Arc::new(Notify::new());
        let target = Arc::new(Mutex::new(Some(upstream)));
        let (cut_all, current) = (cut.clone(), target.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else { return };
                let Some(upstream) = *current.lock().unwrap() else { continue }; // dropped: refused
                let cut = cut_all.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(upstream).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        () = cut.notified() => {}
                    }
                });
            }
        });
        Self { addr, cut, upstream: target }
    }

    /// Drops every connection open through the proxy now.
    pub fn cut(&self) {
        self.cut.notify_waiters();
    }

    /// Sends new connections to `upstream`; `None` refuses them (closed at once).
    pub fn set_upstream(&self, upstream: Option<SocketAddr>) {
        *self.upstream.lock().unwrap() = upstream;
    }
}

/// Records what one subscription received and checks the delivery contract: per-channel
/// offsets strictly increasing (no duplicate, in order), and no gap unless a resync was
/// signalled before it.
#[derive(Debug, Default, Clone)]
pub struct Checker {
    inner: Arc<Mutex<Log>>,
}

#[derive(Debug, Default)]
struct Log {
    offsets: HashMap<String, Vec<u64>>,
    resync_at: HashMap<String, Vec<usize>>,
}

impl Checker {
    pub fn record(&self, channel: &str, item: &SubscriptionEvent) {
        let mut log = self.inner.lock().unwrap();
        match item {
            SubscriptionEvent::Event(Delivery { offset, .. }) => {
                log.offsets.entry(channel.to_owned()).or_default().push(*offset)
            }
            SubscriptionEvent::Resync => {
                let at = log.offsets.get(channel).map_or(0, Vec::len);
                log.resync_at.entry(channel.to_owned()).or_default().push(at);
            }
            _ => {}
        }
    }

    pub fn offsets(&self, channel: &str) -> Vec<u64> {
        self.inner.lock().unwrap().offsets.get(channel).cloned().unwrap_or_default()
    }

    pub fn resyncs(&self, channel: &str) -> usize {
        self.inner.lock().unwrap().resync_at.get(channel).map_or(0, Vec::len)
    }

    /// Panics on a duplicate, an out-of-order offset, or a gap not preceded by a resync.
    /// `restarts_at`: indexes where a new epoch legitimately restarts offsets (after a resync).
    pub fn assert_contract(&self, channel: &str) {
        let log = self.inner.lock().unwrap();
        let offsets = log.offsets.get(channel).cloned().unwrap_or_default();
        let resyncs = log.resync_at.get(channel).cloned().unwrap_or_default();
        for (i, pair) in offsets.windows(2).enumerate() {
            let after_resync = resyncs.contains(&(i + 1));
            if after_resync {
                continue; // a new epoch or a known gap: anything goes after a resync
            }
            assert!(pair[1] > pair[0], "{channel}: duplicate or reordering at {i}: {offsets:?}");
            assert_eq!(pair[1], pair[0] + 1, "{channel}: silent gap at {i} (no resync): {offsets:?}");
        }
    }
}
