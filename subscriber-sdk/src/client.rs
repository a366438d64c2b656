//! The public API: [`Client`] (a cheap clone handle to one driver task), [`Subscription`]
//! (a `Stream` of deliveries, unsubscribed on drop) and [`Handler`] guards.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use herald_event_types::{ChannelName, Event, EventCategory, Subject};
use tokio::sync::{mpsc, watch};

use crate::error::Error;
use crate::proto::{Backoff, ConnectionState, Delivery, ProtoConfig};
use crate::router::{HandlerKind, Resync, Router, SharedRouter, SubscriptionEvent};

/// What a token provider returns: a JWT, or why none could be had (retried with backoff).
#[cfg(not(target_arch = "wasm32"))]
pub type TokenFuture = Pin<Box<dyn Future<Output = Result<String, String>> + Send>>;
/// What a token provider returns: a JWT, or why none could be had (retried with backoff).
#[cfg(target_arch = "wasm32")]
pub type TokenFuture = Pin<Box<dyn Future<Output = Result<String, String>>>>;

/// Called for a token before each connection, after a 4401, and before the token expires.
#[cfg(not(target_arch = "wasm32"))]
pub type TokenProvider = Arc<dyn Fn() -> TokenFuture + Send + Sync>;
/// Called for a token before each connection, after a 4401, and before the token expires.
#[cfg(target_arch = "wasm32")]
pub type TokenProvider = Arc<dyn Fn() -> TokenFuture>;

#[derive(Debug)]
pub(crate) enum Command {
    Subscribe { key: u64, channel: ChannelName, subject: Subject, history: Option<u32> },
    Unsubscribe { key: u64 },
    Close,
}

/// Configures a [`Client`].
pub struct ClientBuilder {
    pub(crate) url: String,
    pub(crate) provider: Option<TokenProvider>,
    pub(crate) config: ProtoConfig,
    pub(crate) buffer: usize,
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) connector: Option<crate::connector::Connector>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder").field("url", &self.url).field("config", &self.config).finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Uses one fixed token. Fine for tests and short sessions; it cannot be refreshed.
    pub fn token(self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.token_provider(move || {
            let token = token.clone();
            async move { Ok::<_, String>(token) }
        })
    }

    /// Gets tokens from `provider`: before each connection, after a 4401 close, and
    /// `refresh_margin` before the current one expires (refreshed in-band, no reconnect).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn token_provider<F, Fut, E>(mut self, provider: F) -> Self
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

    /// Gets tokens from `provider`: before each connection, after a 4401 close, and
    /// `refresh_margin` before the current one expires (refreshed in-band, no reconnect).
    #[cfg(target_arch = "wasm32")]
    pub fn token_provider<F, Fut, E>(mut self, provider: F) -> Self
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

    /// Starts the client: it connects, and keeps reconnecting until closed. Natively this
    /// spawns a task on the current tokio runtime (call it inside one); on wasm32 it spawns
    /// a local future.
    ///
    /// # Panics
    /// Natively, outside a tokio runtime.
    pub fn connect(self) -> Client {
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (state_tx, state) = watch::channel(ConnectionState::Connecting { attempt: 0 });
        let router: SharedRouter = Arc::new(Mutex::new(Router::default()));
        let provider = self.provider.clone().unwrap_or_else(|| {
            Arc::new(|| -> TokenFuture { Box::pin(async { Err("no token or token provider configured".to_owned()) }) })
        });
        crate::driver::spawn(crate::driver::Driver {
            url: self.url,
            provider,
            config: self.config,
            commands: command_rx,
            state: state_tx,
            router: router.clone(),
            #[cfg(not(target_arch = "wasm32"))]
            connector: self.connector,
        });
        Client { inner: Arc::new(Inner { commands, state, router, next_key: AtomicU64::new(1), buffer: self.buffer }) }
    }
}

#[derive(Debug)]
struct Inner {
    commands: mpsc::UnboundedSender<Command>,
    state: watch::Receiver<ConnectionState>,
    router: SharedRouter,
    next_key: AtomicU64,
    buffer: usize,
}

/// A connection to a Herald hub that survives reconnects. Cheap to clone; the connection
/// closes when every clone and every [`Subscription`] is dropped, or on [`Client::close`].
///
/// ```no_run
/// # async fn run() {
/// use futures_util::StreamExt;
/// use herald_subscriber::{Client, SubscriptionEvent};
/// use herald_event_types::events::SecurityVulnerabilityDetected;
///
/// let client = Client::builder("ws://127.0.0.1:8080/ws").token("eyJ…").connect();
/// let _alerts = client.on::<SecurityVulnerabilityDetected>(|finding, _| {
///     println!("{}: {}", finding.vulnerability.severity, finding.vulnerability.title);
/// });
/// let mut scan = client.subscribe("security".parse().unwrap(), "scan-1".parse().unwrap(), None);
/// while let Some(item) = scan.next().await {
///     match item {
///         SubscriptionEvent::Event(delivery) => println!("{} {}", delivery.offset, delivery.event.event_type),
///         SubscriptionEvent::Resync => println!("missed events: reload"),
///         _ => break,
///     }
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl Client {
    /// A builder for a client of the hub at `url` (`ws://host:port/ws`).
    pub fn builder(url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            url: url.into(),
            provider: None,
            config: ProtoConfig::default(),
            buffer: 1024,
            #[cfg(not(target_arch = "wasm32"))]
            connector: None,
        }
    }

    /// The connection state now.
    pub fn state(&self) -> ConnectionState {
        self.inner.state.borrow().clone()
    }

    /// A receiver that sees every state change.
    pub fn state_changes(&self) -> watch::Receiver<ConnectionState> {
        self.inner.state.clone()
    }

    /// Waits until connected.
    ///
    /// # Errors
    /// [`Error::Closed`] if the client closes for good first.
    pub async fn connected(&self) -> Result<(), Error> {
        let mut states = self.inner.state.clone();
        loop {
            match &*states.borrow_and_update() {
                ConnectionState::Connected => return Ok(()),
                ConnectionState::Closed { code, reason } => {
                    return Err(Error::Closed { code: *code, reason: reason.clone() });
                }
                _ => {}
            }
            if states.changed().await.is_err() {
                return Err(Error::ClientClosed);
            }
        }
    }

    /// Subscribes to `channel` and subject prefix `subject` (`""` for all), replaying the
    /// last `history` events first. Survives reconnects (resumed with `since`); dropping
    /// the [`Subscription`] unsubscribes.
    pub fn subscribe(&self, channel: ChannelName, subject: Subject, history: Option<u32>) -> Subscription {
        let key = self.inner.next_key.fetch_add(1, Relaxed);
        let (sender, receiver) = mpsc::channel(self.inner.buffer);
        self.inner.router.lock().expect("router lock").add_stream(key, sender);
        let _ = self.inner.commands.send(Command::Subscribe { key, channel, subject, history });
        Subscription { key, receiver, commands: self.inner.commands.clone(), router: self.inner.router.clone() }
    }

    fn handler(&self, kind: HandlerKind, id: u64) -> Handler {
        Handler { router: self.inner.router.clone(), kind, id }
    }

    /// Calls `handler` for every first delivery of event type `E` on any subscription.
    /// Events whose data does not decode as `E` are skipped (logged at debug level).
    pub fn on<E: Event + 'static>(&self, handler: impl Fn(E, &Delivery) + MaybeSendSync + 'static) -> Handler {
        let callback = Arc::new(move |delivery: &Delivery| match delivery.event.decode_data::<E>() {
            Ok(event) => handler(event, delivery),
            Err(error) => tracing::debug!(%error, event_type = E::EVENT_TYPE, "event data does not decode"),
        });
        let kind = HandlerKind::Type(E::EVENT_TYPE.to_owned());
        let id = self.inner.router.lock().expect("router lock").add_delivery_handler(kind.clone(), callback);
        self.handler(kind, id)
    }

    /// Calls `handler` for every first delivery of an event type (typed or not).
    pub fn on_type(&self, event_type: &str, handler: impl Fn(&Delivery) + MaybeSendSync + 'static) -> Handler {
        let kind = HandlerKind::Type(event_type.to_owned());
        let id = self.inner.router.lock().expect("router lock").add_delivery_handler(kind.clone(), Arc::new(handler));
        self.handler(kind, id)
    }

    /// Calls `handler` for every first delivery of `category`.
    pub fn on_category(
        &self,
        category: EventCategory,
        handler: impl Fn(&Delivery) + MaybeSendSync + 'static,
    ) -> Handler {
        let kind = HandlerKind::Category(category);
        let id = self.inner.router.lock().expect("router lock").add_delivery_handler(kind.clone(), Arc::new(handler));
        self.handler(kind, id)
    }

    /// Calls `handler` for every first delivery.
    pub fn on_event(&self, handler: impl Fn(&Delivery) + MaybeSendSync + 'static) -> Handler {
        let id =
            self.inner.router.lock().expect("router lock").add_delivery_handler(HandlerKind::All, Arc::new(handler));
        self.handler(HandlerKind::All, id)
    }

    /// Calls `handler` when recovery fails for a subscription: reload its state.
    pub fn on_resync(&self, handler: impl Fn(&Resync) + MaybeSendSync + 'static) -> Handler {
        let id = self.inner.router.lock().expect("router lock").add_resync_handler(Arc::new(handler));
        self.handler(HandlerKind::Resync, id)
    }

    /// Calls `handler` on every connection state change, in order (unlike
    /// [`Client::state_changes`], which keeps only the latest state).
    pub fn on_state(&self, handler: impl Fn(&ConnectionState) + MaybeSendSync + 'static) -> Handler {
        let id = self.inner.router.lock().expect("router lock").add_state_handler(Arc::new(handler));
        self.handler(HandlerKind::State, id)
    }

    /// Calls `handler` for errors the client recovers from by itself (auth failures,
    /// transport errors) and for the final close.
    pub fn on_error(&self, handler: impl Fn(&Error) + MaybeSendSync + 'static) -> Handler {
        let id = self.inner.router.lock().expect("router lock").add_error_handler(Arc::new(handler));
        self.handler(HandlerKind::Error, id)
    }

    /// Closes the connection for good (code 1000). Subscriptions end.
    pub fn close(&self) {
        let _ = self.inner.commands.send(Command::Close);
    }
}

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

/// A registered handler; dropping it unregisters the handler. Call [`Handler::forget`] to
/// keep it for the client's lifetime.
#[must_use = "dropping a Handler unregisters it"]
#[derive(Debug)]
pub struct Handler {
    router: SharedRouter,
    kind: HandlerKind,
    id: u64,
}

impl Handler {
    /// Keeps the handler registered for as long as the client lives.
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for Handler {
    fn drop(&mut self) {
        if let Ok(mut router) = self.router.lock() {
            router.remove_handler(&self.kind, self.id);
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
    /// The next item; `None` after the subscription ended or failed, or the client closed.
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
        if let Ok(mut router) = self.router.lock() {
            router.remove_stream(self.key);
        }
        let _ = self.commands.send(Command::Unsubscribe { key: self.key });
    }
}
