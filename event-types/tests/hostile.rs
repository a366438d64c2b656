//! Hostile input never panics: it decodes or returns an error.

use herald_event_types::{CatalogueEvent, ClientFrame, Envelope, ErrorCode, ServerFrame};
use proptest::prelude::*;

/// Every decoder this crate exposes, on the same bytes. Must not panic.
fn decode_everything(bytes: &[u8]) {
    let _ = ClientFrame::decode_bytes(bytes);
    let _ = ServerFrame::decode_bytes(bytes);
    if let Ok(envelope) = Envelope::from_slice(bytes) {
        let _ = CatalogueEvent::from_envelope(&envelope);
        let _ = envelope.to_json();
    }
}

/// JSON-ish text built from the frames' own vocabulary, so mutations reach deep code paths.
fn json_like() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(",".to_owned()),
        Just(":".to_owned()),
        Just("\"type\"".to_owned()),
        Just("\"publish\"".to_owned()),
        Just("\"subscribe\"".to_owned()),
        Just("\"event\"".to_owned()),
        Just("\"data\"".to_owned()),
        Just("\"id\"".to_owned()),
        Just("\"channel\"".to_owned()),
        Just("\"since\"".to_owned()),
        Just("\"offset\"".to_owned()),
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("-1".to_owned()),
        Just("1e999".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("4294967296".to_owned()),
        Just("\"\\ud800\"".to_owned()),
        "[a-z_]{0,8}".prop_map(|s| format!("\"{s}\"")),
        any::<i64>().prop_map(|n| n.to_string()),
    ];
    prop::collection::vec(token, 0..64).prop_map(|tokens| tokens.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_everything(&bytes);
    }

    #[test]
    fn json_like_text_never_panics(text in json_like()) {
        decode_everything(text.as_bytes());
    }

    #[test]
    fn mutated_fixtures_never_panic(index in 0usize..64, cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/protocol/fixtures/frames");
        let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        let mut bytes = std::fs::read(&files[index % files.len()]).unwrap();
        let at = cut.index(bytes.len());
        bytes[at] = byte;
        decode_everything(&bytes);
        bytes.truncate(at);
        decode_everything(&bytes);
    }
}

#[test]
fn deep_nesting_is_skipped_or_refused_never_a_stack_overflow() {
    for depth in [200, 100_000] {
        let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        // An unknown field is skipped without recursion (docs/protocol.md §9.5 allows ignoring it).
        let frame = format!(r#"{{"type":"ping","id":1,"x":{nested}}}"#);
        assert!(matches!(ClientFrame::decode(&frame), Ok(ClientFrame::Ping(_))), "depth {depth}");
        // Deep `data` stays opaque bytes in the envelope…
        let event = format!(
            r#"{{"type":"publish","event":{{"id":"1","event_type":"pipeline_deleted","category":"PIPELINE","priority":"LOW","timestamp":"2026-11-22T10:00:00Z","source":"s","data":{{"pipelineId":{nested}}}}}}}"#
        );
        let Ok(ClientFrame::Publish(publish)) = ClientFrame::decode(&event) else { panic!("depth {depth}") };
        // …and decoding it as a typed event is an error, not a crash.
        assert!(CatalogueEvent::from_envelope(&publish.event).is_err(), "depth {depth}");
        // A known field that is deep where a string is expected is a bad request.
        let frame = format!(r#"{{"type":"subscribe","channel":{nested}}}"#);
        assert_eq!(ClientFrame::decode(&frame).unwrap_err().code, ErrorCode::BadRequest);
    }
}

#[test]
fn huge_numbers_and_wrong_types_are_bad_requests() {
    for frame in [
        r#"{"type":"subscribe","channel":"pipeline","since":{"epoch":"e","offset":18446744073709551616}}"#,
        r#"{"type":"subscribe","channel":"pipeline","history":1e999}"#,
        r#"{"type":"subscribe","channel":"pipeline","history":-1}"#,
        r#"{"type":"subscribe","channel":42}"#,
        r#"{"type":"subscribe","channel":"Pipeline"}"#,
        r#"{"type":"subscribe","channel":"pipeline","subject":"a//b"}"#,
        r#"{"type":"ping","id":4294967296}"#,
        r#"{"type":"ping","id":"7"}"#,
        r#"{"type":7}"#,
        r#"["type","ping"]"#,
        r#"{"type":"ping""#,
        "",
    ] {
        let err = ClientFrame::decode(frame).unwrap_err();
        assert_eq!(err.code, ErrorCode::BadRequest, "{frame}");
    }
    let err = ClientFrame::decode(r#"{"type":"ping","id":4294967296}"#).unwrap_err();
    assert_eq!(err.reply_to, None, "an invalid id gets no reply_to");
}

#[test]
fn error_codes_follow_the_protocol() {
    let err = ClientFrame::decode(r#"{"id":3,"type":"fly"}"#).unwrap_err();
    assert_eq!((err.code, err.reply_to), (ErrorCode::UnknownType, Some(3)));
    let err = ClientFrame::decode(r#"{"id":4,"type":"publish"}"#).unwrap_err();
    assert_eq!((err.code, err.reply_to), (ErrorCode::InvalidEvent, Some(4)));
    let err = ClientFrame::decode(r#"{"id":5,"type":"publish","event":[]}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidEvent);
    let err = ClientFrame::decode(r#"{"id":6,"type":"publish","event":{"id":"1"}}"#).unwrap_err();
    assert_eq!((err.code, err.reply_to), (ErrorCode::InvalidEvent, Some(6)));
    let err = ClientFrame::decode(r#"{"id":8,"type":"subscribe"}"#).unwrap_err();
    assert_eq!((err.code, err.reply_to), (ErrorCode::BadRequest, Some(8)));
}

#[test]
fn invalid_utf8_is_an_error() {
    assert!(ClientFrame::decode_bytes(b"{\"type\":\"ping\",\"x\":\"\xff\"}").is_err());
    assert!(Envelope::from_slice(b"\xc3\x28").is_err());
    assert!(ServerFrame::decode_bytes(b"\xf0\x28\x8c\x28").is_err());
}

#[test]
fn long_unknown_types_are_truncated_in_the_error() {
    let frame = format!(r#"{{"type":"{}"}}"#, "x".repeat(10_000));
    let err = ClientFrame::decode(&frame).unwrap_err();
    assert!(err.message.len() < 200);
}
