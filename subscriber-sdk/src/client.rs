//! The public API: [`Client`] (a cheap clone handle to one long-lived driver task),
//! [`Subscription`] (a `Stream` of deliveries, unsubscribed on drop) and [`Handler`] guards
//! (a listener and the subscriptions it implies, removed on drop).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use herald_event_types::frame::User;
use herald_event_types::{ChannelName, Event, EventCategory, Subject, category_of};
use tokio::sync::{mpsc, watch};

use crate::error::Error;
use crate::proto::{Backoff, ConnectionState, Delivery, ProtoConfig, Scope};
use crate::router::{Callback, Filter, HandlerKind, Resync, Router, SharedRouter, SubscriptionEvent, lock};

/// What a token provider returns: a JWT, or why none could be had (retried with backoff).
#[cfg(not(target_arch = "wasm32"))]
pub type TokenFuture = Pin<Box<dyn Future<Output = Result<String, String>> + Send>>;
/// What a token provider returns: a JWT, or why none could be had (retried with backoff).
#[cfg(target_arch = "wasm32")]
pub type TokenFuture = Pin<Box<dyn Future<Output = Result<String, String>>>>;

/// Called for a token when the client (re)starts, after the hub refuses the token (4401), and
/// before the token expires; an accepted token is reused across reconnects.
#[cfg(not(target_arch = "wasm32"))]
pub type TokenProvider = Arc<dyn Fn() -> TokenFuture + Send + Sync>;
/// Called for a token when the client (re)starts, after the hub refuses the token (4401), and
/// before the token expires; an accepted token is reused across reconnects.
#[cfg(target_arch = "wasm32")]
pub type TokenProvider = Arc<dyn Fn() -> TokenFuture>;

#[derive(Debug)]
pub(crate) enum Command {
    Subscribe { key: u64, channel: ChannelName, scope: Scope, history: Option<u32> },
    Unsubscribe { key: u64 },
    Token(String),
    Open,
    Close,
}

/// Configures a [`Client`].
pub struct ClientBuilder {
    pub(crate) url: String,
    pub(crate) provider: Option<TokenProvider>,
    pub(crate) config: ProtoConfig,
    pub(crate) buffer: usize,
    /// Set by [`ClientBuilder::token`]: a refused token closes the client;
    /// [`Client::set_token`] replaces it.
    pub(crate) fixed_token: Option<Arc<Mutex<String>>>,
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) connector: Option<crate::connector::Connector>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder").field("url", &self.url).field("config", &self.config).finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Uses one fixed token. Fine for tests and short sessions; it cannot be refreshed, so
    /// when the hub refuses it (invalid, expired), the client closes with
    /// [`Error::Auth`](crate::Error::Auth) instead of retrying.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        let token = Arc::new(Mutex::new(token.into()));
        self.fixed_token = Some(token.clone());
        self.token_provider_inner(move || {
            let token = token.lock().map(|t| t.clone()).unwrap_or_default();
            async move { Ok::<_, String>(token) }
        })
    }

    /// Gets tokens from `provider`: when the client starts (and on `connect()` after a
    /// close), after the hub refuses the token (4401), and `refresh_margin` before the
    /// current one expires (refreshed in-band, no reconnect). An accepted token is reused
    /// across reconnects. A provider that hands back the very token the hub just refused is
    /// reported (`Error::Token`) and asked again after the backoff delay.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn token_provider<F, Fut, E>(mut self, provider: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, E>> + Send + 'static,
        E: std::fmt::Display,
    {
        self.fixed_token = None;
        self.token_provider_inner(provider)
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn token_provider_inner<F, Fut, E>(mut self, provider: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, E>> + Send + 'static,
        E: std::fmt::Display,
    {
        self.provider = Some(Arc::new(move || {
            let future = provider();
            Box::pin(async move { future.await.map_err(|e| e.to_string()) })
        }));
        self
    }

    /// Gets tokens from `provider`: when the client starts (and on `connect()` after a
    /// close), after the hub refuses the token (4401), and `refresh_margin` before the
    /// current one expires (refreshed in-band, no reconnect). An accepted token is reused
    /// across reconnects. A provider that hands back the very token the hub just refused is
    /// reported (`Error::Token`) and asked again after the backoff delay.
    #[cfg(target_arch = "wasm32")]
    pub fn token_provider<F, Fut, E>(mut self, provider: F) -> Self
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Result<String, E>> + 'static,
        E: std::fmt::Display,
    {
        self.fixed_token = None;
        self.token_provider_inner(provider)
    }

    #[cfg(target_arch = "wasm32")]
    fn token_provider_inner<F, Fut, E>(mut self, provider: F) -> Self
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Result<String, E>> + 'static,
        E: std::fmt::Display,
    {
        self.provider = Some(Arc::new(move || {
            let future = provider();
            Box::pin(async move { future.await.map_err(|e| e.to_string()) })
        }));
        self
    }

    /// Reconnect delays. Default: full jitter, 1 s base, 30 s cap.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.config.backoff = backoff;
        self
    }

    /// Every protocol setting at once (backoff, heartbeat slack, refresh margin, timeouts).
    pub fn config(mut self, config: ProtoConfig) -> Self {
        self.config = config;
        self
    }

    /// Opens connections through `connector` instead of a plain TCP connection (native
    /// only). Default: none, i.e. tokio-tungstenite's `connect_async` over
    /// `tokio::net::TcpStream` (which supports only `ws://` URLs, as no TLS is compiled in).
    ///
    /// For each connection attempt the client calls `connector` with the
    /// [`ConnectTarget`](crate::ConnectTarget) (URL, host, port, `secure` for `wss://`) and
    /// runs the WebSocket handshake (with the `herald.v1` subprotocol) over the stream it
    /// returns, which may be anything that implements tokio's `AsyncRead + AsyncWrite`: a
    /// TLS stream with your own roots or client certificate, a tunnel through an HTTP
    /// proxy, a Unix socket, or a simulated network stream (turmoil) in tests. The
    /// connector does TLS itself for `wss://`; the client adds nothing on top.
    ///
    /// Failure: an `Err` from the connector (or a URL that is not `ws://`/`wss://` with a
    /// host) counts as a failed connection attempt: it is reported through
    /// [`Client::on_error`] and retried after the backoff delay, like a refused TCP
    /// connection.
    ///
    /// ```no_run
    /// # async fn run() {
    /// let client = herald_subscriber::Client::builder("ws://hub.internal:8080/ws")
    ///     .token("eyJ…")
    ///     .connector(|target: herald_subscriber::ConnectTarget| async move {
    ///         // e.g. resolve through your own service discovery, then connect.
    ///         tokio::net::TcpStream::connect((target.host.as_str(), target.port)).await
    ///     })
    ///     .connect();
    /// # drop(client); }
    /// ```
    #[cfg(not(target_arch = "wasm32"))]
    pub fn connector<F, Fut, S, E>(mut self, connector: F) -> Self
    where
        F: Fn(crate::ConnectTarget) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<S, E>> + Send + 'static,
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
        E: std::fmt::Display,
    {
        self.connector = Some(Arc::new(move |target| {
            let future = connector(target);
            Box::pin(async move {
                future.await.map(|io| Box::new(io) as crate::connector::BoxedTransport).map_err(|e| e.to_string())
            })
        }));
        self
    }

    /// Largest message accepted from the hub, in bytes. Default 1 MiB
    /// ([`DEFAULT_MAX_MESSAGE_BYTES`](crate::proto::DEFAULT_MAX_MESSAGE_BYTES)): 16 times the
    /// hub's default per-event cap (64 KiB), and as large as the hub's default
    /// per-connection queue, so no frame a default hub sends is refused. Raise it only
    /// together with the hub's `max_event_bytes`.
    ///
    /// Failure: a larger message is not read to its end (natively, a frame whose header
    /// announces more is refused before its payload arrives, so memory does not grow with
    /// it). The client closes that connection with 1009, reports
    /// [`Error::MessageTooBig`] through [`Client::on_error`], goes to
    /// [`ConnectionState::Reconnecting`] and reconnects after the backoff delay, resuming
    /// every subscription with `since`. A limit below the size of the hub's frames makes
    /// every connection fail this way: each failure is reported, and retries follow the
    /// backoff. Same as setting [`ProtoConfig::max_message_bytes`].
    pub fn max_message_bytes(mut self, bytes: usize) -> Self {
        self.config.max_message_bytes = bytes;
        self
    }

    /// Events buffered per [`Subscription`] before it is told to resync. Default 1024.
    pub fn buffer(mut self, events: usize) -> Self {
        self.buffer = events.max(1);
        self
    }

    /// Builds the client and starts connecting: [`ClientBuilder::build`] then
    /// [`Client::connect`].
    ///
    /// # Panics
    /// Natively, outside a tokio runtime.
    pub fn connect(self) -> Client {
        let client = self.build();
        client.connect();
        client
    }

    /// Builds the client without connecting ([`ConnectionState::Idle`]): handlers and
    /// subscriptions may be added first, then [`Client::connect`]. Natively this spawns the
    /// client's task on the current tokio runtime (call it inside one); on wasm32 it spawns a
    /// local future. The task lives until every [`Client`] clone is dropped.
    ///
    /// # Panics
    /// Natively, outside a tokio runtime.
    pub fn build(self) -> Client {
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (state_tx, state) = watch::channel(ConnectionState::Idle);
        let state_tx = Arc::new(state_tx);
        let router: SharedRouter = Arc::new(Mutex::new(Router::default()));
        let provider = self.provider.clone().unwrap_or_else(|| {
            Arc::new(|| -> TokenFuture { Box::pin(async { Err("no token or token provider configured".to_owned()) }) })
        });
        let url = crate::url::normalize(&self.url);
        let mut config = self.config;
        config.fixed_token = self.fixed_token.is_some();
        crate::driver::spawn(crate::driver::Driver {
            url: url.clone(),
            provider: provider.clone(),
            config,
            commands: command_rx,
            state: state_tx.clone(),
            router: router.clone(),
            #[cfg(not(target_arch = "wasm32"))]
            connector: self.connector,
        });
        let inner = Inner {
            commands,
            state,
            state_tx,
            router,
            next_key: AtomicU64::new(1),
            buffer: self.buffer,
            url,
            provider,
            fixed_token: self.fixed_token,
        };
        Client { inner: Arc::new(inner) }
    }
}

struct Inner {
    commands: mpsc::UnboundedSender<Command>,
    state: watch::Receiver<ConnectionState>,
    /// Shared with the driver, so [`Client::connect`] leaves `Closed` at once: a
    /// `connected().await` right after it waits instead of seeing the old state.
    state_tx: Arc<watch::Sender<ConnectionState>>,
    router: SharedRouter,
    next_key: AtomicU64,
    buffer: usize,
    url: String,
    provider: TokenProvider,
    fixed_token: Option<Arc<Mutex<String>>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("url", &self.url).field("state", &*self.state.borrow()).finish_non_exhaustive()
    }
}

/// A connection to a Herald hub that survives reconnects, and `close()` / `connect()`
/// cycles: handlers and subscriptions stay registered and resume. Cheap to clone; the
/// client's task ends when every clone is dropped.
///
/// Handlers imply the subscriptions they need ([`Client::on`], [`Client::on_category`]):
/// a handler for a catalogue event type or a category subscribes that category's channel,
/// and the `USER` category the authenticated user's own subject (`user/<sub>`), the
/// narrowest subscription a default token may hold. Subscriptions are shared and reference
/// counted: one hub subscription however many handlers and streams want it.
///
/// ```no_run
/// # async fn run() {
/// use futures_util::StreamExt;
/// use herald_subscriber::{Client, SubscriptionEvent};
/// use herald_subscriber::events::SecurityVulnerabilityDetected;
///
/// let client = Client::builder("ws://127.0.0.1:8080").token("eyJ…").connect();
/// let _alerts = client.on::<SecurityVulnerabilityDetected>(|finding, _| {
///     println!("{}: {}", finding.vulnerability.severity, finding.vulnerability.title);
/// });
/// let mut scan = client.subscribe("security".parse().unwrap(), "scan-1".parse().unwrap(), None);
/// while let Some(item) = scan.next().await {
///     match item {
///         SubscriptionEvent::Event(delivery) => println!("{} {}", delivery.offset, delivery.event.event_type),
///         SubscriptionEvent::Resync => println!("missed events: the latest ones follow, replayed"),
///         _ => break,
///     }
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

/// The channel and scope a category implies.
fn category_target(category: EventCategory) -> (ChannelName, Scope) {
    let scope = if category == EventCategory::User { Scope::User } else { Scope::Prefix(Subject::default()) };
    (category.channel(), scope)
}

impl Client {
    /// A builder for a client of the hub at `url`: `ws://host:port` (the path `/ws` is
    /// appended when the URL has none) or `ws://host:port/path`.
    pub fn builder(url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            url: url.into(),
            provider: None,
            config: ProtoConfig::default(),
            buffer: 1024,
            fixed_token: None,
            #[cfg(not(target_arch = "wasm32"))]
            connector: None,
        }
    }

    /// The WebSocket URL the client connects to (after the `/ws` convention).
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// Starts connecting: after [`ClientBuilder::build`], or again after [`Client::close`] or
    /// a permanent failure. Every handler and subscription resumes (with `since`).
    /// Idempotent while connecting or connected.
    pub fn connect(&self) {
        self.inner.state_tx.send_if_modified(|state| {
            let stopped = matches!(state, ConnectionState::Idle | ConnectionState::Closed { .. });
            if stopped {
                *state = ConnectionState::Connecting { attempt: 0 };
            }
            stopped
        });
        let _ = self.inner.commands.send(Command::Open);
    }

    /// Replaces the fixed token ([`ClientBuilder::token`]): sent in band at once when
    /// connected, used by the next connection otherwise. A client that closed because the hub
    /// refused the old token stays closed until [`Client::connect`].
    ///
    /// # Errors
    /// [`Error::Config`] when the client was built with a token provider (it asks the
    /// provider instead).
    pub fn set_token(&self, token: impl Into<String>) -> Result<(), Error> {
        let Some(fixed) = &self.inner.fixed_token else {
            return Err(Error::Config("set_token: this client gets its tokens from a token provider".into()));
        };
        let token = token.into();
        *fixed.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = token.clone();
        let _ = self.inner.commands.send(Command::Token(token));
        Ok(())
    }

    /// The connection state now.
    pub fn state(&self) -> ConnectionState {
        self.inner.state.borrow().clone()
    }

    /// A receiver that sees every state change.
    pub fn state_changes(&self) -> watch::Receiver<ConnectionState> {
        self.inner.state.clone()
    }

    /// The user the hub authenticated (`user` of its `authenticated` frame); `None` until the
    /// first connection is authenticated.
    pub fn user(&self) -> Option<User> {
        lock(&self.inner.router).user()
    }

    /// The refused subscriptions now in force, one per refused (channel, subject): each an
    /// [`Error::SubscribeRefused`] naming the channel, subject and the hub's code. An entry
    /// goes when the subscription or handler it belongs to is dropped.
    pub fn refusals(&self) -> Vec<Error> {
        lock(&self.inner.router).refusals()
    }

    /// Waits until connected.
    ///
    /// # Errors
    /// [`Error::Closed`] (or the permanent failure itself) if the client closes first.
    pub async fn connected(&self) -> Result<(), Error> {
        let mut states = self.inner.state.clone();
        loop {
            match &*states.borrow_and_update() {
                ConnectionState::Connected => return Ok(()),
                ConnectionState::Closed { error: Some(error), .. } => return Err(error.clone()),
                ConnectionState::Closed { code, reason, error: None } => {
                    return Err(Error::Closed { code: *code, reason: reason.clone() });
                }
                _ => {}
            }
            if states.changed().await.is_err() {
                return Err(Error::ClientClosed);
            }
        }
    }

    fn key(&self) -> u64 {
        self.inner.next_key.fetch_add(1, Relaxed)
    }

    fn request(&self, key: u64, channel: ChannelName, scope: Scope, history: Option<u32>) {
        let _ = self.inner.commands.send(Command::Subscribe { key, channel, scope, history });
    }

    /// Subscribes to `channel` and subject prefix `subject` (`""` for all), replaying the
    /// last `history` events first. Survives reconnects (resumed with `since`) and
    /// `close()`/`connect()`; dropping the [`Subscription`] unsubscribes.
    ///
    /// Failure: a refused subscription yields [`SubscriptionEvent::Failed`] with
    /// [`Error::SubscribeRefused`] and the stream ends.
    pub fn subscribe(&self, channel: ChannelName, subject: Subject, history: Option<u32>) -> Subscription {
        let key = self.key();
        let (sender, receiver) = mpsc::channel(self.inner.buffer);
        lock(&self.inner.router).add_stream(key, sender);
        self.request(key, channel, Scope::Prefix(subject), history);
        Subscription { key, receiver, commands: self.inner.commands.clone(), router: self.inner.router.clone() }
    }

    fn handler(&self, kind: HandlerKind, id: u64, targets: Vec<(ChannelName, Scope)>) -> Handler {
        let keys: Vec<u64> = targets
            .into_iter()
            .map(|(channel, scope)| {
                let key = self.key();
                self.request(key, channel, scope, None);
                key
            })
            .collect();
        Handler { router: self.inner.router.clone(), commands: self.inner.commands.clone(), kind, id, keys }
    }

    fn delivery_handler(&self, filter: Filter, callback: Callback<Delivery>) -> Handler {
        let targets = match &filter {
            Filter::Type(event_type) => category_of(event_type).map(category_target).into_iter().collect(),
            Filter::Category(category) => vec![category_target(*category)],
            Filter::All => EventCategory::ALL.iter().copied().map(category_target).collect(),
        };
        let id = lock(&self.inner.router).add_delivery_handler(filter.clone(), callback);
        self.handler(HandlerKind::Delivery(filter), id, targets)
    }

    /// Calls `handler` for every first delivery of event type `E`, and subscribes `E`'s
    /// category channel while the [`Handler`] lives (`USER`: the user's own subject). Events
    /// whose data does not decode as `E` are skipped (logged at debug level).
    pub fn on<E: Event + 'static>(&self, handler: impl Fn(E, &Delivery) + MaybeSendSync + 'static) -> Handler {
        let callback = Arc::new(move |delivery: &Delivery| match delivery.event.decode_data::<E>() {
            Ok(event) => handler(event, delivery),
            Err(error) => {
                let _ = &error;
                crate::log!(debug, %error, event_type = E::EVENT_TYPE, "event data does not decode");
            }
        });
        self.delivery_handler(Filter::Type(E::EVENT_TYPE.to_owned()), callback)
    }

    /// Calls `handler` for every first delivery of an event type. For a catalogue type it
    /// subscribes the type's category channel while the [`Handler`] lives; a type outside
    /// the catalogue implies no subscription (subscribe its channel with
    /// [`Client::subscribe`]).
    pub fn on_type(&self, event_type: &str, handler: impl Fn(&Delivery) + MaybeSendSync + 'static) -> Handler {
        self.delivery_handler(Filter::Type(event_type.to_owned()), Arc::new(handler))
    }

    /// Calls `handler` for every first delivery of `category`, and subscribes its channel
    /// while the [`Handler`] lives (`USER`: the user's own subject, `user/<sub>`).
    pub fn on_category(
        &self,
        category: EventCategory,
        handler: impl Fn(&Delivery) + MaybeSendSync + 'static,
    ) -> Handler {
        self.delivery_handler(Filter::Category(category), Arc::new(handler))
    }

    /// Calls `handler` for every first delivery, and subscribes all six category channels
    /// while the [`Handler`] lives (`user`: the user's own subject).
    pub fn on_event(&self, handler: impl Fn(&Delivery) + MaybeSendSync + 'static) -> Handler {
        self.delivery_handler(Filter::All, Arc::new(handler))
    }

    /// Calls `handler` when recovery fails for a subscription (a resync). Unless
    /// [`ProtoConfig::resync_history`] is off, the channel's latest events follow as
    /// replayed deliveries.
    pub fn on_resync(&self, handler: impl Fn(&Resync) + MaybeSendSync + 'static) -> Handler {
        let id = lock(&self.inner.router).add_resync_handler(Arc::new(handler));
        self.handler(HandlerKind::Resync, id, Vec::new())
    }

    /// Calls `handler` on every connection state change, in order (unlike
    /// [`Client::state_changes`], which keeps only the latest state).
    pub fn on_state(&self, handler: impl Fn(&ConnectionState) + MaybeSendSync + 'static) -> Handler {
        let id = lock(&self.inner.router).add_state_handler(Arc::new(handler));
        self.handler(HandlerKind::State, id, Vec::new())
    }

    /// Calls `handler` for every error: the ones the client recovers from by itself (auth
    /// failures, transport errors), refused subscriptions, and the permanent failure that
    /// closes it.
    pub fn on_error(&self, handler: impl Fn(&Error) + MaybeSendSync + 'static) -> Handler {
        let id = lock(&self.inner.router).add_error_handler(Arc::new(handler));
        self.handler(HandlerKind::Error, id, Vec::new())
    }

    /// Reads a page of `channel`'s history over HTTP (`GET /api/v1/channels/{channel}/history`,
    /// docs/protocol.md §8) with the client's token: the hub's URL is the client's with
    /// `ws`→`http` and the trailing `/ws` removed.
    ///
    /// # Errors
    /// [`Error::Token`] when no token can be had; [`Error::Http`] for a refusal (with the
    /// hub's code: `forbidden`, `rate_limited`, …), an unreachable hub or no answer within
    /// 15 s to connect / 60 s in all (status 0), or a body that is not a history page.
    pub async fn history(&self, channel: &ChannelName, query: &HistoryQuery) -> Result<HistoryPage, Error> {
        let token = (self.inner.provider)().await.map_err(Error::Token)?;
        crate::history::fetch(&self.inner.url, &token, channel, query).await
    }

    /// Closes the connection (code 1000). Handlers and subscriptions stay registered:
    /// streams get [`SubscriptionEvent::Closed`], and [`Client::connect`] resumes them.
    pub fn close(&self) {
        // Closed at once for `state()` (the task closes the socket right after), as
        // `connect()` leaves `Closed` at once.
        self.inner.state_tx.send_if_modified(|state| {
            let open = !matches!(state, ConnectionState::Idle | ConnectionState::Closed { .. });
            if open {
                *state = ConnectionState::Closed {
                    code: Some(herald_event_types::CloseCode::Normal),
                    reason: "closed by the application".into(),
                    error: None,
                };
            }
            open
        });
        let _ = self.inner.commands.send(Command::Close);
    }
}

pub use crate::history::{HistoryPage, HistoryQuery};

/// `Send + Sync` natively; nothing on wasm32, where everything runs on one thread.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSendSync: Send + Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + Sync> MaybeSendSync for T {}
/// `Send + Sync` natively; nothing on wasm32, where everything runs on one thread.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSendSync {}
#[cfg(target_arch = "wasm32")]
impl<T> MaybeSendSync for T {}

/// A registered handler and the subscriptions it implies; dropping it unregisters the
/// handler and releases them. Call [`Handler::forget`] to keep it for the client's lifetime.
#[must_use = "dropping a Handler unregisters it"]
#[derive(Debug)]
pub struct Handler {
    router: SharedRouter,
    commands: mpsc::UnboundedSender<Command>,
    kind: HandlerKind,
    id: u64,
    keys: Vec<u64>,
}

impl Handler {
    /// Keeps the handler registered for as long as the client lives.
    pub fn forget(self) {
        std::mem::forget(self);
    }

    /// Calls `listener` with the [`Error::SubscribeRefused`] of each subscription this
    /// handler implies that the hub refuses (at once for one refused already).
    pub fn on_refused(self, listener: impl Fn(&Error) + MaybeSendSync + 'static) -> Self {
        let listener: Callback<Error> = Arc::new(listener);
        let already: Vec<Error> = {
            let mut router = lock(&self.router);
            self.keys.iter().filter_map(|key| router.add_refusal_listener(*key, listener.clone())).collect()
        };
        for error in &already {
            listener(error);
        }
        self
    }
}

impl Drop for Handler {
    fn drop(&mut self) {
        let mut router = lock(&self.router);
        router.remove_handler(&self.kind, self.id);
        for key in &self.keys {
            router.release(*key);
            let _ = self.commands.send(Command::Unsubscribe { key: *key });
        }
    }
}

/// One subscription's deliveries, as a `Stream`. Unsubscribes when dropped.
#[derive(Debug)]
pub struct Subscription {
    key: u64,
    receiver: mpsc::Receiver<SubscriptionEvent>,
    commands: mpsc::UnboundedSender<Command>,
    router: SharedRouter,
}

impl Subscription {
    /// The next item; `None` after the subscription ended or failed, or the client's task
    /// ended.
    pub async fn recv(&mut self) -> Option<SubscriptionEvent> {
        self.receiver.recv().await
    }
}

impl futures_util::Stream for Subscription {
    type Item = SubscriptionEvent;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.receiver.poll_recv(cx)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        lock(&self.router).release(self.key);
        let _ = self.commands.send(Command::Unsubscribe { key: self.key });
    }
}
