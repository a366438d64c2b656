//! The in-memory broker: the default, for a single hub process (or a hub embedded in a service).
//!
//! Everything lives in this process, so a restart loses history: each [`MemoryBroker`] gets a
//! fresh random epoch, which tells reconnecting clients that they must reload (docs/protocol.md §5).
//!
//! # Guarantees
//!
//! - Offsets per (tenant, channel) start at 1, grow by exactly 1 per accepted event and never
//!   repeat, even under concurrent appends from many tasks and after every event has expired.
//! - History is a ring per (tenant, channel): at most `history_size` events and
//!   `history_max_bytes` bytes of event frames, none older than `history_ttl`. Events are only
//!   ever evicted from the front, so the retained offsets are always contiguous and ending at
//!   the latest offset.
//! - Dedup is per (tenant, channel) (docs/protocol.md §9.9): a repeated id on the same channel
//!   is a duplicate, the same id on another channel a new event, so a publisher can neither
//!   suppress nor probe events of channels it may not publish to. At most `dedup_max_ids`
//!   (channel, id) pairs are remembered per tenant, each for `dedup_window` from its first
//!   publish.
//! - Memory is bounded by what was published: reads never create state.
//!
//! # Locking
//!
//! A short-lived map lock finds a tenant; the tenant's own lock covers the dedup check, offset
//! assignment, frame encoding and the history append, so appends to one tenant are serialised and
//! tenants do not contend with each other. No lock is ever held across an `.await` (nothing here
//! awaits). The envelope itself is serialised before any lock is taken.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::ws::Utf8Bytes;
use herald_event_types::frame::EventFrame;
use herald_event_types::{ChannelName, Envelope, EventId, Subject};
use tokio::time::Instant;

use super::{Appended, Broker, BrokerError, History, HistoryQuery, MemoryConfig, StoredEvent};

/// The default broker: everything in this process; a new epoch per start.
///
/// Cloning is cheap and every clone shares the same state.
///
/// ```
/// use herald_event_types::{ChannelName, Envelope, EventCategory, Priority, Subject};
/// use herald_hub::broker::{Broker, HistoryQuery, MemoryBroker, MemoryConfig};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let broker = MemoryBroker::new(MemoryConfig::default());
/// let channel: ChannelName = "pipeline".parse().unwrap();
/// let data = serde_json::value::to_raw_value(&serde_json::json!({"pipelineId": "p-42"})).unwrap();
/// let subject: Subject = "p-42".parse().unwrap();
/// let event = Envelope::from_parts("pipeline_deleted", EventCategory::Pipeline, Priority::Medium, subject, data, "svc")
///     .unwrap();
///
/// let first = broker.append("acme", &channel, &event).await.unwrap();
/// assert_eq!((first.offset, first.duplicate), (1, false));
/// let again = broker.append("acme", &channel, &event).await.unwrap();
/// assert_eq!((again.offset, again.duplicate), (1, true));
///
/// let history = broker.history("acme", &channel, &Subject::default(), HistoryQuery::Latest { limit: 10 }).await.unwrap();
/// assert_eq!(history.latest, 1);
/// assert_eq!(&*history.epoch, broker.epoch());
/// assert_eq!(history.events.len(), 1);
/// # });
/// ```
#[derive(Clone)]
pub struct MemoryBroker {
    inner: Arc<Inner>,
}

struct Inner {
    config: MemoryConfig,
    epoch: Arc<str>,
    tenants: Mutex<HashMap<Box<str>, Arc<Mutex<Tenant>>>>,
}

/// One tenant's channels and dedup memory.
#[derive(Default)]
struct Tenant {
    channels: HashMap<ChannelName, Channel>,
    dedup: Dedup,
}

/// One (tenant, channel): its latest offset and its history ring.
#[derive(Default)]
struct Channel {
    /// The latest offset assigned (0 before the first event).
    latest: u64,
    /// Retained events, oldest first, with their insertion times. Contiguous offsets ending at
    /// `latest` (or empty).
    ring: VecDeque<(Instant, Arc<StoredEvent>)>,
    /// The sum of the frame lengths in `ring`.
    bytes: usize,
}

/// A remembered publish: the channel and the event id.
type DedupKey = Arc<(ChannelName, EventId)>;

/// The (channel, id) pairs a tenant published within the dedup window.
#[derive(Default)]
struct Dedup {
    /// Each remembered (channel, id) → the offset of its first publish.
    first: HashMap<DedupKey, u64>,
    /// The same keys in publish order, with their publish times: exactly the keys of `first`.
    order: VecDeque<(Instant, DedupKey)>,
}

impl MemoryBroker {
    /// A broker with a fresh random epoch (16 hex digits).
    pub fn new(config: MemoryConfig) -> Self {
        let epoch: Arc<str> = format!("{:016x}", rand::random::<u64>()).into();
        Self { inner: Arc::new(Inner { config, epoch, tenants: Mutex::default() }) }
    }

    /// This broker's epoch, the same for every channel; a new broker has a new one.
    pub fn epoch(&self) -> &str {
        &self.inner.epoch
    }

    /// The configuration this broker was built with.
    pub fn config(&self) -> &MemoryConfig {
        &self.inner.config
    }

    /// The tenant's state, created on its first publish.
    fn tenant_for_append(&self, tenant: &str) -> Arc<Mutex<Tenant>> {
        let mut tenants = lock(&self.inner.tenants);
        match tenants.get(tenant) {
            Some(state) => Arc::clone(state),
            None => Arc::clone(tenants.entry(tenant.into()).or_default()),
        }
    }

    /// The tenant's state if it ever published (reads never create state).
    fn tenant_for_read(&self, tenant: &str) -> Option<Arc<Mutex<Tenant>>> {
        lock(&self.inner.tenants).get(tenant).cloned()
    }

    fn append_now(&self, tenant: &str, channel: &ChannelName, event: &Envelope) -> Result<Appended, BrokerError> {
        // Serialise outside every lock; only the short frame wrapping needs the offset.
        let raw = serde_json::value::to_raw_value(event)
            // An envelope always serialises (strings, enums and raw JSON); never reached.
            .map_err(|err| BrokerError::Unavailable(format!("cannot serialise the event: {err}")))?;
        let config = &self.inner.config;
        let state = self.tenant_for_append(tenant);
        let mut state = lock(&state);
        let now = Instant::now();
        let Tenant { channels, dedup } = &mut *state;

        dedup.forget_expired(now, config.dedup_window);
        let key: DedupKey = Arc::new((channel.clone(), event.id.clone()));
        if let Some(offset) = dedup.first.get(&key) {
            return Ok(Appended { channel: channel.clone(), offset: *offset, duplicate: true, event: None });
        }

        let history = channels.entry(channel.clone()).or_default();
        history.latest += 1;
        let offset = history.latest;
        let stored = Arc::new(StoredEvent {
            offset,
            subject: event.subject.clone(),
            is_final: event.is_final,
            frame: Utf8Bytes::from(EventFrame::encode(channel, offset, &raw)),
        });
        history.bytes += stored.frame.len();
        history.ring.push_back((now, Arc::clone(&stored)));
        history.evict(now, config);
        dedup.remember(now, key, offset, config.dedup_max_ids);

        Ok(Appended { channel: channel.clone(), offset, duplicate: false, event: Some(stored) })
    }

    fn history_now(&self, tenant: &str, channel: &ChannelName, subject: &Subject, query: HistoryQuery) -> History {
        let epoch = Arc::clone(&self.inner.epoch);
        let Some(state) = self.tenant_for_read(tenant) else {
            return read(&epoch, 0, &VecDeque::new(), subject, query);
        };
        let mut state = lock(&state);
        match state.channels.get_mut(channel) {
            Some(history) => {
                history.evict(Instant::now(), &self.inner.config);
                read(&epoch, history.latest, &history.ring, subject, query)
            }
            None => read(&epoch, 0, &VecDeque::new(), subject, query),
        }
    }
}

impl fmt::Debug for MemoryBroker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the events themselves: they may be many, and they are tenants' data.
        f.debug_struct("MemoryBroker")
            .field("epoch", &self.inner.epoch)
            .field("config", &self.inner.config)
            .field("tenants", &lock(&self.inner.tenants).len())
            .finish()
    }
}

impl Broker for MemoryBroker {
    async fn append(&self, tenant: &str, channel: &ChannelName, event: &Envelope) -> Result<Appended, BrokerError> {
        self.append_now(tenant, channel, event)
    }

    async fn history(
        &self,
        tenant: &str,
        channel: &ChannelName,
        subject: &Subject,
        query: HistoryQuery,
    ) -> Result<History, BrokerError> {
        Ok(self.history_now(tenant, channel, subject, query))
    }

    async fn is_ready(&self) -> bool {
        true
    }
}

impl Channel {
    /// Drops events beyond `history_size` or `history_max_bytes` and those older than
    /// `history_ttl`, from the front.
    fn evict(&mut self, now: Instant, config: &MemoryConfig) {
        while let Some((at, oldest)) = self.ring.front() {
            let over = self.ring.len() > config.history_size || self.bytes > config.history_max_bytes;
            if !over && now.duration_since(*at) < config.history_ttl {
                break;
            }
            self.bytes -= oldest.frame.len();
            self.ring.pop_front();
        }
    }
}

impl Dedup {
    /// Forgets the ids first published `window` or longer ago (they sit at the front).
    fn forget_expired(&mut self, now: Instant, window: std::time::Duration) {
        while let Some((at, _)) = self.order.front() {
            if now.duration_since(*at) < window {
                break;
            }
            if let Some((_, id)) = self.order.pop_front() {
                self.first.remove(&id);
            }
        }
    }

    /// Remembers a first publish, forgetting the oldest keys beyond `max_ids`.
    fn remember(&mut self, now: Instant, key: DedupKey, offset: u64, max_ids: usize) {
        if max_ids == 0 {
            return;
        }
        while self.order.len() >= max_ids {
            match self.order.pop_front() {
                Some((_, old)) => self.first.remove(&old),
                None => break,
            };
        }
        self.first.insert(Arc::clone(&key), offset);
        self.order.push_back((now, key));
    }
}

/// Answers `query` from a channel's retained events (contiguous offsets ending at `latest`).
fn read(
    epoch: &Arc<str>,
    latest: u64,
    ring: &VecDeque<(Instant, Arc<StoredEvent>)>,
    subject: &Subject,
    query: HistoryQuery,
) -> History {
    let matching =
        |(_, event): &(Instant, Arc<StoredEvent>)| subject.matches(&event.subject).then(|| Arc::clone(event));
    let (recovered, events) = match query {
        HistoryQuery::Position => (false, Vec::new()),
        HistoryQuery::Latest { limit } => {
            let mut events: Vec<_> = ring.iter().rev().filter_map(matching).take(limit).collect();
            events.reverse();
            (false, events)
        }
        HistoryQuery::Since { epoch: seen, offset, limit } => {
            if *seen != **epoch || offset > latest {
                (false, Vec::new())
            } else if offset == latest {
                (true, Vec::new())
            } else {
                match ring.front() {
                    // Continuous when the event right after `offset` is still retained.
                    Some((_, oldest)) if oldest.offset <= offset + 1 => {
                        let skip = usize::try_from(offset + 1 - oldest.offset).unwrap_or(usize::MAX);
                        (true, ring.iter().skip(skip).filter_map(matching).take(limit).collect())
                    }
                    _ => (false, Vec::new()),
                }
            }
        }
    };
    History { epoch: Arc::clone(epoch), latest, recovered, events }
}

/// Locks `mutex`, ignoring poisoning: every critical section leaves the state consistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::conformance;

    conformance::broker_conformance!(MemoryBroker::new);

    #[test]
    fn each_broker_has_its_own_random_epoch() {
        let (a, b) = (MemoryBroker::new(MemoryConfig::default()), MemoryBroker::new(MemoryConfig::default()));
        assert_eq!(a.epoch().len(), 16);
        assert!(a.epoch().chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.epoch(), b.epoch());
    }

    #[tokio::test]
    async fn reads_do_not_create_state() {
        let broker = MemoryBroker::new(MemoryConfig::default());
        let channel: ChannelName = "pipeline".parse().unwrap();
        let all = Subject::default();
        for query in [HistoryQuery::Position, HistoryQuery::Latest { limit: 5 }] {
            let history = broker.history("nobody", &channel, &all, query).await.unwrap();
            assert_eq!((history.latest, history.recovered, history.events.len()), (0, false, 0));
        }
        assert!(lock(&broker.inner.tenants).is_empty());

        broker.append("acme", &channel, &conformance::envelope("e-1", "")).await.unwrap();
        let other: ChannelName = "security".parse().unwrap();
        broker.history("acme", &other, &all, HistoryQuery::Latest { limit: 5 }).await.unwrap();
        let tenants = lock(&broker.inner.tenants);
        let tenant = lock(&tenants["acme"]);
        assert_eq!(tenant.channels.len(), 1);
    }

    #[tokio::test]
    async fn debug_output_hides_events() {
        let broker = MemoryBroker::new(MemoryConfig::default());
        let channel: ChannelName = "pipeline".parse().unwrap();
        broker.append("acme", &channel, &conformance::envelope("secret-id", "")).await.unwrap();
        let debug = format!("{broker:?}");
        assert!(debug.contains(broker.epoch()));
        assert!(!debug.contains("secret-id"));
    }
}
