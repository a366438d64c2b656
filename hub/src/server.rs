//! Running a hub: [`Hub::builder`] binds, serves and returns a [`RunningHub`] with its
//! address and a shutdown handle, in the binary or inside another tokio program.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use herald_event_types::{ChannelName, Envelope};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::auth::{AuthSetupError, Authenticator, JwtKey};
use crate::broker::{BrokerError, BrokerKind, MemoryBroker};
use crate::channels::Registry;
use crate::config::{Config, ConfigError};
use crate::metrics::Metrics;
use crate::state::HubState;

/// How long shutdown waits for connections to finish their closing handshakes.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Concurrent streams per HTTP/2 connection (the minimum RFC 9113 recommends). All streams
/// of all connections also share `max_http_in_flight`.
const HTTP2_MAX_STREAMS: u32 = 100;

/// Entry point for running a hub.
///
/// ```no_run
/// # async fn run() -> Result<(), herald_hub::HubError> {
/// let hub = herald_hub::Hub::builder()
///     .listen("127.0.0.1:0".parse().unwrap())
///     .jwt_secret(b"a random secret of 32 bytes or more".to_vec())
///     .spawn()
///     .await?;
/// println!("hub on {}", hub.local_addr());
/// hub.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Hub;

impl Hub {
    /// A builder starting from [`Config::default`] (which has no key: set one).
    pub fn builder() -> HubBuilder {
        HubBuilder { config: Config::default() }
    }
}

/// Configures and starts a hub.
#[derive(Debug)]
pub struct HubBuilder {
    config: Config,
}

/// Why a hub could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    /// The configuration is unusable; the message says what to set.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The key is unusable: unparsable, or an HS256 secret shorter than 32 bytes.
    #[error(transparent)]
    Key(#[from] AuthSetupError),
    /// The broker cannot be set up (an invalid Redis URL), or Redis is reachable but unsafe
    /// ([`BrokerError::Misconfigured`]: a `maxmemory-policy` other than `noeviction`, or a
    /// user that may not run `INFO`). An unreachable Redis is not an error at startup: the
    /// hub starts, reports not ready and keeps reconnecting.
    #[error("broker: {0}")]
    Broker(#[from] BrokerError),
    /// The listen address could not be bound (in use, or not permitted).
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl HubBuilder {
    /// Replaces the whole configuration.
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The listen address. Default 127.0.0.1:8080; use port 0 for any free port.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.config.listen = addr;
        self
    }

    /// Verify tokens with this HS256 secret (5 s leeway, no `aud`/`iss` checks). It must be at
    /// least [`MIN_HS256_SECRET_LEN`](crate::auth::MIN_HS256_SECRET_LEN) (32) bytes long:
    /// [`HubBuilder::spawn`] fails with [`HubError::Key`] otherwise.
    pub fn jwt_secret(mut self, secret: Vec<u8>) -> Self {
        self.config.auth = Some(crate::auth::AuthConfig {
            key: JwtKey::Hs256(secret),
            audience: None,
            issuer: None,
            leeway: Duration::from_secs(5),
        });
        self
    }

    /// Binds and starts serving in the background.
    ///
    /// # Errors
    /// [`HubError`] when no key is configured, the key is unusable (an HS256 secret shorter
    /// than 32 bytes, say), the configuration fails [`Config::validate`], development mode
    /// breaks its rules (`Config::dev_token_secret` on a non-loopback address), the address
    /// cannot be bound, or the broker is misconfigured ([`HubError::Broker`]).
    pub async fn spawn(self) -> Result<RunningHub, HubError> {
        self.config.validate()?;
        let publish_frame = self.config.max_event_bytes.saturating_add(crate::config::PUBLISH_FRAME_OVERHEAD);
        if self.config.max_message_bytes < publish_frame {
            tracing::warn!(
                max_message_bytes = self.config.max_message_bytes,
                max_event_bytes = self.config.max_event_bytes,
                "a WebSocket publish of an event near max_event_bytes closes with 1009 instead of getting \
                 too_large: set HERALD_MAX_MESSAGE_BYTES to at least max_event_bytes + 1024"
            );
        }
        let auth = self.authenticator()?;
        let listen = self.config.listen;
        let listener = TcpListener::bind(listen).await.map_err(|source| HubError::Bind { addr: listen, source })?;
        let addr = listener.local_addr().map_err(|source| HubError::Bind { addr: listen, source })?;
        let state = self.state(auth)?;
        // A reachable Redis that may evict Herald's keys is refused here; an unreachable one
        // is not (the hub starts not ready and keeps retrying).
        state.registry.broker().check_startup().await?;
        let task = tokio::spawn(serve(listener, state.clone()));
        tracing::info!(%addr, "herald hub listening");
        Ok(RunningHub { addr, state, task })
    }

    /// **Unstable (feature `sim`), for deterministic simulations.** Serves the hub on
    /// `listener` instead of binding [`Config::listen`] (which is ignored): the same router,
    /// state, authentication, broker and connection code as [`HubBuilder::spawn`], over
    /// any transport that implements [`axum::serve::Listener`], e.g. a wrapper around
    /// `turmoil::net::TcpListener`. Spawns the accept loop on the current tokio runtime.
    ///
    /// The only difference from `spawn`: the first-byte deadline (`header_read_timeout`)
    /// reads the first byte and replays it instead of peeking, since a generic stream
    /// cannot peek. This API may change or go away in any release; production code should
    /// call [`HubBuilder::spawn`].
    ///
    /// # Errors
    /// [`HubError`] when no key is configured, the key or the broker is unusable, the
    /// configuration fails [`Config::validate`], or `listener.local_addr()` fails ([`HubError::Bind`], with `Config::listen` as the
    /// address).
    ///
    /// # Panics
    /// Outside a tokio runtime.
    #[cfg(feature = "sim")]
    pub fn spawn_on<L>(self, listener: L) -> Result<RunningHub, HubError>
    where
        L: axum::serve::Listener<Addr = SocketAddr>,
    {
        self.config.validate()?;
        let auth = self.authenticator()?;
        let listen = self.config.listen;
        let addr = listener.local_addr().map_err(|source| HubError::Bind { addr: listen, source })?;
        let state = self.state(auth)?;
        let task = tokio::spawn(serve(crate::sim::GenericListener(listener), state.clone()));
        tracing::info!(%addr, "herald hub listening (simulation listener)");
        Ok(RunningHub { addr, state, task })
    }

    /// The token verifier, after the rules of development mode (`crate::dev`).
    fn authenticator(&self) -> Result<Authenticator, HubError> {
        crate::dev::check(&self.config)?;
        Ok(Authenticator::new(self.config.auth.clone().ok_or(ConfigError::NoKey)?)?)
    }

    /// The shared state: broker, registry, metrics.
    fn state(self, auth: Authenticator) -> Result<Arc<HubState>, HubError> {
        let config = self.config;
        if config.trusted_proxies.iter().any(|net| net.prefix_len() == 0) {
            tracing::warn!(
                "HERALD_TRUSTED_PROXIES trusts every address: any client can choose the address the per-address limits see"
            );
        }
        let metrics = Arc::new(Metrics::default());
        let broker = match &config.broker {
            None => BrokerKind::Memory(MemoryBroker::new(config.memory.clone())),
            #[cfg(feature = "redis")]
            Some(url) => BrokerKind::Redis(crate::broker::RedisBroker::new(crate::broker::RedisConfig {
                url: url.expose().to_owned(),
                limits: config.memory.clone(),
            })?),
            #[cfg(not(feature = "redis"))]
            Some(_) => return Err(ConfigError::Invalid("built without the `redis` feature".into()).into()),
        };
        let registry = Registry::new(broker, metrics.clone());
        Ok(Arc::new(HubState::new(config, auth, registry, metrics)))
    }
}

/// A hub serving in the background.
#[derive(Debug)]
pub struct RunningHub {
    addr: SocketAddr,
    state: Arc<HubState>,
    task: JoinHandle<()>,
}

impl RunningHub {
    /// The bound address (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The hub's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.state.metrics
    }

    /// The hub's token verifier. With a key directory, [`Authenticator::reload_keys`]
    /// re-reads it without a restart (the binary calls it on SIGHUP).
    pub fn authenticator(&self) -> &Authenticator {
        &self.state.auth
    }

    /// A cheap, cloneable handle for publishing from inside this process.
    pub fn handle(&self) -> HubHandle {
        HubHandle { state: self.state.clone() }
    }

    /// A token that shuts the hub down when cancelled (for signal handlers).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.state.shutdown.clone()
    }

    /// Stops accepting, closes every connection with 1001, and waits (up to 5 s) for them
    /// to finish.
    pub async fn shutdown(self) {
        self.state.shutdown.cancel();
        let _ = self.task.await;
    }

    /// Waits until the hub has shut down (after [`RunningHub::shutdown_token`] is cancelled).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// Publishes into a running hub from the same process, as a trusted service: no token, no
/// permission check, no rate limit; tenancy, channels, dedup and fan-out as for any publish.
#[derive(Debug, Clone)]
pub struct HubHandle {
    state: Arc<HubState>,
}

/// The hub's answer to an in-process publish, as in a `published` frame.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublishOutcome {
    /// The channel holding the event (for a duplicate: the first publish's channel).
    pub channel: ChannelName,
    /// The event's offset.
    pub offset: u64,
    /// Whether the event id had already been published in this tenant.
    pub duplicate: bool,
}

/// An in-process publish that was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct PublishRejected {
    /// The protocol error code (`channel_not_found`, `too_large`, `unavailable`).
    pub code: herald_event_types::ErrorCode,
    /// Details.
    pub message: String,
}

impl HubHandle {
    /// Publishes `event` into tenant `org`, on `channel` or the event category's channel.
    ///
    /// # Errors
    /// [`PublishRejected`] with `channel_not_found` for an unconfigured channel,
    /// `too_large` for an event over [`Config::max_event_bytes`] serialised, or
    /// `unavailable` when the broker fails (retry later; the event id makes it idempotent).
    pub async fn publish(
        &self,
        org: &str,
        channel: Option<ChannelName>,
        event: &Envelope,
    ) -> Result<PublishOutcome, PublishRejected> {
        let received = tokio::time::Instant::now();
        let channel = channel.unwrap_or_else(|| event.default_channel());
        self.state.check_channel(&channel).map_err(|(code, message)| PublishRejected { code, message })?;
        self.state.check_event_size(event).map_err(|(code, message)| PublishRejected { code, message })?;
        let appended = self.state.registry.publish(org, &channel, event, received).await.map_err(|e| {
            PublishRejected { code: herald_event_types::ErrorCode::Unavailable, message: e.to_string() }
        })?;
        Ok(PublishOutcome { channel: appended.channel, offset: appended.offset, duplicate: appended.duplicate })
    }

    /// Whether the hub is shutting down (publishes still work until the process ends).
    pub fn is_shutting_down(&self) -> bool {
        self.state.shutdown.is_cancelled()
    }
}

/// Where [`serve`] gets its connections: a TCP listener in production, any
/// [`axum::serve::Listener`] in simulations (feature `sim`).
pub(crate) trait Acceptor: Send + 'static {
    /// An accepted connection.
    type Io: Send + 'static;
    /// The connection handed to hyper once its first byte arrived.
    type Ready: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// The next connection and its peer address.
    fn accept(&mut self) -> impl Future<Output = std::io::Result<(Self::Io, SocketAddr)>> + Send;
    /// Waits for the first byte: the connection to serve, or `None` when it ended first.
    fn first_byte(io: Self::Io) -> impl Future<Output = Option<Self::Ready>> + Send;
}

impl Acceptor for TcpListener {
    type Io = TcpStream;
    type Ready = TcpStream;

    async fn accept(&mut self) -> std::io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) = Self::accept(self).await?;
        let _ = stream.set_nodelay(true);
        Ok((stream, peer))
    }

    async fn first_byte(stream: TcpStream) -> Option<TcpStream> {
        let mut probe = [0u8; 1];
        match stream.peek(&mut probe).await {
            Ok(n) if n > 0 => Some(stream),
            _ => None,
        }
    }
}

async fn serve<A: Acceptor>(mut listener: A, state: Arc<HubState>) {
    let router = crate::http::router(state.clone());
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(state.config.header_read_timeout);
    builder.http2().max_concurrent_streams(HTTP2_MAX_STREAMS);
    loop {
        let (stream, peer) = tokio::select! {
            () = state.shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, say: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request)
        });
        let (builder, watcher, first_byte) = (builder.clone(), graceful.watcher(), state.config.header_read_timeout);
        let shutdown = state.shutdown.clone();
        tokio::spawn(async move {
            // hyper's header timeout starts at the first byte; a connection that never sends
            // one must not hold a socket forever (docs/reliability.md, slowloris), nor hold up
            // a shutdown (browsers open such connections ahead of use).
            let first = tokio::time::timeout(first_byte, A::first_byte(stream));
            let Ok(Some(stream)) = (tokio::select! {
                () = shutdown.cancelled() => return,
                first = first => first,
            }) else {
                return;
            };
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            if let Err(error) = watcher.watch(connection.into_owned()).await {
                tracing::debug!(%error, %peer, "http connection ended with an error");
            }
        });
    }
    drop(listener);
    state.tracker.close();
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        graceful.shutdown().await;
        state.tracker.wait().await;
    })
    .await;
    if drained.is_err() {
        tracing::warn!("shutdown grace elapsed with connections still open");
    }
    tracing::info!("herald hub stopped");
}
