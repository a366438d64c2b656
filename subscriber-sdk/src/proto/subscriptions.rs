//! The desired-subscription table and event routing.
//!
//! One hub subscription per (channel, [`Scope`]), shared by every local [`SubscriptionId`]
//! asking for it (reference counting: the hub subscription goes when the last id goes). Each
//! keeps its own position `(epoch, offset)`: the last offset up to which it has seen every
//! matching event. After a reconnect each subscription resumes with `since` = its position.
//! Positions are per subscription rather than per channel: two subscriptions on one channel are
//! resubscribed one after the other, and a shared position would let the first one's replay
//! hide the second one's missed events (ADR 0004).
//!
//! The hub sends `subscribed` and then that subscription's replay contiguously on its channel
//! (docs/protocol.md §4.2), so the next `replayed` event frames of the channel belong to it.
//!
//! A failed recovery (`recovered: false`) is reported as a resync and, when a reload size is
//! configured, answered at once with a fresh `subscribe` carrying `history`: the hub replaces
//! the subscription and replays the channel's latest events, which reach the application
//! marked `replayed`. Live events that arrive between the two `subscribed` frames are not
//! delivered: the replay that follows contains them, in order, exactly once.

use std::collections::HashMap;
use std::sync::Arc;

use herald_event_types::frame::{EventFrame, Subscribe, Subscribed};
use herald_event_types::{ChannelName, ClientFrame, StreamPosition, Subject};

use super::state::{Delivery, ProtoEvent, SubscriptionId};

/// Which subjects of a channel a subscription covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// A subject prefix (`""` for the whole channel).
    Prefix(Subject),
    /// The authenticated user's own subject: the `user.id` of the hub's `authenticated`
    /// frame (the token's `sub`), as the default permission `user/${sub}` allows
    /// (docs/protocol.md §3). Requested only once the hub has said who the user is.
    User,
}

type Key = (ChannelName, Scope);

/// The floor of a subscription whose replay has not begun: nothing delivered yet.
const FLOOR_PENDING: u64 = u64::MAX;

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
    /// The next request asks for this much history instead (a resync reload).
    reload: Option<u32>,
    position: Option<StreamPosition>,
    /// Offsets up to here (in the position's epoch) were never delivered by this
    /// subscription: it started after them. [`FLOOR_PENDING`] until its replay begins.
    floor: u64,
    status: Status,
    /// The subject the hub knows this subscription by, once requested.
    subject: Option<Subject>,
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
    /// The authenticated user's subject, for [`Scope::User`].
    user: Option<Subject>,
    /// Events reloaded after a failed recovery (`None`: no reload).
    pub(crate) resync_history: Option<u32>,
}

#[derive(Debug, Default)]
struct ChannelState {
    /// Shared with every delivery of the channel: cloning it costs no allocation.
    epoch: Arc<str>,
    replaying: Option<(Subject, u64, u64)>, // (subject, events left, latest offset)
}

impl Table {
    /// Adds `id` for `(channel, scope)`. Returns `true` when a new hub subscription is needed.
    pub(crate) fn add(&mut self, id: SubscriptionId, channel: ChannelName, scope: Scope, history: Option<u32>) -> bool {
        let key = (channel, scope);
        self.by_id.insert(id, key.clone());
        match self.subs.get_mut(&key) {
            Some(sub) => {
                sub.ids.push(id);
                false
            }
            None => {
                let sub = Sub {
                    ids: vec![id],
                    history,
                    reload: None,
                    position: None,
                    floor: 0,
                    status: Status::Pending,
                    subject: None,
                };
                self.subs.insert(key, sub);
                true
            }
        }
    }

    /// Removes `id`. Returns the (channel, subject) to unsubscribe from the hub when it was
    /// the last local user of a requested or active subscription.
    pub(crate) fn remove(&mut self, id: SubscriptionId) -> Option<(ChannelName, Subject)> {
        let key = self.by_id.remove(&id)?;
        let sub = self.subs.get_mut(&key)?;
        sub.ids.retain(|i| *i != id);
        if !sub.ids.is_empty() {
            return None;
        }
        let sub = self.subs.remove(&key)?;
        if sub.status == Status::Pending {
            return None;
        }
        Some((key.0, sub.subject?))
    }

    /// Sets the authenticated user. A different user than before restarts the
    /// [`Scope::User`] subscriptions from scratch (their positions were another subject's).
    pub(crate) fn set_user(&mut self, user: Option<Subject>) {
        if self.user != user {
            for ((_, scope), sub) in &mut self.subs {
                if *scope == Scope::User {
                    sub.position = None;
                }
            }
            self.user = user;
        }
    }

    /// `subscribe` frames for every pending subscription, with `since` where a position is
    /// known. [`Scope::User`] subscriptions wait for the user's subject.
    pub(crate) fn request_pending(&mut self, next_request: &mut impl FnMut() -> u32) -> Vec<ClientFrame> {
        let mut frames = Vec::new();
        let mut keys: Vec<_> =
            self.subs.iter().filter(|(_, s)| s.status == Status::Pending).map(|(k, _)| k.clone()).collect();
        keys.sort();
        for key in keys {
            let subject = match &key.1 {
                Scope::Prefix(subject) => subject.clone(),
                Scope::User => match &self.user {
                    Some(user) => user.clone(),
                    None => continue,
                },
            };
            let request = next_request();
            let sub = self.subs.get_mut(&key).expect("pending key exists");
            let since = if sub.reload.is_some() { None } else { sub.position.clone() };
            let history = if since.is_some() { None } else { sub.reload.take().or(sub.history) };
            sub.status = Status::Requested { request, since_sent: since.is_some() };
            sub.subject = Some(subject.clone());
            self.requests.insert(request, key.clone());
            frames.push(ClientFrame::Subscribe(Subscribe {
                id: Some(request),
                channel: key.0,
                subject,
                history,
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

    /// Handles `subscribed`; may report a resync. Returns `true` when a reload request is
    /// pending (the caller sends it).
    pub(crate) fn subscribed(&mut self, frame: Subscribed, events: &mut Vec<ProtoEvent>) -> bool {
        let Some(key) = frame.reply_to.and_then(|r| self.requests.remove(&r)) else { return false };
        let Some(sub) = self.subs.get_mut(&key) else { return false };
        let Status::Requested { since_sent, .. } = sub.status else { return false };
        let subject = sub.subject.clone().unwrap_or_default();
        if since_sent && !frame.recovered {
            events.push(ProtoEvent::Resync {
                subscriptions: sub.ids.clone(),
                channel: key.0.clone(),
                subject: subject.clone(),
            });
            if let Some(history) = self.resync_history {
                // Reload: ask again with `history`; nothing is delivered until that answer.
                sub.reload = Some(history);
                sub.position = None;
                sub.status = Status::Pending;
                return true;
            }
        }
        sub.status = Status::Active;
        let resumed = since_sent && frame.recovered;
        let offset = if resumed { sub.position.as_ref().map_or(0, |p| p.offset) } else { 0 };
        if !resumed {
            sub.floor = if frame.replayed > 0 { FLOOR_PENDING } else { frame.offset };
        }
        sub.position = Some(StreamPosition { epoch: frame.epoch.clone(), offset });
        let channel = self.channels.entry(key.0.clone()).or_default();
        channel.epoch = Arc::from(frame.epoch);
        if frame.replayed > 0 {
            channel.replaying = Some((subject, frame.replayed, frame.offset));
        } else {
            channel.replaying = None;
            Self::advance(sub, frame.offset);
        }
        false
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
        let replayed = state.replaying.is_some();
        let replaying_subject = state.replaying.as_ref().map(|(subject, ..)| subject.clone());
        if let Some((subject, left, latest)) = &mut state.replaying {
            *left -= 1;
            if *left == 0 {
                finished_replay = Some((subject.clone(), *latest));
                state.replaying = None;
            }
        }
        let mut targets = Vec::new();
        let mut seen_before = false;
        for ((sub_channel, _), sub) in &mut self.subs {
            if sub_channel != &channel {
                continue;
            }
            let Some(prefix) = &sub.subject else { continue };
            let matches = prefix.matches(&event.subject);
            let same_epoch = sub.position.as_ref().is_some_and(|p| *p.epoch == *epoch);
            let seen = sub.position.as_ref().map_or(0, |p| p.offset);
            // Seen before: delivered earlier by this subscription, which covers it and has
            // delivered everything it matched between its floor and its position.
            if matches && same_epoch && seen >= offset && offset > sub.floor {
                seen_before = true;
            }
            if sub.floor == FLOOR_PENDING && replaying_subject.as_ref() == Some(prefix) && sub.status == Status::Active
            {
                sub.floor = offset - 1;
            }
            if sub.status != Status::Active || !same_epoch {
                continue;
            }
            if matches && seen < offset {
                targets.extend(sub.ids.iter().copied());
            }
            // Everything on this connection's channel stream up to `offset` has been seen.
            Self::advance(sub, offset);
        }
        if let Some((subject, latest)) = finished_replay {
            for ((sub_channel, _), sub) in &mut self.subs {
                if sub_channel == &channel && sub.status == Status::Active && sub.subject.as_ref() == Some(&subject) {
                    Self::advance(sub, latest);
                }
            }
        }
        if targets.is_empty() {
            return None;
        }
        targets.sort_unstable();
        Some(Delivery {
            channel,
            epoch,
            offset,
            replayed,
            event: Arc::new(event),
            subscriptions: targets,
            first: !seen_before,
        })
    }

    /// A request failed: returns the ids of the subscription it was for (removed) with its
    /// channel and subject.
    pub(crate) fn request_failed(&mut self, request: u32) -> Option<(Vec<SubscriptionId>, ChannelName, Subject)> {
        let key = self.requests.remove(&request)?;
        let sub = self.subs.remove(&key)?;
        for id in &sub.ids {
            self.by_id.remove(id);
        }
        Some((sub.ids, key.0, sub.subject.unwrap_or_default()))
    }

    /// The hub ended `(channel, subject)`: returns its ids (removed).
    pub(crate) fn ended(&mut self, channel: &ChannelName, subject: &Subject) -> Option<Vec<SubscriptionId>> {
        let key = self
            .subs
            .iter()
            .find(|((c, _), sub)| {
                c == channel && sub.subject.as_ref() == Some(subject) && sub.status != Status::Pending
            })
            .map(|(key, _)| key.clone())?;
        let sub = self.subs.remove(&key)?;
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
