//! The broker conformance suite: the guarantees every [`Broker`] backend must keep.
//!
//! Each check is a `pub(crate) async fn` taking a factory that builds a fresh broker from a
//! [`MemoryConfig`] (a backend maps the sizes and durations onto its own configuration), so
//! every backend runs the same checks. Instantiate them with [`broker_conformance!`]:
//!
//! ```ignore
//! crate::broker::conformance::broker_conformance!(MemoryBroker::new);
//! ```
//!
//! The `timed` checks advance tokio's paused clock instead of sleeping; a backend whose expiry
//! runs on another clock (Redis TTLs) instantiates only the core checks with
//! `broker_conformance!(core: factory)`. Every check uses tenant names with a random suffix, so
//! checks against a shared external store do not see each other's data.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use herald_event_types::{ChannelName, Envelope, EventCategory, EventId, Priority, ServerFrame, Subject};

use super::{Appended, Broker, History, HistoryQuery, MemoryConfig};

/// One `#[tokio::test]` per conformance check, for the broker built by `$factory`
/// (an expression of type `Fn(MemoryConfig) -> impl Broker`).
macro_rules! broker_conformance {
    ($factory:expr) => {
        $crate::broker::conformance::broker_conformance!(core: $factory);
        $crate::broker::conformance::broker_conformance!(@checks $factory;
            (dedup_window_expires, (start_paused = true)),
            (history_ttl_evicts_old_events, (start_paused = true)),
        );
    };
    (core: $factory:expr) => {
        $crate::broker::conformance::broker_conformance!(@checks $factory;
            (offsets_start_at_one_and_are_contiguous, ()),
            (concurrent_appends_get_gapless_offsets, (flavor = "multi_thread", worker_threads = 2)),
            (duplicates_return_the_first_publish, ()),
            (dedup_is_per_tenant_and_channel, ()),
            (a_narrow_publisher_cannot_suppress_or_probe_another_channels_event_ids, ()),
            (dedup_remembers_at_most_max_ids, ()),
            (history_size_evicts_the_oldest_events, ()),
            (history_max_bytes_evicts_the_oldest_events, ()),
            (history_max_bytes_zero_keeps_nothing_but_offsets_go_on, ()),
            (since_recovers_only_continuous_history, ()),
            (latest_returns_the_last_matching_events, ()),
            (subjects_match_whole_segments, ()),
            (position_returns_only_the_position, ()),
            (frames_are_serialised_once_in_protocol_form, ()),
            (tenants_are_isolated, ()),
            (broker_is_ready, ()),
        );
    };
    (@checks $factory:expr; $(($check:ident, ($($arg:tt)*))),* $(,)?) => {
        $(
            #[tokio::test($($arg)*)]
            async fn $check() {
                $crate::broker::conformance::$check($factory).await;
            }
        )*
    };
}
pub(crate) use broker_conformance;

/// A valid envelope with this id and subject (`""` for none).
pub(crate) fn envelope(id: &str, subject: &str) -> Envelope {
    let data = serde_json::value::to_raw_value(&serde_json::json!({ "id": id, "nested": { "n": [1, 2] } })).unwrap();
    Envelope::from_parts(
        "test_event",
        EventCategory::Pipeline,
        Priority::Medium,
        subject.parse().unwrap(),
        data,
        "suite",
    )
    .unwrap()
    .with_id(EventId::from_string(id).unwrap())
}

fn channel(name: &str) -> ChannelName {
    name.parse().unwrap()
}

fn subject(text: &str) -> Subject {
    text.parse().unwrap()
}

/// A tenant name unique to this run.
fn tenant(name: &str) -> String {
    format!("{name}-{:016x}", rand::random::<u64>())
}

async fn append(broker: &impl Broker, tenant: &str, channel: &ChannelName, id: &str, subject: &str) -> Appended {
    broker.append(tenant, channel, &envelope(id, subject)).await.unwrap()
}

/// Appends and checks that the event was accepted (not a duplicate); returns its offset.
async fn accept(broker: &impl Broker, tenant: &str, channel: &ChannelName, id: &str, subject: &str) -> u64 {
    let appended = append(broker, tenant, channel, id, subject).await;
    assert!(!appended.duplicate, "{id} taken for a duplicate");
    assert_eq!(&appended.channel, channel);
    let event = appended.event.expect("an accepted event is returned for fan-out");
    assert_eq!(event.offset, appended.offset);
    assert_eq!(event.subject.as_str(), subject);
    appended.offset
}

/// Appends and checks that the event was a duplicate of the publish at (`channel`, `offset`).
async fn duplicate(broker: &impl Broker, tenant: &str, to: &ChannelName, id: &str, first: (&ChannelName, u64)) {
    let appended = append(broker, tenant, to, id, "").await;
    assert!(appended.duplicate, "{id} not taken for a duplicate");
    assert_eq!((&appended.channel, appended.offset), first);
    assert!(appended.event.is_none(), "a duplicate is never delivered again");
}

async fn read(
    broker: &impl Broker,
    tenant: &str,
    channel: &ChannelName,
    subject: &str,
    query: HistoryQuery,
) -> History {
    broker.history(tenant, channel, &self::subject(subject), query).await.unwrap()
}

fn offsets(history: &History) -> Vec<u64> {
    history.events.iter().map(|event| event.offset).collect()
}

/// The epoch of `channel` (the same for every channel of a broker that has not restarted).
async fn epoch(broker: &impl Broker, tenant: &str, channel: &ChannelName) -> String {
    read(broker, tenant, channel, "", HistoryQuery::Position).await.epoch.to_string()
}

async fn since(
    broker: &impl Broker,
    tenant: &str,
    channel: &ChannelName,
    subject: &str,
    (epoch, offset, limit): (&str, u64, usize),
) -> (bool, Vec<u64>) {
    let history =
        read(broker, tenant, channel, subject, HistoryQuery::Since { epoch: epoch.into(), offset, limit }).await;
    (history.recovered, offsets(&history))
}

/// Offsets start at 1 and grow by 1, independently per channel and per tenant.
pub(crate) async fn offsets_start_at_one_and_are_contiguous<B: Broker>(factory: impl Fn(MemoryConfig) -> B) {
    let broker = factory(MemoryConfig::default());
    let (a, b) = (tenant("a"), tenant("b"));
    let (pipeline, security) = (channel("pipeline"), channel("security"));
    for n in 1..=5 {
        assert_eq!(accept(&broker, &a, &pipeline, &format!("a-p-{n}"), "p-1").await, n);
    }
    for n in 1..=3 {
        assert_eq!(accept(&broker, &a, &security, &format!("a-s-{n}"), "").await, n);
    }
    assert_eq!(accept(&broker, &b, &pipeline, "b-p-1", "").await, 1);
    assert_eq!(accept(&broker, &a, &pipeline, "a-p-6", "p-1").await, 6);

    let history = read(&broker, &a, &pipeline, "", HistoryQuery::Latest { limit: 100 }).await;
    assert_eq!(history.latest, 6);
    assert_eq!(offsets(&history), [1, 2, 3, 4, 5, 6]);
    assert_eq!(read(&broker, &a, &security, "", HistoryQuery::Position).await.latest, 3);
    assert_eq!(read(&broker, &b, &pipeline, "", HistoryQuery::Position).await.latest, 1);

    let ended = broker.append(&a, &pipeline, &envelope("a-p-7", "p-1").with_final(true)).await.unwrap();
    let event = ended.event.unwrap();
    assert!(event.is_final);
    assert_eq!((ended.offset, event.subject.as_str()), (7, "p-1"));
}

/// 8 tasks × 200 concurrent appends to one channel get exactly the offsets 1..=1600, and
/// history holds them in offset order.
pub(crate) async fn concurrent_appends_get_gapless_offsets<B: Broker>(factory: impl Fn(MemoryConfig) -> B) {
    const TASKS: usize = 8;
    const EACH: usize = 200;
    let broker = Arc::new(factory(MemoryConfig { history_size: 2000, ..MemoryConfig::default() }));
    let a = tenant("a");
    let pipeline = channel("pipeline");
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let (broker, a, pipeline) = (Arc::clone(&broker), a.clone(), pipeline.clone());
            tokio::spawn(async move {
                let mut offsets = Vec::with_capacity(EACH);
                for n in 0..EACH {
                    let appended = broker.append(&a, &pipeline, &envelope(&format!("t{task}-{n}"), "")).await.unwrap();
                    assert!(!appended.duplicate);
                    offsets.push(appended.offset);
                }
                offsets
            })
        })
        .collect();
    let mut all = BTreeSet::new();
    for task in tasks {
        let offsets = task.await.unwrap();
        assert!(offsets.windows(2).all(|pair| pair[0] < pair[1]), "one task's appends are ordered");
        for offset in offsets {
            assert!(all.insert(offset), "offset {offset} assigned twice");
        }
    }
    let total = (TASKS * EACH) as u64;
    assert!(all.iter().copied().eq(1..=total), "offsets are exactly 1..={total}");

    let history = read(&*broker, &a, &pipeline, "", HistoryQuery::Latest { limit: 2000 }).await;
    assert_eq!(history.latest, total);
    assert!(offsets(&history).into_iter().eq(1..=total), "history is in offset order");
    for event in &history.events {
        let ServerFrame::Event(frame) = ServerFrame::decode(&event.frame).unwrap() else {
            panic!("not an event frame")
        };
        assert_eq!(frame.offset, event.offset);
    }
}

/// A repeated id on the same channel returns the first publish's offset, and is neither
/// stored nor given an offset.
pub(crate) async fn duplicates_return_the_first_publish<B: Broker>(factory: impl Fn(MemoryConfig) -> B) {
    let broker = factory(MemoryConfig::default());
    let a = tenant("a");
    let (pipeline, security) = (channel("pipeline"), channel("security"));
    assert_eq!(accept(&broker, &a, &pipeline, "x", "").await, 1);
    assert_eq!(accept(&broker, &a, &pipeline, "y", "").await, 2);
    duplicate(&broker, &a, &pipeline, "x", (&pipeline, 1)).await;
    duplicate(&broker, &a, &pipeline, "y", (&pipeline, 2)).await;
    duplicate(&broker, &a, &pipeline, "x", (&pipeline, 1)).await;
    assert_eq!(accept(&broker, &a, &pipeline, "z", "").await, 3, "duplicates take no offset");
    assert_eq!(accept(&broker, &a, &security, "w", "").await, 1);
    duplicate(&broker, &a, &security, "w", (&security, 1)).await;

    let history = read(&broker, &a, &pipeline, "", HistoryQuery::Latest { limit: 100 }).await;
    assert_eq!(offsets(&history), [1, 2, 3]);
    let security_history = read(&broker, &a, &security, "", HistoryQuery::Latest { limit: 100 }).await;
    assert_eq!((security_history.latest, offsets(&security_history)), (1, vec![1]));
}

/// Dedup is scoped to (tenant, channel): the same id in two tenants, or on two channels of one
/// tenant, is two events; each channel answers repeats with its own first offset.
pub(crate) async fn dedup_is_per_tenant_and_channel<B: Broker>(factory: impl Fn(MemoryConfig) -> B) {
    let broker = factory(MemoryConfig::default());
    let (a, b) = (tenant("a"), tenant("b"));
    let (pipeline, security) = (channel("pipeline"), channel("security"));
    assert_eq!(accept(&broker, &a, &pipeline, "same", "").await, 1);
    assert_eq!(accept(&broker, &b, &security, "other", "").await, 1);
    assert_eq!(accept(&broker, &b, &security, "same", "").await, 2);
    assert_eq!(accept(&broker, &a, &security, "same", "").await, 1, "another channel: a new event");
    assert_eq!(accept(&broker, &b, &pipeline, "same", "").await, 1);
    duplicate(&broker, &a, &pipeline, "same", (&pipeline, 1)).await;
    duplicate(&broker, &a, &security, "same", (&security, 1)).await;
    duplicate(&broker, &b, &security, "same", (&security, 2)).await;
    duplicate(&broker, &b, &pipeline, "same", (&pipeline, 1)).await;
}

/// The attack dedup per tenant allowed: a publisher that may only publish on `debug` uses an
/// event id first (guessed, or seen in a delivered event), so that a trusted publisher's event
/// with that id on `pipeline` is answered `duplicate` and never delivered, and the attacker's
/// own repeat is answered with `pipeline`'s channel and offset. Per (tenant, channel) dedup
/// keeps both channels apart: the trusted event is stored and delivered, and every answer the
/// attacker gets names only its own channel.
pub(crate) async fn a_narrow_publisher_cannot_suppress_or_probe_another_channels_event_ids<B: Broker>(
    factory: impl Fn(MemoryConfig) -> B,
) {
    let broker = factory(MemoryConfig::default());
    let a = tenant("a");
    let (debug, pipeline) = (channel("debug"), channel("pipeline"));
    accept(&broker, &a, &pipeline, "earlier", "").await;

    // Suppression: the attacker publishes the id first, on its own channel.
    assert_eq!(accept(&broker, &a, &debug, "deploy-42", "").await, 1);
    let trusted = broker.append(&a, &pipeline, &envelope("deploy-42", "p-1")).await.unwrap();
    assert!(!trusted.duplicate, "the trusted event was suppressed by an id used on another channel");
    assert_eq!((&trusted.channel, trusted.offset), (&pipeline, 2));
    let delivered = trusted.event.expect("the trusted event is fanned out");
    assert_eq!(delivered.offset, 2);
    let history = read(&broker, &a, &pipeline, "", HistoryQuery::Latest { limit: 10 }).await;
    assert_eq!(offsets(&history), [1, 2]);

    // Probing: the attacker repeats ids of the other channel; it only ever learns its own.
    let probe = append(&broker, &a, &debug, "deploy-42", "").await;
    assert_eq!((probe.duplicate, &probe.channel, probe.offset), (true, &debug, 1));
    let probe = append(&broker, &a, &debug, "earlier", "").await;
    assert!(!probe.duplicate, "an id of another channel is a new event here, not a hit");
    assert_eq!((&probe.channel, probe.offset), (&debug, 2));
    // The trusted publisher's retry is still a duplicate of its own publish.
    duplicate(&broker, &a, &pipeline, "deploy-42", (&pipeline, 2)).await;
}

/// An id is forgotten once the dedup window has passed since its first publish.
pub(crate) async fn dedup_window_expires<B: Broker>(factory: impl Fn(MemoryConfig) -> B) {
    let window = Duration::from_secs(600);
    let broker = factory(MemoryConfig { dedup_window: window, ..MemoryConfig::default() });
    let a = tenant("a");
    let pipeline = channel("pipeline");
    assert_eq!(accept(&broker, &a, &pipeline, "x", "").await, 1);
    tokio::time::advance(window - Duration::from_secs(1)).await;
    duplicate(&broker, &a, &pipeline, "x", (&pipeline, 1)).await;
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(accept(&broker, &a, &pipeline, "x", "").await, 2, "a duplicate does not extend the window");
    duplicate(&broker, &a, &pipeline, "x", (&pipeline, 2)).await;
}

/// At most `dedup_max_ids` (channel, id) pairs are remembered per tenant, over all of its
/// channels; the oldest are forgotten first.
pub(crate) async fn dedup_remembers_at_most_max_ids<B: Broker>(factory: impl Fn(MemoryConfig) -> B) {
    let broker = factory(MemoryConfig { dedup_max_ids: 3, ..MemoryConfig::default() });
    let (a, b) = (tenant("a"), tenant("b"));
    let (pipeline, security) = (channel("pipeline"), channel("security"));
    for (n, id) in ["a", "b", "c"].into_iter().enumerate() {
        assert_eq!(accept(&broker, &a, &pipeline, id, "").await, n as u64 + 1);
    }
    // Another tenant's ids do not count against this one's.
    for id in ["d", "e", "f", "g"] {
        accept(&broker, &b, &pipeline, id, "").await;
    }
    duplicate(&broker, &a, &pipeline, "a", (&pipeline, 1)).await;
    // Another channel's ids do: one budget per tenant. Remembers p:b p:c s:d.
    assert_eq!(accept(&broker, &a, &security, "d", "").await, 1);
    assert_eq!(accept(&broker, &a, &pipeline, "a", "").await, 4, "the oldest id was forgotten"); // p:c s:d p:a
    duplicate(&broker, &a, &pipeline, "c", (&pipeline, 3)).await;
    duplicate(&broker, &a, &security, "d", (&security, 1)).await;
    duplicate(&broker, &a, &pipeline, "a", (&pipeline, 4)).await;
    assert_eq!(accept(&broker, &a, &security, "a", "").await, 2); // s:d p:a s:a
    duplicate(&broker, &a, &security, "a", (&security, 2)).await;
    assert_eq!(accept(&broker, &a, &pipeline, "c", "").await, 5, "p:c was forgotten"); // p:a s:a p:c
    assert_eq!(accept(&broker, &a, &security, "d", "").await, 3, "s:d was forgotten"); // s:a p:c s:d
    duplicate(&broker, &a, &pipeline, "c", (&pipeline, 5)).await;
    assert_eq!(accept(&broker, &a, &pipeline, "a", "").await, 6, "p:a was forgotten");
}

/// History keeps the latest `history_size` events; recovery from before them fails.
pub(crate) async fn history_size_evicts_the_oldest_events<B: Broker>(factory: impl Fn(MemoryConfig) -> B) {
    let broker = factory(MemoryConfig { history_size: 3, ..MemoryConfig::default() });
    let a = tenant("a");
    let pipeline = channel("pipeline");
    for n in 1..=5 {
        accept(&broker, &a, &pipeline, &format!("e-{n}"), "").await;
    }
    let latest = read(&broker, &a, &pipeline, "", HistoryQuery::Latest { limit: 10 }).await;
    assert_eq!((latest.latest, offsets(&latest)), (5, vec![3, 4, 5]));
    let epoch = epoch(&broker, &a, &pipeline).await;
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 0, 10)).await, (false, vec![]));
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 1, 10)).await, (false, vec![]));
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 2, 10)).await, (true, vec![3, 4, 5]));
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 4, 10)).await, (true, vec![5]));
}

/// An envelope whose `data` carries `pad` bytes of padding.
fn padded(id: &str, pad: usize) -> Envelope {
    let data = serde_json::value::to_raw_value(&serde_json::json!({ "pad": "x".repeat(pad) })).unwrap();
    Envelope::from_parts("test_event", EventCategory::Pipeline, Priority::Medium, Subject::default(), data, "suite")
        .unwrap()
        .with_id(EventId::from_string(id).unwrap())
}

/// The offsets a byte-bounded history must hold: the longest run of the newest events whose
/// frames fit in `max` bytes (`sizes` by offset, from 1).
fn newest_fitting(sizes: &[usize], max: usize) -> Vec<u64> {
    let mut total = 0;
    let mut kept: Vec<u64> = (1..=sizes.len() as u64)
        .rev()
        .take_while(|offset| {
            total += sizes[*offset as usize - 1];
            total <= max
        })
        .collect();
    kept.reverse();
    kept
}

/// History keeps at most `history_max_bytes` of event frames per channel, evicting the
/// oldest first (so retained offsets stay contiguous); an event larger than the whole bound
/// is delivered but not kept; recovery from before the retained events fails.
pub(crate) async fn history_max_bytes_evicts_the_oldest_events<B: Broker>(factory: impl Fn(MemoryConfig) -> B) {
    let pipeline = channel("pipeline");
    // Every frame of `padded(e-N, 100)` has the same size (one-digit offsets).
    let probe = factory(MemoryConfig::default());
    let size = probe.append(&tenant("probe"), &pipeline, &padded("e-1", 100)).await.unwrap().event.unwrap().frame.len();
    let max = 3 * size + size / 2;
    let broker = factory(MemoryConfig { history_max_bytes: max, ..MemoryConfig::default() });
    let (a, b) = (tenant("a"), tenant("b"));
    let mut sizes = Vec::new();
    let mut publish = async |id: &str, pad: usize| {
        let appended = broker.append(&a, &pipeline, &padded(id, pad)).await.unwrap();
        let event = appended.event.expect("accepted");
        assert_eq!(event.offset, sizes.len() as u64 + 1);
        sizes.push(event.frame.len());
        sizes.clone()
    };
    for n in 1..=5 {
        publish(&format!("e-{n}"), 100).await;
    }
    // Another tenant's and another channel's bytes do not count against this channel's.
    for n in 1..=3 {
        accept(&broker, &b, &pipeline, &format!("b-{n}"), "").await;
        accept(&broker, &a, &channel("security"), &format!("s-{n}"), "").await;
    }
    let epoch = epoch(&broker, &a, &pipeline).await;
    let latest = read(&broker, &a, &pipeline, "", HistoryQuery::Latest { limit: 100 }).await;
    assert_eq!((latest.latest, offsets(&latest)), (5, vec![3, 4, 5]));
    assert!(latest.events.iter().map(|e| e.frame.len()).sum::<usize>() <= max);
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 1, 100)).await, (false, vec![]));
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 2, 100)).await, (true, vec![3, 4, 5]));

    // A bigger event (its frame twice the size of the others) evicts as many of the oldest
    // as it needs.
    let sizes = publish("e-6", size + 100).await;
    assert_eq!(sizes[5], 2 * size);
    let kept = newest_fitting(&sizes, max);
    assert_eq!(kept, [5, 6], "test setup: the big event leaves room for one more");
    let latest = read(&broker, &a, &pipeline, "", HistoryQuery::Latest { limit: 100 }).await;
    assert_eq!((latest.latest, offsets(&latest)), (6, kept));
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 3, 100)).await, (false, vec![]));
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 4, 100)).await, (true, vec![5, 6]));

    // An event larger than the whole bound is kept nowhere, but takes its offset.
    publish("e-7", 4 * size).await;
    let latest = read(&broker, &a, &pipeline, "", HistoryQuery::Latest { limit: 100 }).await;
    assert_eq!((latest.latest, offsets(&latest)), (7, vec![]));
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 6, 100)).await, (false, vec![]));
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 7, 100)).await, (true, vec![]));

    // And the channel goes on from there.
    for n in 8..=9 {
        publish(&format!("e-{n}"), 100).await;
    }
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 7, 100)).await, (true, vec![8, 9]));
    let of_b = read(&broker, &b, &pipeline, "", HistoryQuery::Latest { limit: 100 }).await;
    assert_eq!(offsets(&of_b), [1, 2, 3]);
}

/// `history_max_bytes: 0` keeps no history at all; offsets, dedup and delivery carry on.
pub(crate) async fn history_max_bytes_zero_keeps_nothing_but_offsets_go_on<B: Broker>(
    factory: impl Fn(MemoryConfig) -> B,
) {
    let broker = factory(MemoryConfig { history_max_bytes: 0, ..MemoryConfig::default() });
    let a = tenant("a");
    let pipeline = channel("pipeline");
    for n in 1..=3 {
        assert_eq!(accept(&broker, &a, &pipeline, &format!("e-{n}"), "").await, n);
    }
    duplicate(&broker, &a, &pipeline, "e-2", (&pipeline, 2)).await;
    let latest = read(&broker, &a, &pipeline, "", HistoryQuery::Latest { limit: 100 }).await;
    assert_eq!((latest.latest, offsets(&latest)), (3, vec![]));
    let epoch = epoch(&broker, &a, &pipeline).await;
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 2, 100)).await, (false, vec![]));
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 3, 100)).await, (true, vec![]));
}

/// Events older than `history_ttl` are evicted; offsets never restart, even when all expired.
pub(crate) async fn history_ttl_evicts_old_events<B: Broker>(factory: impl Fn(MemoryConfig) -> B) {
    let ttl = Duration::from_secs(3600);
    let broker = factory(MemoryConfig { history_ttl: ttl, ..MemoryConfig::default() });
    let a = tenant("a");
    let pipeline = channel("pipeline");
    accept(&broker, &a, &pipeline, "e-1", "").await;
    accept(&broker, &a, &pipeline, "e-2", "").await;
    tokio::time::advance(ttl / 2).await;
    accept(&broker, &a, &pipeline, "e-3", "").await;
    let epoch = epoch(&broker, &a, &pipeline).await;
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 0, 10)).await, (true, vec![1, 2, 3]));

    tokio::time::advance(ttl / 2 + Duration::from_secs(1)).await;
    let latest = read(&broker, &a, &pipeline, "", HistoryQuery::Latest { limit: 10 }).await;
    assert_eq!((latest.latest, offsets(&latest)), (3, vec![3]));
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 1, 10)).await, (false, vec![]));
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 2, 10)).await, (true, vec![3]));

    tokio::time::advance(ttl).await;
    let latest = read(&broker, &a, &pipeline, "", HistoryQuery::Latest { limit: 10 }).await;
    assert_eq!((latest.latest, offsets(&latest)), (3, vec![]));
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 2, 10)).await, (false, vec![]));
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 3, 10)).await, (true, vec![]));
    assert_eq!(accept(&broker, &a, &pipeline, "e-4", "").await, 4, "offsets never repeat");
}

/// `Since` is all-or-nothing: events after `offset` (up to `limit`) when history is continuous
/// from it in the same epoch, otherwise `recovered: false` and nothing.
pub(crate) async fn since_recovers_only_continuous_history<B: Broker>(factory: impl Fn(MemoryConfig) -> B) {
    let broker = factory(MemoryConfig::default());
    let a = tenant("a");
    let (pipeline, empty) = (channel("pipeline"), channel("security"));
    for n in 1..=5 {
        accept(&broker, &a, &pipeline, &format!("e-{n}"), "").await;
    }
    let epoch = epoch(&broker, &a, &pipeline).await;
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 0, 100)).await, (true, vec![1, 2, 3, 4, 5]));
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 2, 100)).await, (true, vec![3, 4, 5]));
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 2, 2)).await, (true, vec![3, 4]), "limit pages");
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 5, 100)).await, (true, vec![]), "up to date");
    assert_eq!(since(&broker, &a, &pipeline, "", (&epoch, 6, 100)).await, (false, vec![]), "beyond latest");
    assert_eq!(since(&broker, &a, &pipeline, "", ("another-epoch", 2, 100)).await, (false, vec![]));
    assert_eq!(since(&broker, &a, &pipeline, "", ("", 0, 100)).await, (false, vec![]));

    let history =
        read(&broker, &a, &pipeline, "", HistoryQuery::Since { epoch: epoch.clone(), offset: 3, limit: 9 }).await;
    assert_eq!((&*history.epoch, history.latest), (epoch.as_str(), 5));
    let wrong = read(&broker, &a, &pipeline, "", HistoryQuery::Since { epoch: "x".into(), offset: 3, limit: 9 }).await;
    assert_eq!((&*wrong.epoch, wrong.latest), (epoch.as_str(), 5), "a wrong epoch still gets the position");

    assert_eq!(since(&broker, &a, &empty, "", (&epoch, 0, 100)).await, (true, vec![]), "nothing published yet");
    assert_eq!(since(&broker, &a, &empty, "", (&epoch, 1, 100)).await, (false, vec![]));
}

/// `Latest` returns the last `limit` matching events, oldest first, never `recovered`.
pub(crate) async fn latest_returns_the_last_matching_events<B: Broker>(factory: impl Fn(MemoryConfig) -> B) {
    let broker = factory(MemoryConfig::default());
    let a = tenant("a");
    let pipeline = channel("pipeline");
    for (n, subject) in ["p-42", "p-7", "p-42/e-1", "p-7/e-2", "p-42/e-1", "", "p-42"].into_iter().enumerate() {
        accept(&broker, &a, &pipeline, &format!("e-{n}"), subject).await;
    }
    let latest = |subject, limit| read(&broker, &a, &pipeline, subject, HistoryQuery::Latest { limit });
    let history = latest("p-42", 10).await;
    assert_eq!((history.recovered, history.latest, offsets(&history)), (false, 7, vec![1, 3, 5, 7]));
    assert_eq!(offsets(&latest("p-42", 2).await), [5, 7]);
    assert_eq!(offsets(&latest("p-42/e-1", 10).await), [3, 5]);
    assert_eq!(offsets(&latest("p-7", 1).await), [4]);
    assert_eq!(offsets(&latest("", 3).await), [5, 6, 7]);
    assert_eq!(offsets(&latest("", 0).await), Vec::<u64>::new());
    assert_eq!(offsets(&latest("p-9", 10).await), Vec::<u64>::new());
}

/// Subject filters match whole segments: `p-42` matches `p-42` and `p-42/e-7`, not `p-420`.
pub(crate) async fn subjects_match_whole_segments<B: Broker>(factory: impl Fn(MemoryConfig) -> B) {
    let broker = factory(MemoryConfig::default());
    let a = tenant("a");
    let pipeline = channel("pipeline");
    for (n, subject) in ["p-42", "p-420", "p-42/e-7", "p-420/e-7", "p-4", "", "p-42/e-70"].into_iter().enumerate() {
        accept(&broker, &a, &pipeline, &format!("e-{n}"), subject).await;
    }
    let epoch = epoch(&broker, &a, &pipeline).await;
    let latest = |subject| read(&broker, &a, &pipeline, subject, HistoryQuery::Latest { limit: 100 });
    assert_eq!(offsets(&latest("p-42").await), [1, 3, 7]);
    assert_eq!(offsets(&latest("p-420").await), [2, 4]);
    assert_eq!(offsets(&latest("p-42/e-7").await), [3]);
    assert_eq!(offsets(&latest("p-4").await), [5]);
    assert_eq!(offsets(&latest("").await), [1, 2, 3, 4, 5, 6, 7]);
    let subjects: Vec<_> = latest("p-42").await.events.iter().map(|event| event.subject.to_string()).collect();
    assert_eq!(subjects, ["p-42", "p-42/e-7", "p-42/e-70"]);

    assert_eq!(since(&broker, &a, &pipeline, "p-42", (&epoch, 1, 100)).await, (true, vec![3, 7]));
    assert_eq!(since(&broker, &a, &pipeline, "p-420", (&epoch, 0, 1)).await, (true, vec![2]));
    assert_eq!(since(&broker, &a, &pipeline, "p-9", (&epoch, 0, 100)).await, (true, vec![]));
}

/// `Position` gives the epoch and latest offset only; unknown channels are at 0 of the same epoch.
pub(crate) async fn position_returns_only_the_position<B: Broker>(factory: impl Fn(MemoryConfig) -> B) {
    let broker = factory(MemoryConfig::default());
    let a = tenant("a");
    let (pipeline, security) = (channel("pipeline"), channel("security"));
    accept(&broker, &a, &pipeline, "e-1", "").await;
    accept(&broker, &a, &pipeline, "e-2", "").await;
    let position = read(&broker, &a, &pipeline, "", HistoryQuery::Position).await;
    assert_eq!((position.latest, position.recovered, position.events.len()), (2, false, 0));
    assert!(!position.epoch.is_empty());

    let unknown = read(&broker, &a, &security, "", HistoryQuery::Position).await;
    assert_eq!((unknown.latest, unknown.recovered, unknown.events.len()), (0, false, 0));
    assert_eq!(unknown.epoch, position.epoch);
    let stranger = read(&broker, &tenant("nobody"), &pipeline, "", HistoryQuery::Latest { limit: 10 }).await;
    assert_eq!((stranger.latest, stranger.events.len()), (0, 0));
    assert_eq!(stranger.epoch, position.epoch);
}

/// The stored frame is exactly `{"type":"event","channel":…,"offset":…,"event":{…}}`, decodes
/// to the published envelope, and is shared as is by history.
pub(crate) async fn frames_are_serialised_once_in_protocol_form<B: Broker>(factory: impl Fn(MemoryConfig) -> B) {
    let broker = factory(MemoryConfig::default());
    let a = tenant("a");
    let security = channel("security");
    accept(&broker, &a, &security, "e-0", "").await;
    let published = envelope("e-1", "v-9/s-1").with_final(true);
    let appended = broker.append(&a, &security, &published).await.unwrap();
    let event = appended.event.unwrap();
    let expected = format!(r#"{{"type":"event","channel":"security","offset":2,"event":{}}}"#, published.to_json());
    assert_eq!(event.frame.as_str(), expected);

    let ServerFrame::Event(frame) = ServerFrame::decode(&event.frame).unwrap() else { panic!("not an event frame") };
    assert_eq!((frame.channel, frame.offset), (security.clone(), 2));
    assert_eq!(frame.event, published);
    assert_eq!(frame.event.data.get(), published.data.get(), "data is carried byte for byte");

    let history = read(&broker, &a, &security, "v-9", HistoryQuery::Latest { limit: 10 }).await;
    assert_eq!(history.events.len(), 1);
    assert_eq!(history.events[0].frame, event.frame);
    assert!(history.events[0].is_final);
}

/// Nothing of one tenant is visible to another, on the same channel names and event ids.
pub(crate) async fn tenants_are_isolated<B: Broker>(factory: impl Fn(MemoryConfig) -> B) {
    let broker = factory(MemoryConfig::default());
    let (a, b) = (tenant("a"), tenant("b"));
    let pipeline = channel("pipeline");
    for n in 1..=3 {
        accept(&broker, &a, &pipeline, &format!("a-{n}"), "p-1").await;
    }
    let epoch = epoch(&broker, &a, &pipeline).await;
    let seen_by_b = read(&broker, &b, &pipeline, "", HistoryQuery::Latest { limit: 100 }).await;
    assert_eq!((seen_by_b.latest, seen_by_b.events.len()), (0, 0));
    assert_eq!(since(&broker, &b, &pipeline, "p-1", (&epoch, 1, 100)).await, (false, vec![]));

    assert_eq!(accept(&broker, &b, &pipeline, "a-1", "p-1").await, 1);
    let ids = |history: &History| -> Vec<String> {
        let frames = history.events.iter().map(|event| ServerFrame::decode(&event.frame).unwrap());
        frames
            .map(|frame| if let ServerFrame::Event(frame) = frame { frame.event.id.to_string() } else { panic!() })
            .collect()
    };
    let of_a = read(&broker, &a, &pipeline, "", HistoryQuery::Latest { limit: 100 }).await;
    let of_b = read(&broker, &b, &pipeline, "", HistoryQuery::Latest { limit: 100 }).await;
    assert_eq!((of_a.latest, ids(&of_a)), (3, vec!["a-1".to_owned(), "a-2".into(), "a-3".into()]));
    assert_eq!((of_b.latest, ids(&of_b)), (1, vec!["a-1".to_owned()]));
    assert_eq!(since(&broker, &b, &pipeline, "", (&epoch, 0, 100)).await, (true, vec![1]));
}

/// A fresh broker is ready.
pub(crate) async fn broker_is_ready<B: Broker>(factory: impl Fn(MemoryConfig) -> B) {
    assert!(factory(MemoryConfig::default()).is_ready().await);
}
