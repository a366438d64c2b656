//! Brokers: where events get their offsets, live in history, and are deduplicated.
//!
//! A [`Broker`] is the hub's single source of order: for each (tenant, channel) it assigns
//! offsets (from 1, +1 per accepted event, never repeated inside an epoch), keeps a history
//! bounded in events, bytes and age for recovery (docs/protocol.md §4, §9.6, §9.10) and drops
//! repeated event ids per (tenant, channel) (§8, §9.9). It also serialises each event's `event` frame once, so fan-out only shares bytes.
//!
//! [`MemoryBroker`] is the default; [`BrokerKind`] picks it or, with the `redis` feature, the
//! Redis broker shared by several hubs. Every backend must pass the same conformance suite
//! (`broker::conformance`, test-only), which pins the guarantees above.

#[cfg(test)]
pub(crate) mod conformance;
pub mod memory;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(feature = "redis")]
mod redis_identity;
#[cfg(all(test, feature = "redis"))]
pub(crate) mod test_redis;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use herald_event_types::{ChannelName, Envelope, Subject};

pub use memory::MemoryBroker;
#[cfg(feature = "redis")]
pub use redis::{RedisBroker, RedisConfig};

/// One stored event.
#[derive(Debug)]
pub struct StoredEvent {
    /// Its offset in the channel (from 1).
    pub offset: u64,
    /// Its subject.
    pub subject: Subject,
    /// Whether it ends its subject.
    pub is_final: bool,
    /// The complete `event` frame, serialised once and shared by every subscriber.
    pub frame: Utf8Bytes,
}

/// The outcome of [`Broker::append`].
#[derive(Debug, Clone)]
pub struct Appended {
    /// The channel holding the event (the channel appended to: dedup is per channel).
    pub channel: ChannelName,
    /// The event's offset: for a duplicate, the first publish's offset.
    pub offset: u64,
    /// Whether the id was already published on this channel of the tenant within the dedup
    /// window.
    pub duplicate: bool,
    /// The stored event, to fan out; `None` for a duplicate (never delivered again).
    pub event: Option<Arc<StoredEvent>>,
}

/// Which part of a channel's history to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryQuery {
    /// Nothing (a plain live subscription): only the position is returned.
    Position,
    /// Events after `offset` of `epoch`, oldest first, at most `limit`.
    Since {
        /// The epoch the client saw.
        epoch: String,
        /// The last offset the client saw.
        offset: u64,
        /// At most this many events.
        limit: usize,
    },
    /// The latest `limit` matching events, oldest first.
    Latest {
        /// At most this many events.
        limit: usize,
    },
}

/// The answer to [`Broker::history`].
#[derive(Debug, Clone)]
pub struct History {
    /// The channel's epoch.
    pub epoch: Arc<str>,
    /// The channel's latest offset (0 when it has no events yet).
    pub latest: u64,
    /// For `Since`: whether history is continuous from `offset` (same epoch, offset not
    /// beyond `latest`, nothing after it evicted). Always `false` for the other queries.
    pub recovered: bool,
    /// The matching events (subject prefix on whole segments), oldest first.
    pub events: Vec<Arc<StoredEvent>>,
}

impl BrokerError {
    /// What a client is told when the broker fails, on the WebSocket and over HTTP. The
    /// error itself may name hosts, keys or replies: it goes to the hub's log, never to a
    /// client.
    pub const CLIENT_MESSAGE: &'static str = "the broker is unavailable; retry later";
}

/// A broker failure; the request may be retried.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerError {
    /// The broker cannot be reached.
    #[error("broker unavailable: {0}")]
    Unavailable(String),
    /// The broker is reachable but unsafe to use as it is configured (a Redis whose
    /// `maxmemory-policy` may evict Herald's keys, or that Herald may not inspect); the
    /// message says what to change. Requests fail until it is fixed, and a hub refuses to
    /// start on it.
    #[error("broker misconfigured: {0}")]
    Misconfigured(String),
}

/// The default of [`MemoryConfig::history_max_bytes`]: 512 KiB, half of the default
/// per-connection outbound queue (`client_queue_bytes`, 1 MiB), which is what a subscribe may
/// replay at once (docs/operations.md §8).
pub const DEFAULT_HISTORY_MAX_BYTES: usize = 512 * 1024;

/// History and dedup limits, shared by every broker (the Redis broker applies the same ones).
#[derive(Debug, Clone)]
pub struct MemoryConfig {
    /// Events kept per (tenant, channel). `0` keeps none. Default 1000.
    pub history_size: usize,
    /// Bytes of history kept per (tenant, channel), counted as the stored `event` frames
    /// (exactly what a replay sends). The oldest events are evicted first; an event larger than
    /// the whole bound is delivered live but not kept. `0` keeps none. Default
    /// [`DEFAULT_HISTORY_MAX_BYTES`] (512 KiB), so a `since` recovery of everything a channel
    /// holds fits an empty default outbound queue's replay budget.
    pub history_max_bytes: usize,
    /// How long events are kept. Default 1 hour.
    pub history_ttl: Duration,
    /// How long event ids are remembered for dedup. Default 10 minutes.
    pub dedup_window: Duration,
    /// At most this many ids remembered per tenant, over all of its channels (oldest forgotten
    /// first). `0` turns dedup off. Default 250,000.
    pub dedup_max_ids: usize,
}

impl Default for MemoryConfig {
    /// 1000 events and 512 KiB per channel, kept 1 hour; ids remembered 10 minutes, at most
    /// 250,000 per tenant.
    fn default() -> Self {
        Self {
            history_size: 1000,
            history_max_bytes: DEFAULT_HISTORY_MAX_BYTES,
            history_ttl: Duration::from_secs(60 * 60),
            dedup_window: Duration::from_secs(10 * 60),
            dedup_max_ids: 250_000,
        }
    }
}

/// Storage and sequencing of events.
pub trait Broker: Send + Sync + 'static {
    /// Appends `event` to `(tenant, channel)` unless its id was seen on that channel within
    /// the dedup window.
    ///
    /// An accepted event gets the channel's next offset (from 1, +1 each, in order even under
    /// concurrent appends), is stored in history (evicting the oldest events beyond
    /// `history_size` and `history_max_bytes`) and returned with its `event` frame encoded
    /// once. A duplicate (same `event.id` on the same channel of the same tenant) returns the
    /// first publish's offset with `duplicate: true` and no event; it is neither stored nor
    /// given an offset. The same id on another channel is a new event: a publisher that may
    /// only publish on one channel can neither suppress nor probe events of another
    /// (docs/protocol.md §9.9).
    ///
    /// # Errors
    /// [`BrokerError`] when the broker cannot be reached; retrying with the same event id is
    /// safe (at worst it is answered as a duplicate).
    fn append(
        &self,
        tenant: &str,
        channel: &ChannelName,
        event: &Envelope,
    ) -> impl Future<Output = Result<Appended, BrokerError>> + Send;

    /// Reads history of `(tenant, channel)` matching `subject`.
    ///
    /// Always returns the epoch and latest offset (0 and the broker's epoch for a channel
    /// without events; reading never creates a channel). `Latest` returns the last `limit`
    /// retained events matching `subject`. `Since` is all-or-nothing: `recovered: true` with
    /// the matching events after `offset` (up to `limit`) when `epoch` is the channel's and
    /// no event after `offset` was evicted (`offset == latest` recovers with no events);
    /// otherwise `recovered: false` and no events.
    ///
    /// # Errors
    /// [`BrokerError`] when the broker cannot be reached; the read may be retried.
    fn history(
        &self,
        tenant: &str,
        channel: &ChannelName,
        subject: &Subject,
        query: HistoryQuery,
    ) -> impl Future<Output = Result<History, BrokerError>> + Send;

    /// Whether the broker can serve requests (for `/readyz`).
    fn is_ready(&self) -> impl Future<Output = bool> + Send;
}

/// The broker a hub runs on, chosen at startup (`--broker`); dispatches [`Broker`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum BrokerKind {
    /// In this process (the default).
    Memory(MemoryBroker),
    /// In Redis, shared by several hubs (feature `redis`).
    #[cfg(feature = "redis")]
    Redis(RedisBroker),
}

impl BrokerKind {
    /// The current epoch (for Redis: read from Redis, created if missing).
    ///
    /// # Errors
    /// [`BrokerError`] when the broker cannot be reached.
    pub async fn epoch(&self) -> Result<Arc<str>, BrokerError> {
        match self {
            Self::Memory(broker) => Ok(broker.epoch().into()),
            #[cfg(feature = "redis")]
            Self::Redis(broker) => {
                let channel: ChannelName = "epoch".parse().map_err(|_| BrokerError::Unavailable("channel".into()))?;
                Ok(broker.history("herald", &channel, &Subject::default(), HistoryQuery::Position).await?.epoch)
            }
        }
    }
}

impl BrokerKind {
    /// The startup check of the hub: refuses a broker that is reachable but unsafe to use.
    ///
    /// The memory broker always passes. The Redis broker connects once and checks the server
    /// (`maxmemory-policy noeviction`, `INFO` allowed; see `RedisBroker::check`): a
    /// [`BrokerError::Misconfigured`] server is refused, so the hub does not start. An
    /// unreachable Redis, or a replica, is logged and passes: the hub starts not ready and
    /// keeps retrying, and a server that then turns out misconfigured keeps it unavailable
    /// (logged once) until it is fixed.
    ///
    /// # Errors
    /// [`BrokerError::Misconfigured`], naming what to change.
    pub async fn check_startup(&self) -> Result<(), BrokerError> {
        match self {
            Self::Memory(_) => Ok(()),
            #[cfg(feature = "redis")]
            Self::Redis(broker) => match broker.check().await {
                Err(error @ BrokerError::Misconfigured(_)) => Err(error),
                Err(error) => {
                    tracing::warn!(%error, "redis broker not usable yet; starting anyway (not ready) and retrying");
                    Ok(())
                }
                Ok(()) => Ok(()),
            },
        }
    }
}

impl Broker for BrokerKind {
    async fn append(&self, tenant: &str, channel: &ChannelName, event: &Envelope) -> Result<Appended, BrokerError> {
        match self {
            Self::Memory(broker) => broker.append(tenant, channel, event).await,
            #[cfg(feature = "redis")]
            Self::Redis(broker) => broker.append(tenant, channel, event).await,
        }
    }

    async fn history(
        &self,
        tenant: &str,
        channel: &ChannelName,
        subject: &Subject,
        query: HistoryQuery,
    ) -> Result<History, BrokerError> {
        match self {
            Self::Memory(broker) => broker.history(tenant, channel, subject, query).await,
            #[cfg(feature = "redis")]
            Self::Redis(broker) => broker.history(tenant, channel, subject, query).await,
        }
    }

    async fn is_ready(&self) -> bool {
        match self {
            Self::Memory(broker) => broker.is_ready().await,
            #[cfg(feature = "redis")]
            Self::Redis(broker) => broker.is_ready().await,
        }
    }
}
