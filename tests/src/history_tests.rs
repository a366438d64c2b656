//! The checker must catch every kind of broken promise, and pass a clean history.

use super::*;

fn publish(h: &Recorder, tenant: &str, subject: &str, id: &str, ack: Option<(&str, u64)>) {
    h.publish(tenant, "pipeline", subject, id);
    if let Some((epoch, offset)) = ack {
        h.ack(id, offset, epoch);
    }
}

fn deliver(h: &Recorder, subscriber: &str, id: &str, offset: u64) {
    h.record(Record::Deliver { subscriber: subscriber.into(), channel: "pipeline".into(), id: id.into(), offset });
}

fn resync(h: &Recorder, subscriber: &str) {
    h.record(Record::Resync { subscriber: subscriber.into(), channel: "pipeline".into() });
}

/// Five acked events e1..e5 (offsets 1..5, epoch A) of tenant acme, subscriber s on acme.
fn base() -> Recorder {
    let h = Recorder::new();
    h.subscribe("s", "acme", "pipeline", "");
    for n in 1..=5 {
        publish(&h, "acme", "p-1", &format!("e{n}"), Some(("A", n)));
    }
    h
}

#[test]
fn a_complete_in_order_history_is_clean() {
    let h = base();
    for n in 1..=5 {
        deliver(&h, "s", &format!("e{n}"), n);
    }
    let report = h.check();
    report.assert_clean();
    assert_eq!((report.published, report.acked, report.delivered, report.subscribers), (5, 5, 5, 1));
}

#[test]
fn a_gap_without_resync_is_a_lost_event() {
    let h = base();
    for n in [1, 2, 4, 5] {
        deliver(&h, "s", &format!("e{n}"), n);
    }
    assert_eq!(
        h.check().violations,
        vec![Violation::Lost { subscriber: "s".into(), id: "e3".into(), epoch: "A".into(), offset: 3 }]
    );
}

#[test]
fn a_gap_after_a_resync_is_excused() {
    let h = base();
    deliver(&h, "s", "e1", 1);
    resync(&h, "s");
    deliver(&h, "s", "e4", 4);
    deliver(&h, "s", "e5", 5);
    h.check().assert_clean();
}

#[test]
fn the_tail_must_be_drained() {
    let h = base();
    for n in 1..=3 {
        deliver(&h, "s", &format!("e{n}"), n);
    }
    let lost: Vec<_> = h.check().violations.into_iter().map(|v| v.to_string()).collect();
    assert_eq!(lost.len(), 2, "{lost:?}");
}

#[test]
fn unacknowledged_publishes_need_not_arrive_but_may() {
    let h = base();
    publish(&h, "acme", "p-1", "x1", None);
    for n in 1..=5 {
        deliver(&h, "s", &format!("e{n}"), n);
    }
    h.check().assert_clean();
    deliver(&h, "s", "x1", 6);
    h.check().assert_clean();
}

#[test]
fn duplicates_reordering_and_silent_epoch_changes_are_caught() {
    let h = base();
    deliver(&h, "s", "e1", 1);
    deliver(&h, "s", "e1", 1);
    assert!(matches!(h.check().violations[0], Violation::Duplicate { .. }));

    let h = base();
    for n in [1, 3, 2, 4, 5] {
        deliver(&h, "s", &format!("e{n}"), n);
    }
    assert!(h.check().violations.iter().any(|v| matches!(v, Violation::OutOfOrder { .. })));

    let h = base();
    for n in 1..=5 {
        deliver(&h, "s", &format!("e{n}"), n);
    }
    publish(&h, "acme", "p-1", "b1", Some(("B", 1)));
    deliver(&h, "s", "b1", 1);
    assert!(h.check().violations.iter().any(|v| matches!(v, Violation::OutOfOrder { .. })), "no resync");
    let h2 = base();
    for n in 1..=5 {
        deliver(&h2, "s", &format!("e{n}"), n);
    }
    publish(&h2, "acme", "p-1", "b1", Some(("B", 1)));
    resync(&h2, "s");
    deliver(&h2, "s", "b1", 1);
    h2.check().assert_clean();
}

#[test]
fn another_tenants_event_and_invented_ones_are_caught() {
    let h = base();
    publish(&h, "evil", "p-1", "z1", Some(("A", 1)));
    for n in 1..=5 {
        deliver(&h, "s", &format!("e{n}"), n);
    }
    deliver(&h, "s", "z1", 1);
    deliver(&h, "s", "nobody", 9);
    let v = h.check().violations;
    assert!(v.contains(&Violation::CrossTenant { subscriber: "s".into(), id: "z1".into() }), "{v:?}");
    assert!(v.iter().any(|v| matches!(v, Violation::Invented { .. })), "{v:?}");

    let h = base();
    deliver(&h, "s", "e1", 2);
    assert!(matches!(h.check().violations[0], Violation::Invented { .. }), "wrong offset");
}

#[test]
fn the_subject_filter_decides_what_must_arrive() {
    let h = Recorder::new();
    h.subscribe("s", "acme", "pipeline", "p-1");
    publish(&h, "acme", "p-1", "a", Some(("A", 1)));
    publish(&h, "acme", "p-10", "b", Some(("A", 2)));
    publish(&h, "acme", "p-1/e-1", "c", Some(("A", 3)));
    deliver(&h, "s", "a", 1);
    deliver(&h, "s", "c", 3);
    h.check().assert_clean();
    deliver(&h, "s", "b", 2);
    assert!(!h.check().is_clean(), "p-10 is outside p-1");
}

#[test]
fn histories_round_trip_through_json_lines() {
    let h = base();
    deliver(&h, "s", "e1", 1);
    resync(&h, "s");
    let mut text = Vec::new();
    for record in h.records() {
        serde_json::to_writer(&mut text, &record).unwrap();
        text.push(b'\n');
    }
    assert_eq!(read_jsonl(&text[..]).unwrap(), h.records());
    let err = read_jsonl(&b"{\"op\":\"nope\"}\n"[..]).unwrap_err();
    assert!(err.to_string().starts_with("line 1:"), "{err}");
}
