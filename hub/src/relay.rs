//! The Redis relay (feature `redis`): drives local fan-out from the channels' Redis pub/sub
//! topics, so every hub on one Redis delivers every event, in offset order, exactly once.
//!
//! One task owns one pub/sub connection and subscribes to the topic of every (tenant,
//! channel) a local client subscribed to (topics are never dropped: their number is bounded
//! by tenants × channels). Each message is delivered under its slot's lock:
//!
//! - offsets at or below the slot's `delivered` are dropped (already replayed or delivered);
//! - a gap (Redis pub/sub is at-most-once) is filled from the stream first; if the stream no
//!   longer holds it, or Redis cannot be read, the slot's connections are closed with 1012 so
//!   their clients reconnect and recover (or are told to resync): never a silent gap;
//! - an event of another epoch (Redis lost its data, or the broker minted a new epoch after a
//!   failover or a lossy restart, `broker::redis_identity`) closes the slot's connections with
//!   1012: their clients reconnect, `since` fails and the SDKs surface `Resync`.
//!
//! When the connection drops, the task reconnects with exponential backoff (100 ms to 5 s,
//! jittered), resubscribes, and catches every slot up from the stream.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use herald_event_types::{ChannelName, CloseCode, Subject};
use redis::aio::PubSubSink;
use tokio::task::JoinHandle;

use crate::broker::redis::COMMAND_TIMEOUT;
use crate::broker::{Broker, BrokerError, HistoryQuery, RedisBroker};
use crate::channels::{Core, SlotKey, SlotState};

/// The close code for "continuity lost here, reconnect and recover": service restart.
const CONTINUITY_LOST: CloseCode = CloseCode::Other(1012);

/// Topics this hub needs and the live pub/sub connection.
#[derive(Default)]
struct Topics {
    wanted: HashMap<String, SlotKey>,
    sink: Option<PubSubSink>,
    subscribed: HashSet<String>,
}

/// The relay task; aborted when dropped.
pub(crate) struct Relay {
    topics: Arc<Mutex<Topics>>,
    /// Whether the pub/sub connection is up (subscribes wait for it, up to 2 s).
    connected: tokio::sync::watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay").field("topics", &lock(&self.topics).wanted.len()).finish()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(topics: &Mutex<Topics>) -> std::sync::MutexGuard<'_, Topics> {
    topics.lock().unwrap_or_else(PoisonError::into_inner)
}

fn unavailable(error: impl std::fmt::Display) -> BrokerError {
    BrokerError::Unavailable(format!("redis pub/sub: {error}"))
}

impl Relay {
    /// Starts the relay task (must be called inside a tokio runtime).
    pub(crate) fn start(broker: RedisBroker, core: Arc<Core>) -> Self {
        let topics = Arc::new(Mutex::new(Topics::default()));
        let connected = tokio::sync::watch::Sender::new(false);
        let task = tokio::spawn(run(broker, core, topics.clone(), connected.clone()));
        Self { topics, connected, task }
    }

    /// Makes sure this hub is subscribed to the topic of `(tenant, channel)`; returns once
    /// Redis confirmed the subscription.
    ///
    /// # Errors
    /// [`BrokerError::Unavailable`] while the pub/sub connection is down.
    pub(crate) async fn ensure(&self, tenant: &str, channel: &ChannelName) -> Result<(), BrokerError> {
        let topic = RedisBroker::topic(tenant, channel);
        // Right after startup or during a reconnect: wait a little for the connection.
        let mut connected = self.connected.subscribe();
        let _ = tokio::time::timeout(COMMAND_TIMEOUT, connected.wait_for(|up| *up)).await;
        let sink = {
            let mut topics = lock(&self.topics);
            topics.wanted.entry(topic.clone()).or_insert_with(|| (Arc::from(tenant), channel.clone()));
            if topics.subscribed.contains(&topic) {
                return Ok(());
            }
            topics.sink.clone()
        };
        let mut sink = sink.ok_or_else(|| unavailable("not connected (reconnecting)"))?;
        tokio::time::timeout(COMMAND_TIMEOUT, sink.subscribe(&topic))
            .await
            .map_err(|_| unavailable("subscribe timed out"))?
            .map_err(unavailable)?;
        lock(&self.topics).subscribed.insert(topic);
        Ok(())
    }
}

async fn run(
    broker: RedisBroker,
    core: Arc<Core>,
    topics: Arc<Mutex<Topics>>,
    connected: tokio::sync::watch::Sender<bool>,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match connect(&broker, &topics).await {
            Ok(mut stream) => {
                backoff = Duration::from_millis(100);
                connected.send_replace(true);
                tracing::info!("redis pub/sub connected");
                // Whatever was published while we were away comes from the stream.
                let wanted: Vec<SlotKey> = lock(&topics).wanted.values().cloned().collect();
                for (tenant, channel) in wanted {
                    resync(&core, &broker, &tenant, &channel).await;
                }
                while let Some(message) = stream.next().await {
                    let key = lock(&topics).wanted.get(message.get_channel_name()).cloned();
                    let Some((tenant, channel)) = key else { continue };
                    match RedisBroker::decode(&channel, message.get_payload_bytes()) {
                        Some(published) => {
                            deliver(&core, &broker, &tenant, &channel, &published.epoch, published.event).await;
                        }
                        None => tracing::warn!(%channel, "undecodable message on a herald topic"),
                    }
                }
                connected.send_replace(false);
                let mut state = lock(&topics);
                state.sink = None;
                state.subscribed.clear();
                drop(state);
                tracing::warn!("redis pub/sub disconnected; reconnecting");
            }
            Err(error) => tracing::warn!(%error, ?backoff, "redis pub/sub unavailable; retrying"),
        }
        let jitter = Duration::from_millis(rand::random::<u64>() % (backoff.as_millis() as u64 / 2 + 1));
        tokio::time::sleep(backoff + jitter).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// Opens the pub/sub connection and subscribes to every wanted topic.
async fn connect(broker: &RedisBroker, topics: &Mutex<Topics>) -> Result<redis::aio::PubSubStream, BrokerError> {
    let pubsub = tokio::time::timeout(COMMAND_TIMEOUT, broker.client().get_async_pubsub())
        .await
        .map_err(|_| unavailable("connect timed out"))?
        .map_err(unavailable)?;
    let (mut sink, stream) = pubsub.split();
    let wanted: Vec<String> = lock(topics).wanted.keys().cloned().collect();
    for topic in &wanted {
        tokio::time::timeout(COMMAND_TIMEOUT, sink.subscribe(topic))
            .await
            .map_err(|_| unavailable("subscribe timed out"))?
            .map_err(unavailable)?;
    }
    let mut state = lock(topics);
    state.subscribed = wanted.into_iter().collect();
    state.sink = Some(sink);
    Ok(stream)
}

/// Catches a slot up with the stream after a reconnect.
async fn resync(core: &Core, broker: &RedisBroker, tenant: &str, channel: &ChannelName) {
    let slot = core.slot(tenant, channel);
    let mut state = slot.state.lock().await;
    if state.conns.is_empty() {
        return;
    }
    match broker.history(tenant, channel, &Subject::default(), HistoryQuery::Position).await {
        Ok(history) => catch_up(core, broker, tenant, channel, &mut state, &history.epoch, history.latest).await,
        Err(_) => close_all(&mut state, "broker unavailable"),
    }
}

/// Brings a slot to `(epoch, latest)`: delivers the missing events to its subscribers from
/// the stream (or closes them when that is impossible), then records the position.
pub(crate) async fn catch_up(
    core: &Core,
    broker: &RedisBroker,
    tenant: &str,
    channel: &ChannelName,
    state: &mut SlotState,
    epoch: &Arc<str>,
    latest: u64,
) {
    if !state.conns.is_empty() {
        if state.epoch.as_ref() != Some(epoch) {
            close_all(state, "stream epoch changed");
        } else if latest > state.delivered {
            fill(core, broker, tenant, channel, state, latest).await;
        }
    }
    if state.epoch.as_ref() != Some(epoch) || state.delivered < latest {
        state.epoch = Some(epoch.clone());
        state.delivered = latest;
    }
}

/// Delivers one event from the topic.
async fn deliver(
    core: &Core,
    broker: &RedisBroker,
    tenant: &str,
    channel: &ChannelName,
    epoch: &Arc<str>,
    event: Arc<crate::broker::StoredEvent>,
) {
    let slot = core.slot(tenant, channel);
    let mut state = slot.state.lock().await;
    if state.conns.is_empty() {
        // Nobody here: the next subscribe takes its position from the stream.
        return;
    }
    if state.epoch.as_ref() != Some(epoch) {
        close_all(&mut state, "stream epoch changed");
        state.epoch = Some(epoch.clone());
        state.delivered = event.offset;
        return;
    }
    if event.offset <= state.delivered {
        return;
    }
    if event.offset > state.delivered + 1 {
        fill(core, broker, tenant, channel, &mut state, event.offset - 1).await;
    }
    if !state.conns.is_empty() {
        core.fan_out(channel, &event, &mut state.conns);
    }
    state.delivered = event.offset;
}

/// Delivers the events after `state.delivered` up to `upto` from the stream; closes the
/// slot's connections if the stream cannot provide all of them.
async fn fill(
    core: &Core,
    broker: &RedisBroker,
    tenant: &str,
    channel: &ChannelName,
    state: &mut SlotState,
    upto: u64,
) {
    let Some(epoch) = state.epoch.clone() else { return close_all(state, "no position") };
    let limit = usize::try_from(upto - state.delivered).unwrap_or(usize::MAX);
    let query = HistoryQuery::Since { epoch: epoch.to_string(), offset: state.delivered, limit };
    match broker.history(tenant, channel, &Subject::default(), query).await {
        Ok(history) if history.recovered && history.events.last().is_some_and(|e| e.offset >= upto) => {
            core.metrics().relay_gaps_filled.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            for event in history.events.iter().filter(|e| e.offset <= upto) {
                core.fan_out(channel, event, &mut state.conns);
                state.delivered = event.offset;
            }
        }
        Ok(_) => close_all(state, "history no longer covers a gap"),
        Err(_) => close_all(state, "broker unavailable"),
    }
    state.delivered = state.delivered.max(upto);
}

/// Closes every connection of the slot with 1012: they reconnect and recover or resync.
fn close_all(state: &mut SlotState, reason: &'static str) {
    for (_, sub) in state.conns.drain() {
        sub.conn.close(CONTINUITY_LOST, reason, None);
    }
}
