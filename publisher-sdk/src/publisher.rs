//! [`Publisher`]: the cheap, cloneable handle a service publishes through.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use futures_util::future::BoxFuture;
use herald_event_types::Event;
use tokio::sync::oneshot;
use tracing::Instrument;

use crate::config::{Config, PublisherBuilder};
use crate::error::{BuildError, PublishError};
use crate::event::{OutgoingEvent, Published};
use crate::outbox::{Entry, Limits, Refused, Shared, Stats};
use crate::sink::EventSink;

/// Publishes events to a Herald hub through a bounded outbox drained by a background task.
///
/// Cloning is cheap (an `Arc`); every clone feeds the same outbox and connection. See the
/// crate docs for the delivery guarantees and the overflow policy.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use herald_event_types::events::PipelineDeleted;
/// use herald_publisher::Publisher;
///
/// let publisher = Publisher::builder("ws://127.0.0.1:8080").token("eyJ…").source("pipeline-service").build()?;
/// let event = PipelineDeleted { pipeline_id: "p-42".into() };
/// publisher.try_publish(&event)?; // never waits
/// let ack = publisher.publish(&event).await?; // waits for the hub
/// println!("offset {}", ack.offset);
/// publisher.close().await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Publisher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    shared: Arc<Shared>,
    source: String,
    max_event_bytes: usize,
    ack_timeout: Option<Duration>,
}

impl Drop for Inner {
    /// The last handle is gone: tell the task to drain for at most `linger` and exit.
    /// Never blocks and never panics.
    fn drop(&mut self) {
        self.shared.detached.store(true, Relaxed);
        self.shared.wake.notify_one();
    }
}

impl Publisher {
    /// A builder for a publisher to the hub at `url`: `ws://host:port` (path `/ws` added when
    /// absent) for the WebSocket transport, `http://host:port` for HTTP batches (feature
    /// `http`). TLS (`wss://`, `https://`) is not supported by this version.
    pub fn builder(url: impl Into<String>) -> PublisherBuilder {
        PublisherBuilder::new(url)
    }

    /// A builder for a publisher into a hub embedded in this process, publishing into
    /// tenant `org` as a trusted service: no token, no permission check, no rate limit.
    #[cfg(feature = "in-process")]
    #[cfg_attr(docsrs, doc(cfg(feature = "in-process")))]
    pub fn in_process(hub: herald_hub::HubHandle, org: impl Into<String>) -> PublisherBuilder {
        PublisherBuilder::new_in_process(hub, org.into())
    }

    pub(crate) fn start(config: Config, runtime: &tokio::runtime::Handle) -> Result<Self, BuildError> {
        let transport = crate::driver::prepare(&config)?;
        let shared = Arc::new(Shared::new(Limits { events: config.outbox_capacity, bytes: config.outbox_bytes }));
        let inner = Inner {
            shared: shared.clone(),
            source: config.source.clone(),
            max_event_bytes: config.max_event_bytes,
            ack_timeout: config.ack_timeout,
        };
        let span = tracing::info_span!("herald_publisher", source = %config.source, target = ?config.target);
        runtime.spawn(crate::driver::run(shared, config, transport).instrument(span));
        Ok(Self { inner: Arc::new(inner) })
    }

    /// Queues a typed event and returns at once; it never waits for the network or for
    /// room. The background task sends it, retrying with backoff while the hub is away.
    ///
    /// When the outbox is full: a LOW event is shed (counted in [`Stats::dropped`], and
    /// `Ok` is returned); a MEDIUM or HIGH event evicts the oldest queued LOW event, or, when
    /// there is none, is refused with [`PublishError::Full`]. HIGH and MEDIUM events are
    /// never dropped silently.
    ///
    /// # Errors
    /// [`PublishError::Full`], [`PublishError::TooLarge`], [`PublishError::Encode`],
    /// [`PublishError::Closed`], or the terminal error the publisher stopped on. A permanent
    /// refusal by the hub later on is counted in [`Stats::failed`] and logged.
    pub fn try_publish<E: Event>(&self, event: &E) -> Result<(), PublishError> {
        self.try_publish_outgoing(OutgoingEvent::new(event)?)
    }

    /// [`Publisher::try_publish`] for an [`OutgoingEvent`] (overrides, an existing id).
    ///
    /// # Errors
    /// As [`Publisher::try_publish`].
    pub fn try_publish_outgoing(&self, event: OutgoingEvent) -> Result<(), PublishError> {
        let entry = self.prepare(event, None)?;
        match self.inner.shared.push(entry) {
            Ok(()) | Err(Refused { error: PublishError::Dropped, .. }) => Ok(()),
            Err(refused) => Err(refused.error),
        }
    }

    /// Publishes a typed event and waits for the hub's acknowledgement (its offset, and
    /// whether it was a duplicate). While the outbox is full it waits for room (even for
    /// LOW events), so it is also the way to apply back-pressure.
    ///
    /// # Errors
    /// [`PublishError::Rejected`] when the hub refuses the event for good,
    /// [`PublishError::Timeout`] after the builder's `ack_timeout`, [`PublishError::Dropped`]
    /// if a LOW event was shed while queued, and the errors of [`Publisher::try_publish`].
    pub async fn publish<E: Event>(&self, event: &E) -> Result<Published, PublishError> {
        self.publish_outgoing(OutgoingEvent::new(event)?).await
    }

    /// [`Publisher::publish`] for an [`OutgoingEvent`].
    ///
    /// # Errors
    /// As [`Publisher::publish`].
    pub fn publish_outgoing(&self, event: OutgoingEvent) -> BoxFuture<'static, Result<Published, PublishError>> {
        let (tx, rx) = oneshot::channel();
        let prepared = self.prepare(event, Some(tx));
        let shared = self.inner.shared.clone();
        let timeout = self.inner.ack_timeout;
        Box::pin(async move {
            shared.push_wait(prepared?).await?;
            let answer = match timeout {
                Some(limit) => tokio::time::timeout(limit, rx).await.map_err(|_| PublishError::Timeout)?,
                None => rx.await,
            };
            // A dropped sender means the background task ended.
            answer.unwrap_or_else(|_| Err(shared.failure().unwrap_or(PublishError::Closed)))
        })
    }

    /// Waits until every event queued before the call is acknowledged or has failed. Waits
    /// for as long as the hub is away: wrap it in a timeout if needed. Returns at once when
    /// the publisher has stopped.
    pub async fn flush(&self) {
        let shared = &self.inner.shared;
        let mut stopped = shared.stopped.subscribe();
        tokio::select! {
            () = shared.flush() => {}
            _ = stopped.wait_for(|stopped| *stopped) => {}
        }
    }

    /// Stops accepting events (they fail with [`PublishError::Closed`]), waits until the
    /// outbox is drained ([`Publisher::flush`]), then closes the connection and stops the
    /// background task. Like `flush`, it waits while the hub is away. Other clones are
    /// closed too.
    pub async fn close(&self) {
        let shared = &self.inner.shared;
        shared.close(None);
        self.flush().await;
        shared.stop.store(true, Relaxed);
        shared.wake.notify_one();
        let mut stopped = shared.stopped.subscribe();
        let _ = stopped.wait_for(|stopped| *stopped).await;
    }

    /// Waits until the background task has stopped for good and returns why: the terminal
    /// error it stopped on ([`PublishError::Unauthorized`], [`PublishError::Terminated`],
    /// [`PublishError::Endpoint`]), or [`PublishError::Closed`] after
    /// [`close`](Publisher::close). Until then it waits (for ever, while the publisher
    /// works), so a service can run it beside its work and exit when the publisher gives up:
    ///
    /// ```no_run
    /// # async fn run(publisher: herald_publisher::Publisher, work: impl std::future::Future<Output = ()>) {
    /// tokio::select! {
    ///     () = work => {}
    ///     error = publisher.stopped() => eprintln!("publisher stopped: {error}"),
    /// }
    /// # }
    /// ```
    pub async fn stopped(&self) -> PublishError {
        let shared = &self.inner.shared;
        let mut stopped = shared.stopped.subscribe();
        let _ = stopped.wait_for(|stopped| *stopped).await;
        shared.failure().unwrap_or(PublishError::Closed)
    }

    /// A snapshot of the counters and the outbox depth.
    pub fn stats(&self) -> Stats {
        self.inner.shared.stats()
    }

    /// The `source` set on every envelope.
    pub fn source(&self) -> &str {
        &self.inner.source
    }

    fn prepare(
        &self,
        mut event: OutgoingEvent,
        ack: Option<oneshot::Sender<Result<Published, PublishError>>>,
    ) -> Result<Entry, PublishError> {
        if event.envelope.source.is_empty() {
            event.envelope.source.clone_from(&self.inner.source);
        }
        let entry = Entry::new(event, ack);
        if entry.bytes > self.inner.max_event_bytes {
            // `bytes` is an upper estimate: check the real size before refusing.
            let real = entry.event.envelope.to_json().len();
            if real > self.inner.max_event_bytes {
                return Err(PublishError::TooLarge { bytes: real, max: self.inner.max_event_bytes });
            }
        }
        Ok(entry)
    }
}

impl EventSink for Publisher {
    fn try_publish_outgoing(&self, event: OutgoingEvent) -> Result<(), PublishError> {
        Self::try_publish_outgoing(self, event)
    }

    fn publish_outgoing(&self, event: OutgoingEvent) -> BoxFuture<'static, Result<Published, PublishError>> {
        Self::publish_outgoing(self, event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The handle is shared across tasks and threads, and its futures can be spawned.
    #[test]
    fn auto_traits_are_pinned() {
        fn assert_handle<T: Send + Sync + Clone + 'static>() {}
        fn assert_send<T: Send>(_: &T) {}
        fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
        assert_handle::<Publisher>();
        assert_error::<PublishError>();
        assert_error::<BuildError>();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let _guard = runtime.enter();
        let publisher = Publisher::builder("ws://127.0.0.1:9").token("t").source("s").build().unwrap();
        let event = OutgoingEvent::new(&herald_event_types::events::PipelineDeleted { pipeline_id: "p".into() });
        assert_send(&publisher.publish_outgoing(event.unwrap()));
        assert_send(&publisher.flush());
        assert_send(&publisher.close());
    }

    #[test]
    fn build_errors_name_what_to_fix() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let _guard = runtime.enter();
        let missing_token = Publisher::builder("ws://h:1").source("s").build().unwrap_err();
        assert!(matches!(missing_token, BuildError::MissingToken));
        let missing_source = Publisher::builder("ws://h:1").token("t").build().unwrap_err();
        assert!(matches!(missing_source, BuildError::MissingSource));
        let zero = Publisher::builder("ws://h:1").token("t").source("s").outbox_capacity(0).build().unwrap_err();
        assert!(matches!(zero, BuildError::Zero("outbox_capacity")));
        drop(_guard);
        drop(runtime);
        let no_runtime = Publisher::builder("ws://h:1").token("t").source("s").build().unwrap_err();
        assert!(matches!(no_runtime, BuildError::NoRuntime));
    }
}
