//! The desired-subscription table and event routing.
//!
//! One hub subscription per (channel, subject), shared by every local [`SubscriptionId`]
//! asking for it. Each keeps its own position `(epoch, offset)`: the last offset up to which
//! it has seen every matching event. After a reconnect each subscription resumes with
//! `since` = its position. Positions are per subscription rather than per channel: two
//! subscriptions on one channel are resubscribed one after the other, and a shared position
//! would let the first one's replay hide the second one's missed events (ADR 0004).
//!
//! The hub sends `subscribed` and then that subscription's replay contiguously on its channel
//! (docs/protocol.md §4.2), so the next `replayed` event frames of the channel belong to it.

use std::collections::HashMap;
use std::sync::Arc;

use herald_event_types::frame::{EventFrame, Subscribe, Subscribed};
use herald_event_types::{ChannelName, ClientFrame, StreamPosition, Subject};

use super::state::{Delivery, ProtoEvent, SubscriptionId};

type Key = (ChannelName, Subject);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Status {
    /// Not requested on the current connection.
    Pending,
    /// `subscribe` sent with this request id; `since_sent` when it carried `since`.
    Requested { request: u32, since_sent: bool },
    /// Confirmed by `subscribed`.
    Active,
}

#[derive(Debug)]
struct Sub {
    ids: Vec<SubscriptionId>,
    history: Option<u32>,
    position: Option<StreamPosition>,
    status: Status,
}

/// Every subscription the application wants, and where each one is.
#[derive(Debug, Default)]
pub(crate) struct Table {
    subs: HashMap<Key, Sub>,
    by_id: HashMap<SubscriptionId, Key>,
    requests: HashMap<u32, Key>,
    /// Per channel, on the current connection: the epoch, and the subscription whose replay
    /// is arriving with how many events left.
    channels: HashMap<ChannelName, ChannelState>,
}

#[derive(Debug, Default)]
struct ChannelState {
    epoch: String,
    replaying: Option<(Subject, u64, u64)>, // (subject, events left, latest offset)
}

impl Table {
    /// Adds `id` for `(channel, subject)`. Returns `true` when a new hub subscription is needed.
    pub(crate) fn add(
        &mut self,
        id: SubscriptionId,
        channel: ChannelName,
        subject: Subject,
        history: Option<u32>,
    ) -> bool {
        let key = (channel, subject);
        self.by_id.insert(id, key.clone());
        match self.subs.get_mut(&key) {
            Some(sub) => {
                sub.ids.push(id);
                false
            }
            None => {
                self.subs.insert(key, Sub { ids: vec![id], history, position: None, status: Status::Pending });
                true
            }
        }
    }

    /// Removes `id`. Returns the (channel, subject) to unsubscribe from the hub when it was
    /// the last local user of a requested or active subscription.
    pub(crate) fn remove(&mut self, id: SubscriptionId) -> Option<Key> {
        let key = self.by_id.remove(&id)?;
        let sub = self.subs.get_mut(&key)?;
        sub.ids.retain(|i| *i != id);
        if !sub.ids.is_empty() {
            return None;
        }
        let sub = self.subs.remove(&key)?;
        (sub.status != Status::Pending).then_some(key)
    }

    /// `subscribe` frames for every pending subscription, with `since` where a position is known.
    pub(crate) fn request_pending(&mut self, next_request: &mut impl FnMut() -> u32) -> Vec<ClientFrame> {
        let mut frames = Vec::new();
        let mut keys: Vec<_> =
            self.subs.iter().filter(|(_, s)| s.status == Status::Pending).map(|(k, _)| k.clone()).collect();
        keys.sort();
        for key in keys {
            let request = next_request();
            let sub = self.subs.get_mut(&key).expect("pending key exists");
            let since = sub.position.clone();
            sub.status = Status::Requested { request, since_sent: since.is_some() };
            self.requests.insert(request, key.clone());
            frames.push(ClientFrame::Subscribe(Subscribe {
                id: Some(request),
                channel: key.0,
                subject: key.1,
                history: if since.is_none() { sub.history } else { None },
                since,
            }));
        }
        frames
    }

    /// The connection is gone: every subscription is pending again, positions kept.
    pub(crate) fn disconnected(&mut self) {
        for sub in self.subs.values_mut() {
            sub.status = Status::Pending;
        }
        self.requests.clear();
        self.channels.clear();
    }

    /// Handles `subscribed`; may report a resync.
    pub(crate) fn subscribed(&mut self, frame: Subscribed, events: &mut Vec<ProtoEvent>) {
        let Some(key) = frame.reply_to.and_then(|r| self.requests.remove(&r)) else { return };
        let Some(sub) = self.subs.get_mut(&key) else { return };
        let Status::Requested { since_sent, .. } = sub.status else { return };
        sub.status = Status::Active;
        let resumed = since_sent && frame.recovered;
        if since_sent && !frame.recovered {
            events.push(ProtoEvent::Resync {
                subscriptions: sub.ids.clone(),
                channel: key.0.clone(),
                subject: key.1.clone(),
            });
        }
        let offset = if resumed { sub.position.as_ref().map_or(0, |p| p.offset) } else { 0 };
        sub.position = Some(StreamPosition { epoch: frame.epoch.clone(), offset });
        let channel = self.channels.entry(key.0.clone()).or_default();
        channel.epoch = frame.epoch;
        if frame.replayed > 0 {
            channel.replaying = Some((key.1.clone(), frame.replayed, frame.offset));
        } else {
            channel.replaying = None;
            Self::advance(sub, frame.offset);
        }
    }

    fn advance(sub: &mut Sub, offset: u64) {
        if let Some(position) = &mut sub.position {
            position.offset = position.offset.max(offset);
        }
    }

    /// Routes an event frame: to the active subscriptions that match and have not seen it.
    pub(crate) fn event(&mut self, frame: EventFrame) -> Option<Delivery> {
        let EventFrame { channel, offset, event } = frame;
        let state = self.channels.get_mut(&channel)?;
        let epoch = state.epoch.clone();
        let mut finished_replay = None;
        if let Some((subject, left, latest)) = &mut state.replaying {
            *left -= 1;
            if *left == 0 {
                finished_replay = Some((subject.clone(), *latest));
                state.replaying = None;
            }
        }
        let mut targets = Vec::new();
        let mut seen_before = false;
        for ((sub_channel, prefix), sub) in &mut self.subs {
            if sub_channel != &channel {
                continue;
            }
            let same_epoch = sub.position.as_ref().is_some_and(|p| p.epoch == epoch);
            let seen = sub.position.as_ref().map_or(0, |p| p.offset);
            if prefix.matches(&event.subject) && same_epoch && seen >= offset {
                seen_before = true;
            }
            if sub.status != Status::Active || !same_epoch {
                continue;
            }
            if prefix.matches(&event.subject) && seen < offset {
                targets.extend(sub.ids.iter().copied());
            }
            // Everything on this connection's channel stream up to `offset` has been seen.
            Self::advance(sub, offset);
        }
        if let Some((subject, latest)) = finished_replay {
            if let Some(sub) = self.subs.get_mut(&(channel.clone(), subject)) {
                Self::advance(sub, latest);
            }
        }
        if targets.is_empty() {
            return None;
        }
        targets.sort_unstable();
        Some(Delivery { channel, offset, event: Arc::new(event), subscriptions: targets, first: !seen_before })
    }

    /// A request failed: returns the ids of the subscription it was for (removed).
    pub(crate) fn request_failed(&mut self, request: u32) -> Option<Vec<SubscriptionId>> {
        let key = self.requests.remove(&request)?;
        let sub = self.subs.remove(&key)?;
        for id in &sub.ids {
            self.by_id.remove(id);
        }
        Some(sub.ids)
    }

    /// The hub ended `(channel, subject)`: returns its ids (removed).
    pub(crate) fn ended(&mut self, channel: &ChannelName, subject: &Subject) -> Option<Vec<SubscriptionId>> {
        let sub = self.subs.remove(&(channel.clone(), subject.clone()))?;
        for id in &sub.ids {
            self.by_id.remove(id);
        }
        Some(sub.ids)
    }

    /// The subscription's position, for tests and diagnostics.
    pub(crate) fn position(&self, id: SubscriptionId) -> Option<&StreamPosition> {
        self.subs.get(self.by_id.get(&id)?)?.position.as_ref()
    }
}
