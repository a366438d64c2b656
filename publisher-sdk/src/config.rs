//! [`PublisherBuilder`]: every option of a [`Publisher`](crate::Publisher), with its default.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::error::{BoxError, BuildError};

/// Calls the service's token source (for example its auth service) for a fresh JWT.
#[derive(Clone)]
pub(crate) struct TokenProvider(Arc<dyn Fn() -> BoxFuture<'static, Result<String, BoxError>> + Send + Sync>);

impl TokenProvider {
    pub(crate) async fn fetch(&self) -> Result<String, BoxError> {
        (self.0)().await
    }
}

impl fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenProvider")
    }
}

/// Where the publisher sends events.
#[derive(Clone)]
pub(crate) enum Target {
    /// `ws://host:port/ws`: one persistent WebSocket, pipelined `publish` frames.
    Ws(String),
    /// `http://host:port`: batches to `POST /api/v1/publish`.
    Http(String),
    /// An embedded hub in this process, publishing into tenant `org`.
    #[cfg(feature = "in-process")]
    InProcess { hub: herald_hub::HubHandle, org: String },
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ws(url) => write!(f, "Ws({url})"),
            Self::Http(url) => write!(f, "Http({url})"),
            #[cfg(feature = "in-process")]
            Self::InProcess { org, .. } => write!(f, "InProcess({org})"),
        }
    }
}

/// The resolved configuration the background task runs with.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) target: Target,
    pub(crate) token: Option<String>,
    pub(crate) token_provider: Option<TokenProvider>,
    pub(crate) source: String,
    pub(crate) outbox_capacity: usize,
    pub(crate) outbox_bytes: usize,
    pub(crate) max_batch: usize,
    pub(crate) max_in_flight: usize,
    pub(crate) max_event_bytes: usize,
    pub(crate) backoff_min: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) ack_timeout: Option<Duration>,
    pub(crate) connect_timeout: Duration,
    pub(crate) linger: Duration,
}

/// Builds a [`Publisher`](crate::Publisher). Start with
/// [`Publisher::builder`](crate::Publisher::builder); every setter documents its default.
///
/// ```no_run
/// # async fn run() -> Result<(), herald_publisher::BuildError> {
/// use std::time::Duration;
/// let publisher = herald_publisher::Publisher::builder("ws://127.0.0.1:8080")
///     .token("eyJ…")
///     .source("security-enforcement")
///     .outbox_capacity(50_000)
///     .backoff(Duration::from_millis(100), Duration::from_secs(10))
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "call build() to start the publisher"]
pub struct PublisherBuilder {
    url: String,
    #[cfg(feature = "in-process")]
    in_process: Option<(herald_hub::HubHandle, String)>,
    config: Config,
}

impl PublisherBuilder {
    pub(crate) fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            #[cfg(feature = "in-process")]
            in_process: None,
            config: Config {
                target: Target::Ws(String::new()),
                token: None,
                token_provider: None,
                source: String::new(),
                outbox_capacity: 10_000,
                outbox_bytes: 16 << 20,
                max_batch: 256,
                max_in_flight: 4096,
                max_event_bytes: 65_408,
                backoff_min: Duration::from_millis(250),
                backoff_max: Duration::from_secs(30),
                ack_timeout: Some(Duration::from_secs(30)),
                connect_timeout: Duration::from_secs(10),
                linger: Duration::from_secs(5),
            },
        }
    }

    #[cfg(feature = "in-process")]
    pub(crate) fn new_in_process(hub: herald_hub::HubHandle, org: String) -> Self {
        let mut builder = Self::new("in-process");
        builder.in_process = Some((hub, org));
        builder
    }

    /// The JWT to authenticate with (needs `publish` permissions covering the channels and
    /// subjects published to). Required for `ws://` and `http://` unless a
    /// [`token_provider`](Self::token_provider) is set. No default.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.config.token = Some(token.into());
        self
    }

    /// Called for a fresh token when the hub refuses the current one (close 4401, HTTP 401),
    /// and at start when no [`token`](Self::token) is set. While it fails, the publisher
    /// retries it with backoff and keeps events queued. Default: none, and a refused token
    /// stops the publisher with [`PublishError::Unauthorized`](crate::PublishError::Unauthorized).
    pub fn token_provider<F, Fut, E>(mut self, provider: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let provider = move || -> BoxFuture<'static, Result<String, BoxError>> {
            let fut = provider();
            Box::pin(async move { fut.await.map_err(Into::into) })
        };
        self.config.token_provider = Some(TokenProvider(Arc::new(provider)));
        self
    }

    /// The `source` of every envelope: the publishing service (`security-enforcement`).
    /// Required, non-empty.
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.config.source = source.into();
        self
    }

    /// Most events the outbox holds (queued or awaiting acknowledgement). Default 10,000.
    pub fn outbox_capacity(mut self, events: usize) -> Self {
        self.config.outbox_capacity = events;
        self
    }

    /// Most bytes (encoded envelopes, approximately) the outbox holds. Default 16 MiB.
    pub fn outbox_bytes(mut self, bytes: usize) -> Self {
        self.config.outbox_bytes = bytes;
        self
    }

    /// Most events taken from the outbox at once: one HTTP request, or one write burst on
    /// the WebSocket. Default 256; the hub accepts at most 1000 per HTTP batch.
    pub fn max_batch(mut self, events: usize) -> Self {
        self.config.max_batch = events.min(1000);
        self
    }

    /// Most unacknowledged `publish` frames on the WebSocket (the pipelining window).
    /// Default 4096.
    pub fn max_in_flight(mut self, events: usize) -> Self {
        self.config.max_in_flight = events;
        self
    }

    /// Largest event accepted by `publish`/`try_publish`, in bytes of envelope JSON; larger
    /// ones fail with [`PublishError::TooLarge`](crate::PublishError::TooLarge). Default
    /// 65,408: the hub's default 64 KiB message limit less the `publish` frame around it.
    pub fn max_event_bytes(mut self, bytes: usize) -> Self {
        self.config.max_event_bytes = bytes;
        self
    }

    /// Full-jitter exponential backoff between reconnects and retries: attempt `n` waits a
    /// random time in `[0, min(max, min × 2^n)]`. Default 250 ms and 30 s. After close 4429
    /// the publisher waits at least `max`.
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.config.backoff_min = min;
        self.config.backoff_max = max;
        self
    }

    /// How long `publish().await` waits for the acknowledgement before returning
    /// [`PublishError::Timeout`](crate::PublishError::Timeout) (the event stays queued).
    /// `None` waits for ever. Default 30 s. Does not apply to `try_publish`.
    pub fn ack_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.ack_timeout = timeout;
        self
    }

    /// Time allowed to connect and authenticate (or for one HTTP request). Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// After the last handle is dropped without [`close`](crate::Publisher::close), how
    /// long the background task keeps draining the outbox before it exits. Default 5 s.
    pub fn linger(mut self, linger: Duration) -> Self {
        self.config.linger = linger;
        self
    }

    /// Validates the options and starts the background task.
    ///
    /// # Errors
    /// [`BuildError`]: an unsupported URL, no token, no source, a zero limit, or no tokio
    /// runtime.
    pub fn build(self) -> Result<crate::Publisher, BuildError> {
        let mut config = self.config;
        if config.source.is_empty() {
            return Err(BuildError::MissingSource);
        }
        for (name, value) in [
            ("outbox_capacity", config.outbox_capacity),
            ("outbox_bytes", config.outbox_bytes),
            ("max_batch", config.max_batch),
            ("max_in_flight", config.max_in_flight),
        ] {
            if value == 0 {
                return Err(BuildError::Zero(name));
            }
        }
        #[cfg(feature = "in-process")]
        let in_process = self.in_process;
        #[cfg(not(feature = "in-process"))]
        let in_process: Option<()> = None;
        config.target = match in_process {
            #[cfg(feature = "in-process")]
            Some((hub, org)) => Target::InProcess { hub, org },
            #[cfg(not(feature = "in-process"))]
            Some(()) => unreachable!("no in-process builder without the feature"),
            None => {
                let target = parse_url(&self.url)?;
                if config.token.is_none() && config.token_provider.is_none() {
                    return Err(BuildError::MissingToken);
                }
                target
            }
        };
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| BuildError::NoRuntime)?;
        crate::publisher::Publisher::start(config, &runtime)
    }
}

/// `ws://host:port[/path]` (path default `/ws`) or `http://host:port`.
fn parse_url(url: &str) -> Result<Target, BuildError> {
    let bad = |reason| BuildError::Url { url: url.to_owned(), reason };
    let url = url.trim().trim_end_matches('/');
    let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("expected ws://host:port or http://host:port"))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(bad("no host"));
    }
    match scheme {
        "ws" => Ok(Target::Ws(if rest.contains('/') { url.to_owned() } else { format!("{url}/ws") })),
        "http" if cfg!(feature = "http") => Ok(Target::Http(format!("http://{host}"))),
        "http" => Err(BuildError::HttpDisabled),
        "wss" | "https" => Err(bad("TLS is not supported by this version; terminate TLS in front")),
        _ => Err(bad("the scheme must be ws or http")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_resolve_to_transports() {
        assert!(matches!(parse_url("ws://127.0.0.1:8080"), Ok(Target::Ws(u)) if u == "ws://127.0.0.1:8080/ws"));
        assert!(matches!(parse_url("ws://h:1/custom/"), Ok(Target::Ws(u)) if u == "ws://h:1/custom"));
        #[cfg(feature = "http")]
        assert!(matches!(parse_url("http://h:1/"), Ok(Target::Http(u)) if u == "http://h:1"));
        assert!(parse_url("wss://h").is_err());
        assert!(parse_url("h:1").is_err());
        assert!(parse_url("ws://").is_err());
    }
}
