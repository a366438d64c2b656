//! **Unstable, test-only** (feature `__fuzz`): a hub without a listener, for the fuzz targets
//! in `fuzz/` (docs/fuzzing.md). Nothing here is part of the hub's API; it may change or go
//! away in any release. Never enable the feature in production builds.
//!
//! [`Harness`] builds the hub's real state (memory broker, configured [`Authenticator`]) and
//! serves one HTTP connection over any in-memory stream (`tokio::io::duplex`), through the
//! hub's real router, WebSocket upgrade settings (`http::configure`), session loop, writer
//! and close-code mapping. Only the TCP accept loop of `server.rs` (first-byte timeout,
//! graceful-shutdown watcher) is not on this path.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tower::ServiceExt;

use crate::auth::Authenticator;
use crate::broker::{BrokerKind, MemoryBroker};
use crate::channels::Registry;
use crate::config::{Config, ConfigError};
use crate::metrics::Metrics;
use crate::server::HubError;
use crate::state::HubState;

/// The peer address the harness's connections report.
const PEER: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 40_000);

/// A hub's shared state and router, without a listener. Build one per fuzz input for
/// independent runs (its limits, history and counters are per hub).
#[derive(Debug)]
pub struct Harness {
    state: Arc<HubState>,
    router: axum::Router,
}

impl Harness {
    /// Builds the hub state for `config` with the memory broker (any `broker` URL is ignored).
    ///
    /// # Errors
    /// [`HubError`] when `config` has no key or the key is unusable.
    pub fn new(mut config: Config) -> Result<Self, HubError> {
        config.broker = None;
        let auth = Authenticator::new(config.auth.clone().ok_or(ConfigError::NoKey)?)?;
        let metrics = Arc::new(Metrics::default());
        let registry = Registry::new(BrokerKind::Memory(MemoryBroker::new(config.memory.clone())), metrics.clone());
        let state = Arc::new(HubState::new(config, auth, registry, metrics));
        let router = crate::http::router(state.clone());
        Ok(Self { state, router })
    }

    /// Serves one HTTP/1.1 connection on `io` as the hub serves an accepted TCP stream (same
    /// connection builder, header-read timer and routes), then waits until every WebSocket
    /// session it started has ended. Returns once the peer is gone and nothing of the
    /// connection runs any more.
    pub async fn serve_connection<I>(&self, io: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder.http1().timer(TokioTimer::new()).header_read_timeout(self.state.config.header_read_timeout);
        let router = self.router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(PEER));
            router.clone().oneshot(request)
        });
        if let Err(error) = builder.serve_connection_with_upgrades(TokioIo::new(io), service).await {
            tracing::debug!(%error, "fuzz connection ended with an error");
        }
        self.state.tracker.close();
        self.state.tracker.wait().await;
    }

    /// The hub's metrics (connections open, bad frames, …), for assertions after a run.
    pub fn metrics(&self) -> &Metrics {
        &self.state.metrics
    }
}
