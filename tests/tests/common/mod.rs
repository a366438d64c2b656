//! What the battery's scenarios share: a hub on `127.0.0.1:0`, tokens, events, and a
//! subscriber that records everything it receives into a history.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use futures_util::StreamExt;
use herald_e2e::history::Recorder;
use herald_event_types::Envelope;
use herald_hub::auth::{AuthConfig, JwtKey, mint_hs256};
use herald_hub::{Config, Hub, HubHandle, RunningHub};
use herald_subscriber::proto::Backoff;
use herald_subscriber::{Client, ProtoConfig, SubscriptionEvent};
use serde_json::json;
use tokio::sync::watch;

pub const SECRET: &[u8] = b"battery-secret-0123456789abcdefghij";
/// The longest any single step may take before the scenario fails (not a timing goal).
pub const WAIT: Duration = Duration::from_secs(30);

pub fn config(tweak: impl FnOnce(&mut Config)) -> Config {
    let mut config = Config::default();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.auth = Some(AuthConfig {
        key: JwtKey::Hs256(SECRET.to_vec()),
        audience: None,
        issuer: None,
        leeway: Duration::from_secs(5),
    });
    config.publish_rate = 1_000_000;
    tweak(&mut config);
    config
}

pub async fn hub(tweak: impl FnOnce(&mut Config)) -> RunningHub {
    Hub::builder().config(config(tweak)).spawn().await.expect("hub starts")
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

pub fn token(org: &str, sub: &str) -> String {
    mint_hs256(SECRET, &json!({"sub": sub, "org": org, "exp": now_secs() + 3600, "subscribe": ["*"], "publish": ["*"]}))
}

pub fn envelope(id: &str, subject: &str) -> Envelope {
    Envelope::from_json(
        &json!({"id": id, "event_type": "pipeline_deleted", "category": "PIPELINE", "priority": "LOW",
                "timestamp": "2026-12-07T10:00:00Z", "source": "battery", "subject": subject,
                "data": {"pipelineId": subject}})
        .to_string(),
    )
    .unwrap()
}

/// Publishes one event in process, recording the attempt and the ack.
pub async fn publish(hub: &HubHandle, history: &Recorder, org: &str, id: &str, subject: &str, epoch: &str) -> u64 {
    history.publish(org, "pipeline", subject, id);
    let outcome = hub.publish(org, None, &envelope(id, subject)).await.expect("publish accepted");
    history.ack(id, outcome.offset, epoch);
    outcome.offset
}

/// Fast reconnects and a fast dead-connection check, for scenarios that break things.
pub fn fast_client(url: &str, token: String) -> Client {
    let mut config = ProtoConfig::default();
    config.pong_timeout = Duration::from_millis(400);
    let backoff = Backoff { base: Duration::from_millis(20), cap: Duration::from_millis(300), custom: None };
    Client::builder(url).token(token).config(config).backoff(backoff).connect()
}

/// A subscription on `pipeline` whose every event and resync goes into the history; its
/// highest offset seen is watchable.
pub struct Watcher {
    pub last: watch::Receiver<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Watcher {
    pub fn start(client: &Client, history: &Recorder, name: &str, org: &str, filter: &str) -> Self {
        history.subscribe(name, org, "pipeline", filter);
        let mut subscription = client.subscribe("pipeline".parse().unwrap(), filter.parse().unwrap(), None);
        let (tx, last) = watch::channel(0);
        let (history, name) = (history.clone(), name.to_owned());
        let task = tokio::spawn(async move {
            while let Some(item) = subscription.next().await {
                history.observe(&name, &item);
                if let SubscriptionEvent::Event(delivery) = item {
                    tx.send_modify(|last| *last = (*last).max(delivery.offset));
                }
            }
        });
        Self { last, task }
    }

    /// Waits until an event at `offset` or later has arrived.
    pub async fn reached(&mut self, offset: u64) {
        let reached = tokio::time::timeout(WAIT, self.last.wait_for(|&last| last >= offset)).await.is_ok();
        assert!(reached, "offset {offset} not reached in time (last {})", *self.last.borrow());
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Publishes warm-up events until the watcher has one, so the subscription is live; returns
/// the offset reached.
pub async fn warm_up(hub: &HubHandle, history: &Recorder, org: &str, watcher: &mut Watcher, prefix: &str) -> u64 {
    let deadline = tokio::time::Instant::now() + WAIT;
    for n in 0.. {
        let offset = publish(hub, history, org, &format!("{prefix}-warm-{n}"), "p-1", "1").await;
        if tokio::time::timeout(Duration::from_millis(50), watcher.last.wait_for(|&last| last >= offset)).await.is_ok()
        {
            return offset;
        }
        assert!(tokio::time::Instant::now() < deadline, "subscription never became live");
    }
    unreachable!()
}
