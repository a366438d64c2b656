//! Transports that answer a whole batch per call: HTTP (`POST /api/v1/publish`) and an
//! embedded hub. One batch is in flight at a time, so order is kept by construction; a
//! batch that must be retried goes back to the front of the queue unchanged.

#![cfg_attr(not(any(feature = "http", feature = "in-process")), allow(dead_code))]

use std::future::Future;

use herald_event_types::ErrorCode;
use herald_event_types::frame::AuthErrorCode;

use super::{Exit, Tokens, pause};
use crate::backoff::Backoff;
use crate::config::Config;
use crate::error::PublishError;
use crate::event::Published;
use crate::outbox::{Entry, Shared};

/// Most bytes taken into one batch (the hub's default HTTP body limit is 1 MiB).
const BATCH_BYTES: usize = 512 << 10;

/// The answer for one event of a batch.
#[derive(Debug)]
pub(crate) enum ItemOutcome {
    Published(Published),
    /// Refused for good.
    #[cfg_attr(not(feature = "in-process"), allow(dead_code))]
    Rejected {
        code: ErrorCode,
        message: String,
    },
}

/// A failure of the whole batch (only HTTP fails whole batches).
#[derive(Debug)]
#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub(crate) enum BatchError {
    /// The token was refused (HTTP 401): get a fresh one. Holds the hub's code and message.
    Unauthorized(AuthErrorCode, String),
    /// The URL answered with a status that retrying cannot fix and that is not a Herald
    /// refusal of the events ([`PublishError::Endpoint`]): the publisher stops.
    Endpoint(PublishError),
    /// Try again after a backoff: network failure, 429, 503.
    Retry(String),
    /// Try again no sooner than `after` (the hub's `Retry-After` on a 429 or 503).
    RetryAfter { reason: String, after: std::time::Duration },
    /// One or more events are refused for good (HTTP 400/403/404/413); the hub validates a
    /// batch whole, so the publisher sends its events one by one to find which.
    Rejected { code: ErrorCode, message: String },
}

pub(crate) trait BatchTransport: Send {
    /// Whether requests carry a token.
    fn needs_token(&self) -> bool;

    /// Sends `batch`; on success one outcome per event, in order. Events after the last
    /// outcome were not stored and are sent again after a backoff.
    fn send(
        &mut self,
        token: Option<&str>,
        batch: &mut [Entry],
    ) -> impl Future<Output = Result<Vec<ItemOutcome>, BatchError>> + Send;
}

pub(crate) async fn run<T: BatchTransport>(shared: &Shared, config: &Config, mut transport: T) -> Option<PublishError> {
    let mut tokens = Tokens::new(config);
    let mut backoff = Backoff::new(config.backoff_min, config.backoff_max);
    let mut exit = Exit::default();
    let mut batch = Vec::with_capacity(config.max_batch);
    // Events to send one at a time, after a batch was refused whole.
    let mut singly = 0usize;
    let mut failing = false;
    loop {
        if exit.now(shared, config) {
            return None;
        }
        let notified = shared.wake.notified();
        shared.take(if singly > 0 { 1 } else { config.max_batch }, BATCH_BYTES, &mut batch);
        if batch.is_empty() {
            let far = tokio::time::Instant::now() + std::time::Duration::from_secs(3600);
            tokio::select! {
                () = notified => {}
                () = tokio::time::sleep_until(exit.deadline().unwrap_or(far)) => {}
            }
            continue;
        }
        singly = singly.saturating_sub(batch.len());
        let token = if transport.needs_token() {
            match tokens.get(shared, &mut backoff, &mut exit, config).await {
                Some(token) => Some(token),
                None => {
                    shared.requeue(std::mem::take(&mut batch));
                    return (!exit.now(shared, config)).then(|| tokens.unauthorized());
                }
            }
        } else {
            None
        };
        if failing {
            shared.counters.reconnects.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let result = transport.send(token.as_deref(), &mut batch).await;
        let entries = std::mem::take(&mut batch);
        let delay = match result {
            Ok(outcomes) => {
                failing = false;
                let mut retry = Vec::new();
                let mut done = Vec::with_capacity(entries.len());
                for (entry, outcome) in
                    entries.into_iter().zip(outcomes.into_iter().map(Some).chain(std::iter::repeat_with(|| None)))
                {
                    match outcome {
                        Some(ItemOutcome::Published(published)) => done.push((entry, Ok(published))),
                        Some(ItemOutcome::Rejected { code, message }) => {
                            tracing::warn!(id = %entry.event.id(), %code, %message, "hub rejected an event");
                            done.push((entry, Err(PublishError::Rejected { code, message })));
                        }
                        // No answer (an embedded hub was `unavailable`): send it again later.
                        None => retry.push(entry),
                    }
                }
                shared.complete(done);
                if retry.is_empty() {
                    backoff.reset();
                    continue;
                }
                shared.requeue(retry);
                backoff.next_delay()
            }
            Err(BatchError::Unauthorized(code, message)) => {
                shared.requeue(entries);
                if let Err(error) = tokens.refused(code, message) {
                    return Some(error);
                }
                backoff.next_delay()
            }
            Err(BatchError::Endpoint(error)) => {
                shared.requeue(entries);
                return Some(error);
            }
            Err(BatchError::Retry(reason)) => {
                // The first failure of a run shows at `warn`; the rest at `debug`.
                if failing {
                    tracing::debug!(%reason, "batch not published; retrying");
                } else {
                    tracing::warn!(%reason, "batch not published; retrying with backoff");
                }
                failing = true;
                shared.requeue(entries);
                backoff.next_delay()
            }
            Err(BatchError::RetryAfter { reason, after }) => {
                let delay = backoff.next_delay().max(after);
                if failing {
                    tracing::debug!(%reason, ?delay, "batch not published; retrying after the hub's Retry-After");
                } else {
                    tracing::warn!(%reason, ?delay, "batch not published; retrying after the hub's Retry-After");
                }
                failing = true;
                shared.requeue(entries);
                delay
            }
            Err(BatchError::Rejected { code, message }) => {
                if entries.len() > 1 {
                    singly = entries.len();
                    shared.requeue(entries);
                    continue;
                }
                tracing::warn!(%code, %message, "hub rejected an event");
                shared.complete(
                    entries
                        .into_iter()
                        .map(|e| (e, Err(PublishError::Rejected { code: code.clone(), message: message.clone() }))),
                );
                continue;
            }
        };
        pause(shared, delay, &exit).await;
    }
}
