//! `HeraldClient`: the JavaScript face of the subscriber SDK's [`Client`], one to one.
//!
//! The Rust client is long-lived (`connect()` / `close()` repeat, handlers and subscriptions
//! survive) and does all routing, reference counting and resubscription itself, so this file
//! keeps no tables: each `on*` call registers one SDK handler and returns a function that
//! drops it; each `subscribe` pumps one SDK subscription stream into its callback.
//!
//! Callbacks run outside any borrow, so a callback may unsubscribe or subscribe re-entrantly;
//! an exception thrown by a callback is reported with `console.error` and does not stop the
//! other callbacks. A refused subscription is reported once with `console.warn`, naming the
//! hub's code, the channel and the subject.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::StreamExt;
use futures_util::future::{AbortHandle, Abortable};
use herald_subscriber::{
    ChannelName, Client, ConnectionState, Error, EventCategory, Handler, HistoryQuery, StreamPosition, Subject,
    SubscriptionEvent,
};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, spawn_local};

use crate::api::*;
use crate::options::{build, call, console, count_option, function, function_option, get, present, string_option};
use crate::{convert, error};

/// A JavaScript value kept for as long as the Rust value it was made from is unchanged, so
/// `client.state` (and `refusals`) is the same object until something changes.
struct Cached<T> {
    value: RefCell<Option<(T, JsValue)>>,
}

impl<T: PartialEq> Cached<T> {
    fn new() -> Self {
        Self { value: RefCell::new(None) }
    }

    fn get(&self, now: T, convert: impl FnOnce(&T) -> JsValue) -> JsValue {
        let mut value = self.value.borrow_mut();
        match &*value {
            Some((seen, js)) if *seen == now => js.clone(),
            _ => {
                let js = convert(&now);
                *value = Some((now, js.clone()));
                js
            }
        }
    }
}

/// A Herald connection for JavaScript (`HeraldClient`). See `docs/react.md` for the API.
#[wasm_bindgen(js_name = HeraldClient)]
pub struct JsClient {
    client: Client,
    state: Rc<Cached<ConnectionState>>,
    refusals: Cached<Vec<Error>>,
    _warn: Handler,
}

impl std::fmt::Debug for JsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeraldClient").field("url", &self.client.url()).finish_non_exhaustive()
    }
}

impl Drop for JsClient {
    fn drop(&mut self) {
        self.client.close();
    }
}

/// An idempotent JS function that runs `f` once.
fn unsubscribe_fn(f: impl FnOnce() + 'static) -> Unsubscribe {
    let mut f = Some(f);
    let closure = Closure::<dyn FnMut()>::new(move || {
        if let Some(f) = f.take() {
            f();
        }
    });
    closure.into_js_value().unchecked_into()
}

/// Keeps `handler` registered until the returned function is called.
fn release(handler: Handler) -> Unsubscribe {
    unsubscribe_fn(move || drop(handler))
}

fn delivery_callback(callback: DeliveryCallback) -> Result<impl Fn(&herald_subscriber::Delivery), JsValue> {
    let callback = function(callback.into(), "callback")?;
    Ok(move |delivery: &herald_subscriber::Delivery| call(&callback, &convert::delivery(delivery)))
}

/// Adds the interest options (`onError`) to an interest handler.
fn interest(handler: Handler, options: Option<InterestOptions>) -> Result<Unsubscribe, JsValue> {
    let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
    let handler = match function_option(&options, "onError")? {
        Some(on_error) => handler.on_refused(move |failure| call(&on_error, &error::from_sdk(failure))),
        None => handler,
    };
    Ok(release(handler))
}

#[wasm_bindgen(js_class = HeraldClient)]
impl JsClient {
    /// `new HeraldClient({ url, token | getToken, backoff?, heartbeat?, resyncHistory? })`.
    /// Does not connect: call `connect()`. Throws a `HeraldError` (`invalid_argument`) on bad
    /// options.
    #[wasm_bindgen(constructor)]
    pub fn new(options: ClientOptions) -> Result<Self, JsValue> {
        #[cfg(feature = "console-panic-hook")]
        console_error_panic_hook::set_once();
        let client = build(&options.into())?;
        let warn = client.on_error(|failure| {
            if let Error::SubscribeRefused { .. } = failure {
                console("warn", &JsValue::from_str(&format!("herald: {failure}")), &JsValue::UNDEFINED);
            }
        });
        Ok(Self { client, state: Rc::new(Cached::new()), refusals: Cached::new(), _warn: warn })
    }

    /// Starts connecting (and keeps reconnecting until `close()`). Idempotent while
    /// connected; after `close()` (or a permanent failure) it connects again, and every
    /// listener and subscription resumes.
    pub fn connect(&self) {
        self.client.connect();
    }

    /// Replaces the fixed `token` (sent in band when connected, else used by the next
    /// connection; after a refusal closed the client, call `connect()`). Throws
    /// `invalid_argument` for a client built with `getToken`.
    #[wasm_bindgen(js_name = setToken)]
    pub fn set_token(&self, token: String) -> Result<(), JsValue> {
        self.client.set_token(token).map_err(|e| error::from_sdk(&e))
    }

    /// Closes the connection (code 1000). Listeners and subscriptions stay registered;
    /// `connect()` resumes them. Idempotent.
    pub fn close(&self) {
        self.client.close();
    }

    /// The connection state: the same frozen object until the state changes.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> StateSnapshot {
        self.state.get(self.client.state(), convert::state).unchecked_into()
    }

    /// Who the hub authenticated, `null` before the first authentication.
    #[wasm_bindgen(getter)]
    pub fn user(&self) -> UserSnapshot {
        self.client.user().map_or(JsValue::NULL, |user| convert::user(&user)).unchecked_into()
    }

    /// The refused subscriptions in force (each a `HeraldError` with `code: "refused"`,
    /// `detail`, `channel`, `subject`): the same frozen array until it changes.
    #[wasm_bindgen(getter)]
    pub fn refusals(&self) -> Refusals {
        let refusals = self.client.refusals();
        self.refusals
            .get(refusals, |list| {
                let array: Array = list.iter().map(error::from_sdk).collect();
                Object::freeze(&array).into()
            })
            .unchecked_into()
    }

    /// Calls `callback(state)` on every state change (the same objects as `state`).
    #[wasm_bindgen(js_name = onState)]
    pub fn on_state(&self, callback: StateCallback) -> Result<Unsubscribe, JsValue> {
        let callback = function(callback.into(), "callback")?;
        let cache = self.state.clone();
        Ok(release(self.client.on_state(move |state| call(&callback, &cache.get(state.clone(), convert::state)))))
    }

    /// Subscribes to `channel` (subject prefix `options.subject`, replaying
    /// `options.history` events first) and calls `callback(delivery)` for each event.
    /// Survives reconnects and `close()`/`connect()`; may be called before `connect()`.
    /// Throws `invalid_argument` for an invalid channel or subject.
    pub fn subscribe(
        &self,
        channel: &str,
        options: SubscribeOptions,
        callback: DeliveryCallback,
    ) -> Result<Unsubscribe, JsValue> {
        let options: JsValue = options.into();
        let channel: ChannelName = channel.parse().map_err(error::invalid)?;
        let subject: Subject =
            string_option(&options, "subject")?.unwrap_or_default().parse().map_err(error::invalid)?;
        let history = count_option(&options, "history")?;
        let callback = function(callback.into(), "callback")?;
        let on_resync = function_option(&options, "onResync")?;
        let on_end = function_option(&options, "onEnd")?;
        let on_error = function_option(&options, "onError")?;
        let mut stream = self.client.subscribe(channel, subject, history);
        let pump = async move {
            while let Some(item) = stream.next().await {
                match item {
                    SubscriptionEvent::Event(delivery) => call(&callback, &convert::delivery(&delivery)),
                    SubscriptionEvent::Resync => on_resync.iter().for_each(|f| call(f, &JsValue::UNDEFINED)),
                    SubscriptionEvent::Ended => on_end.iter().for_each(|f| call(f, &JsValue::UNDEFINED)),
                    SubscriptionEvent::Failed(failure) => {
                        on_error.iter().for_each(|f| call(f, &error::from_sdk(&failure)));
                    }
                    // The state listeners say why; the subscription resumes on `connect()`.
                    _ => {}
                }
            }
            // Ended or refused: keep the subscription (and so its entry in `refusals`) until
            // the application unsubscribes.
            std::future::pending::<()>().await;
            drop(stream);
        };
        let (abort, registration) = AbortHandle::new_pair();
        spawn_local(async move {
            let _ = Abortable::new(pump, registration).await;
        });
        Ok(unsubscribe_fn(move || abort.abort()))
    }

    /// Calls `callback(delivery)` for the first delivery of every event of `eventType`, and
    /// subscribes that type's category channel while listening (`USER`: the user's own
    /// subject). Throws `invalid_argument` for a type outside the catalogue (a typo would
    /// otherwise listen to nothing): subscribe a custom type's channel with `subscribe`.
    /// `options.onError` hears a refusal of that subscription.
    #[wasm_bindgen(js_name = onEvent)]
    pub fn on_event(
        &self,
        event_type: &str,
        callback: DeliveryCallback,
        options: Option<InterestOptions>,
    ) -> Result<Unsubscribe, JsValue> {
        if herald_subscriber::category_of(event_type).is_none() {
            return Err(error::invalid(format_args!(
                "unknown event type {event_type:?}: not in the catalogue (docs/events.md); for your own \
                 event types, subscribe their channel with subscribe()"
            )));
        }
        interest(self.client.on_type(event_type, delivery_callback(callback)?), options)
    }

    /// Calls `callback(delivery)` for the first delivery of every event of `category`
    /// (`"PIPELINE"`, …), and subscribes its channel while listening (`USER`: the user's own
    /// subject). Throws `invalid_argument` for an unknown category.
    #[wasm_bindgen(js_name = onCategory)]
    pub fn on_category(
        &self,
        category: &str,
        callback: DeliveryCallback,
        options: Option<InterestOptions>,
    ) -> Result<Unsubscribe, JsValue> {
        let parsed = EventCategory::parse(category)
            .ok_or_else(|| error::invalid(format_args!("unknown category {category:?} (PIPELINE, SECURITY, …)")))?;
        interest(self.client.on_category(parsed, delivery_callback(callback)?), options)
    }

    /// Calls `callback(delivery)` for the first delivery of every event, and subscribes all
    /// six category channels while listening.
    #[wasm_bindgen(js_name = onAnyEvent)]
    pub fn on_any_event(
        &self,
        callback: DeliveryCallback,
        options: Option<InterestOptions>,
    ) -> Result<Unsubscribe, JsValue> {
        interest(self.client.on_event(delivery_callback(callback)?), options)
    }

    /// Calls `callback({channel, subject})` when recovery fails for a subscription: events
    /// may have been missed; the latest ones follow, replayed (`resyncHistory`).
    #[wasm_bindgen(js_name = onResync)]
    pub fn on_resync(&self, callback: ResyncCallback) -> Result<Unsubscribe, JsValue> {
        let callback = function(callback.into(), "callback")?;
        Ok(release(self.client.on_resync(move |resync| {
            call(&callback, &convert::resync(resync.channel.as_str(), resync.subject.as_str()));
        })))
    }

    /// Calls `callback(error)` (a `HeraldError`) for every error: the ones the client
    /// recovers from (auth, transport), refused subscriptions, and the permanent failure
    /// that closes it.
    #[wasm_bindgen(js_name = onError)]
    pub fn on_error(&self, callback: ErrorCallback) -> Result<Unsubscribe, JsValue> {
        let callback = function(callback.into(), "callback")?;
        Ok(release(self.client.on_error(move |failure| call(&callback, &error::from_sdk(failure)))))
    }

    /// Reads a page of `channel`'s history over HTTP with the client's token (docs/protocol.md
    /// §8). Rejects with a `HeraldError` (`invalid_argument`, `token`, `http`).
    pub fn history(&self, channel: &str, options: Option<HistoryOptions>) -> Result<HistoryPromise, JsValue> {
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let channel: ChannelName = channel.parse().map_err(error::invalid)?;
        let mut query = HistoryQuery::new()
            .subject(string_option(&options, "subject")?.unwrap_or_default().parse().map_err(error::invalid)?);
        let since = get(&options, "sinceOffset");
        if present(&since) {
            let offset = since.as_f64().filter(|n| *n >= 0.0 && n.fract() == 0.0);
            let offset = offset.ok_or_else(|| error::invalid("sinceOffset must be a non-negative integer"))?;
            let epoch = string_option(&options, "epoch")?.unwrap_or_default();
            query = query.since(StreamPosition { epoch, offset: offset as u64 });
        }
        if let Some(limit) = count_option(&options, "limit")? {
            query = query.limit(limit);
        }
        let client = self.client.clone();
        let promise = future_to_promise(async move {
            let page = client.history(&channel, &query).await.map_err(|e| error::from_sdk(&e))?;
            let events: Array = page
                .events
                .iter()
                .map(|frame| convert::event(&frame.channel, frame.offset, &page.epoch, true, &frame.event))
                .collect();
            let value = Object::new();
            let _ = Reflect::set(&value, &"epoch".into(), &page.epoch.as_str().into());
            let _ = Reflect::set(&value, &"offset".into(), &(page.offset as f64).into());
            let _ = Reflect::set(&value, &"recovered".into(), &page.recovered.into());
            let _ = Reflect::set(&value, &"events".into(), &events);
            Ok(value.into())
        });
        Ok(promise.unchecked_into())
    }
}
