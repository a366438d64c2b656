//! Rust values → plain JavaScript objects.
//!
//! Deliveries cross as one `JSON.parse` of `{"channel","offset","event"}`: the envelope's
//! `data` is raw JSON bytes already, so this is one string copy and one native parse per
//! delivery, faster than building the object field by field through the boundary (and
//! `data` comes out as a plain object, as the hub sent it).

use herald_subscriber::{ConnectionState, Delivery};
use js_sys::{JSON, Object, Reflect};
use wasm_bindgen::JsValue;

/// `{channel, offset, event}`; `offset` is a number (exact below 2^53).
pub(crate) fn delivery(delivery: &Delivery) -> JsValue {
    let channel = serde_json::to_string(delivery.channel.as_str()).unwrap_or_else(|_| "\"\"".to_owned());
    let json = format!(r#"{{"channel":{channel},"offset":{},"event":{}}}"#, delivery.offset, delivery.event.to_json());
    JSON::parse(&json).unwrap_or(JsValue::NULL)
}

fn set(object: &Object, key: &str, value: JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(key), &value);
}

/// A connection state snapshot: `{status, attempt?, nextInMs?, code?, reason?}`, frozen.
pub(crate) fn state(state: &ConnectionState) -> JsValue {
    let object = Object::new();
    match state {
        ConnectionState::Connecting { attempt } => {
            set(&object, "status", "connecting".into());
            set(&object, "attempt", (*attempt).into());
        }
        ConnectionState::Connected => set(&object, "status", "connected".into()),
        ConnectionState::Reconnecting { attempt, next_in } => {
            set(&object, "status", "reconnecting".into());
            set(&object, "attempt", (*attempt).into());
            set(&object, "nextInMs", (next_in.as_millis() as f64).into());
        }
        ConnectionState::Closed { code, reason } => {
            set(&object, "status", "closed".into());
            set(&object, "code", code.map_or(JsValue::NULL, |c| c.as_u16().into()));
            set(&object, "reason", reason.as_str().into());
        }
        _ => set(&object, "status", "unknown".into()),
    }
    Object::freeze(&object).into()
}

/// The state before `connect()`: `{status: "idle"}`.
pub(crate) fn idle() -> JsValue {
    let object = Object::new();
    set(&object, "status", "idle".into());
    Object::freeze(&object).into()
}

/// `{channel, subject}` of a resync notice.
pub(crate) fn resync(channel: &str, subject: &str) -> JsValue {
    let object = Object::new();
    set(&object, "channel", channel.into());
    set(&object, "subject", subject.into());
    object.into()
}
