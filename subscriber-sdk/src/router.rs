//! Routing core events to the application: subscription streams, type / category / catch-all
//! handlers (each holding the subscriptions it implies), refusal, resync, state and error
//! listeners. The one place routing happens, for native programs and for the wasm binding.
//!
//! Subscription streams are bounded: a subscriber that falls more than its buffer behind
//! gets [`SubscriptionEvent::Resync`] (then live events again) instead of growing memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use herald_event_types::frame::User;
use herald_event_types::{ChannelName, EventCategory, Subject};
use tokio::sync::mpsc;

use crate::error::Error;
use crate::proto::{ConnectionState, Delivery, ProtoEvent, SubscriptionId};

/// What a [`Subscription`](crate::Subscription) yields.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SubscriptionEvent {
    /// An event, in offset order, never twice. [`Delivery::replayed`] tells a replay (history,
    /// recovery, the reload after a resync) from a live event.
    Event(Delivery),
    /// Events may have been missed (recovery failed, or this stream fell behind): reset what
    /// was built from earlier events. After a failed recovery the channel's latest events
    /// follow as replayed deliveries (unless the reload is turned off), then live events.
    Resync,
    /// The client closed (by [`Client::close`](crate::Client::close), or for good after a
    /// permanent failure, the error says which). The subscription is kept: events resume
    /// after [`Client::connect`](crate::Client::connect).
    Closed(Option<Error>),
    /// A `final` event ended the subscription; the stream ends after this.
    Ended,
    /// The hub refused the subscription ([`Error::SubscribeRefused`]); the stream ends
    /// after this.
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

/// Which deliveries a handler wants.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Filter {
    Type(String),
    Category(EventCategory),
    All,
}

type List<T> = Vec<(u64, Callback<T>)>;

#[derive(Default)]
pub(crate) struct Router {
    streams: HashMap<u64, Stream>,
    /// The core's subscription id of each key (a short list; see `refused`).
    ids: Vec<(SubscriptionId, u64)>,
    next_handler: u64,
    deliveries: HashMap<Filter, List<Delivery>>,
    resync: List<Resync>,
    errors: List<Error>,
    states: List<ConnectionState>,
    /// Listeners of a subscription key's refusal (the handlers that implied it). Vectors, not
    /// maps: they are short, and every map type costs the browser build a few KB.
    refusal_listeners: Vec<(u64, Callback<Error>)>,
    /// Refusals in force, per subscription key (oldest first), until that key is released.
    refused: Vec<(u64, Error)>,
    user: Option<User>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router").field("streams", &self.streams.len()).finish_non_exhaustive()
    }
}

/// Which listener list an id belongs to.
#[derive(Debug, Clone)]
pub(crate) enum HandlerKind {
    Delivery(Filter),
    Resync,
    Error,
    State,
}

pub(crate) type SharedRouter = Arc<Mutex<Router>>;

/// Locks the router; a handler that panicked while it was locked does not poison routing.
pub(crate) fn lock(router: &SharedRouter) -> std::sync::MutexGuard<'_, Router> {
    router.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Router {
    pub(crate) fn add_stream(&mut self, key: u64, sender: mpsc::Sender<SubscriptionEvent>) {
        self.streams.insert(key, Stream { sender, lagged: false });
    }

    pub(crate) fn bind(&mut self, id: SubscriptionId, key: u64) {
        self.ids.push((id, key));
    }

    /// Forgets subscription `key` (its stream, refusal and listeners).
    pub(crate) fn release(&mut self, key: u64) {
        self.streams.remove(&key);
        self.refused.retain(|(k, _)| *k != key);
        self.refusal_listeners.retain(|(k, _)| *k != key);
        self.ids.retain(|(_, k)| *k != key);
    }

    fn next_id(&mut self) -> u64 {
        self.next_handler += 1;
        self.next_handler
    }

    pub(crate) fn add_delivery_handler(&mut self, filter: Filter, callback: Callback<Delivery>) -> u64 {
        let id = self.next_id();
        self.deliveries.entry(filter).or_default().push((id, callback));
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

    /// Listens to the refusal of subscription `key`; returns the refusal if it already happened.
    pub(crate) fn add_refusal_listener(&mut self, key: u64, callback: Callback<Error>) -> Option<Error> {
        self.refusal_listeners.push((key, callback));
        self.refused.iter().find(|(k, _)| *k == key).map(|(_, error)| error.clone())
    }

    pub(crate) fn remove_handler(&mut self, kind: &HandlerKind, id: u64) {
        fn retain<T: ?Sized>(list: &mut List<T>, id: u64) {
            list.retain(|(i, _)| *i != id);
        }
        match kind {
            HandlerKind::Delivery(filter) => {
                if let Some(list) = self.deliveries.get_mut(filter) {
                    retain(list, id);
                    if list.is_empty() {
                        self.deliveries.remove(filter);
                    }
                }
            }
            HandlerKind::Resync => retain(&mut self.resync, id),
            HandlerKind::Error => retain(&mut self.errors, id),
            HandlerKind::State => retain(&mut self.states, id),
        }
    }

    /// The refusals in force: one per refused (channel, subject), oldest first.
    pub(crate) fn refusals(&self) -> Vec<Error> {
        let mut out: Vec<Error> = Vec::new();
        for (_, error) in &self.refused {
            if !out.contains(error) {
                out.push(error.clone());
            }
        }
        out
    }

    /// The user the hub authenticated, once it has.
    pub(crate) fn user(&self) -> Option<User> {
        self.user.clone()
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

    fn key_of(&self, id: &SubscriptionId) -> Option<u64> {
        self.ids.iter().find(|(i, _)| i == id).map(|(_, key)| *key)
    }

    fn stream_of(&mut self, id: &SubscriptionId) -> Option<&mut Stream> {
        let key = self.key_of(id)?;
        self.streams.get_mut(&key)
    }

    /// Routes one core event: streams under the lock, handlers after it (so a handler may
    /// register or drop handlers). Returns the new state when it changed.
    pub(crate) fn dispatch(router: &SharedRouter, event: ProtoEvent) -> Option<ConnectionState> {
        let mut this = lock(router);
        match event {
            ProtoEvent::StateChanged(state) => {
                if let ConnectionState::Closed { error, .. } = &state {
                    for stream in this.streams.values_mut() {
                        Self::send(stream, SubscriptionEvent::Closed(error.clone()));
                    }
                }
                let handlers: Vec<_> = this.states.iter().map(|(_, h)| h.clone()).collect();
                drop(this);
                for handler in handlers {
                    handler(&state);
                }
                return Some(state);
            }
            ProtoEvent::Authenticated { user } => this.user = Some(user),
            ProtoEvent::Delivered(delivery) => {
                for id in &delivery.subscriptions {
                    if let Some(stream) = this.stream_of(id) {
                        Self::send(stream, SubscriptionEvent::Event(delivery.clone()));
                    }
                }
                if delivery.first {
                    let by_type = this.deliveries.get(&Filter::Type(delivery.event.event_type.clone()));
                    let by_category = this.deliveries.get(&Filter::Category(delivery.event.category));
                    let all = this.deliveries.get(&Filter::All);
                    let handlers: Vec<_> =
                        by_type.into_iter().chain(by_category).chain(all).flatten().map(|(_, h)| h.clone()).collect();
                    drop(this);
                    for handler in handlers {
                        handler(&delivery);
                    }
                }
            }
            ProtoEvent::Resync { subscriptions, channel, subject } => {
                for id in &subscriptions {
                    if let Some(stream) = this.stream_of(id) {
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
                crate::log!(warn, %error, "herald: subscription refused");
                let mut listeners = Vec::new();
                for id in &subscriptions {
                    if let Some(key) = this.key_of(id) {
                        this.refused.push((key, error.clone()));
                        let heard = this.refusal_listeners.iter().filter(|(k, _)| *k == key);
                        listeners.extend(heard.map(|(_, h)| h.clone()));
                    }
                }
                this.finish(&subscriptions, SubscriptionEvent::Failed(error.clone()));
                listeners.extend(this.errors.iter().map(|(_, h)| h.clone()));
                drop(this);
                for listener in listeners {
                    listener(&error);
                }
            }
            ProtoEvent::Error(error) => {
                crate::log!(debug, %error, "herald client");
                let handlers: Vec<_> = this.errors.iter().map(|(_, h)| h.clone()).collect();
                drop(this);
                for handler in handlers {
                    handler(&error);
                }
            }
        }
        None
    }

    /// Sends `last` to the streams of `subscriptions` and closes them.
    fn finish(&mut self, subscriptions: &[SubscriptionId], last: SubscriptionEvent) {
        for id in subscriptions {
            if let Some(at) = self.ids.iter().position(|(i, _)| i == id) {
                let (_, key) = self.ids.swap_remove(at);
                if let Some(mut stream) = self.streams.remove(&key) {
                    Self::send(&mut stream, last.clone());
                }
            }
        }
    }
}
