//! The background task: drains the outbox to the hub, retries, refreshes tokens.
//!
//! One task per publisher. [`ws`] keeps one persistent WebSocket and pipelines `publish`
//! frames; [`batch`] sends batches one request at a time over a [`batch::BatchTransport`]
//! (HTTP, or an embedded hub). Both keep per-channel order across retries by putting
//! unacknowledged events back at the front of the queue in their original order, and never
//! change an event's id, so a retry of an event the hub already stored is answered
//! `duplicate: true` instead of being stored twice.

pub(crate) mod batch;
#[cfg(feature = "http")]
pub(crate) mod http;
#[cfg(feature = "in-process")]
pub(crate) mod in_process;
pub(crate) mod ws;

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use herald_event_types::ErrorCode;
use herald_event_types::frame::AuthErrorCode;
use tokio::time::Instant;

use crate::backoff::Backoff;
use crate::config::{Config, Target, TokenProvider};
use crate::error::{BuildError, PublishError};
use crate::outbox::Shared;

/// A transport ready to run (built before the task starts, so build errors reach the caller).
pub(crate) enum Prepared {
    Ws(String),
    #[cfg(feature = "http")]
    Http(http::HttpTransport),
    #[cfg(feature = "in-process")]
    InProcess(in_process::InProcessTransport),
}

pub(crate) fn prepare(config: &Config) -> Result<Prepared, BuildError> {
    Ok(match &config.target {
        Target::Ws(url) => Prepared::Ws(url.clone()),
        #[cfg(feature = "http")]
        Target::Http(base) => Prepared::Http(http::HttpTransport::new(base, config.connect_timeout)?),
        #[cfg(not(feature = "http"))]
        Target::Http(_) => return Err(BuildError::HttpDisabled),
        #[cfg(feature = "in-process")]
        Target::InProcess { hub, org } => Prepared::InProcess(in_process::InProcessTransport::new(hub.clone(), org)),
    })
}

/// Runs the task until it is stopped, the last handle is gone and the linger time is over,
/// or a terminal error.
pub(crate) async fn run(shared: Arc<Shared>, config: Config, transport: Prepared) {
    let guard = StoppedGuard(shared.clone());
    let terminal = match transport {
        Prepared::Ws(url) => ws::run(&shared, &config, &url).await,
        #[cfg(feature = "http")]
        Prepared::Http(transport) => batch::run(&shared, &config, transport).await,
        #[cfg(feature = "in-process")]
        Prepared::InProcess(transport) => batch::run(&shared, &config, transport).await,
    };
    if let Some(error) = terminal {
        tracing::error!(%error, "publisher stopped; queued events failed");
        shared.close(Some(error));
    }
    drop(guard);
}

/// Marks the task stopped however it ends (even by a panic): what is still queued fails
/// with `Closed`, and `flush`/`close` stop waiting.
struct StoppedGuard(Arc<Shared>);

impl Drop for StoppedGuard {
    fn drop(&mut self) {
        if self.0.failure().is_none() {
            self.0.close(Some(PublishError::Closed));
        }
        self.0.stopped.send_replace(true);
    }
}

/// When the task may exit.
#[derive(Debug, Default)]
pub(crate) struct Exit {
    linger_until: Option<Instant>,
}

impl Exit {
    /// Whether to exit now: stopped by `close` with nothing outstanding, or every handle
    /// dropped and either nothing outstanding or the linger time over.
    pub(crate) fn now(&mut self, shared: &Shared, config: &Config) -> bool {
        if shared.stop.load(Relaxed) && shared.outstanding() == 0 {
            return true;
        }
        if shared.detached.load(Relaxed) {
            let until = *self.linger_until.get_or_insert_with(|| Instant::now() + config.linger);
            return shared.outstanding() == 0 || Instant::now() >= until;
        }
        false
    }

    /// The linger deadline, once every handle is gone.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.linger_until
    }
}

/// Sleeps for `delay`, waking early for stop/detach so the exit check runs.
pub(crate) async fn pause(shared: &Shared, delay: Duration, exit: &Exit) {
    let until = Instant::now() + delay;
    let until = exit.deadline().map_or(until, |deadline| deadline.min(until));
    tokio::select! {
        () = tokio::time::sleep_until(until) => {}
        () = async {
            loop {
                shared.wake.notified().await;
                if shared.stop.load(Relaxed) || shared.detached.load(Relaxed) {
                    break;
                }
            }
        } => {}
    }
}

/// A Herald error body, `{"code","message"}` (docs/protocol.md §9.10), as the hub answers
/// a refused upgrade or request.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct ErrorBody {
    pub(crate) code: ErrorCode,
    #[serde(default)]
    pub(crate) message: String,
}

impl ErrorBody {
    /// The body, when it is a Herald error (anything else is not from a hub).
    pub(crate) fn parse(bytes: &[u8]) -> Option<Self> {
        serde_json::from_slice(bytes).ok()
    }
}

/// Whether an HTTP error status may pass on its own, so the request is retried after a
/// backoff: 408, 429 and the 5xx statuses except 501 (not implemented). 401 asks for a
/// fresh token; every other status is permanent for the URL (docs/publisher.md).
pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502..=599)
}

/// The current token, and the provider that replaces it.
#[derive(Debug)]
pub(crate) struct Tokens {
    current: Option<String>,
    provider: Option<TokenProvider>,
    /// The hub's last refusal of a token: its code and message.
    refusal: Option<(AuthErrorCode, String)>,
}

impl Tokens {
    pub(crate) fn new(config: &Config) -> Self {
        Self { current: config.token.clone(), provider: config.token_provider.clone(), refusal: None }
    }

    /// The token provider, if one is configured.
    pub(crate) fn provider(&self) -> Option<TokenProvider> {
        self.provider.clone()
    }

    /// Replaces the current token (after an in-band refresh).
    pub(crate) fn set(&mut self, token: String) {
        self.current = Some(token);
    }

    /// The token to use; asks the provider (retrying with backoff) when there is none.
    /// `None` when there is no token and no provider.
    pub(crate) async fn get(
        &mut self,
        shared: &Shared,
        backoff: &mut Backoff,
        exit: &mut Exit,
        config: &Config,
    ) -> Option<String> {
        loop {
            if let Some(token) = &self.current {
                return Some(token.clone());
            }
            let provider = self.provider.as_ref()?;
            shared.counters.token_refreshes.fetch_add(1, Relaxed);
            match provider.fetch().await {
                Ok(token) => {
                    tracing::debug!("token provider gave a fresh token");
                    self.current = Some(token);
                }
                Err(error) => {
                    tracing::warn!(%error, "token provider failed; retrying");
                    if exit.now(shared, config) {
                        return None;
                    }
                    pause(shared, backoff.next_delay(), exit).await;
                }
            }
        }
    }

    /// The hub refused the current token with `code` and `message`. `Err` with
    /// [`PublishError::Unauthorized`] when no provider can replace it.
    pub(crate) fn refused(&mut self, code: AuthErrorCode, message: String) -> Result<(), PublishError> {
        tracing::warn!(%code, %message, "the hub refused the token");
        self.current = None;
        self.refusal = Some((code, message));
        if self.provider.is_some() { Ok(()) } else { Err(self.unauthorized()) }
    }

    /// [`PublishError::Unauthorized`] with the hub's last refusal (there is no token).
    pub(crate) fn unauthorized(&self) -> PublishError {
        let (code, message) =
            self.refusal.clone().unwrap_or_else(|| (AuthErrorCode::InvalidToken, "no token to present".to_owned()));
        PublishError::Unauthorized { code, message }
    }
}
