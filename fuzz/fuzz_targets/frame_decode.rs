//! `frame_decode`: arbitrary bytes through the client and server frame decoders
//! (`ClientFrame::decode_bytes`, `ServerFrame::decode_bytes`).
//!
//! Property: no panic; a frame that decodes re-encodes (`to_json`) to text that decodes to
//! an equal frame, and re-encoding that gives the same text (encoding is a fixed point); a
//! refused client frame's `error` reply round-trips as a server frame and carries the
//! frame's `id` exactly when that id was a valid u32.
#![no_main]

use herald_event_types::{ClientFrame, ErrorCode, ServerFrame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    client(data);
    server(data);
});

fn client(data: &[u8]) {
    match ClientFrame::decode_bytes(data) {
        Ok(frame) => {
            let json = frame.to_json();
            let again = ClientFrame::decode(&json).unwrap_or_else(|e| panic!("re-encoded {json} fails: {e}"));
            assert_eq!(again, frame, "client frame changed through {json}");
            assert_eq!(again.to_json(), json, "encoding is not a fixed point");
            assert_eq!(again.id(), frame.id());
        }
        Err(error) => {
            // The hub answers with this frame: it must round-trip like any server frame.
            let reply = error.to_frame();
            let json = reply.to_json();
            assert_eq!(ServerFrame::decode(&json).as_ref(), Ok(&reply), "error reply {json}");
            assert!(matches!(error.code, ErrorCode::BadRequest | ErrorCode::UnknownType | ErrorCode::InvalidEvent));
            // Only checkable when the whole frame is a JSON object serde_json can read.
            if let (Some(id), Some(parsed)) = (error.reply_to, valid_id(data)) {
                assert_eq!(parsed, Some(id), "reply_to {id} but the frame's id differs");
            }
        }
    }
}

fn server(data: &[u8]) {
    if let Ok(frame) = ServerFrame::decode_bytes(data) {
        let json = frame.to_json();
        let again = ServerFrame::decode(&json).unwrap_or_else(|e| panic!("re-encoded {json} fails: {e}"));
        assert_eq!(again, frame, "server frame changed through {json}");
        assert_eq!(again.to_json(), json, "encoding is not a fixed point");
    }
}

/// `None` when `data` is not a JSON object; else the frame's top-level `id` when it is a
/// u32 (an independent reading of docs/protocol.md §9.2).
fn valid_id(data: &[u8]) -> Option<Option<u32>> {
    let value: serde_json::Value = serde_json::from_slice(data).ok()?;
    let object = value.as_object()?;
    Some(object.get("id").and_then(serde_json::Value::as_u64).and_then(|id| u32::try_from(id).ok()))
}
