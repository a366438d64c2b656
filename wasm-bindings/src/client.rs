//! `HeraldClient`: the JavaScript face of the subscriber SDK's [`Client`].
//!
//! JavaScript callbacks live in tables here, not in the SDK: the SDK client exists only
//! between `connect()` and `close()`, while listeners and subscriptions registered before
//! `connect()` (or kept across `close()` + `connect()`) stay. On `connect()` the facade
//! registers one SDK handler per kind (event, resync, error), one task that follows the
//! state, and one pump task per subscription; `close()` aborts them all.
//!
//! Every `on*`/`subscribe` call returns an idempotent unsubscribe function. Callbacks run
//! outside any borrow, so a callback may unsubscribe or subscribe re-entrantly; an
//! exception thrown by a callback is reported with `console.error` and does not stop the
//! other callbacks.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use futures_util::StreamExt;
use futures_util::future::{AbortHandle, Abortable};
use herald_event_types::{ChannelName, CloseCode, EventCategory, Subject};
use herald_subscriber::{Backoff, Client, ConnectionState, Duration, Handler, ProtoConfig, SubscriptionEvent};
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};

use crate::{convert, error};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Where the connection is. `idle` until `connect()`. */
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
}

/** Stable codes of `HeraldError.code`. */
export type HeraldErrorCode =
  | "invalid_argument" | "auth" | "token" | "refused" | "closed" | "transport" | "client_closed"
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
  event: E;
}

/** Options of `new HeraldClient(…)`. Give `token` or `getToken`. */
export interface HeraldClientOptions {
  /** The hub's WebSocket URL, `ws://host:port/ws`. */
  url: string;
  /** A fixed token (cannot be refreshed). */
  token?: string;
  /** Called before each connection, after a 4401 and before the token expires. */
  getToken?: () => Promise<string> | string;
  /** Full-jitter reconnect backoff. Defaults: 1000 ms base, 30000 ms cap. */
  backoff?: { baseMs?: number; capMs?: number };
  /** Heartbeat interval assumed until the hub announces its own (default 25000 ms) and the
   *  silence allowed after it (default 10000 ms). */
  heartbeat?: { intervalMs?: number; timeoutMs?: number };
}

/** Options of `subscribe`. */
export interface HeraldSubscribeOptions {
  /** Subject prefix; `""` (default) for the whole channel. */
  subject?: string;
  /** Replay the last `history` events first. */
  history?: number;
  /** Events may have been missed (recovery failed, or the callback fell behind): reload. */
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
    #[wasm_bindgen(typescript_type = "ConnectionStateSnapshot")]
    pub type StateSnapshot;
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

type List = Vec<(u64, Function)>;

#[derive(Default)]
struct Listeners {
    state: List,
    by_type: HashMap<String, List>,
    by_category: HashMap<EventCategory, List>,
    any: List,
    resync: List,
    error: List,
}

#[derive(Clone, Copy)]
enum Kind {
    State,
    Type,
    Category(EventCategory),
    Any,
    Resync,
    Error,
}

struct Sub {
    channel: ChannelName,
    subject: Subject,
    history: Option<u32>,
    callback: Function,
    on_resync: Option<Function>,
    on_end: Option<Function>,
    on_error: Option<Function>,
    abort: Option<AbortHandle>,
}

struct Live {
    client: Client,
    _handlers: Vec<Handler>,
    state_task: AbortHandle,
}

struct Settings {
    url: String,
    token: Option<String>,
    get_token: Option<Function>,
    config: ProtoConfig,
}

struct Shared {
    settings: Settings,
    live: RefCell<Option<Live>>,
    listeners: RefCell<Listeners>,
    subs: RefCell<HashMap<u64, Sub>>,
    next_id: Cell<u64>,
    state: RefCell<JsValue>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        for sub in self.subs.get_mut().values_mut() {
            if let Some(abort) = sub.abort.take() {
                abort.abort();
            }
        }
        if let Some(live) = self.live.get_mut().take() {
            live.state_task.abort();
            live.client.close();
        }
    }
}

/// A Herald connection for JavaScript (`HeraldClient`). See `docs/react.md` for the API.
#[wasm_bindgen(js_name = HeraldClient)]
pub struct JsClient {
    inner: Rc<Shared>,
}

impl std::fmt::Debug for JsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeraldClient").field("url", &self.inner.settings.url).finish_non_exhaustive()
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
        report(&thrown);
    }
}

fn report(thrown: &JsValue) {
    let console = get(&js_sys::global(), "console");
    if let Ok(log) = get(&console, "error").dyn_into::<Function>() {
        let _ = log.call2(&console, &JsValue::from_str("herald: a callback threw"), thrown);
    }
}

fn describe(value: &JsValue) -> String {
    value
        .as_string()
        .or_else(|| value.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())))
        .unwrap_or_else(|| "getToken failed".to_owned())
}

fn parse_settings(options: &JsValue) -> Result<Settings, JsValue> {
    if !options.is_object() {
        return Err(error::invalid("options must be an object: { url, token | getToken }"));
    }
    let url = string_option(options, "url")?.ok_or_else(|| error::invalid("url is required"))?;
    let token = string_option(options, "token")?;
    let get_token = function_option(options, "getToken")?;
    if token.is_none() && get_token.is_none() {
        return Err(error::invalid("give token or getToken"));
    }
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
    Ok(Settings { url, token, get_token, config })
}

impl Shared {
    fn next_id(&self) -> u64 {
        let id = self.next_id.get() + 1;
        self.next_id.set(id);
        id
    }

    fn add_listener(self: &Rc<Self>, kind: Kind, key: Option<String>, callback: Function) -> Unsubscribe {
        let id = self.next_id();
        {
            let mut listeners = self.listeners.borrow_mut();
            let list = match (kind, key) {
                (Kind::Type, Some(event_type)) => listeners.by_type.entry(event_type).or_default(),
                (Kind::Category(category), _) => listeners.by_category.entry(category).or_default(),
                (Kind::State, _) => &mut listeners.state,
                (Kind::Resync, _) => &mut listeners.resync,
                (Kind::Error, _) => &mut listeners.error,
                _ => &mut listeners.any,
            };
            list.push((id, callback));
        }
        let weak = Rc::downgrade(self);
        unsubscribe_fn(move || {
            if let Some(shared) = weak.upgrade() {
                let mut listeners = shared.listeners.borrow_mut();
                let retain = |list: &mut List| list.retain(|(i, _)| *i != id);
                match kind {
                    Kind::State => retain(&mut listeners.state),
                    Kind::Type => listeners.by_type.values_mut().for_each(retain),
                    Kind::Category(category) => listeners.by_category.get_mut(&category).into_iter().for_each(retain),
                    Kind::Any => retain(&mut listeners.any),
                    Kind::Resync => retain(&mut listeners.resync),
                    Kind::Error => retain(&mut listeners.error),
                }
            }
        })
    }

    fn set_state(&self, state: JsValue) {
        *self.state.borrow_mut() = state.clone();
        let listeners: Vec<Function> = self.listeners.borrow().state.iter().map(|(_, f)| f.clone()).collect();
        for callback in listeners {
            call(&callback, &state);
        }
    }

    /// Starts the pump of subscription `id` on the live client (if connected).
    fn start(self: &Rc<Self>, id: u64) {
        let live = self.live.borrow();
        let Some(live) = live.as_ref() else { return };
        let mut subs = self.subs.borrow_mut();
        let Some(sub) = subs.get_mut(&id) else { return };
        if sub.abort.is_some() {
            return;
        }
        let mut stream = live.client.subscribe(sub.channel.clone(), sub.subject.clone(), sub.history);
        let (handle, registration) = AbortHandle::new_pair();
        sub.abort = Some(handle);
        let weak = Rc::downgrade(self);
        let pump = async move {
            while let Some(item) = stream.next().await {
                let Some(shared) = weak.upgrade() else { break };
                let (callback, on_resync, on_end, on_error) = match shared.subs.borrow().get(&id) {
                    Some(s) => (s.callback.clone(), s.on_resync.clone(), s.on_end.clone(), s.on_error.clone()),
                    None => break,
                };
                match item {
                    SubscriptionEvent::Event(delivery) => call(&callback, &convert::delivery(&delivery)),
                    SubscriptionEvent::Resync => {
                        if let Some(f) = on_resync {
                            call(&f, &JsValue::UNDEFINED);
                        }
                    }
                    SubscriptionEvent::Ended => {
                        shared.subs.borrow_mut().remove(&id);
                        if let Some(f) = on_end {
                            call(&f, &JsValue::UNDEFINED);
                        }
                        break;
                    }
                    SubscriptionEvent::Failed(herald_subscriber::Error::Closed { .. }) => {
                        // The whole client closed for good: the state says why. The
                        // subscription stays registered, and `connect()` resumes it.
                        if let Some(sub) = shared.subs.borrow_mut().get_mut(&id) {
                            sub.abort = None;
                        }
                        break;
                    }
                    SubscriptionEvent::Failed(failure) => {
                        shared.subs.borrow_mut().remove(&id);
                        if let Some(f) = on_error {
                            call(&f, &error::from_sdk(&failure));
                        }
                        break;
                    }
                    _ => {}
                }
            }
        };
        spawn_local(async move {
            let _ = Abortable::new(pump, registration).await;
        });
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

#[wasm_bindgen(js_class = HeraldClient)]
impl JsClient {
    /// `new HeraldClient({ url, token | getToken, backoff?, heartbeat? })`. Does not
    /// connect: call `connect()`. Throws a `HeraldError` (`invalid_argument`) on bad options.
    #[wasm_bindgen(constructor)]
    pub fn new(options: ClientOptions) -> Result<Self, JsValue> {
        #[cfg(feature = "console-panic-hook")]
        console_error_panic_hook::set_once();
        let settings = parse_settings(&options)?;
        Ok(Self {
            inner: Rc::new(Shared {
                settings,
                live: RefCell::new(None),
                listeners: RefCell::new(Listeners::default()),
                subs: RefCell::new(HashMap::new()),
                next_id: Cell::new(0),
                state: RefCell::new(convert::idle()),
            }),
        })
    }

    /// Starts connecting (and keeps reconnecting until `close()`). Idempotent while
    /// connected; after `close()` it connects again and resumes every subscription.
    pub fn connect(&self) {
        let shared = &self.inner;
        if shared.live.borrow().is_some() {
            return;
        }
        let settings = &shared.settings;
        let mut builder = Client::builder(settings.url.clone()).config(settings.config.clone());
        builder = match (&settings.get_token, &settings.token) {
            (Some(get_token), _) => {
                let get_token = get_token.clone();
                builder.token_provider(move || {
                    let result = get_token.call0(&JsValue::UNDEFINED);
                    async move {
                        let value = result.map_err(|e| describe(&e))?;
                        let value = JsFuture::from(Promise::resolve(&value)).await.map_err(|e| describe(&e))?;
                        value.as_string().ok_or_else(|| "getToken must resolve to a string".to_owned())
                    }
                })
            }
            (None, Some(token)) => builder.token(token.clone()),
            (None, None) => builder,
        };
        let client = builder.connect();

        let weak = Rc::downgrade(shared);
        let on_event = client.on_event(move |delivery| {
            let Some(shared) = weak.upgrade() else { return };
            let callbacks: Vec<Function> = {
                let listeners = shared.listeners.borrow();
                let by_type = listeners.by_type.get(&delivery.event.event_type).into_iter().flatten();
                let by_category = listeners.by_category.get(&delivery.event.category).into_iter().flatten();
                by_type.chain(by_category).chain(listeners.any.iter()).map(|(_, f)| f.clone()).collect()
            };
            if callbacks.is_empty() {
                return;
            }
            let value = convert::delivery(delivery);
            for callback in callbacks {
                call(&callback, &value);
            }
        });
        let weak = Rc::downgrade(shared);
        let on_resync = client.on_resync(move |resync| {
            let Some(shared) = weak.upgrade() else { return };
            let callbacks: Vec<Function> = shared.listeners.borrow().resync.iter().map(|(_, f)| f.clone()).collect();
            let value = convert::resync(resync.channel.as_str(), resync.subject.as_str());
            for callback in callbacks {
                call(&callback, &value);
            }
        });
        let weak = Rc::downgrade(shared);
        let on_error = client.on_error(move |failure| {
            let Some(shared) = weak.upgrade() else { return };
            let callbacks: Vec<Function> = shared.listeners.borrow().error.iter().map(|(_, f)| f.clone()).collect();
            let value = error::from_sdk(failure);
            for callback in callbacks {
                call(&callback, &value);
            }
        });

        let mut states = client.state_changes();
        let weak = Rc::downgrade(shared);
        let (state_task, registration) = AbortHandle::new_pair();
        spawn_local(async move {
            let follow = async move {
                loop {
                    let state = convert::state(&states.borrow_and_update());
                    let Some(shared) = weak.upgrade() else { break };
                    shared.set_state(state);
                    drop(shared);
                    if states.changed().await.is_err() {
                        break;
                    }
                }
            };
            let _ = Abortable::new(follow, registration).await;
        });

        *shared.live.borrow_mut() = Some(Live { client, _handlers: vec![on_event, on_resync, on_error], state_task });
        let ids: Vec<u64> = shared.subs.borrow().keys().copied().collect();
        for id in ids {
            shared.start(id);
        }
    }

    /// Closes the connection for good (code 1000). Listeners and subscriptions stay
    /// registered; `connect()` resumes them. Idempotent.
    pub fn close(&self) {
        let shared = &self.inner;
        let Some(live) = shared.live.borrow_mut().take() else { return };
        for sub in shared.subs.borrow_mut().values_mut() {
            if let Some(abort) = sub.abort.take() {
                abort.abort();
            }
        }
        live.state_task.abort();
        live.client.close();
        drop(live);
        let closed =
            ConnectionState::Closed { code: Some(CloseCode::from(1000)), reason: "closed by the application".into() };
        shared.set_state(convert::state(&closed));
    }

    /// The connection state: the same frozen object until the state changes.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> StateSnapshot {
        self.inner.state.borrow().clone().unchecked_into()
    }

    /// Calls `callback(state)` on every state change.
    #[wasm_bindgen(js_name = onState)]
    pub fn on_state(&self, callback: StateCallback) -> Result<Unsubscribe, JsValue> {
        let callback = function(callback.into(), "callback")?;
        Ok(self.inner.add_listener(Kind::State, None, callback))
    }

    /// Subscribes to `channel` (subject prefix `options.subject`, replaying
    /// `options.history` events first) and calls `callback(delivery)` for each event.
    /// Survives reconnects; may be called before `connect()`. Throws `invalid_argument`
    /// for an invalid channel or subject.
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
        let history = match get(&options, "history").as_f64() {
            Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= f64::from(u32::MAX) => Some(n as u32),
            Some(_) => return Err(error::invalid("history must be a non-negative integer")),
            None => None,
        };
        let sub = Sub {
            channel,
            subject,
            history,
            callback: function(callback.into(), "callback")?,
            on_resync: function_option(&options, "onResync")?,
            on_end: function_option(&options, "onEnd")?,
            on_error: function_option(&options, "onError")?,
            abort: None,
        };
        let id = self.inner.next_id();
        self.inner.subs.borrow_mut().insert(id, sub);
        self.inner.start(id);
        let weak = Rc::downgrade(&self.inner);
        Ok(unsubscribe_fn(move || {
            if let Some(shared) = weak.upgrade() {
                let sub = shared.subs.borrow_mut().remove(&id);
                if let Some(abort) = sub.and_then(|s| s.abort) {
                    abort.abort();
                }
            }
        }))
    }

    /// Calls `callback(delivery)` for the first delivery of every event of `eventType`, on
    /// any subscription.
    #[wasm_bindgen(js_name = onEvent)]
    pub fn on_event(&self, event_type: &str, callback: DeliveryCallback) -> Result<Unsubscribe, JsValue> {
        let callback = function(callback.into(), "callback")?;
        Ok(self.inner.add_listener(Kind::Type, Some(event_type.to_owned()), callback))
    }

    /// Calls `callback(delivery)` for the first delivery of every event of `category`
    /// (`"PIPELINE"`, …). Throws `invalid_argument` for an unknown category.
    #[wasm_bindgen(js_name = onCategory)]
    pub fn on_category(&self, category: &str, callback: DeliveryCallback) -> Result<Unsubscribe, JsValue> {
        let parsed = EventCategory::parse(category)
            .ok_or_else(|| error::invalid(format_args!("unknown category {category:?} (PIPELINE, SECURITY, …)")))?;
        let callback = function(callback.into(), "callback")?;
        Ok(self.inner.add_listener(Kind::Category(parsed), None, callback))
    }

    /// Calls `callback(delivery)` for the first delivery of every event.
    #[wasm_bindgen(js_name = onAnyEvent)]
    pub fn on_any_event(&self, callback: DeliveryCallback) -> Result<Unsubscribe, JsValue> {
        let callback = function(callback.into(), "callback")?;
        Ok(self.inner.add_listener(Kind::Any, None, callback))
    }

    /// Calls `callback({channel, subject})` when recovery fails for a subscription: events
    /// may have been missed, reload that state.
    #[wasm_bindgen(js_name = onResync)]
    pub fn on_resync(&self, callback: ResyncCallback) -> Result<Unsubscribe, JsValue> {
        let callback = function(callback.into(), "callback")?;
        Ok(self.inner.add_listener(Kind::Resync, None, callback))
    }

    /// Calls `callback(error)` (a `HeraldError`) for errors the client recovers from by
    /// itself (auth, transport) and for the final close.
    #[wasm_bindgen(js_name = onError)]
    pub fn on_error(&self, callback: ErrorCallback) -> Result<Unsubscribe, JsValue> {
        let callback = function(callback.into(), "callback")?;
        Ok(self.inner.add_listener(Kind::Error, None, callback))
    }
}
