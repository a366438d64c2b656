//! `envelope_decode`: arbitrary bytes through the two decoding steps of an event
//! (docs/adr/0001): the envelope (`Envelope::from_slice`, `data` kept raw), then the typed
//! catalogue event (`CatalogueEvent::from_envelope`).
//!
//! Properties: no panic; an envelope that decodes re-encodes to text that decodes to an
//! equal envelope, and encoding is a fixed point; wrapped in an `event` frame by the hub's
//! byte-sharing encoder (`EventFrame::encode`) it decodes back unchanged; `from_json` and
//! `from_slice` agree. A catalogue event that decodes re-encodes (`to_data`) to `data` that
//! decodes to an equal event; an event type outside the catalogue is `Ok(None)`.
#![no_main]

use herald_event_types::frame::EventFrame;
use herald_event_types::{CATALOGUE, CatalogueEvent, ChannelName, Envelope, ServerFrame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(envelope) = Envelope::from_slice(data) else {
        if let Ok(text) = std::str::from_utf8(data) {
            assert!(Envelope::from_json(text).is_err(), "from_json accepts what from_slice refuses");
        }
        return;
    };
    if let Ok(text) = std::str::from_utf8(data) {
        assert_eq!(Envelope::from_json(text).as_ref().ok(), Some(&envelope), "from_json and from_slice disagree");
    }

    // Step one: the envelope.
    let json = envelope.to_json();
    let again = Envelope::from_json(&json).unwrap_or_else(|e| panic!("re-encoded {json} fails: {e}"));
    assert_eq!(again, envelope, "envelope changed through {json}");
    assert_eq!(again.to_json(), json, "encoding is not a fixed point");
    assert_eq!(again.data.get(), envelope.data.get(), "raw data bytes changed");

    // The hub's fan-out path: the stored envelope text inside an event frame.
    let raw = serde_json::value::RawValue::from_string(json.clone()).expect("an envelope is JSON");
    let channel = envelope.default_channel();
    let frame = EventFrame::encode(&channel, 7, &raw);
    match ServerFrame::decode(&frame) {
        Ok(ServerFrame::Event(event)) => {
            assert_eq!((event.channel, event.offset), (channel, 7));
            assert_eq!(event.event, envelope, "event frame changed the envelope");
        }
        other => panic!("event frame {frame} decodes as {other:?}"),
    }
    let _ = ChannelName::new(envelope.category.channel_name()).expect("category channels are valid");

    // Step two: the typed event.
    let in_catalogue = CATALOGUE.iter().any(|info| info.event_type == envelope.event_type);
    match CatalogueEvent::from_envelope(&envelope) {
        Ok(Some(event)) => {
            assert!(in_catalogue);
            assert_eq!(event.event_type(), envelope.event_type);
            let data = event.to_data().expect("a decoded event re-encodes");
            let mut rebuilt = envelope.clone();
            rebuilt.data = data;
            let back = CatalogueEvent::from_envelope(&rebuilt)
                .unwrap_or_else(|e| panic!("re-encoded data {} fails: {e}", rebuilt.data.get()));
            assert_eq!(back.as_ref(), Some(&event), "typed event changed through {}", rebuilt.data.get());
        }
        Ok(None) => assert!(!in_catalogue, "catalogue type {} decoded as unknown", envelope.event_type),
        Err(_) => assert!(in_catalogue, "unknown type {} refused", envelope.event_type),
    }
});
