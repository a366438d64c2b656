//! Brokers: where events get their offsets, live in history, and are deduplicated.
//!
//! A [`Broker`] is the hub's single source of order: for each (tenant, channel) it assigns
//! offsets (from 1, +1 per accepted event, never repeated inside an epoch), keeps a bounded
//! history for recovery (docs/protocol.md §4, §9.6, §9.10) and drops repeated event ids per tenant
//! (§8, §9.9). It also serialises each event's `event` frame once, so fan-out only shares bytes.
//!
//! [`MemoryBroker`] is the default; [`BrokerKind`] picks it or, with the `redis` feature, the
//! Redis broker shared by several hubs. Every backend must pass the same conformance suite
//! (`broker::conformance`, test-only), which pins the guarantees above.

#[cfg(test)]
pub(crate) mod conformance;
pub mod memory;
#[cfg(feature = "redis")]
pub mod redis;
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
    /// The channel holding the event: for a duplicate, the channel of the first publish.
    pub channel: ChannelName,
    /// The event's offset: for a duplicate, the first publish's offset.
    pub offset: u64,
    /// Whether the id was already published in this tenant within the dedup window.
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

/// A broker failure; the request may be retried.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerError {
    /// The broker cannot be reached.
    #[error("broker unavailable: {0}")]
    Unavailable(String),
}

/// Configuration of the memory broker.
#[derive(Debug, Clone)]
pub struct MemoryConfig {
    /// Events kept per (tenant, channel). Default 1000.
    pub history_size: usize,
    /// How long events are kept. Default 1 hour.
    pub history_ttl: Duration,
    /// How long event ids are remembered for dedup. Default 10 minutes.
    pub dedup_window: Duration,
    /// At most this many ids remembered per tenant (oldest forgotten first). Default 250,000.
    pub dedup_max_ids: usize,
}

impl Default for MemoryConfig {
    /// 1000 events, kept 1 hour; ids remembered 10 minutes, at most 250,000 per tenant.
    fn default() -> Self {
        Self {
            history_size: 1000,
            history_ttl: Duration::from_secs(60 * 60),
            dedup_window: Duration::from_secs(10 * 60),
            dedup_max_ids: 250_000,
        }
    }
}

/// Storage and sequencing of events.
pub trait Broker: Send + Sync + 'static {
    /// Appends `event` to `(tenant, channel)` unless its id was seen in the tenant within
    /// the dedup window.
    ///
    /// An accepted event gets the channel's next offset (from 1, +1 each, in order even under
    /// concurrent appends), is stored in history and returned with its `event` frame encoded
    /// once. A duplicate (same `event.id` in the same tenant, on any of its channels) returns
    /// the first publish's channel and offset with `duplicate: true` and no event; it is
    /// neither stored nor given an offset.
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
