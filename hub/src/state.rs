//! The state every request and connection shares.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use herald_event_types::{ChannelName, Envelope, ErrorCode};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::{Authenticator, Identity};
use crate::channels::Registry;
use crate::config::Config;
use crate::limits::{AddressRate, AuthFailures, ConnectionCounter, IpConnectionCounter, RateLimiter, event_fits};
use crate::metrics::Metrics;

/// Everything the hub's handlers share. Built once per hub.
#[derive(Debug)]
pub(crate) struct HubState {
    pub(crate) config: Config,
    pub(crate) auth: Authenticator,
    pub(crate) registry: Registry,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) rate: RateLimiter,
    pub(crate) connections: ConnectionCounter,
    /// Concurrent WebSocket connections per client address (`max_connections_per_ip`).
    pub(crate) ip_connections: Arc<IpConnectionCounter>,
    /// Failed authentications per client address (`max_auth_failures_per_ip`): HTTP 401s and
    /// WebSocket `auth_error`s call `record`; HTTP requests and upgrades check `blocked` first.
    pub(crate) auth_failures: AuthFailures,
    /// History reads per client address (`history_rate_per_ip`).
    pub(crate) history_rate: AddressRate,
    /// HTTP requests in flight (`max_http_in_flight`): one permit per request.
    pub(crate) http_in_flight: Arc<tokio::sync::Semaphore>,
    /// Cancelled when the hub shuts down; every connection then closes with 1001.
    pub(crate) shutdown: CancellationToken,
    /// Tracks WebSocket sessions so shutdown can wait for their closing handshakes.
    pub(crate) tracker: TaskTracker,
    /// Test-only (feature `__echo`): bumped to make every connection close with 4000.
    #[cfg(feature = "__echo")]
    pub(crate) drop_all: tokio::sync::watch::Sender<u64>,
    channels: HashSet<ChannelName>,
    next_key: AtomicU64,
}

impl HubState {
    pub(crate) fn new(config: Config, auth: Authenticator, registry: Registry, metrics: Arc<Metrics>) -> Self {
        Self {
            channels: config.channels.iter().cloned().collect(),
            rate: RateLimiter::new(config.publish_rate),
            connections: ConnectionCounter::new(config.max_connections_per_user),
            ip_connections: IpConnectionCounter::new(config.max_connections_per_ip),
            auth_failures: AuthFailures::new(config.max_auth_failures_per_ip, config.auth_failure_window),
            history_rate: AddressRate::new(config.history_rate_per_ip),
            http_in_flight: Arc::new(tokio::sync::Semaphore::new(config.max_http_in_flight)),
            config,
            auth,
            registry,
            metrics,
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
            #[cfg(feature = "__echo")]
            drop_all: tokio::sync::watch::Sender::new(0),
            next_key: AtomicU64::new(1),
        }
    }

    /// A process-unique connection key.
    pub(crate) fn next_key(&self) -> u64 {
        self.next_key.fetch_add(1, Relaxed)
    }

    /// `Ok(())` when `channel` is configured.
    pub(crate) fn check_channel(&self, channel: &ChannelName) -> Result<(), (ErrorCode, String)> {
        if self.channels.contains(channel) {
            Ok(())
        } else {
            Err((ErrorCode::ChannelNotFound, format!("channel {channel} is not configured")))
        }
    }

    /// `Ok(())` when `event`, serialised, is at most `max_event_bytes`; else `too_large`.
    /// Every publish path checks it: WebSocket, HTTP and in-process.
    pub(crate) fn check_event_size(&self, event: &Envelope) -> Result<(), (ErrorCode, String)> {
        let max = self.config.max_event_bytes;
        if event_fits(event, max) {
            Ok(())
        } else {
            Err((ErrorCode::TooLarge, format!("event larger than max_event_bytes ({max} bytes, serialised)")))
        }
    }

    /// Resolves where `event` goes and checks the caller may publish it there.
    pub(crate) fn check_publish(
        &self,
        identity: &Identity,
        channel: Option<ChannelName>,
        event: &Envelope,
    ) -> Result<ChannelName, (ErrorCode, String)> {
        let channel = channel.unwrap_or_else(|| event.default_channel());
        self.check_channel(&channel)?;
        if !identity.publish.allows(&channel, &event.subject) {
            return Err((
                ErrorCode::Forbidden,
                format!("no publish permission for {channel}/{}", event.subject.as_str()),
            ));
        }
        Ok(channel)
    }
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn unix_millis_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or_default()
}
