//! Reading JavaScript arguments (option objects, callbacks) into Rust values, and calling
//! back into JavaScript. Every bad argument is a `HeraldError` `invalid_argument` naming it.

use herald_subscriber::{Backoff, Client, Duration, ProtoConfig};
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::error;

pub(crate) fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub(crate) fn present(value: &JsValue) -> bool {
    !value.is_undefined() && !value.is_null()
}

pub(crate) fn string_option(object: &JsValue, key: &str) -> Result<Option<String>, JsValue> {
    let value = get(object, key);
    if !present(&value) {
        return Ok(None);
    }
    value.as_string().map(Some).ok_or_else(|| error::invalid(format_args!("{key} must be a string")))
}

pub(crate) fn count_option(object: &JsValue, key: &str) -> Result<Option<u32>, JsValue> {
    let value = get(object, key);
    if !present(&value) {
        return Ok(None);
    }
    match value.as_f64() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= f64::from(u32::MAX) => Ok(Some(n as u32)),
        _ => Err(error::invalid(format_args!("{key} must be a non-negative integer"))),
    }
}

pub(crate) fn ms_option(object: &JsValue, key: &str) -> Result<Option<Duration>, JsValue> {
    let value = get(object, key);
    if !present(&value) {
        return Ok(None);
    }
    match value.as_f64() {
        Some(ms) if ms.is_finite() && ms >= 0.0 => Ok(Some(Duration::from_millis(ms as u64))),
        _ => Err(error::invalid(format_args!("{key} must be a non-negative number of milliseconds"))),
    }
}

pub(crate) fn function_option(object: &JsValue, key: &str) -> Result<Option<Function>, JsValue> {
    let value = get(object, key);
    if !present(&value) {
        return Ok(None);
    }
    value.dyn_into::<Function>().map(Some).map_err(|_| error::invalid(format_args!("{key} must be a function")))
}

pub(crate) fn function(value: JsValue, what: &str) -> Result<Function, JsValue> {
    value.dyn_into::<Function>().map_err(|_| error::invalid(format_args!("{what} must be a function")))
}

/// Calls `callback(value)`; an exception goes to `console.error`.
pub(crate) fn call(callback: &Function, value: &JsValue) {
    if let Err(thrown) = callback.call1(&JsValue::UNDEFINED, value) {
        console("error", &JsValue::from_str("herald: a callback threw"), &thrown);
    }
}

/// `console[level](first, second)`.
pub(crate) fn console(level: &str, first: &JsValue, second: &JsValue) {
    let console = get(&js_sys::global(), "console");
    if let Ok(log) = get(&console, level).dyn_into::<Function>() {
        let _ = log.call2(&console, first, second);
    }
}

pub(crate) fn describe(value: &JsValue) -> String {
    value
        .as_string()
        .or_else(|| value.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())))
        .unwrap_or_else(|| "getToken failed".to_owned())
}

/// The client from `new HeraldClient(options)`, not connected.
pub(crate) fn build(options: &JsValue) -> Result<Client, JsValue> {
    if !options.is_object() {
        return Err(error::invalid("options must be an object: { url, token | getToken }"));
    }
    let url = string_option(options, "url")?.ok_or_else(|| error::invalid("url is required"))?;
    let token = string_option(options, "token")?;
    let get_token = function_option(options, "getToken")?;
    let mut config = ProtoConfig::default();
    let backoff = get(options, "backoff");
    if present(&backoff) {
        let base = ms_option(&backoff, "baseMs")?.unwrap_or(config.backoff.base);
        let cap = ms_option(&backoff, "capMs")?.unwrap_or(config.backoff.cap);
        config.backoff = Backoff { base, cap: cap.max(base), custom: None };
    }
    let heartbeat = get(options, "heartbeat");
    if present(&heartbeat) {
        if let Some(interval) = ms_option(&heartbeat, "intervalMs")? {
            config.heartbeat = interval;
        }
        if let Some(timeout) = ms_option(&heartbeat, "timeoutMs")? {
            config.pong_timeout = timeout;
        }
    }
    if get(options, "resyncHistory") == JsValue::FALSE {
        config.resync_history = None;
    } else if let Some(history) = count_option(options, "resyncHistory")? {
        config.resync_history = Some(history);
    }
    let builder = Client::builder(url).config(config);
    let builder = match (get_token, token) {
        (Some(get_token), _) => builder.token_provider(move || {
            let result = get_token.call0(&JsValue::UNDEFINED);
            async move {
                let value = result.map_err(|e| describe(&e))?;
                let value = JsFuture::from(Promise::resolve(&value)).await.map_err(|e| describe(&e))?;
                value.as_string().ok_or_else(|| "getToken must resolve to a string".to_owned())
            }
        }),
        (None, Some(token)) => builder.token(token),
        (None, None) => return Err(error::invalid("give token or getToken")),
    };
    Ok(builder.build())
}
