//! Deterministic script tests of the sans-IO core: frames in, frames, actions and events
//! out, a hand-advanced clock. The same file runs natively and on wasm32 (node).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use herald_event_types::{ClientFrame, CloseCode, ErrorCode, EventId, Timestamp};
use herald_subscriber::Error;
use herald_subscriber::proto::{Action, ClientProto, ConnectionState, ProtoConfig, ProtoEvent, Refusal};
use herald_subscriber::{Duration, Instant, SubscriptionId};

const EXPIRES_MS: u64 = 1_800_000_000_000;
const NOW_MS: u64 = EXPIRES_MS - 3_600_000; // the token has an hour left

struct Script {
    proto: ClientProto,
    now: Instant,
    sent: Vec<ClientFrame>,
    actions: Vec<Action>,
    events: Vec<ProtoEvent>,
}

impl Script {
    fn new() -> Self {
        Self::with_config(ProtoConfig::default())
    }

    fn with_config(config: ProtoConfig) -> Self {
        let now = Instant::now();
        let mut script =
            Self { proto: ClientProto::new(config, now), now, sent: vec![], actions: vec![], events: vec![] };
        script.pump();
        script
    }

    fn pump(&mut self) {
        while let Some(frame) = self.proto.poll_transmit() {
            self.sent.push(frame);
        }
        while let Some(action) = self.proto.poll_action() {
            self.actions.push(action);
        }
        while let Some(event) = self.proto.poll_event() {
            self.events.push(event);
        }
    }

    fn take_sent(&mut self) -> Vec<ClientFrame> {
        std::mem::take(&mut self.sent)
    }
    fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.actions)
    }
    fn take_events(&mut self) -> Vec<ProtoEvent> {
        std::mem::take(&mut self.events)
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        if self.proto.poll_timeout().is_some_and(|at| at <= self.now) {
            self.proto.handle_timeout(self.now);
        }
        self.pump();
    }

    /// Advances to the next timer and fires it.
    fn fire_timer(&mut self) {
        let at = self.proto.poll_timeout().expect("a timer is armed");
        self.now = self.now.max(at);
        self.proto.handle_timeout(self.now);
        self.pump();
    }

    fn recv(&mut self, json: &str) {
        self.proto.handle_text(self.now, json);
        self.pump();
    }

    /// Token → connect → authenticate → authenticated.
    fn connect(&mut self) {
        let actions = self.take_actions();
        if actions.contains(&Action::FetchToken) {
            self.proto.handle_token(self.now, Ok("token-1".into()));
            self.pump();
            assert_eq!(self.take_actions(), vec![Action::Connect]);
        } else {
            assert_eq!(actions, vec![Action::Connect]);
        }
        self.proto.handle_connected(self.now, NOW_MS);
        self.pump();
        let sent = self.take_sent();
        assert!(matches!(&sent[..], [ClientFrame::Authenticate(_)]), "{sent:?}");
        let expires = Timestamp::from_unix_millis(EXPIRES_MS);
        self.recv(&format!(
            r#"{{"type":"authenticated","connection_id":"c-1","user":{{"id":"u","org":"o"}},"heartbeat_ms":25000,"expires_at":"{expires}"}}"#
        ));
        assert_eq!(self.proto.state(), &ConnectionState::Connected);
    }

    fn closed(&mut self, code: Option<u16>) {
        self.proto.handle_closed(self.now, code.map(CloseCode::from), "test");
        self.pump();
    }

    fn subscribe(&mut self, channel: &str, subject: &str) -> SubscriptionId {
        let id = self.proto.subscribe(channel.parse().unwrap(), subject.parse().unwrap(), None);
        self.pump();
        id
    }

    /// Answers every pending `subscribe` frame with `subscribed`.
    fn answer_subscribes(&mut self, epoch: &str, latest: u64, recovered: bool, replayed: u64) -> Vec<ClientFrame> {
        let sent = self.take_sent();
        for frame in &sent {
            if let ClientFrame::Subscribe(s) = frame {
                self.recv(&format!(
                    r#"{{"type":"subscribed","reply_to":{},"channel":"{}","subject":"{}","epoch":"{epoch}","offset":{latest},"recovered":{recovered},"replayed":{replayed}}}"#,
                    s.id.unwrap(),
                    s.channel,
                    s.subject
                ));
            }
        }
        sent
    }

    fn event(&mut self, channel: &str, offset: u64, subject: &str) {
        let id = EventId::new();
        self.recv(&format!(
            r#"{{"type":"event","channel":"{channel}","offset":{offset},"event":{{"id":"{id}","event_type":"t","category":"PIPELINE","priority":"LOW","timestamp":"2026-11-22T10:00:00Z","source":"s","subject":"{subject}","data":{{}}}}}}"#
        ));
    }

    /// Offsets delivered to `id`, in order, from the events so far (consumed).
    fn delivered(&mut self) -> Vec<(u64, Vec<SubscriptionId>, bool)> {
        self.take_events()
            .into_iter()
            .filter_map(|e| match e {
                ProtoEvent::Delivered(d) => Some((d.offset, d.subscriptions, d.first)),
                _ => None,
            })
            .collect()
    }
}

fn since_of(frame: &ClientFrame) -> Option<u64> {
    match frame {
        ClientFrame::Subscribe(s) => s.since.as_ref().map(|p| p.offset),
        _ => None,
    }
}

#[test]
fn connects_authenticates_and_applies_subscriptions_made_while_offline() {
    let mut s = Script::new();
    assert_eq!(s.proto.state(), &ConnectionState::Connecting { attempt: 0 });
    let pipeline = s.subscribe("pipeline", "p-1");
    assert!(s.take_sent().is_empty(), "nothing is sent before the connection is open");
    s.connect();
    let sent = s.answer_subscribes("e1", 0, false, 0);
    assert!(matches!(&sent[..], [ClientFrame::Subscribe(sub)] if sub.since.is_none() && sub.subject.as_str() == "p-1"));
    s.take_events();
    s.event("pipeline", 1, "p-1");
    s.event("pipeline", 2, "p-1/e-2");
    assert_eq!(s.delivered(), vec![(1, vec![pipeline], true), (2, vec![pipeline], true)]);
}

#[test]
fn duplicates_and_old_offsets_are_dropped() {
    let mut s = Script::new();
    s.subscribe("pipeline", "");
    s.connect();
    s.answer_subscribes("e1", 4, false, 0);
    s.take_events();
    s.event("pipeline", 5, "a");
    s.event("pipeline", 5, "a");
    s.event("pipeline", 3, "a");
    s.event("pipeline", 6, "a");
    let offsets: Vec<u64> = s.delivered().into_iter().map(|d| d.0).collect();
    assert_eq!(offsets, vec![5, 6]);
}

#[test]
fn reconnects_with_backoff_and_resumes_from_the_last_offset() {
    let mut s = Script::new();
    let id = s.subscribe("pipeline", "");
    s.connect();
    s.answer_subscribes("e1", 0, false, 0);
    s.event("pipeline", 1, "a");
    s.event("pipeline", 2, "a");
    s.take_events();
    s.closed(Some(1001));
    let ConnectionState::Reconnecting { attempt: 1, next_in } = s.proto.state().clone() else {
        panic!("{:?}", s.proto.state())
    };
    assert!(next_in <= Duration::from_secs(1));
    s.fire_timer();
    s.connect(); // the token is kept: no FetchToken
    let sent = s.answer_subscribes("e1", 4, true, 2);
    assert_eq!(since_of(&sent[0]), Some(2), "since = last offset seen");
    s.event("pipeline", 3, "a");
    s.event("pipeline", 4, "a");
    s.event("pipeline", 5, "a");
    let delivered = s.delivered();
    assert_eq!(delivered.iter().map(|d| d.0).collect::<Vec<_>>(), vec![3, 4, 5]);
    assert!(delivered.iter().all(|d| d.1 == vec![id]));
    assert_eq!(s.proto.position(id).unwrap().offset, 5);
}

/// Subscribes `security/scan-1`, sees offset 1 of epoch e1, and reconnects into a hub that
/// lost it (epoch e2, latest offset 7). Returns the subscription and the `subscribe` sent.
fn reconnect_into_a_new_epoch(s: &mut Script) -> (SubscriptionId, Vec<ClientFrame>) {
    let id = s.subscribe("security", "scan-1");
    s.connect();
    s.answer_subscribes("e1", 0, false, 0);
    s.event("security", 1, "scan-1");
    s.closed(None);
    s.fire_timer();
    s.connect();
    s.take_events();
    let sent = s.answer_subscribes("e2", 7, false, 0); // the hub restarted: new epoch
    assert_eq!(since_of(&sent[0]), Some(1));
    (id, sent)
}

#[test]
fn a_failed_recovery_signals_resync_then_reloads_the_latest_events_as_replayed() {
    let mut s = Script::new();
    let (id, _) = reconnect_into_a_new_epoch(&mut s);
    let events = s.take_events();
    assert!(
        matches!(&events[..], [ProtoEvent::Resync { subscriptions, .. }] if subscriptions == &vec![id]),
        "{events:?}"
    );
    // At once, the core asks again for the channel's latest events (no `since`).
    let sent = s.take_sent();
    let [ClientFrame::Subscribe(reload)] = &sent[..] else { panic!("{sent:?}") };
    assert_eq!((reload.since.as_ref(), reload.history), (None, Some(100)));
    // A live event between the two answers is not delivered now: the replay carries it.
    s.event("security", 8, "scan-1");
    assert!(s.delivered().is_empty());
    s.sent = sent;
    s.answer_subscribes("e2", 8, false, 3);
    for offset in 6..=8 {
        s.event("security", offset, "scan-1");
    }
    s.event("security", 9, "scan-1");
    let delivered: Vec<_> = s
        .take_events()
        .into_iter()
        .filter_map(|e| match e {
            ProtoEvent::Delivered(d) => Some((d.offset, d.replayed, d.epoch)),
            _ => None,
        })
        .collect();
    let expected: Vec<_> = [(6, true), (7, true), (8, true), (9, false)]
        .into_iter()
        .map(|(o, r)| (o, r, std::sync::Arc::from("e2")))
        .collect();
    assert_eq!(delivered, expected);
    assert_eq!(s.proto.position(id).unwrap().offset, 9);
}

#[test]
fn with_the_reload_off_a_failed_recovery_is_a_resync_then_live() {
    let mut config = ProtoConfig::default();
    config.resync_history = None;
    let mut s = Script::with_config(config);
    let (id, _) = reconnect_into_a_new_epoch(&mut s);
    let resyncs: Vec<_> = s.take_events().into_iter().filter(|e| matches!(e, ProtoEvent::Resync { .. })).collect();
    assert!(matches!(&resyncs[..], [ProtoEvent::Resync { subscriptions, .. }] if subscriptions == &vec![id]));
    assert!(s.take_sent().is_empty(), "no reload");
    s.event("security", 8, "scan-1");
    assert_eq!(s.delivered().into_iter().map(|d| d.0).collect::<Vec<_>>(), vec![8]);
}

#[test]
fn two_subscriptions_on_one_channel_each_resume_from_their_own_position() {
    let mut s = Script::new();
    let a = s.subscribe("pipeline", "p-1");
    let b = s.subscribe("pipeline", "p-2");
    s.connect();
    s.answer_subscribes("e1", 0, false, 0);
    s.event("pipeline", 1, "p-1");
    s.event("pipeline", 2, "p-2");
    s.take_events();
    s.closed(Some(4409));
    s.fire_timer();
    s.connect();
    // Resubscribe answers come one after the other, each followed by its own replay.
    let sent = s.take_sent();
    assert_eq!(sent.len(), 2);
    for frame in &sent {
        let ClientFrame::Subscribe(sub) = frame else { panic!() };
        assert_eq!(sub.since.as_ref().unwrap().offset, 2, "both had seen the channel up to 2");
        let (replayed, events): (u64, &[(u64, &str)]) =
            if sub.subject.as_str() == "p-1" { (2, &[(3, "p-1"), (5, "p-1")]) } else { (1, &[(4, "p-2")]) };
        s.recv(&format!(
            r#"{{"type":"subscribed","reply_to":{},"channel":"pipeline","subject":"{}","epoch":"e1","offset":5,"recovered":true,"replayed":{replayed}}}"#,
            sub.id.unwrap(),
            sub.subject
        ));
        for (offset, subject) in events {
            s.event("pipeline", *offset, subject);
        }
    }
    let mut got = s.delivered();
    got.sort();
    assert_eq!(
        got,
        vec![(3, vec![a], true), (4, vec![b], true), (5, vec![a], true)],
        "p-2's replay is not hidden by p-1's"
    );
}

#[test]
fn an_overlapping_replay_reaches_its_subscription_but_is_not_first_again() {
    let mut s = Script::new();
    let all = s.subscribe("pipeline", "");
    s.connect();
    s.answer_subscribes("e1", 0, false, 0);
    s.event("pipeline", 1, "p-1");
    s.take_events();
    let p1 = s.proto.subscribe("pipeline".parse().unwrap(), "p-1".parse().unwrap(), Some(10));
    s.pump();
    s.answer_subscribes("e1", 1, false, 1);
    s.event("pipeline", 1, "p-1"); // p-1's history replay
    assert_eq!(s.delivered(), vec![(1, vec![p1], false)]);
    s.event("pipeline", 2, "p-1");
    assert_eq!(s.delivered(), vec![(2, vec![all, p1], true)]);
}

#[test]
fn unauthorized_closes_fetch_a_fresh_token_before_reconnecting() {
    let mut s = Script::new();
    s.connect();
    s.closed(Some(4401));
    s.fire_timer();
    assert_eq!(s.take_actions(), vec![Action::FetchToken]);
    s.proto.handle_token(s.now, Ok("token-2".into()));
    s.pump();
    assert_eq!(s.take_actions(), vec![Action::Connect]);
}

#[test]
fn terminal_codes_close_for_good() {
    for code in [4503, 4500, 1002, 1000] {
        let mut s = Script::new();
        s.connect();
        s.closed(Some(code));
        assert!(matches!(s.proto.state(), ConnectionState::Closed { .. }), "{code}");
        assert_eq!(s.proto.poll_timeout(), None, "{code}: nothing scheduled");
        s.advance(Duration::from_secs(3600));
        assert!(s.take_actions().is_empty(), "{code}: never reconnects");
    }
}

#[test]
fn rate_limited_waits_at_least_the_backoff_cap() {
    let mut s = Script::new();
    s.connect();
    s.closed(Some(4429));
    let ConnectionState::Reconnecting { next_in, .. } = s.proto.state().clone() else { panic!() };
    assert!(next_in >= Duration::from_secs(30));
}

#[test]
fn an_upgrade_refused_with_429_is_reported_and_waits_for_retry_after_and_the_cap() {
    let mut s = Script::new();
    let actions = s.take_actions();
    assert_eq!(actions, vec![Action::FetchToken]);
    s.proto.handle_token(s.now, Ok("token-1".into()));
    s.pump();
    assert_eq!(s.take_actions(), vec![Action::Connect]);
    // The hub answers the upgrade with 429 (an address blocked for failed authentications).
    let refusal = Refusal {
        url: "ws://hub/ws".into(),
        status: 429,
        code: Some(ErrorCode::RateLimited),
        message: "too many failed authentications from this address".into(),
        retry_after: Some(Duration::from_secs(60)),
    };
    s.proto.handle_refused(s.now, refusal);
    s.pump();
    let events = s.take_events();
    assert!(
        events.iter().any(|e| matches!(e, ProtoEvent::Error(Error::Refused { code: ErrorCode::RateLimited, .. }))),
        "{events:?}"
    );
    let ConnectionState::Reconnecting { next_in, .. } = s.proto.state().clone() else { panic!() };
    assert!(next_in >= Duration::from_secs(60), "Retry-After is honoured: {next_in:?}");
    // Nothing happens before then.
    s.advance(Duration::from_secs(59));
    assert!(s.take_actions().is_empty());

    // A 503 without Retry-After and without a Herald body: plain backoff, a transport error.
    let mut t = Script::new();
    t.take_actions();
    t.proto.handle_token(t.now, Ok("token-1".into()));
    t.pump();
    t.take_actions();
    t.proto.handle_refused(
        t.now,
        Refusal { url: "ws://hub/ws".into(), status: 503, code: None, message: String::new(), retry_after: None },
    );
    t.pump();
    assert!(t.take_events().iter().any(|e| matches!(e, ProtoEvent::Error(Error::Transport(_)))));
    let ConnectionState::Reconnecting { next_in, .. } = t.proto.state().clone() else { panic!() };
    assert!(next_in <= Duration::from_secs(1), "first attempt: at most the base delay, {next_in:?}");
}

#[test]
fn delays_grow_per_attempt_and_reset_after_a_stable_connection() {
    let mut s = Script::new();
    s.connect();
    // Short-lived connections and failed connects both count: attempts keep growing.
    let mut expected = 0u32;
    for _ in 0..6 {
        for fail_connect in [false, true] {
            if fail_connect {
                s.fire_timer();
                assert_eq!(s.take_actions(), vec![Action::Connect]);
                s.proto.handle_closed(s.now, None, "refused");
                s.pump();
            } else {
                s.closed(None);
            }
            expected += 1;
            let ConnectionState::Reconnecting { attempt, next_in } = s.proto.state().clone() else { panic!() };
            assert_eq!(attempt, expected);
            let ceiling = Duration::from_secs(1u64 << (expected - 1).min(5)).min(Duration::from_secs(30));
            assert!(next_in <= ceiling, "attempt {attempt}: {next_in:?} > {ceiling:?}");
        }
        s.fire_timer();
        s.connect();
    }
    // Stable for longer than `stable_after`: the next failure starts again at attempt 1.
    s.advance(Duration::from_secs(11));
    s.recv(r#"{"type":"pong"}"#);
    s.closed(Some(1001));
    assert!(matches!(s.proto.state(), ConnectionState::Reconnecting { attempt: 1, .. }));
}

#[test]
fn silence_triggers_a_ping_then_a_reconnect() {
    let mut s = Script::new();
    s.connect();
    s.advance(Duration::from_secs(25));
    assert!(matches!(s.take_sent()[..], [ClientFrame::Ping(_)]), "an app-level ping after heartbeat_ms of silence");
    s.advance(Duration::from_secs(10));
    let actions = s.take_actions();
    assert!(matches!(actions[..], [Action::Disconnect { .. }]), "{actions:?}");
    s.closed(None);
    assert!(matches!(s.proto.state(), ConnectionState::Reconnecting { .. }));
}

#[test]
fn an_oversize_message_from_the_hub_is_refused_with_1009_and_resumed_after_backoff() {
    let mut config = ProtoConfig::default();
    config.max_message_bytes = 4096;
    let mut s = Script::with_config(config);
    let id = s.subscribe("pipeline", "");
    s.connect();
    s.answer_subscribes("e1", 0, false, 0);
    s.event("pipeline", 1, "a");
    s.take_events();
    // Exactly at the limit: accepted (ignored, as any frame that does not decode).
    s.recv(&" ".repeat(4096));
    assert!(s.take_actions().is_empty());
    assert_eq!(s.proto.state(), &ConnectionState::Connected);
    // One byte over: refused, the connection is closed with 1009 and the error reported.
    s.recv(&" ".repeat(4097));
    let actions = s.take_actions();
    assert!(matches!(actions[..], [Action::Disconnect { code: CloseCode::MessageTooBig, .. }]), "{actions:?}");
    let errors: Vec<_> = s.take_events().into_iter().filter(|e| matches!(e, ProtoEvent::Error(_))).collect();
    assert!(
        matches!(&errors[..], [ProtoEvent::Error(herald_subscriber::Error::MessageTooBig { size: 4097, limit: 4096 })]),
        "{errors:?}"
    );
    // The driver reports the socket gone: reconnect after the backoff, resume with `since`.
    s.closed(None);
    assert!(matches!(s.proto.state(), ConnectionState::Reconnecting { attempt: 1, .. }), "{:?}", s.proto.state());
    s.fire_timer();
    s.connect();
    let sent = s.answer_subscribes("e1", 2, true, 1);
    assert_eq!(since_of(&sent[0]), Some(1), "resumed after the last event seen");
    s.event("pipeline", 2, "a");
    assert_eq!(s.delivered(), vec![(2, vec![id], true)]);
}

#[test]
fn a_transport_refusal_of_an_oversize_message_is_reported_like_a_text_one() {
    let mut s = Script::new();
    s.connect();
    s.take_events();
    s.proto.handle_message_too_big(s.now, 8 << 20);
    s.pump();
    let actions = s.take_actions();
    assert!(matches!(actions[..], [Action::Disconnect { code: CloseCode::MessageTooBig, .. }]), "{actions:?}");
    let limit = herald_subscriber::proto::DEFAULT_MAX_MESSAGE_BYTES;
    assert!(
        s.take_events().contains(&ProtoEvent::Error(herald_subscriber::Error::MessageTooBig { size: 8 << 20, limit }))
    );
    s.closed(None);
    assert!(matches!(s.proto.state(), ConnectionState::Reconnecting { .. }));
}

#[test]
fn traffic_keeps_the_connection_alive() {
    let mut s = Script::new();
    s.connect();
    for _ in 0..10 {
        s.advance(Duration::from_secs(20));
        s.proto.handle_activity(s.now);
    }
    assert_eq!(s.proto.state(), &ConnectionState::Connected);
    assert!(s.take_actions().is_empty());
}

#[test]
fn the_token_is_refreshed_in_band_before_it_expires() {
    let mut s = Script::new();
    s.connect();
    s.take_sent();
    // Expiry in an hour, margin 30 s: the refresh comes at 59 min 30 s, keeping alive meanwhile.
    while s.take_actions().is_empty() {
        s.advance(Duration::from_secs(15));
        s.proto.handle_activity(s.now);
    }
    assert!(s.proto.state().is_connected());
    s.proto.handle_token(s.now, Ok("token-2".into()));
    s.pump();
    let sent = s.take_sent();
    assert!(sent.iter().any(|f| matches!(f, ClientFrame::Authenticate(a) if a.token == "token-2")), "{sent:?}");
}

#[test]
fn ended_and_refused_subscriptions_are_not_resubscribed() {
    let mut s = Script::new();
    let ended = s.subscribe("pipeline", "p-1/e-1");
    let refused = s.subscribe("security", "");
    s.connect();
    let sent = s.take_sent();
    for frame in &sent {
        let ClientFrame::Subscribe(sub) = frame else { panic!() };
        if sub.channel.as_str() == "security" {
            s.recv(&format!(r#"{{"type":"error","reply_to":{},"code":"forbidden","message":"no"}}"#, sub.id.unwrap()));
        } else {
            s.recv(&format!(
                r#"{{"type":"subscribed","reply_to":{},"channel":"pipeline","subject":"p-1/e-1","epoch":"e","offset":0,"recovered":false,"replayed":0}}"#,
                sub.id.unwrap()
            ));
        }
    }
    s.recv(r#"{"type":"subject_ended","channel":"pipeline","subject":"p-1/e-1"}"#);
    let events = s.take_events();
    assert!(events.iter().any(|e| matches!(e, ProtoEvent::SubscribeFailed { subscriptions, error } if subscriptions == &vec![refused] && !error.is_retryable())));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ProtoEvent::SubjectEnded { subscriptions, .. } if subscriptions == &vec![ended]))
    );
    s.closed(Some(1001));
    s.fire_timer();
    s.connect();
    assert!(s.take_sent().is_empty(), "nothing left to resubscribe");
}

#[test]
fn closing_stops_everything() {
    let mut s = Script::new();
    s.connect();
    s.proto.close();
    s.pump();
    assert!(matches!(s.take_actions()[..], [Action::Disconnect { code: CloseCode::Normal, .. }]));
    s.closed(None);
    assert!(matches!(s.proto.state(), ConnectionState::Closed { .. }));
    s.advance(Duration::from_secs(600));
    assert!(s.take_actions().is_empty());
}

#[test]
fn unknown_frames_are_ignored() {
    let mut s = Script::new();
    s.connect();
    s.recv(r#"{"type":"presence","who":"x"}"#);
    s.recv("not json");
    assert!(s.proto.state().is_connected());
}

#[test]
fn a_failing_token_provider_is_retried_with_backoff() {
    let mut s = Script::new();
    assert_eq!(s.take_actions(), vec![Action::FetchToken]);
    s.proto.handle_token(s.now, Err("idp down".into()));
    s.pump();
    assert!(matches!(s.proto.state(), ConnectionState::Reconnecting { attempt: 1, .. }));
    s.fire_timer();
    assert_eq!(s.take_actions(), vec![Action::FetchToken]);
}

#[test]
fn a_connection_the_client_drops_after_being_stable_resets_the_attempt_counter() {
    let mut s = Script::new();
    s.connect();
    // Build up the attempt counter with short-lived connections.
    for _ in 0..5 {
        s.closed(None);
        s.fire_timer();
        s.connect();
    }
    // Minutes connected, then the hub falls silent: the client drops the connection itself.
    for _ in 0..10 {
        s.advance(Duration::from_secs(20));
        s.recv(r#"{"type":"pong"}"#);
    }
    s.advance(Duration::from_secs(25));
    s.advance(Duration::from_secs(10));
    assert!(matches!(s.take_actions()[..], [Action::Disconnect { .. }]));
    s.closed(None);
    let state = s.proto.state().clone();
    assert!(matches!(state, ConnectionState::Reconnecting { attempt: 1, .. }), "{state:?}");
}

/// Connects, has the token refused (`token_expired`, close 4401) and hands back the same one.
fn refuse_then_offer_the_same_token(s: &mut Script) {
    s.connect();
    s.take_events();
    s.recv(r#"{"type":"auth_error","code":"token_expired","message":"the token has expired"}"#);
    s.closed(Some(4401));
    s.fire_timer();
    assert_eq!(s.take_actions(), vec![Action::FetchToken]);
    s.proto.handle_token(s.now, Ok("token-1".into()));
    s.pump();
}

#[test]
fn a_provider_that_hands_back_the_refused_token_is_reported_and_asked_again() {
    let mut s = Script::new();
    refuse_then_offer_the_same_token(&mut s);
    assert!(s.take_actions().is_empty(), "no connection attempt with a token known to fail");
    let errors: Vec<_> =
        s.take_events().into_iter().filter(|e| matches!(e, ProtoEvent::Error(Error::Token(_)))).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(matches!(s.proto.state(), ConnectionState::Reconnecting { .. }));
    s.fire_timer();
    assert_eq!(s.take_actions(), vec![Action::FetchToken]);
    s.proto.handle_token(s.now, Ok("token-2".into()));
    s.pump();
    assert_eq!(s.take_actions(), vec![Action::Connect]);
}

#[test]
fn a_refused_fixed_token_closes_the_client_with_the_hubs_code() {
    let mut config = ProtoConfig::default();
    config.fixed_token = true;
    let mut s = Script::with_config(config);
    s.connect();
    s.take_events();
    s.recv(r#"{"type":"auth_error","code":"token_expired","message":"the token has expired"}"#);
    s.closed(Some(4401));
    // Closed at once: no reconnect, no token fetch; the refusal is reported once.
    assert!(s.take_actions().is_empty(), "no attempt with a token known to fail");
    let errors: Vec<_> = s.take_events().into_iter().filter(|e| matches!(e, ProtoEvent::Error(_))).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let ConnectionState::Closed { error: Some(Error::Auth { code, .. }), .. } = s.proto.state().clone() else {
        panic!("{:?}", s.proto.state())
    };
    assert_eq!(code.as_str(), "token_expired");
    assert_eq!(s.proto.poll_timeout(), None, "nothing is retried");
    // A different token is another matter: `open()` after a fix starts again.
    s.proto.open(s.now);
    s.pump();
    s.connect();
}

#[test]
fn an_upgrade_refused_with_404_closes_the_client_naming_the_url() {
    let mut s = Script::new();
    s.proto.handle_token(s.now, Ok("token-1".into()));
    s.pump();
    assert_eq!(s.take_actions(), vec![Action::FetchToken, Action::Connect]);
    let url = "ws://127.0.0.1:9/wrong".to_owned();
    s.proto.handle_refused(
        s.now,
        Refusal { url: url.clone(), status: 404, code: None, message: String::new(), retry_after: None },
    );
    s.pump();
    let ConnectionState::Closed { error: Some(error), .. } = s.proto.state().clone() else { panic!() };
    assert!(matches!(&error, Error::Http { status: 404, .. }), "{error:?}");
    assert!(error.to_string().contains(&url), "{error}");
    assert!(!error.is_retryable());
    assert_eq!(s.proto.poll_timeout(), None);
}

#[test]
fn the_users_own_subject_is_subscribed_once_the_hub_says_who_the_user_is() {
    let mut s = Script::new();
    let id = s.proto.subscribe_scoped("user".parse().unwrap(), herald_subscriber::Scope::User, None);
    let again = s.proto.subscribe_scoped("user".parse().unwrap(), herald_subscriber::Scope::User, None);
    s.pump();
    s.connect(); // authenticated as user `u`
    let sent = s.take_sent();
    let [ClientFrame::Subscribe(frame)] = &sent[..] else { panic!("one shared subscription: {sent:?}") };
    assert_eq!((frame.channel.as_str(), frame.subject.as_str()), ("user", "u"));
    s.sent = sent;
    s.answer_subscribes("e1", 0, false, 0);
    s.event("user", 1, "u");
    assert_eq!(s.delivered(), vec![(1, vec![id, again], true)]);
}

#[test]
fn a_replay_of_events_from_before_any_subscription_is_first() {
    let mut s = Script::new();
    let all = s.subscribe("security", ""); // e.g. a type handler's implied subscription
    s.connect();
    s.answer_subscribes("e1", 5, false, 0); // joins at offset 5: 1..=5 were never delivered
    let scan = s.proto.subscribe("security".parse().unwrap(), "scan-1".parse().unwrap(), Some(10));
    s.pump();
    s.answer_subscribes("e1", 5, false, 2);
    s.event("security", 4, "scan-1");
    s.event("security", 5, "scan-1");
    assert_eq!(s.delivered(), vec![(4, vec![scan], true), (5, vec![scan], true)], "the handlers see them once");
    s.event("security", 6, "scan-1");
    assert_eq!(s.delivered(), vec![(6, vec![all, scan], true)]);
}
