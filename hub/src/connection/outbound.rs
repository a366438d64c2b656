//! The bounded outbound queue of one connection, and the writer that drains it.
//!
//! Fan-out never waits for a socket: it pushes shared frame bytes into the queue and moves
//! on. The queue is bounded in bytes; a push that would overflow it closes the connection
//! with 4409 (slow consumer) and drops what was queued, so one slow reader never slows the
//! others or grows memory. The writer task writes everything queued since its last wake-up,
//! then flushes once (batching under load).

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::task::Poll;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use herald_event_types::{ChannelName, CloseCode, Subject};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;

/// 1011, "internal error": the hub gives up a connection it cannot serve (a failed or
/// stalled write, a session that panicked).
pub(crate) const SERVER_ERROR: CloseCode = CloseCode::Other(1011);

/// What a push did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// Queued.
    Queued,
    /// The queue overflowed: the connection is now closing with 4409.
    Overflowed,
    /// The connection is already closing; the frame was dropped.
    Closing,
}

/// How the connection ends.
#[derive(Debug, Clone)]
pub(crate) struct Closing {
    pub(crate) code: CloseCode,
    pub(crate) reason: &'static str,
    /// A last frame sent before the close (an `auth_error`, say).
    pub(crate) last: Option<Utf8Bytes>,
}

#[derive(Debug)]
enum Out {
    Text(Utf8Bytes),
    #[cfg(feature = "__echo")]
    Binary(bytes::Bytes),
    Ping,
}

#[derive(Debug, Default)]
struct State {
    queue: VecDeque<Out>,
    bytes: usize,
    closing: Option<Closing>,
}

/// The shared handle of one connection: its queue and the subscriptions it holds.
#[derive(Debug)]
pub(crate) struct ConnHandle {
    /// Unique within the process; keys the connection in channel registries.
    pub(crate) key: u64,
    /// `(channel, subject)` pairs held, for limits and cleanup. Locked after a channel slot.
    pub(crate) subscriptions: Mutex<HashSet<(ChannelName, Subject)>>,
    /// Fired when the writer has finished (close sent, or the socket failed).
    pub(crate) done: CancellationToken,
    state: Mutex<State>,
    wake: Notify,
    limit: usize,
}

impl ConnHandle {
    pub(crate) fn new(key: u64, limit: usize) -> Self {
        Self {
            key,
            subscriptions: Mutex::default(),
            done: CancellationToken::new(),
            state: Mutex::default(),
            wake: Notify::new(),
            limit,
        }
    }

    /// Queues a text frame. Never waits.
    pub(crate) fn push(&self, frame: Utf8Bytes) -> Pushed {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.closing.is_some() {
            return Pushed::Closing;
        }
        if state.bytes + frame.len() > self.limit {
            state.queue.clear();
            state.bytes = 0;
            state.closing = Some(Closing { code: CloseCode::SlowConsumer, reason: "slow consumer", last: None });
            drop(state);
            self.wake.notify_one();
            return Pushed::Overflowed;
        }
        state.bytes += frame.len();
        state.queue.push_back(Out::Text(frame));
        drop(state);
        self.wake.notify_one();
        Pushed::Queued
    }

    /// Queues a binary frame (the test-only echo endpoint; Herald itself sends text only).
    #[cfg(feature = "__echo")]
    pub(crate) fn push_binary(&self, bytes: bytes::Bytes) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.closing.is_none() {
            state.queue.push_back(Out::Binary(bytes));
            drop(state);
            self.wake.notify_one();
        }
    }

    /// Queues a WebSocket ping (not counted against the bound).
    pub(crate) fn ping(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.closing.is_none() {
            state.queue.push_back(Out::Ping);
            drop(state);
            self.wake.notify_one();
        }
    }

    /// Closes the connection gracefully: what is already queued is still sent, then `last`
    /// if given, then the close frame (so answers queued before a protocol error still go
    /// out). The first close wins; later calls change nothing.
    pub(crate) fn close(&self, code: CloseCode, reason: &'static str, last: Option<Utf8Bytes>) {
        self.close_inner(code, reason, last, false);
    }

    /// Closes the connection now: drops whatever is queued (for shutdown, a dead peer, an
    /// expired token: nothing more may be delivered), sends `last` if given, then the close.
    pub(crate) fn close_now(&self, code: CloseCode, reason: &'static str, last: Option<Utf8Bytes>) {
        self.close_inner(code, reason, last, true);
    }

    fn close_inner(&self, code: CloseCode, reason: &'static str, last: Option<Utf8Bytes>, discard: bool) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.closing.is_none() {
            if discard {
                state.queue.clear();
                state.bytes = 0;
            }
            state.closing = Some(Closing { code, reason, last });
            drop(state);
            self.wake.notify_one();
        }
    }

    /// Bytes that can still be queued before the connection overflows.
    pub(crate) fn free_bytes(&self) -> usize {
        self.limit.saturating_sub(self.state.lock().unwrap_or_else(PoisonError::into_inner).bytes)
    }

    /// Whether a close has been requested.
    pub(crate) fn is_closing(&self) -> bool {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).closing.is_some()
    }

    /// The close that was requested, if any.
    pub(crate) fn closing(&self) -> Option<Closing> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).closing.clone()
    }

    /// Moves every queued frame into `batch`; returns the close once the queue is empty and
    /// a close was requested.
    fn take(&self, batch: &mut Vec<Out>) -> Option<Closing> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        batch.extend(state.queue.drain(..));
        state.bytes = 0;
        if batch.is_empty() { state.closing.clone() } else { None }
    }
}

/// Why the writer stopped early.
#[derive(Debug)]
enum WriteFailed {
    /// The socket failed.
    Socket(axum::Error),
    /// One write did not complete within the write timeout: the peer is not reading.
    TimedOut,
}

/// Runs one socket write, giving up after `limit`. Most writes complete at once: the timer
/// (and its clock read) is only set up when the first poll has to wait.
async fn bounded<F>(limit: Duration, write: F) -> Result<(), WriteFailed>
where
    F: Future<Output = Result<(), axum::Error>>,
{
    let mut write = std::pin::pin!(write);
    let first = std::future::poll_fn(|cx| Poll::Ready(write.as_mut().poll(cx))).await;
    let result = match first {
        Poll::Ready(result) => result,
        Poll::Pending => tokio::time::timeout(limit, write).await.map_err(|_| WriteFailed::TimedOut)?,
    };
    result.map_err(WriteFailed::Socket)
}

/// Drains `conn`'s queue into the socket until the connection closes. Fires `conn.done`
/// when it returns.
///
/// Every socket write (one frame, or a flush of what tungstenite buffered) must complete
/// within `write_timeout`: a peer that stops reading fills the socket buffers, the write
/// stalls, and the connection is given up (its queue dropped, no close frame: the socket
/// cannot take one) instead of pinning the task, the socket and its queue forever.
pub(crate) async fn write_loop(
    conn: &ConnHandle,
    mut sink: SplitSink<WebSocket, Message>,
    metrics: &Metrics,
    write_timeout: Duration,
) {
    // Grows to the largest batch seen; an idle connection keeps it small.
    let mut batch = Vec::new();
    let result: Result<(), WriteFailed> = async {
        loop {
            let notified = conn.wake.notified();
            if let Some(closing) = conn.take(&mut batch) {
                if let Some(last) = closing.last {
                    bounded(write_timeout, sink.feed(Message::Text(last))).await?;
                }
                let frame = CloseFrame { code: closing.code.as_u16(), reason: Utf8Bytes::from_static(closing.reason) };
                bounded(write_timeout, sink.send(Message::Close(Some(frame)))).await?;
                return Ok(());
            }
            if batch.is_empty() {
                notified.await;
                continue;
            }
            let (mut frames, mut bytes) = (0u64, 0u64);
            for out in batch.drain(..) {
                let message = match out {
                    Out::Text(text) => {
                        frames += 1;
                        bytes += text.len() as u64;
                        Message::Text(text)
                    }
                    #[cfg(feature = "__echo")]
                    Out::Binary(bytes) => Message::Binary(bytes),
                    Out::Ping => Message::Ping(Default::default()),
                };
                bounded(write_timeout, sink.feed(message)).await?;
            }
            bounded(write_timeout, sink.flush()).await?;
            metrics.frames_out.fetch_add(frames, std::sync::atomic::Ordering::Relaxed);
            metrics.bytes_out.fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
        }
    }
    .await;
    match result {
        Ok(()) => {}
        Err(WriteFailed::Socket(error)) => {
            tracing::debug!(%error, "websocket write failed");
            conn.close_now(SERVER_ERROR, "write failed", None);
        }
        Err(WriteFailed::TimedOut) => {
            tracing::info!(?write_timeout, "peer stopped reading: write timed out, connection dropped");
            metrics.write_timeouts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            conn.close_now(SERVER_ERROR, "write timed out", None);
        }
    }
    conn.done.cancel();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_closes_with_slow_consumer_and_drops_the_queue() {
        let conn = ConnHandle::new(1, 10);
        assert_eq!(conn.push(Utf8Bytes::from_static("12345")), Pushed::Queued);
        assert_eq!(conn.push(Utf8Bytes::from_static("12345")), Pushed::Queued);
        assert_eq!(conn.push(Utf8Bytes::from_static("1")), Pushed::Overflowed);
        assert_eq!(conn.push(Utf8Bytes::from_static("1")), Pushed::Closing);
        let mut batch = Vec::new();
        let closing = conn.take(&mut batch).expect("closing");
        assert!(batch.is_empty(), "queued frames are dropped");
        assert_eq!(closing.code, CloseCode::SlowConsumer);
    }

    #[test]
    fn the_first_close_wins() {
        let conn = ConnHandle::new(1, 100);
        conn.close(CloseCode::GoingAway, "shutdown", None);
        conn.close(CloseCode::Unauthorized, "expired", None);
        assert_eq!(conn.closing().unwrap().code, CloseCode::GoingAway);
    }

    #[test]
    fn a_graceful_close_sends_what_was_queued_and_close_now_does_not() {
        let graceful = ConnHandle::new(1, 100);
        graceful.push(Utf8Bytes::from_static("answer"));
        graceful.close(CloseCode::ProtocolViolation, "bad frames", None);
        let mut batch = Vec::new();
        assert!(graceful.take(&mut batch).is_none(), "queued frames first");
        assert_eq!(batch.len(), 1);
        batch.clear();
        assert!(graceful.take(&mut batch).is_some(), "then the close");

        let now = ConnHandle::new(2, 100);
        now.push(Utf8Bytes::from_static("event"));
        now.close_now(CloseCode::Unauthorized, "expired", None);
        let mut batch = Vec::new();
        assert!(now.take(&mut batch).is_some());
        assert!(batch.is_empty(), "nothing after an expiry");
    }
}
