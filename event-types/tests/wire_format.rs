//! Golden wire-format tests: every catalogue event and every frame has a JSON fixture in
//! `docs/protocol/fixtures/`, which must decode into the expected value and which the
//! expected value must encode back into. The TypeScript tests read the same files.
//!
//! Regenerate after a deliberate wire change with
//! `UPDATE_FIXTURES=1 cargo test -p herald-event-types --test wire_format`, then review the diff.

mod support;

use std::path::PathBuf;

use herald_event_types::frame::*;
use herald_event_types::{
    CATALOGUE, CatalogueEvent, ChannelName, ClientFrame, Envelope, EventId, ServerFrame, Timestamp,
};
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/protocol/fixtures")
}

fn updating() -> bool {
    std::env::var_os("UPDATE_FIXTURES").is_some()
}

fn read(path: &PathBuf) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e} (UPDATE_FIXTURES=1 writes it)", path.display()))
}

fn write(path: &PathBuf, json: &str) {
    let value: Value = serde_json::from_str(json).unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_string_pretty(&value).unwrap() + "\n").unwrap();
}

fn as_value(json: &str) -> Value {
    serde_json::from_str(json).unwrap()
}

fn source_of(event: &CatalogueEvent) -> &'static str {
    match event.info().category.channel_name() {
        "pipeline" => "pipeline-service",
        "security" => "security-scanner",
        "debug" => "self-healing-debugger",
        _ => "platform-monitor",
    }
}

/// The envelope a fixture must hold for `event`: its derived metadata, fixed id and time.
fn envelope_of(n: usize, event: &CatalogueEvent) -> Envelope {
    event
        .to_envelope(source_of(event))
        .unwrap()
        .with_id(EventId::from_string(format!("019ab3c4-5d6e-7f80-9a1b-{n:012}")).unwrap())
        .with_timestamp(Timestamp::parse("2026-11-22T10:00:00.123Z").unwrap())
}

#[test]
fn every_catalogue_event_round_trips_through_its_fixture() {
    let samples = support::samples::samples();
    let mut covered: Vec<_> = samples.iter().map(CatalogueEvent::event_type).collect();
    covered.sort_unstable();
    let mut catalogue: Vec<_> = CATALOGUE.iter().map(|i| i.event_type).collect();
    catalogue.sort_unstable();
    assert_eq!(covered, catalogue, "every catalogue event needs exactly one sample");

    for (n, event) in samples.iter().enumerate() {
        let path = fixtures().join(format!("events/{}.json", event.event_type()));
        let expected = envelope_of(n, event);
        if updating() {
            write(&path, &expected.to_json());
        }
        let text = read(&path);
        let decoded = Envelope::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let typed = CatalogueEvent::from_envelope(&decoded).unwrap().expect("a catalogue type");
        assert_eq!(&typed, event, "{} decodes into the sample", path.display());
        assert_eq!(
            as_value(&expected.to_json()),
            as_value(&text),
            "{}: the sample encodes into the fixture",
            path.display()
        );
    }
}

fn channel(name: &str) -> ChannelName {
    name.parse().unwrap()
}

fn sample_envelope() -> Envelope {
    let samples = support::samples::samples();
    let started = samples.iter().position(|e| e.event_type() == "pipeline_execution_started").unwrap();
    envelope_of(started, &samples[started])
}

fn client_frames() -> Vec<(&'static str, ClientFrame)> {
    vec![
        (
            "client-authenticate",
            ClientFrame::Authenticate(Authenticate { id: Some(1), token: "eyJhbGciOiJIUzI1NiJ9.e30.sig".into() }),
        ),
        (
            "client-subscribe",
            ClientFrame::Subscribe(Subscribe {
                id: Some(7),
                channel: channel("pipeline"),
                subject: "p-42".parse().unwrap(),
                since: Some(StreamPosition { epoch: "a1b2c3".into(), offset: 1040 }),
                history: None,
            }),
        ),
        (
            "client-subscribe-history",
            ClientFrame::Subscribe(Subscribe {
                id: Some(8),
                channel: channel("security"),
                subject: Default::default(),
                since: None,
                history: Some(50),
            }),
        ),
        (
            "client-unsubscribe",
            ClientFrame::Unsubscribe(Unsubscribe {
                id: Some(9),
                channel: channel("pipeline"),
                subject: "p-42".parse().unwrap(),
            }),
        ),
        ("client-publish", ClientFrame::Publish(Publish { id: Some(10), channel: None, event: sample_envelope() })),
        (
            "client-publish-channel",
            ClientFrame::Publish(Publish { id: Some(11), channel: Some(channel("builds")), event: sample_envelope() }),
        ),
        ("client-ping", ClientFrame::Ping(Ping { id: Some(12) })),
    ]
}

fn server_frames() -> Vec<(&'static str, ServerFrame)> {
    vec![
        (
            "server-authenticated",
            ServerFrame::Authenticated(Authenticated {
                reply_to: Some(1),
                connection_id: "c-9f2e".into(),
                user: User { id: "u-1".into(), org: "acme".into(), name: Some("Ada".into()) },
                heartbeat_ms: 25_000,
                expires_at: Timestamp::parse("2026-11-22T11:00:00Z").unwrap(),
            }),
        ),
        (
            "server-auth-error",
            ServerFrame::AuthError(AuthError {
                reply_to: None,
                code: AuthErrorCode::TokenExpired,
                message: "token expired".into(),
            }),
        ),
        (
            "server-subscribed",
            ServerFrame::Subscribed(Subscribed {
                reply_to: Some(7),
                channel: channel("pipeline"),
                subject: "p-42".parse().unwrap(),
                epoch: "a1b2c3".into(),
                offset: 1043,
                recovered: true,
                replayed: 3,
            }),
        ),
        (
            "server-unsubscribed",
            ServerFrame::Unsubscribed(Unsubscribed {
                reply_to: Some(9),
                channel: channel("pipeline"),
                subject: "p-42".parse().unwrap(),
            }),
        ),
        (
            "server-published",
            ServerFrame::Published(Published {
                reply_to: Some(10),
                channel: channel("pipeline"),
                offset: 1044,
                duplicate: false,
            }),
        ),
        ("server-pong", ServerFrame::Pong(Pong { reply_to: Some(12) })),
        (
            "server-error",
            ServerFrame::Error(ErrorFrame {
                reply_to: Some(8),
                code: ErrorCode::Forbidden,
                message: "no subscribe permission for security".into(),
            }),
        ),
        (
            "server-event",
            ServerFrame::Event(EventFrame { channel: channel("pipeline"), offset: 1044, event: sample_envelope() }),
        ),
        (
            "server-subject-ended",
            ServerFrame::SubjectEnded(SubjectEnded {
                channel: channel("pipeline"),
                subject: "p-42/e-7".parse().unwrap(),
            }),
        ),
    ]
}

#[test]
fn every_client_frame_round_trips_through_its_fixture() {
    for (name, frame) in client_frames() {
        let path = fixtures().join(format!("frames/{name}.json"));
        if updating() {
            write(&path, &frame.to_json());
        }
        let text = read(&path);
        assert_eq!(ClientFrame::decode(&text).unwrap(), frame, "{name} decodes");
        assert_eq!(as_value(&frame.to_json()), as_value(&text), "{name} encodes");
        assert!(frame.to_json().starts_with(r#"{"type":"#), "{name}: type comes first");
    }
}

#[test]
fn every_server_frame_round_trips_through_its_fixture() {
    for (name, frame) in server_frames() {
        let path = fixtures().join(format!("frames/{name}.json"));
        if updating() {
            write(&path, &frame.to_json());
        }
        let text = read(&path);
        assert_eq!(ServerFrame::decode(&text).unwrap(), frame, "{name} decodes");
        assert_eq!(as_value(&frame.to_json()), as_value(&text), "{name} encodes");
        assert!(frame.to_json().starts_with(r#"{"type":"#), "{name}: type comes first");
    }
}

#[test]
fn frames_whose_type_comes_last_decode() {
    // Hand-written fixtures: never regenerated.
    let text = read(&fixtures().join("frames/client-subscribe-type-last.json"));
    assert!(
        text.trim_end().trim_end_matches('}').trim_end().ends_with(r#""type": "subscribe""#),
        "type really is last"
    );
    assert_eq!(ClientFrame::decode(&text).unwrap(), client_frames()[1].1);

    let text = read(&fixtures().join("frames/server-event-type-last.json"));
    assert!(text.trim_end().trim_end_matches('}').trim_end().ends_with(r#""type": "event""#), "type really is last");
    assert_eq!(ServerFrame::decode(&text).unwrap(), server_frames()[7].1);
}

#[test]
fn event_frames_encoded_from_raw_bytes_match_the_fixture() {
    let envelope = sample_envelope();
    let raw = serde_json::value::to_raw_value(&envelope).unwrap();
    let bytes = EventFrame::encode(&channel("pipeline"), 1044, &raw);
    assert_eq!(as_value(&bytes), as_value(&read(&fixtures().join("frames/server-event.json"))));
}
