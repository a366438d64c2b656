//! The one error shape that crosses into JavaScript: an `Error` named `HeraldError` with
//! `code` (a stable string) and `retryable` (whether trying again unchanged can succeed),
//! plus `detail` (the hub's error code, when there is one), `closeCode`, and for refused
//! subscriptions `channel` / `subject`, for HTTP failures `url` / `status`.

use herald_subscriber::Error;
use js_sys::Reflect;
use wasm_bindgen::JsValue;

/// `code` of an argument the caller got wrong (bad options, invalid channel name).
pub(crate) const INVALID_ARGUMENT: &str = "invalid_argument";

/// A `HeraldError` with `code`, `retryable` and optional `detail`.
pub(crate) fn js_error(code: &str, message: &str, retryable: bool, detail: Option<&str>) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("HeraldError");
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&error, &JsValue::from_str(key), &value);
    };
    set("code", JsValue::from_str(code));
    set("retryable", JsValue::from_bool(retryable));
    if let Some(detail) = detail {
        set("detail", JsValue::from_str(detail));
    }
    error.into()
}

/// An invalid argument (never retryable).
pub(crate) fn invalid(message: impl std::fmt::Display) -> JsValue {
    js_error(INVALID_ARGUMENT, &message.to_string(), false, None)
}

/// An SDK error as a `HeraldError`. Codes: `auth`, `token`, `refused` (with `channel` and
/// `subject` for a refused subscription), `closed`, `transport`, `http` (with `url` and
/// `status`), `client_closed`, `message_too_big`, `unknown`.
pub(crate) fn from_sdk(error: &Error) -> JsValue {
    let message = error.to_string();
    let retryable = error.is_retryable();
    let mut extra: Vec<(&str, JsValue)> = Vec::new();
    let (code, detail) = match error {
        Error::Auth { code, .. } => ("auth", Some(code.to_string())),
        Error::Token(_) => ("token", None),
        Error::Refused { code, .. } => ("refused", Some(code.to_string())),
        Error::SubscribeRefused { channel, subject, code, .. } => {
            extra.push(("channel", channel.as_str().into()));
            extra.push(("subject", subject.as_str().into()));
            ("refused", Some(code.to_string()))
        }
        Error::Http { url, status, code, .. } => {
            extra.push(("url", url.as_str().into()));
            extra.push(("status", (*status).into()));
            ("http", code.as_ref().map(ToString::to_string))
        }
        Error::Closed { .. } => ("closed", None),
        Error::Transport(_) => ("transport", None),
        Error::Config(_) => ("invalid_argument", None),
        Error::ClientClosed => ("client_closed", None),
        // The hub sent more than the client's limit: it closed that connection and reconnects.
        Error::MessageTooBig { .. } => ("message_too_big", None),
        _ => ("unknown", None),
    };
    let value = js_error(code, &message, retryable, detail.as_deref());
    for (key, field) in extra {
        let _ = Reflect::set(&value, &JsValue::from_str(key), &field);
    }
    if let Some(close) = error.close_code() {
        let _ = Reflect::set(&value, &JsValue::from_str("closeCode"), &JsValue::from(close.as_u16()));
    }
    value
}
