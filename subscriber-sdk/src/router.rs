//! Routing deliveries to the application: subscription streams, typed handlers, category
//! handlers, resync and state listeners.
//!
//! Subscription streams are bounded: a subscriber that falls more than its buffer behind
//! gets [`SubscriptionEvent::Resync`] (then live events again) instead of growing memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use herald_event_types::{ChannelName, EventCategory, Subject};
use tokio::sync::mpsc;

use crate::error::Error;
use crate::proto::{ConnectionState, Delivery, ProtoEvent, SubscriptionId};

/// What a [`Subscription`](crate::Subscription) yields.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SubscriptionEvent {
    /// An event, in offset order, never twice.
    Event(Delivery),
    /// Events may have been missed (recovery failed, or this stream fell behind): reload
    /// state, then continue with the events that follow.
    Resync,
    /// A `final` event ended the subscription; the stream ends after this.
    Ended,
    /// The hub refused the subscription; the stream ends after this.
    Failed(Error),
}

/// A handler. `Send + Sync` natively; on wasm32 (one thread) any closure, including ones
/// holding JavaScript functions.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) type Callback<T> = Arc<dyn Fn(&T) + Send + Sync>;
#[cfg(target_arch = "wasm32")]
pub(crate) type Callback<T> = Arc<dyn Fn(&T)>;

/// A resync notice for handlers: which subscription's channel and subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resync {
    /// The channel.
    pub channel: ChannelName,
    /// The subscription's subject prefix.
    pub subject: Subject,
}

struct Stream {
    sender: mpsc::Sender<SubscriptionEvent>,
    lagged: bool,
}

#[derive(Default)]
pub(crate) struct Router {
    streams: HashMap<u64, Stream>,
    ids: HashMap<SubscriptionId, u64>,
    next_handler: u64,
    by_type: HashMap<String, Vec<(u64, Callback<Delivery>)>>,
    by_category: HashMap<EventCategory, Vec<(u64, Callback<Delivery>)>>,
    all: Vec<(u64, Callback<Delivery>)>,
    resync: Vec<(u64, Callback<Resync>)>,
    errors: Vec<(u64, Callback<Error>)>,
    states: Vec<(u64, Callback<ConnectionState>)>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router").field("streams", &self.streams.len()).finish_non_exhaustive()
    }
}

/// Which handler list an id belongs to.
#[derive(Debug, Clone)]
pub(crate) enum HandlerKind {
    Type(String),
    Category(EventCategory),
    All,
    Resync,
    Error,
    State,
}

pub(crate) type SharedRouter = Arc<Mutex<Router>>;

impl Router {
    pub(crate) fn add_stream(&mut self, key: u64, sender: mpsc::Sender<SubscriptionEvent>) {
        self.streams.insert(key, Stream { sender, lagged: false });
    }

    pub(crate) fn bind(&mut self, id: SubscriptionId, key: u64) {
        self.ids.insert(id, key);
    }

    /// Forgets a stream; returns its core id, if bound.
    pub(crate) fn remove_stream(&mut self, key: u64) -> Option<SubscriptionId> {
        self.streams.remove(&key);
        let id = self.ids.iter().find(|(_, k)| **k == key).map(|(id, _)| *id)?;
        self.ids.remove(&id);
        Some(id)
    }

    fn next_id(&mut self) -> u64 {
        self.next_handler += 1;
        self.next_handler
    }

    pub(crate) fn add_delivery_handler(&mut self, kind: HandlerKind, callback: Callback<Delivery>) -> u64 {
        let id = self.next_id();
        match kind {
            HandlerKind::Type(event_type) => self.by_type.entry(event_type).or_default().push((id, callback)),
            HandlerKind::Category(category) => self.by_category.entry(category).or_default().push((id, callback)),
            _ => self.all.push((id, callback)),
        }
        id
    }

    pub(crate) fn add_resync_handler(&mut self, callback: Callback<Resync>) -> u64 {
        let id = self.next_id();
        self.resync.push((id, callback));
        id
    }

    pub(crate) fn add_state_handler(&mut self, callback: Callback<ConnectionState>) -> u64 {
        let id = self.next_id();
        self.states.push((id, callback));
        id
    }

    pub(crate) fn add_error_handler(&mut self, callback: Callback<Error>) -> u64 {
        let id = self.next_id();
        self.errors.push((id, callback));
        id
    }

    pub(crate) fn remove_handler(&mut self, kind: &HandlerKind, id: u64) {
        let list = match kind {
            HandlerKind::Type(t) => self.by_type.get_mut(t),
            HandlerKind::Category(c) => self.by_category.get_mut(c),
            HandlerKind::All => Some(&mut self.all),
            HandlerKind::Resync => {
                self.resync.retain(|(i, _)| *i != id);
                return;
            }
            HandlerKind::Error => {
                self.errors.retain(|(i, _)| *i != id);
                return;
            }
            HandlerKind::State => {
                self.states.retain(|(i, _)| *i != id);
                return;
            }
        };
        if let Some(list) = list {
            list.retain(|(i, _)| *i != id);
        }
    }

    fn send(stream: &mut Stream, event: SubscriptionEvent) {
        if stream.lagged {
            if stream.sender.try_send(SubscriptionEvent::Resync).is_err() {
                return;
            }
            stream.lagged = false;
        }
        if let Err(mpsc::error::TrySendError::Full(_)) = stream.sender.try_send(event) {
            stream.lagged = true;
        }
    }

    /// Routes one core event: streams under the lock, handlers after it (so a handler may
    /// register or drop handlers). Returns the new state when it changed.
    pub(crate) fn dispatch(router: &SharedRouter, event: ProtoEvent) -> Option<ConnectionState> {
        let mut this = router.lock().expect("router lock");
        match event {
            ProtoEvent::StateChanged(state) => {
                if let ConnectionState::Closed { code, reason } = &state {
                    // Closed for good (a stop code, or the application closed the client):
                    // every stream ends with the reason instead of waiting forever.
                    let all: Vec<SubscriptionId> = this.ids.keys().copied().collect();
                    this.finish(&all, SubscriptionEvent::Failed(Error::Closed { code: *code, reason: reason.clone() }));
                }
                let handlers: Vec<_> = this.states.iter().map(|(_, h)| h.clone()).collect();
                drop(this);
                for handler in handlers {
                    handler(&state);
                }
                return Some(state);
            }
            ProtoEvent::Delivered(delivery) => {
                for id in &delivery.subscriptions {
                    if let Some(stream) = this.ids.get(id).copied().and_then(|key| this.streams.get_mut(&key)) {
                        Self::send(stream, SubscriptionEvent::Event(delivery.clone()));
                    }
                }
                if delivery.first {
                    let by_type = this.by_type.get(&delivery.event.event_type).into_iter().flatten();
                    let by_category = this.by_category.get(&delivery.event.category).into_iter().flatten();
                    let handlers: Vec<_> =
                        by_type.chain(by_category).chain(this.all.iter()).map(|(_, h)| h.clone()).collect();
                    drop(this);
                    for handler in handlers {
                        handler(&delivery);
                    }
                }
            }
            ProtoEvent::Resync { subscriptions, channel, subject } => {
                for id in &subscriptions {
                    if let Some(stream) = this.ids.get(id).copied().and_then(|key| this.streams.get_mut(&key)) {
                        Self::send(stream, SubscriptionEvent::Resync);
                    }
                }
                let handlers: Vec<_> = this.resync.iter().map(|(_, h)| h.clone()).collect();
                drop(this);
                let notice = Resync { channel, subject };
                for handler in handlers {
                    handler(&notice);
                }
            }
            ProtoEvent::SubjectEnded { subscriptions, .. } => this.finish(&subscriptions, SubscriptionEvent::Ended),
            ProtoEvent::SubscribeFailed { subscriptions, error } => {
                this.finish(&subscriptions, SubscriptionEvent::Failed(error))
            }
            ProtoEvent::Error(error) => {
                tracing::debug!(%error, "herald client");
                let handlers: Vec<_> = this.errors.iter().map(|(_, h)| h.clone()).collect();
                drop(this);
                for handler in handlers {
                    handler(&error);
                }
            }
        }
        None
    }

    fn finish(&mut self, subscriptions: &[SubscriptionId], last: SubscriptionEvent) {
        for id in subscriptions {
            if let Some(key) = self.ids.remove(id) {
                if let Some(mut stream) = self.streams.remove(&key) {
                    Self::send(&mut stream, last.clone());
                }
            }
        }
    }
}
