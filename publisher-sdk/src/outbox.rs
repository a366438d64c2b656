//! The bounded outbox shared by the [`Publisher`](crate::Publisher) handles and the
//! background task, and the counters behind [`Stats`].
//!
//! Every event counts against the limits (events and bytes) from `try_publish` until it is
//! acknowledged or fails, whether it waits in the queue or is in flight, so memory stays
//! bounded however long the hub is away. Sequence numbers (one per accepted event) let
//! `flush` wait for "everything accepted so far" with a low watermark: the smallest
//! sequence number still outstanding.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use herald_event_types::Priority;
use tokio::sync::{Notify, oneshot, watch};

use crate::error::PublishError;
use crate::event::{OutgoingEvent, Published};

/// Where the answer for one event goes (`publish().await` waits on it).
pub(crate) type Ack = oneshot::Sender<Result<Published, PublishError>>;

/// One accepted event.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) seq: u64,
    pub(crate) event: OutgoingEvent,
    pub(crate) bytes: usize,
    pub(crate) ack: Option<Ack>,
    /// The envelope as JSON, encoded once by the driver and kept for retries.
    pub(crate) json: Option<String>,
}

impl Entry {
    pub(crate) fn new(event: OutgoingEvent, ack: Option<Ack>) -> Self {
        let bytes = event.approx_bytes();
        Self { seq: 0, event, bytes, ack, json: None }
    }

    /// The envelope's JSON (encoded on first use).
    pub(crate) fn json(&mut self) -> &str {
        self.json.get_or_insert_with(|| self.event.envelope.to_json())
    }
}

/// Counts per priority.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PriorityCounts {
    /// HIGH events.
    pub high: u64,
    /// MEDIUM events.
    pub medium: u64,
    /// LOW events.
    pub low: u64,
}

/// A snapshot of the publisher's counters ([`Publisher::stats`](crate::Publisher::stats)).
/// Counters only grow; `outbox_*` are current values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Events accepted into the outbox.
    pub published: u64,
    /// Events acknowledged by the hub (duplicates included).
    pub acked: u64,
    /// Acknowledgements that said `duplicate: true` (a retry of an event the hub had).
    pub duplicates: u64,
    /// Events sent again after a disconnect, `rate_limited` or `unavailable`.
    pub retried: u64,
    /// Events that failed for good (rejected by the hub, or failed when the publisher
    /// stopped on a terminal error).
    pub failed: u64,
    /// Events that never reached the hub because the outbox was full: LOW events shed
    /// silently, MEDIUM and HIGH events refused with [`PublishError::Full`].
    pub dropped: PriorityCounts,
    /// Events accepted and not yet acknowledged (queued or in flight).
    pub outbox_depth: usize,
    /// Their approximate size in bytes.
    pub outbox_bytes: usize,
    /// Connections (or, for HTTP, requests after a failure) made after the first.
    pub reconnects: u64,
    /// Times the token provider was called for a fresh token.
    pub token_refreshes: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) published: AtomicU64,
    pub(crate) acked: AtomicU64,
    pub(crate) duplicates: AtomicU64,
    pub(crate) retried: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) dropped: [AtomicU64; 3],
    pub(crate) reconnects: AtomicU64,
    pub(crate) token_refreshes: AtomicU64,
}

fn priority_index(priority: Priority) -> usize {
    match priority {
        Priority::High => 0,
        Priority::Medium => 1,
        Priority::Low => 2,
    }
}

#[derive(Debug)]
struct State {
    queue: VecDeque<Entry>,
    /// Outstanding events (queued + in flight) and their bytes.
    count: usize,
    bytes: usize,
    /// LOW events in `queue` (the ones that may be shed).
    low_queued: usize,
    next_seq: u64,
    /// `outstanding[i]` is whether event `base + i` is still outstanding.
    base: u64,
    outstanding: VecDeque<bool>,
    /// No more events accepted: closed by the caller, or stopped on this error.
    closed: bool,
    failure: Option<PublishError>,
    /// The last connection or transport failure since the hub was last reached, for
    /// [`PublishError::Timeout`].
    last_error: Option<String>,
}

/// Limits of the outbox.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) events: usize,
    pub(crate) bytes: usize,
}

/// The state shared between the handles and the background task.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<State>,
    limits: Limits,
    /// Wakes the background task: events were queued, or it should stop.
    pub(crate) wake: Notify,
    /// Signalled when room is freed (for `publish().await` waiting for room).
    space: Notify,
    /// The low watermark: every event with a smaller sequence number is done.
    progress: watch::Sender<u64>,
    pub(crate) counters: Counters,
    /// The task should exit once the outbox is empty (close, or every handle dropped).
    pub(crate) stop: AtomicBool,
    /// Every handle was dropped: drain for at most the linger time, then exit.
    pub(crate) detached: AtomicBool,
    /// Set when the background task has exited.
    pub(crate) stopped: watch::Sender<bool>,
}

/// Why an event was not queued; `entry` is handed back when waiting for room may help.
#[derive(Debug)]
pub(crate) struct Refused {
    pub(crate) error: PublishError,
    pub(crate) entry: Option<Box<Entry>>,
}

impl Shared {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                count: 0,
                bytes: 0,
                low_queued: 0,
                next_seq: 0,
                base: 0,
                outstanding: VecDeque::new(),
                closed: false,
                failure: None,
                last_error: None,
            }),
            limits,
            wake: Notify::new(),
            space: Notify::new(),
            progress: watch::Sender::new(0),
            counters: Counters::default(),
            stop: AtomicBool::new(false),
            detached: AtomicBool::new(false),
            stopped: watch::Sender::new(false),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-updated in a way
        // that matters more than losing the publisher, so a poisoned lock is used as is.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues `entry` without waiting. When full: a LOW event is shed (`Dropped`); a
    /// MEDIUM or HIGH event evicts the oldest queued LOW events, or is refused (`Full`).
    pub(crate) fn push(&self, mut entry: Entry) -> Result<(), Refused> {
        let priority = entry.event.priority();
        let mut shed = Vec::new();
        {
            let mut state = self.lock();
            if state.closed {
                let error = state.failure.as_ref().map_or(PublishError::Closed, PublishError::duplicate);
                return Err(Refused { error, entry: None });
            }
            let fits = |s: &State, bytes: usize| s.count < self.limits.events && s.bytes + bytes <= self.limits.bytes;
            while !fits(&state, entry.bytes) {
                if priority == Priority::Low || state.low_queued == 0 || state.count == 0 {
                    drop(state);
                    self.counters.dropped[priority_index(priority)].fetch_add(1, Relaxed);
                    let error =
                        if priority == Priority::Low { PublishError::Dropped } else { PublishError::Full { priority } };
                    return Err(Refused { error, entry: Some(Box::new(entry)) });
                }
                let Some(at) = state.queue.iter().position(|e| e.event.priority() == Priority::Low) else {
                    state.low_queued = 0;
                    continue;
                };
                if let Some(old) = state.queue.remove(at) {
                    state.low_queued -= 1;
                    state.finish(&old);
                    shed.push(old);
                }
            }
            entry.seq = state.next_seq;
            state.next_seq += 1;
            state.outstanding.push_back(true);
            state.count += 1;
            state.bytes += entry.bytes;
            if priority == Priority::Low {
                state.low_queued += 1;
            }
            state.queue.push_back(entry);
        }
        self.counters.published.fetch_add(1, Relaxed);
        for old in shed {
            self.counters.dropped[2].fetch_add(1, Relaxed);
            tracing::debug!(id = %old.event.id(), "outbox full: LOW event shed");
            if let Some(ack) = old.ack {
                let _ = ack.send(Err(PublishError::Dropped));
            }
        }
        self.wake.notify_one();
        Ok(())
    }

    /// Queues `entry`, waiting for room while the outbox is full.
    pub(crate) async fn push_wait(&self, mut entry: Entry) -> Result<(), PublishError> {
        loop {
            let notified = self.space.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.push(entry) {
                Ok(()) => return Ok(()),
                Err(Refused { entry: Some(back), error: PublishError::Full { .. } | PublishError::Dropped }) => {
                    // Not a drop after all: the caller waits for room.
                    self.counters.dropped[priority_index(back.event.priority())].fetch_sub(1, Relaxed);
                    entry = *back;
                    notified.await;
                }
                Err(refused) => return Err(refused.error),
            }
        }
    }

    /// Moves up to `max` events (and about `max_bytes`) from the queue into `out`.
    pub(crate) fn take(&self, max: usize, max_bytes: usize, out: &mut Vec<Entry>) {
        let mut state = self.lock();
        let mut bytes = 0;
        while out.len() < max && bytes < max_bytes {
            let Some(entry) = state.queue.pop_front() else { break };
            if entry.event.priority() == Priority::Low {
                state.low_queued -= 1;
            }
            bytes += entry.bytes;
            out.push(entry);
        }
    }

    /// Outstanding events (queued + in flight).
    pub(crate) fn outstanding(&self) -> usize {
        self.lock().count
    }

    /// Puts events back at the front of the queue, in sequence order, to be sent again.
    pub(crate) fn requeue(&self, mut entries: Vec<Entry>) {
        if entries.is_empty() {
            return;
        }
        entries.sort_by_key(|e| e.seq);
        self.counters.retried.fetch_add(entries.len() as u64, Relaxed);
        let mut state = self.lock();
        for entry in entries.into_iter().rev() {
            if entry.event.priority() == Priority::Low {
                state.low_queued += 1;
            }
            state.queue.push_front(entry);
        }
    }

    /// Finishes events with their results.
    pub(crate) fn complete(&self, done: impl IntoIterator<Item = (Entry, Result<Published, PublishError>)>) {
        let mut acks = Vec::new();
        let base = {
            let mut state = self.lock();
            for (mut entry, result) in done {
                state.finish(&entry);
                match &result {
                    Ok(published) => {
                        self.counters.acked.fetch_add(1, Relaxed);
                        if published.duplicate {
                            self.counters.duplicates.fetch_add(1, Relaxed);
                        }
                    }
                    Err(_) => {
                        self.counters.failed.fetch_add(1, Relaxed);
                    }
                }
                if let Some(ack) = entry.ack.take() {
                    acks.push((ack, result));
                }
            }
            state.base
        };
        for (ack, result) in acks {
            let _ = ack.send(result);
        }
        self.progress.send_if_modified(|current| std::mem::replace(current, base) != base);
        self.space.notify_waiters();
    }

    /// Stops accepting events; with `failure`, fails everything outstanding with it.
    pub(crate) fn close(&self, failure: Option<PublishError>) {
        let drained: Vec<Entry> = {
            let mut state = self.lock();
            state.closed = true;
            match failure {
                Some(error) => {
                    state.failure = Some(error);
                    state.low_queued = 0;
                    state.queue.drain(..).collect()
                }
                None => Vec::new(),
            }
        };
        if !drained.is_empty() {
            self.fail(drained);
        }
        self.space.notify_waiters();
    }

    /// Fails `entries` with the terminal error (or `Closed`).
    pub(crate) fn fail(&self, entries: Vec<Entry>) {
        let error = self.lock().failure.as_ref().map_or(PublishError::Closed, PublishError::duplicate);
        self.complete(entries.into_iter().map(|e| (e, Err(error.duplicate()))));
    }

    /// Records a connection or transport failure (naming the URL and the cause), reported by
    /// a [`PublishError::Timeout`] until the hub is reached again.
    pub(crate) fn note_error(&self, error: String) {
        self.lock().last_error = Some(error);
    }

    /// The hub was reached (connected, or answered a batch): earlier failures are over.
    pub(crate) fn clear_error(&self) {
        self.lock().last_error = None;
    }

    /// The last failure recorded by [`Shared::note_error`] and not cleared since.
    pub(crate) fn last_error(&self) -> Option<String> {
        self.lock().last_error.clone()
    }

    /// The terminal error, if the publisher stopped on one.
    pub(crate) fn failure(&self) -> Option<PublishError> {
        self.lock().failure.as_ref().map(PublishError::duplicate)
    }

    /// Waits until every event accepted before this call is done (acknowledged or failed).
    pub(crate) async fn flush(&self) {
        let target = self.lock().next_seq;
        let mut progress = self.progress.subscribe();
        let _ = progress.wait_for(|base| *base >= target).await;
    }

    pub(crate) fn stats(&self) -> Stats {
        let (depth, bytes) = {
            let state = self.lock();
            (state.count, state.bytes)
        };
        let c = &self.counters;
        Stats {
            published: c.published.load(Relaxed),
            acked: c.acked.load(Relaxed),
            duplicates: c.duplicates.load(Relaxed),
            retried: c.retried.load(Relaxed),
            failed: c.failed.load(Relaxed),
            dropped: PriorityCounts {
                high: c.dropped[0].load(Relaxed),
                medium: c.dropped[1].load(Relaxed),
                low: c.dropped[2].load(Relaxed),
            },
            outbox_depth: depth,
            outbox_bytes: bytes,
            reconnects: c.reconnects.load(Relaxed),
            token_refreshes: c.token_refreshes.load(Relaxed),
        }
    }
}

impl State {
    /// Marks `entry` done: releases its room and advances the low watermark.
    fn finish(&mut self, entry: &Entry) {
        self.count -= 1;
        self.bytes -= entry.bytes;
        if let Some(flag) = entry.seq.checked_sub(self.base).and_then(|i| self.outstanding.get_mut(i as usize)) {
            *flag = false;
        }
        while self.outstanding.front() == Some(&false) {
            self.outstanding.pop_front();
            self.base += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_event_types::events::PipelineDeleted;

    fn entry(priority: Priority) -> Entry {
        let event = OutgoingEvent::new(&PipelineDeleted { pipeline_id: "p-1".into() }).unwrap().with_priority(priority);
        Entry::new(event, None)
    }

    fn published() -> Result<Published, PublishError> {
        Ok(Published::new(herald_event_types::ChannelName::new("pipeline").unwrap(), 1, false))
    }

    #[test]
    fn full_outbox_sheds_low_first_and_refuses_high() {
        let shared = Shared::new(Limits { events: 3, bytes: usize::MAX });
        shared.push(entry(Priority::Low)).unwrap();
        shared.push(entry(Priority::High)).unwrap();
        shared.push(entry(Priority::Medium)).unwrap();
        // A new LOW event is shed; a HIGH one evicts the queued LOW.
        assert!(matches!(shared.push(entry(Priority::Low)).unwrap_err().error, PublishError::Dropped));
        shared.push(entry(Priority::High)).unwrap();
        let refused = shared.push(entry(Priority::High)).unwrap_err();
        assert!(matches!(refused.error, PublishError::Full { priority: Priority::High }));
        let stats = shared.stats();
        assert_eq!((stats.dropped.low, stats.dropped.medium, stats.dropped.high), (2, 0, 1));
        assert_eq!(stats.outbox_depth, 3);
    }

    #[test]
    fn byte_limit_applies() {
        let one = entry(Priority::High).bytes;
        let shared = Shared::new(Limits { events: 100, bytes: one * 2 });
        shared.push(entry(Priority::High)).unwrap();
        shared.push(entry(Priority::High)).unwrap();
        assert!(shared.push(entry(Priority::High)).is_err());
    }

    #[test]
    fn watermark_advances_only_past_contiguous_completions() {
        let shared = Shared::new(Limits { events: 10, bytes: usize::MAX });
        for _ in 0..3 {
            shared.push(entry(Priority::Medium)).unwrap();
        }
        let mut taken = Vec::new();
        shared.take(10, usize::MAX, &mut taken);
        let last = taken.pop().unwrap();
        shared.complete([(last, published())]);
        assert_eq!(*shared.progress.borrow(), 0);
        let rest: Vec<_> = taken.into_iter().map(|e| (e, published())).collect();
        shared.complete(rest);
        assert_eq!(*shared.progress.borrow(), 3);
        assert_eq!(shared.stats().outbox_depth, 0);
    }

    #[test]
    fn requeue_restores_sequence_order() {
        let shared = Shared::new(Limits { events: 10, bytes: usize::MAX });
        for _ in 0..4 {
            shared.push(entry(Priority::Medium)).unwrap();
        }
        let mut taken = Vec::new();
        shared.take(3, usize::MAX, &mut taken);
        taken.reverse();
        shared.requeue(taken);
        let mut again = Vec::new();
        shared.take(10, usize::MAX, &mut again);
        assert_eq!(again.iter().map(|e| e.seq).collect::<Vec<_>>(), [0, 1, 2, 3]);
    }
}
