//! Rust values → plain JavaScript objects.
//!
//! Deliveries cross as one `JSON.parse` of `{"channel","offset","epoch","replayed","event"}`: the envelope's
//! `data` is raw JSON bytes already, so this is one string copy and one native parse per
//! delivery, faster than building the object field by field through the boundary (and
//! `data` comes out as a plain object, as the hub sent it).

use herald_subscriber::{ChannelName, ConnectionState, Delivery, Envelope, User};
use js_sys::{JSON, Object, Reflect};
use wasm_bindgen::JsValue;

/// `{channel, offset, epoch, replayed, event}`; `offset` is a number (exact below 2^53).
pub(crate) fn delivery(delivery: &Delivery) -> JsValue {
    event(&delivery.channel, delivery.offset, &delivery.epoch, delivery.replayed, &delivery.event)
}

/// The same shape for any event frame (history pages).
pub(crate) fn event(channel: &ChannelName, offset: u64, epoch: &str, replayed: bool, event: &Envelope) -> JsValue {
    let quote = |text: &str| serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned());
    let json = format!(
        r#"{{"channel":{},"offset":{offset},"epoch":{},"replayed":{replayed},"event":{}}}"#,
        quote(channel.as_str()),
        quote(epoch),
        event.to_json()
    );
    JSON::parse(&json).unwrap_or(JsValue::NULL)
}

fn set(object: &Object, key: &str, value: JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(key), &value);
}

/// A connection state snapshot: `{status, attempt?, nextInMs?, code?, reason?, error?}`, frozen.
pub(crate) fn state(state: &ConnectionState) -> JsValue {
    let object = Object::new();
    match state {
        ConnectionState::Idle => set(&object, "status", "idle".into()),
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
        ConnectionState::Closed { code, reason, error } => {
            set(&object, "status", "closed".into());
            set(&object, "code", code.map_or(JsValue::NULL, |c| c.as_u16().into()));
            set(&object, "reason", reason.as_str().into());
            if let Some(error) = error {
                set(&object, "error", crate::error::from_sdk(error));
            }
        }
        _ => set(&object, "status", "unknown".into()),
    }
    Object::freeze(&object).into()
}

/// `{id, org, name?}` of the authenticated user.
pub(crate) fn user(user: &User) -> JsValue {
    let object = Object::new();
    set(&object, "id", user.id.as_str().into());
    set(&object, "org", user.org.as_str().into());
    if let Some(name) = &user.name {
        set(&object, "name", name.as_str().into());
    }
    Object::freeze(&object).into()
}

/// `{channel, subject}` of a resync notice.
pub(crate) fn resync(channel: &str, subject: &str) -> JsValue {
    let object = Object::new();
    set(&object, "channel", channel.into());
    set(&object, "subject", subject.into());
    object.into()
}
