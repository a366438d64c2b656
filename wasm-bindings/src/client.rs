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
    Backoff, ChannelName, Client, ConnectionState, Duration, Error, EventCategory, Handler, HistoryQuery, ProtoConfig,
    StreamPosition, Subject, SubscriptionEvent,
};
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise, spawn_local};

use crate::{convert, error};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Where the connection is. `idle` until the first `connect()`. */
export type ConnectionStatus = "idle" | "connecting" | "connected" | "reconnecting" | "closed";

/** A connection state snapshot. The same object is returned until the state changes. */
export interface ConnectionStateSnapshot {
  readonly status: ConnectionStatus;
  /** Reconnect attempt (`connecting`, `reconnecting`). */
  readonly attempt?: number;
  /** Delay before the next attempt, in milliseconds (`reconnecting`). */
  readonly nextInMs?: number;
  /** Close code (`closed`), `null` when there was none. */
  readonly code?: number | null;
  /** Close reason (`closed`). */
  readonly reason?: string;
  /** The permanent failure that closed the client (`closed`; absent when `close()` did). */
  readonly error?: HeraldError;
}

/** Stable codes of `HeraldError.code`. */
export type HeraldErrorCode =
  | "invalid_argument" | "auth" | "token" | "refused" | "closed" | "transport" | "http" | "client_closed"
  | "message_too_big" | "unknown";

/** The one error shape of the package: an `Error` named `HeraldError`. */
export interface HeraldError extends Error {
  readonly code: HeraldErrorCode;
  /** Whether trying again unchanged can succeed. */
  readonly retryable: boolean;
  /** The hub's error code (`forbidden`, `invalid_token`, …), when there is one. */
  readonly detail?: string;
  /** The WebSocket close code, for `closed`. */
  readonly closeCode?: number;
  /** The channel of a refused subscription (`refused`). */
  readonly channel?: string;
  /** The subject prefix of a refused subscription (`refused`; `""`: the whole channel). */
  readonly subject?: string;
  /** The URL requested (`http`). */
  readonly url?: string;
  /** The HTTP status (`http`; 0 when no answer arrived). */
  readonly status?: number;
}

/** An event envelope (docs/protocol.md §2) with `data` as a plain object. */
export interface HeraldEnvelope {
  id: string;
  event_type: string;
  category: "PIPELINE" | "SECURITY" | "DEBUG" | "SYSTEM" | "ARCHITECTURE" | "USER";
  priority: "HIGH" | "MEDIUM" | "LOW";
  timestamp: string;
  source: string;
  subject: string;
  data: Record<string, unknown>;
  final?: boolean;
}

/** One delivered event. `offset` is exact below 2^53. */
export interface HeraldDelivery<E = HeraldEnvelope> {
  channel: string;
  offset: number;
  /** The channel's epoch the offset belongs to. */
  epoch: string;
  /** `true` for a replayed event (history, a `since` recovery, the reload after a resync). */
  replayed: boolean;
  event: E;
}

/** Who the hub authenticated (`authenticated.user`). */
export interface HeraldUser { readonly id: string; readonly org: string; readonly name?: string }

/** Options of the interest listeners (`onEvent`, `onCategory`, `onAnyEvent`). */
export interface HeraldInterestOptions {
  /** The hub refused a subscription the listener implies (`forbidden`, …). */
  onError?: (error: HeraldError) => void;
}

/** Options of `history`. */
export interface HeraldHistoryOptions {
  /** Subject prefix; `""` (default) for the whole channel. */
  subject?: string;
  /** Events after this offset (with `epoch`; default: the latest `limit` events). */
  sinceOffset?: number;
  /** The epoch of `sinceOffset` (default: the hub's current one). */
  epoch?: string;
  /** At most this many events (hub default 100, capped at 1000). */
  limit?: number;
}

/** A page of history (docs/protocol.md §8). Every event is marked `replayed`. */
export interface HeraldHistoryPage {
  epoch: string;
  offset: number;
  recovered: boolean;
  events: HeraldDelivery[];
}

/** Options of `new HeraldClient(…)`. Give `token` or `getToken`. */
export interface HeraldClientOptions {
  /** The hub's WebSocket URL: `ws://host:port` (`/ws` is appended to a URL without a
   *  path) or `ws://host:port/path`. */
  url: string;
  /** A fixed token. It cannot be refreshed: when the hub refuses it, the client closes
   *  (`state.status === "closed"`, `state.error` says why) instead of retrying. */
  token?: string;
  /** Called before each connection, after a 4401 and before the token expires. */
  getToken?: () => Promise<string> | string;
  /** Full-jitter reconnect backoff. Defaults: 1000 ms base, 30000 ms cap. */
  backoff?: { baseMs?: number; capMs?: number };
  /** Heartbeat interval assumed until the hub announces its own (default 25000 ms) and the
   *  silence allowed after it (default 10000 ms). */
  heartbeat?: { intervalMs?: number; timeoutMs?: number };
  /** After a resync, reload this many of the channel's latest events (delivered with
   *  `replayed: true`); `false` turns the reload off. Default 100. */
  resyncHistory?: number | false;
}

/** Options of `subscribe`. */
export interface HeraldSubscribeOptions {
  /** Subject prefix; `""` (default) for the whole channel. */
  subject?: string;
  /** Replay the last `history` events first. */
  history?: number;
  /** Events may have been missed (recovery failed, or the callback fell behind): reset what
   *  was built from earlier events; the latest events follow, replayed (`resyncHistory`). */
  onResync?: () => void;
  /** A `final` event ended the subject; the subscription is gone. */
  onEnd?: () => void;
  /** The hub refused the subscription; it is gone. */
  onError?: (error: HeraldError) => void;
}

/** `{channel, subject}` of a subscription whose recovery failed. */
export interface HeraldResync { channel: string; subject: string }

/** Removes a listener or subscription. Idempotent. */
export type Unsubscribe = () => void;
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "HeraldClientOptions")]
    pub type ClientOptions;
    #[wasm_bindgen(typescript_type = "HeraldSubscribeOptions | undefined")]
    pub type SubscribeOptions;
    #[wasm_bindgen(typescript_type = "HeraldInterestOptions")]
    pub type InterestOptions;
    #[wasm_bindgen(typescript_type = "HeraldHistoryOptions")]
    pub type HistoryOptions;
    #[wasm_bindgen(typescript_type = "Promise<HeraldHistoryPage>")]
    pub type HistoryPromise;
    #[wasm_bindgen(typescript_type = "ConnectionStateSnapshot")]
    pub type StateSnapshot;
    #[wasm_bindgen(typescript_type = "HeraldUser | null")]
    pub type UserSnapshot;
    #[wasm_bindgen(typescript_type = "readonly HeraldError[]")]
    pub type Refusals;
    #[wasm_bindgen(typescript_type = "Unsubscribe")]
    pub type Unsubscribe;
    #[wasm_bindgen(typescript_type = "(delivery: HeraldDelivery) => void")]
    pub type DeliveryCallback;
    #[wasm_bindgen(typescript_type = "(state: ConnectionStateSnapshot) => void")]
    pub type StateCallback;
    #[wasm_bindgen(typescript_type = "(resync: HeraldResync) => void")]
    pub type ResyncCallback;
    #[wasm_bindgen(typescript_type = "(error: HeraldError) => void")]
    pub type ErrorCallback;
}

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

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn present(value: &JsValue) -> bool {
    !value.is_undefined() && !value.is_null()
}

fn string_option(object: &JsValue, key: &str) -> Result<Option<String>, JsValue> {
    let value = get(object, key);
    if !present(&value) {
        return Ok(None);
    }
    value.as_string().map(Some).ok_or_else(|| error::invalid(format_args!("{key} must be a string")))
}

fn count_option(object: &JsValue, key: &str) -> Result<Option<u32>, JsValue> {
    let value = get(object, key);
    if !present(&value) {
        return Ok(None);
    }
    match value.as_f64() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= f64::from(u32::MAX) => Ok(Some(n as u32)),
        _ => Err(error::invalid(format_args!("{key} must be a non-negative integer"))),
    }
}

fn ms_option(object: &JsValue, key: &str) -> Result<Option<Duration>, JsValue> {
    let value = get(object, key);
    if !present(&value) {
        return Ok(None);
    }
    match value.as_f64() {
        Some(ms) if ms.is_finite() && ms >= 0.0 => Ok(Some(Duration::from_millis(ms as u64))),
        _ => Err(error::invalid(format_args!("{key} must be a non-negative number of milliseconds"))),
    }
}

fn function_option(object: &JsValue, key: &str) -> Result<Option<Function>, JsValue> {
    let value = get(object, key);
    if !present(&value) {
        return Ok(None);
    }
    value.dyn_into::<Function>().map(Some).map_err(|_| error::invalid(format_args!("{key} must be a function")))
}

fn function(value: JsValue, what: &str) -> Result<Function, JsValue> {
    value.dyn_into::<Function>().map_err(|_| error::invalid(format_args!("{what} must be a function")))
}

/// Calls `callback(value)`; an exception goes to `console.error`.
fn call(callback: &Function, value: &JsValue) {
    if let Err(thrown) = callback.call1(&JsValue::UNDEFINED, value) {
        console("error", &JsValue::from_str("herald: a callback threw"), &thrown);
    }
}

/// `console[level](first, second)`.
fn console(level: &str, first: &JsValue, second: &JsValue) {
    let console = get(&js_sys::global(), "console");
    if let Ok(log) = get(&console, level).dyn_into::<Function>() {
        let _ = log.call2(&console, first, second);
    }
}

fn describe(value: &JsValue) -> String {
    value
        .as_string()
        .or_else(|| value.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())))
        .unwrap_or_else(|| "getToken failed".to_owned())
}

/// The client from `new HeraldClient(options)`, not connected.
fn build(options: &JsValue) -> Result<Client, JsValue> {
    if !options.is_object() {
        return Err(error::invalid("options must be an object: { url, token | getToken }"));
    }
    let url = string_option(options, "url")?.ok_or_else(|| error::invalid("url is required"))?;
    let token = string_option(options, "token")?;
    let get_token = function_option(options, "getToken")?;
    let mut config = ProtoConfig::default();
    let backoff = get(options, "backoff");
    if present(&backoff) {
        let base = ms_option(&backoff, "baseMs")?.unwrap_or(config.backoff.base);
        let cap = ms_option(&backoff, "capMs")?.unwrap_or(config.backoff.cap);
        config.backoff = Backoff { base, cap: cap.max(base), custom: None };
    }
    let heartbeat = get(options, "heartbeat");
    if present(&heartbeat) {
        if let Some(interval) = ms_option(&heartbeat, "intervalMs")? {
            config.heartbeat = interval;
        }
        if let Some(timeout) = ms_option(&heartbeat, "timeoutMs")? {
            config.pong_timeout = timeout;
        }
    }
    if get(options, "resyncHistory") == JsValue::FALSE {
        config.resync_history = None;
    } else if let Some(history) = count_option(options, "resyncHistory")? {
        config.resync_history = Some(history);
    }
    let builder = Client::builder(url).config(config);
    let builder = match (get_token, token) {
        (Some(get_token), _) => builder.token_provider(move || {
            let result = get_token.call0(&JsValue::UNDEFINED);
            async move {
                let value = result.map_err(|e| describe(&e))?;
                let value = JsFuture::from(Promise::resolve(&value)).await.map_err(|e| describe(&e))?;
                value.as_string().ok_or_else(|| "getToken must resolve to a string".to_owned())
            }
        }),
        (None, Some(token)) => builder.token(token),
        (None, None) => return Err(error::invalid("give token or getToken")),
    };
    Ok(builder.build())
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
                console("warn", &JsValue::from_str(&format!("herald: {failure}")), &error::from_sdk(failure));
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
        };
        let (abort, registration) = AbortHandle::new_pair();
        spawn_local(async move {
            let _ = Abortable::new(pump, registration).await;
        });
        Ok(unsubscribe_fn(move || abort.abort()))
    }

    /// Calls `callback(delivery)` for the first delivery of every event of `eventType`, and
    /// subscribes that type's category channel while listening (`USER`: the user's own
    /// subject). A type outside the catalogue implies no subscription. `options.onError`
    /// hears a refusal of that subscription.
    #[wasm_bindgen(js_name = onEvent)]
    pub fn on_event(
        &self,
        event_type: &str,
        callback: DeliveryCallback,
        options: Option<InterestOptions>,
    ) -> Result<Unsubscribe, JsValue> {
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
