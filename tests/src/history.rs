//! The history checker: every scenario of the reliability battery records what was
//! published, what the hub acknowledged and what each subscriber received, as one
//! [`Record`] per line of JSON; [`check`] then proves the delivery contract of
//! `docs/protocol.md` §10 held for the whole run:
//!
//! 1. **No lost acknowledged event.** Between two deliveries of one subscriber on one
//!    channel, every event the hub acknowledged in that range (same epoch, subject matching
//!    the subscription) was delivered — unless a `Resync` was signalled to that subscriber in
//!    between. After its last resync a subscriber must have received everything acknowledged
//!    up to the end of the run (scenarios drain before they check).
//! 2. **No duplicate.** No subscriber receives one event id twice.
//! 3. **Per-channel order.** Offsets strictly increase within an epoch between resyncs, and
//!    an epoch never changes without a resync.
//! 4. **Tenant isolation.** No subscriber receives an event published in another tenant.
//! 5. **No invention.** Every delivered event was published, at the offset it was
//!    acknowledged with.
//!
//! Unacknowledged publishes (the hub was down, the outcome is unknown) may be delivered
//! or not; nothing is required of them. The recorder is cheap (a mutex and a `Vec`) and can
//! write its history as JSON lines for the `herald-check` binary to re-check offline.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{self, BufRead, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

/// One line of a history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Record {
    /// A publish was attempted.
    Publish {
        /// The publishing tenant (`org`).
        tenant: String,
        /// Target channel.
        channel: String,
        /// The event's subject.
        subject: String,
        /// The event id (unique per run).
        id: String,
    },
    /// The hub acknowledged a publish: the event is stored at `offset` of `epoch`.
    Ack {
        /// The event id.
        id: String,
        /// Its offset.
        offset: u64,
        /// The channel's epoch as the scenario knows it (a label that changes when the hub
        /// loses its history, e.g. after a restart of a memory-broker hub).
        epoch: String,
    },
    /// A subscriber subscribed to a channel (and subject prefix).
    Subscribe {
        /// The subscriber's name (unique per run).
        subscriber: String,
        /// Its tenant.
        tenant: String,
        /// The channel.
        channel: String,
        /// The subject prefix (`""`: the whole channel).
        filter: String,
    },
    /// A subscriber received an event.
    Deliver {
        /// The subscriber.
        subscriber: String,
        /// The channel it arrived on.
        channel: String,
        /// The event id.
        id: String,
        /// The offset it carried.
        offset: u64,
    },
    /// A subscriber was told that events may have been missed.
    Resync {
        /// The subscriber.
        subscriber: String,
        /// The channel.
        channel: String,
    },
}

/// A broken promise found by [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// An acknowledged event was not delivered and no resync excused it.
    Lost {
        /// The subscriber.
        subscriber: String,
        /// The event id.
        id: String,
        /// Its epoch.
        epoch: String,
        /// Its offset.
        offset: u64,
    },
    /// An event reached one subscriber twice.
    Duplicate {
        /// The subscriber.
        subscriber: String,
        /// The event id.
        id: String,
    },
    /// Offsets went backwards (or an epoch changed) without a resync.
    OutOfOrder {
        /// The subscriber.
        subscriber: String,
        /// What happened.
        detail: String,
    },
    /// A subscriber received another tenant's event.
    CrossTenant {
        /// The subscriber.
        subscriber: String,
        /// The event id.
        id: String,
    },
    /// A delivery that matches no publish, or carries another offset than its ack.
    Invented {
        /// The subscriber.
        subscriber: String,
        /// What is wrong.
        detail: String,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Lost { subscriber, id, epoch, offset } => {
                write!(f, "{subscriber}: lost acknowledged event {id} ({epoch}:{offset})")
            }
            Self::Duplicate { subscriber, id } => write!(f, "{subscriber}: received {id} twice"),
            Self::OutOfOrder { subscriber, detail } => write!(f, "{subscriber}: out of order: {detail}"),
            Self::CrossTenant { subscriber, id } => write!(f, "{subscriber}: received {id} of another tenant"),
            Self::Invented { subscriber, detail } => write!(f, "{subscriber}: {detail}"),
        }
    }
}

/// What [`check`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Publishes attempted.
    pub published: usize,
    /// Publishes acknowledged.
    pub acked: usize,
    /// Deliveries recorded (all subscribers).
    pub delivered: usize,
    /// Resyncs signalled (all subscribers).
    pub resyncs: usize,
    /// Subscribers seen.
    pub subscribers: usize,
    /// Every broken promise.
    pub violations: Vec<Violation>,
}

impl Report {
    /// `true` when no promise was broken.
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }

    /// Panics, listing the first violations, unless the history is clean.
    #[track_caller]
    pub fn assert_clean(&self) {
        if !self.is_clean() {
            let shown: Vec<String> = self.violations.iter().take(20).map(ToString::to_string).collect();
            panic!(
                "history violates the delivery contract ({} violations): {self}\n{}",
                self.violations.len(),
                shown.join("\n")
            );
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} published, {} acked, {} delivered to {} subscribers, {} resyncs, {} violations",
            self.published,
            self.acked,
            self.delivered,
            self.subscribers,
            self.resyncs,
            self.violations.len()
        )
    }
}

/// `filter` selects `subject` by whole segments (`docs/protocol.md` §3).
fn matches(filter: &str, subject: &str) -> bool {
    filter.is_empty() || subject == filter || subject.strip_prefix(filter).is_some_and(|rest| rest.starts_with('/'))
}

#[derive(Debug)]
struct Published<'a> {
    tenant: &'a str,
    channel: &'a str,
    subject: &'a str,
    ack: Option<(&'a str, u64)>,
}

/// One subscriber's view of one channel: deliveries and resyncs in the order they came.
#[derive(Debug, Default)]
struct Stream<'a> {
    tenant: &'a str,
    filter: &'a str,
    /// Deliveries (id, offset); `None` marks a resync.
    items: Vec<Option<(&'a str, u64)>>,
}

/// (tenant, channel, epoch).
type StreamKey<'a> = (&'a str, &'a str, &'a str);

/// Checks a whole history (see the module docs for the rules).
pub fn check(records: &[Record]) -> Report {
    let mut report = Report::default();
    let mut events: HashMap<&str, Published<'_>> = HashMap::new();
    // (tenant, channel, epoch) -> acknowledged (offset, id), for the "lost" rule.
    let mut acked: HashMap<StreamKey<'_>, Vec<(u64, &str)>> = HashMap::new();
    let mut streams: HashMap<(&str, &str), Stream<'_>> = HashMap::new();
    let mut tenants: HashMap<&str, &str> = HashMap::new();
    for record in records {
        match record {
            Record::Publish { tenant, channel, subject, id } => {
                report.published += 1;
                events.insert(id, Published { tenant, channel, subject, ack: None });
            }
            Record::Ack { id, offset, epoch } => {
                report.acked += 1;
                if let Some(event) = events.get_mut(id.as_str()) {
                    event.ack = Some((epoch, *offset));
                    acked.entry((event.tenant, event.channel, epoch)).or_default().push((*offset, id));
                }
            }
            Record::Subscribe { subscriber, tenant, channel, filter } => {
                tenants.insert(subscriber, tenant);
                let stream = streams.entry((subscriber, channel)).or_default();
                stream.tenant = tenant;
                stream.filter = filter;
            }
            Record::Deliver { subscriber, channel, id, offset } => {
                report.delivered += 1;
                streams.entry((subscriber, channel)).or_default().items.push(Some((id, *offset)));
            }
            Record::Resync { subscriber, channel } => {
                report.resyncs += 1;
                streams.entry((subscriber, channel)).or_default().items.push(None);
            }
        }
    }
    report.subscribers = tenants.len();
    for list in acked.values_mut() {
        list.sort_unstable();
    }

    let mut keys: Vec<_> = streams.keys().copied().collect();
    keys.sort_unstable();
    for key in keys {
        let (subscriber, channel) = key;
        let stream = &streams[&key];
        let violations = &mut report.violations;
        let mut seen = HashSet::new();
        // Each segment: the deliveries between two resyncs, as (epoch, offset, id).
        let mut segments: Vec<Vec<(&str, u64, &str)>> = vec![Vec::new()];
        for item in &stream.items {
            let Some((id, offset)) = *item else {
                segments.push(Vec::new());
                continue;
            };
            if !seen.insert(id) {
                violations.push(Violation::Duplicate { subscriber: subscriber.into(), id: id.into() });
                continue;
            }
            let Some(event) = events.get(id) else {
                violations.push(Violation::Invented {
                    subscriber: subscriber.into(),
                    detail: format!("received {id}, which nobody published"),
                });
                continue;
            };
            if event.tenant != stream.tenant {
                violations.push(Violation::CrossTenant { subscriber: subscriber.into(), id: id.into() });
                continue;
            }
            if event.channel != channel || !matches(stream.filter, event.subject) {
                violations.push(Violation::Invented {
                    subscriber: subscriber.into(),
                    detail: format!("received {id} ({}/{}) outside its subscription", event.channel, event.subject),
                });
                continue;
            }
            match event.ack {
                Some((epoch, acked_offset)) if acked_offset == offset => {
                    segments.last_mut().expect("one segment").push((epoch, offset, id))
                }
                Some((epoch, acked_offset)) => violations.push(Violation::Invented {
                    subscriber: subscriber.into(),
                    detail: format!("{id} delivered at offset {offset}, acknowledged at {epoch}:{acked_offset}"),
                }),
                // Delivered without a recorded ack (e.g. the ack was lost with the hub): fine.
                None => {}
            }
        }
        let last = segments.len() - 1;
        for (index, segment) in segments.iter().enumerate() {
            for pair in segment.windows(2) {
                let ((e0, o0, _), (e1, o1, id)) = (pair[0], pair[1]);
                if e0 != e1 {
                    violations.push(Violation::OutOfOrder {
                        subscriber: subscriber.into(),
                        detail: format!("{channel}: epoch {e0} -> {e1} at {id} without a resync"),
                    });
                } else if o1 <= o0 {
                    violations.push(Violation::OutOfOrder {
                        subscriber: subscriber.into(),
                        detail: format!("{channel}: offset {o0} then {o1} ({id})"),
                    });
                }
            }
            let (Some(first), Some(end)) = (segment.first(), segment.last()) else { continue };
            let (epoch, lo) = (first.0, first.1);
            let delivered: HashSet<u64> = segment.iter().filter(|d| d.0 == epoch).map(|d| d.1).collect();
            let Some(list) = acked.get(&(stream.tenant, channel, epoch)) else { continue };
            // The last segment must have drained everything acknowledged in its epoch.
            let hi = if index == last && end.0 == epoch { u64::MAX } else { end.1 };
            for &(offset, id) in list.iter().filter(|(o, _)| (lo..=hi).contains(o)) {
                let subject = events[id].subject;
                if matches(stream.filter, subject) && !delivered.contains(&offset) {
                    violations.push(Violation::Lost {
                        subscriber: subscriber.into(),
                        id: id.into(),
                        epoch: epoch.into(),
                        offset,
                    });
                }
            }
        }
    }
    report
}

/// Collects a history from any number of tasks; clones share one history.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    records: Arc<Mutex<Vec<Record>>>,
    /// Each subscriber's channel, for resyncs (which don't carry one).
    channels: Arc<Mutex<HashMap<String, String>>>,
}

impl Recorder {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one record.
    pub fn record(&self, record: Record) {
        self.records.lock().expect("history lock").push(record);
    }

    /// Records a publish attempt.
    pub fn publish(&self, tenant: &str, channel: &str, subject: &str, id: &str) {
        self.record(Record::Publish {
            tenant: tenant.into(),
            channel: channel.into(),
            subject: subject.into(),
            id: id.into(),
        });
    }

    /// Records an acknowledgement.
    pub fn ack(&self, id: &str, offset: u64, epoch: &str) {
        self.record(Record::Ack { id: id.into(), offset, epoch: epoch.into() });
    }

    /// Records a subscription.
    pub fn subscribe(&self, subscriber: &str, tenant: &str, channel: &str, filter: &str) {
        self.channels.lock().expect("history lock").insert(subscriber.into(), channel.into());
        self.record(Record::Subscribe {
            subscriber: subscriber.into(),
            tenant: tenant.into(),
            channel: channel.into(),
            filter: filter.into(),
        });
    }

    /// Records what a subscription stream produced: an event or a resync (others are ignored).
    pub fn observe(&self, subscriber: &str, item: &herald_subscriber::SubscriptionEvent) {
        match item {
            herald_subscriber::SubscriptionEvent::Event(delivery) => self.record(Record::Deliver {
                subscriber: subscriber.into(),
                channel: delivery.channel.to_string(),
                id: delivery.event.id.to_string(),
                offset: delivery.offset,
            }),
            herald_subscriber::SubscriptionEvent::Resync => {
                // A resync names no channel: it is the one the subscriber subscribed to.
                let channel = self.channel_of(subscriber).unwrap_or_default();
                self.record(Record::Resync { subscriber: subscriber.into(), channel });
            }
            _ => {}
        }
    }

    fn channel_of(&self, subscriber: &str) -> Option<String> {
        self.channels.lock().expect("history lock").get(subscriber).cloned()
    }

    /// A copy of the history so far.
    pub fn records(&self) -> Vec<Record> {
        self.records.lock().expect("history lock").clone()
    }

    /// Checks the history so far.
    pub fn check(&self) -> Report {
        check(&self.records.lock().expect("history lock"))
    }

    /// Writes the history as JSON lines, when `HERALD_HISTORY_DIR` is set, to
    /// `$HERALD_HISTORY_DIR/<name>.jsonl`, so a failed run can be re-checked with
    /// `herald-check`. Returns the path written, if any.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn save(&self, name: &str) -> io::Result<Option<std::path::PathBuf>> {
        let Some(dir) = std::env::var_os("HERALD_HISTORY_DIR") else { return Ok(None) };
        std::fs::create_dir_all(&dir)?;
        let path = Path::new(&dir).join(format!("{name}.jsonl"));
        let mut out = io::BufWriter::new(std::fs::File::create(&path)?);
        for record in self.records() {
            serde_json::to_writer(&mut out, &record)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        Ok(Some(path))
    }
}

/// Reads a JSON-lines history.
///
/// # Errors
/// A line that is not a [`Record`] (its number is in the message) or a read error.
pub fn read_jsonl(reader: impl BufRead) -> io::Result<Vec<Record>> {
    let mut records = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str(&line)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("line {}: {e}", n + 1)))?;
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
#[path = "history_tests.rs"]
mod tests;
