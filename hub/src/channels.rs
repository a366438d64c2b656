//! The subscription registry and fan-out.
//!
//! Each (tenant, channel) has a slot whose async lock orders two things: *publish* (append
//! to the broker, then queue the event for every matching connection) and *subscribe* (read
//! history, queue `subscribed` and the replay, then register). Because both hold the same
//! lock, a subscriber receives replayed events before live ones, and no event twice: an
//! event is either in the history it read or published after it registered.
//!
//! With the Redis broker (feature `redis`) several hubs publish into one stream, so fan-out is
//! driven by the channel's Redis pub/sub topic instead (the relay, `crate::relay`): every event
//! reaches local subscribers from that one path, in offset order, under the same slot lock.
//! The slot remembers the last offset it delivered; the relay drops offsets at or below it and
//! fills a gap from the stream before delivering, and a subscribe first brings the slot's
//! existing subscribers up to the history it read (docs/adr/0005-redis-broker.md).
//!
//! Fan-out groups subscriptions by connection, so an event goes to a connection at most
//! once even when several of its subscriptions match (docs/protocol.md §9.7), and it shares the
//! broker's serialised frame bytes with every connection.

use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, PoisonError, RwLock};

use axum::extract::ws::Utf8Bytes;
use herald_event_types::frame::{SubjectEnded, Subscribed, Unsubscribed};
use herald_event_types::{ChannelName, Envelope, ServerFrame, Subject};
use tokio::time::Instant;

use crate::broker::{Appended, Broker, BrokerError, BrokerKind, HistoryQuery, StoredEvent};
use crate::connection::outbound::{ConnHandle, Pushed};
use crate::metrics::Metrics;

pub(crate) type SlotKey = (Arc<str>, ChannelName);

/// Subscriptions of one (tenant, channel), by connection.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    pub(crate) state: tokio::sync::Mutex<SlotState>,
}

/// What a slot's lock protects.
#[derive(Debug, Default)]
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) struct SlotState {
    pub(crate) conns: HashMap<u64, Subscriber>,
    /// Relay mode: the epoch of the offsets below (`None` before the first subscribe).
    pub(crate) epoch: Option<Arc<str>>,
    /// Relay mode: the last offset delivered to this slot's subscribers (or covered by the
    /// history a subscriber read).
    pub(crate) delivered: u64,
}

#[derive(Debug)]
pub(crate) struct Subscriber {
    pub(crate) conn: Arc<ConnHandle>,
    subjects: Vec<Subject>,
}

/// What a subscribe did.
#[derive(Debug)]
pub(crate) struct SubscribeOutcome {
    pub(crate) recovered: bool,
}

/// All subscriptions of the hub.
#[derive(Debug)]
pub(crate) struct Registry {
    core: Arc<Core>,
    broker: BrokerKind,
    /// Redis: the pub/sub relay that drives fan-out.
    #[cfg(feature = "redis")]
    relay: Option<crate::relay::Relay>,
}

/// The slots and fan-out, shared with the relay task.
#[derive(Debug)]
pub(crate) struct Core {
    slots: RwLock<HashMap<SlotKey, Arc<Slot>>>,
    metrics: Arc<Metrics>,
}

fn frame_text(frame: &ServerFrame) -> Utf8Bytes {
    Utf8Bytes::from(frame.to_json())
}

impl Registry {
    /// A registry on `broker`; for Redis, also starts the relay task (inside a runtime).
    pub(crate) fn new(broker: BrokerKind, metrics: Arc<Metrics>) -> Self {
        let core = Arc::new(Core { slots: RwLock::default(), metrics });
        #[cfg(feature = "redis")]
        let relay = match &broker {
            BrokerKind::Redis(redis) => Some(crate::relay::Relay::start(redis.clone(), core.clone())),
            _ => None,
        };
        Self {
            core,
            broker,
            #[cfg(feature = "redis")]
            relay,
        }
    }

    pub(crate) fn broker(&self) -> &BrokerKind {
        &self.broker
    }

    /// Whether fan-out is driven by the Redis relay.
    fn relayed(&self) -> bool {
        #[cfg(feature = "redis")]
        return self.relay.is_some();
        #[cfg(not(feature = "redis"))]
        false
    }

    /// Appends `event` and queues it for every matching connection of the tenant (with the
    /// relay: only appends; the relay delivers it).
    pub(crate) async fn publish(
        &self,
        tenant: &str,
        channel: &ChannelName,
        event: &Envelope,
        received: Instant,
    ) -> Result<Appended, BrokerError> {
        if self.relayed() {
            let appended = self.broker.append(tenant, channel, event).await?;
            let counter = if appended.duplicate {
                &self.core.metrics.events_duplicate
            } else {
                &self.core.metrics.events_published
            };
            counter.fetch_add(1, Relaxed);
            return Ok(appended);
        }
        let slot = self.core.slot(tenant, channel);
        let mut state = slot.state.lock().await;
        let appended = self.broker.append(tenant, channel, event).await?;
        match &appended.event {
            Some(stored) => {
                self.core.fan_out(channel, stored, &mut state.conns);
                self.core.metrics.events_published.fetch_add(1, Relaxed);
                self.core.metrics.observe_fanout(received.elapsed());
            }
            None => {
                self.core.metrics.events_duplicate.fetch_add(1, Relaxed);
            }
        }
        Ok(appended)
    }
}

impl Core {
    /// The slot of `(tenant, channel)`, created on first use. Only a subscribe or a publish
    /// that passed the channel and permission checks may call this: a slot is never removed,
    /// so the number of slots is bounded by tenants (signed `org` claims) × configured
    /// channels, and no client-chosen name creates one.
    pub(crate) fn slot(&self, tenant: &str, channel: &ChannelName) -> Arc<Slot> {
        if let Some(slot) = self.existing_slot(tenant, channel) {
            return slot;
        }
        let key: SlotKey = (Arc::from(tenant), channel.clone());
        let mut slots = self.slots.write().unwrap_or_else(PoisonError::into_inner);
        let slot = slots.entry(key).or_insert_with(|| {
            self.metrics.channel_slots.fetch_add(1, Relaxed);
            Arc::default()
        });
        slot.clone()
    }

    /// The slot of `(tenant, channel)` if it exists; never creates one (unsubscribe and
    /// cleanup paths, which a client drives with any name).
    pub(crate) fn existing_slot(&self, tenant: &str, channel: &ChannelName) -> Option<Arc<Slot>> {
        // `(Arc<str>, ChannelName)` keys cannot be borrowed as `(&str, &ChannelName)`: a
        // lookup builds the key, which costs one small allocation and no lasting state.
        let key: SlotKey = (Arc::from(tenant), channel.clone());
        self.slots.read().unwrap_or_else(PoisonError::into_inner).get(&key).cloned()
    }

    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub(crate) fn fan_out(&self, channel: &ChannelName, event: &StoredEvent, conns: &mut HashMap<u64, Subscriber>) {
        let mut delivered = 0;
        let ends = event.is_final && !event.subject.is_empty();
        let mut emptied = Vec::new();
        for (key, sub) in conns.iter_mut() {
            if !sub.subjects.iter().any(|prefix| prefix.matches(&event.subject)) {
                continue;
            }
            match sub.conn.push(event.frame.clone()) {
                Pushed::Queued => delivered += 1,
                Pushed::Overflowed => {
                    self.metrics.slow_consumer_closes.fetch_add(1, Relaxed);
                    continue;
                }
                Pushed::Closing => continue,
            }
            if ends && sub.subjects.contains(&event.subject) {
                sub.subjects.retain(|s| s != &event.subject);
                self.forget(&sub.conn, channel, &event.subject);
                let ended = ServerFrame::SubjectEnded(SubjectEnded {
                    channel: channel.clone(),
                    subject: event.subject.clone(),
                });
                sub.conn.push(frame_text(&ended));
                if sub.subjects.is_empty() {
                    emptied.push(*key);
                }
            }
        }
        for key in emptied {
            conns.remove(&key);
        }
        self.metrics.events_delivered.fetch_add(delivered, Relaxed);
    }

    /// Queues a frame, counting an overflow as a slow-consumer close.
    pub(crate) fn push(&self, conn: &ConnHandle, frame: Utf8Bytes) -> Pushed {
        let pushed = conn.push(frame);
        if pushed == Pushed::Overflowed {
            self.metrics.slow_consumer_closes.fetch_add(1, Relaxed);
        }
        pushed
    }

    /// Removes `(channel, subject)` from the connection's own table.
    pub(crate) fn forget(&self, conn: &ConnHandle, channel: &ChannelName, subject: &Subject) {
        if conn.subscriptions.lock().unwrap_or_else(PoisonError::into_inner).remove(&(channel.clone(), subject.clone()))
        {
            self.metrics.subscriptions.fetch_sub(1, Relaxed);
        }
    }
}

impl Registry {
    /// Reads history, queues `subscribed` and the replay, then registers the subscription
    /// (replacing one for the same channel and subject). A replayed `final` event for exactly
    /// this subject ends the subscription after the replay.
    pub(crate) async fn subscribe(
        &self,
        conn: &Arc<ConnHandle>,
        tenant: &str,
        channel: &ChannelName,
        subject: &Subject,
        query: HistoryQuery,
        reply_to: Option<u32>,
    ) -> Result<SubscribeOutcome, BrokerError> {
        #[cfg(feature = "redis")]
        if let Some(relay) = &self.relay {
            // Subscribed to the topic before reading history: nothing published after the
            // read can be missed.
            relay.ensure(tenant, channel).await?;
        }
        let slot = self.core.slot(tenant, channel);
        let mut state = slot.state.lock().await;
        let recovering = matches!(query, HistoryQuery::Since { .. });
        let mut history = self.broker.history(tenant, channel, subject, query).await?;
        #[cfg(feature = "redis")]
        if let (Some(_), BrokerKind::Redis(redis)) = (&self.relay, &self.broker) {
            // Bring the slot's current subscribers up to the history just read, so the
            // slot's position is `history.latest` for everyone once this one registers.
            crate::relay::catch_up(&self.core, redis, tenant, channel, &mut state, &history.epoch, history.latest)
                .await;
        }
        let conns = &mut state.conns;
        // A replay must fit the connection's queue with room to spare for live events, or it
        // would overflow (4409) before `subscribed` and the client's retry would ask for the
        // same replay again. Recovery is all or nothing: too big → `recovered: false` (the
        // client resyncs, e.g. through the paged history endpoint). `history: N` keeps the
        // newest events that fit.
        let budget = conn.free_bytes() / 2;
        let mut size = 0;
        let fits = history.events.iter().rev().take_while(|e| {
            size += e.frame.len();
            size <= budget
        });
        let fitting = fits.count();
        if fitting < history.events.len() {
            if recovering {
                history.recovered = false;
                history.events.clear();
            } else {
                history.events.drain(..history.events.len() - fitting);
            }
        }
        let replayed = history.events.len() as u64;
        let subscribed = ServerFrame::Subscribed(Subscribed {
            reply_to,
            channel: channel.clone(),
            subject: subject.clone(),
            epoch: history.epoch.to_string(),
            offset: history.latest,
            recovered: history.recovered,
            replayed,
        });
        self.core.push(conn, frame_text(&subscribed));
        let mut ended = false;
        let mut delivered = 0;
        for event in &history.events {
            delivered += u64::from(self.core.push(conn, event.frame.clone()) == Pushed::Queued);
            ended |= event.is_final && !subject.is_empty() && &event.subject == subject;
        }
        self.core.metrics.events_delivered.fetch_add(delivered, Relaxed);
        if ended {
            if let Some(sub) = conns.get_mut(&conn.key) {
                sub.subjects.retain(|s| s != subject);
                if sub.subjects.is_empty() {
                    conns.remove(&conn.key);
                }
            }
            self.core.forget(conn, channel, subject);
            let frame = ServerFrame::SubjectEnded(SubjectEnded { channel: channel.clone(), subject: subject.clone() });
            conn.push(frame_text(&frame));
        } else {
            let sub = conns.entry(conn.key).or_insert_with(|| Subscriber { conn: conn.clone(), subjects: Vec::new() });
            if !sub.subjects.contains(subject) {
                sub.subjects.push(subject.clone());
            }
            let added = conn
                .subscriptions
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert((channel.clone(), subject.clone()));
            if added {
                self.core.metrics.subscriptions.fetch_add(1, Relaxed);
            }
        }
        Ok(SubscribeOutcome { recovered: history.recovered })
    }

    /// Drops one subscription (if held) and queues `unsubscribed`.
    pub(crate) async fn unsubscribe(
        &self,
        conn: &Arc<ConnHandle>,
        tenant: &str,
        channel: &ChannelName,
        subject: &Subject,
        reply_to: Option<u32>,
    ) {
        if let Some(slot) = self.core.existing_slot(tenant, channel) {
            let conns = &mut slot.state.lock().await.conns;
            if let Some(sub) = conns.get_mut(&conn.key) {
                sub.subjects.retain(|s| s != subject);
                if sub.subjects.is_empty() {
                    conns.remove(&conn.key);
                }
            }
        }
        self.core.forget(conn, channel, subject);
        let frame =
            ServerFrame::Unsubscribed(Unsubscribed { reply_to, channel: channel.clone(), subject: subject.clone() });
        conn.push(frame_text(&frame));
    }

    /// Drops every subscription of a closed connection.
    pub(crate) async fn remove_connection(&self, conn: &ConnHandle, tenant: &str) {
        let held: Vec<_> = conn.subscriptions.lock().unwrap_or_else(PoisonError::into_inner).drain().collect();
        self.core.metrics.subscriptions.fetch_sub(held.len() as i64, Relaxed);
        let mut channels: Vec<_> = held.into_iter().map(|(channel, _)| channel).collect();
        channels.sort_unstable();
        channels.dedup();
        for channel in channels {
            if let Some(slot) = self.core.existing_slot(tenant, &channel) {
                slot.state.lock().await.conns.remove(&conn.key);
            }
        }
    }
}
