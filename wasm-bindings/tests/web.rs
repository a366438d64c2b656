//! `HeraldClient` through its JavaScript-facing API, with `wasm-bindgen-test`.
//!
//! In node (no hub, no WebSocket in Node 20): options and argument errors cross as one
//! `HeraldError` shape, and the state snapshot is stable. In headless Chromium
//! (`WASM_BINDGEN_USE_BROWSER=1`, run by `scripts/npm-tests.sh` with `HERALD_TEST_HUB` and
//! `HERALD_TEST_TOKEN` baked in at compile time): connect, subscribe, receive through the
//! JS callbacks, and resume after the hub drops every connection.

#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use herald_wasm::JsClient;
use js_sys::{Function, Object, Reflect};
use tokio::sync::mpsc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{MessageEvent, WebSocket};

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap()
}

fn options(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in pairs {
        Reflect::set(&object, &JsValue::from_str(key), value).unwrap();
    }
    object.into()
}

fn callback(f: impl FnMut(JsValue) + 'static) -> Function {
    Closure::<dyn FnMut(JsValue)>::new(f).into_js_value().unchecked_into()
}

fn assert_error(error: JsValue, code: &str, retryable: bool) {
    assert!(error.is_instance_of::<js_sys::Error>(), "a JS Error");
    assert_eq!(get(&error, "name").as_string().as_deref(), Some("HeraldError"));
    assert_eq!(get(&error, "code").as_string().as_deref(), Some(code));
    assert_eq!(get(&error, "retryable").as_bool(), Some(retryable));
}

#[wasm_bindgen_test]
fn bad_options_throw_one_error_shape() {
    let error = JsClient::new(options(&[]).unchecked_into()).err().unwrap();
    assert_error(error, "invalid_argument", false);
    let error = JsClient::new(options(&[("url", "ws://x/ws".into())]).unchecked_into()).err().unwrap();
    assert_error(error, "invalid_argument", false);
    let error = JsClient::new(
        options(&[("url", "ws://x/ws".into()), ("token", "t".into()), ("backoff", options(&[("baseMs", "1".into())]))])
            .unchecked_into(),
    )
    .err()
    .unwrap();
    assert_error(error, "invalid_argument", false);
}

#[wasm_bindgen_test]
fn bad_arguments_throw_and_state_is_stable() {
    let client =
        JsClient::new(options(&[("url", "ws://127.0.0.1:1/ws".into()), ("token", "t".into())]).unchecked_into())
            .unwrap();
    let state: JsValue = client.state().into();
    assert_eq!(get(&state, "status").as_string().as_deref(), Some("idle"));
    assert!(Object::is(&state, &client.state().into()), "the same object until the state changes");
    let noop = callback(|_| {});
    let error = client
        .subscribe("Bad Channel", JsValue::UNDEFINED.unchecked_into(), noop.clone().unchecked_into())
        .err()
        .unwrap();
    assert_error(error, "invalid_argument", false);
    let error = client.on_category("NOPE", noop.clone().unchecked_into(), None).err().unwrap();
    assert_error(error, "invalid_argument", false);
    let error = client.on_event("x", JsValue::from(3).unchecked_into(), None).err().unwrap();
    assert_error(error, "invalid_argument", false);
    // Unsubscribe functions are idempotent.
    let off: Function = client.on_event("pipeline_created", noop.unchecked_into(), None).unwrap().unchecked_into();
    off.call0(&JsValue::UNDEFINED).unwrap();
    off.call0(&JsValue::UNDEFINED).unwrap();
}

fn hub() -> Option<(&'static str, &'static str)> {
    Some((option_env!("HERALD_TEST_HUB")?, option_env!("HERALD_TEST_TOKEN")?))
}

/// Opens a plain WebSocket to `url`, sends `frames` after opening, waits for `acks`
/// `published` frames, and closes.
async fn raw(url: &str, frames: Vec<String>, acks: usize) {
    let ws = WebSocket::new_with_str(url, "herald.v1").unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel::<Option<String>>();
    let open_tx = tx.clone();
    let on_open = Closure::<dyn FnMut()>::new(move || {
        let _ = open_tx.send(None);
    });
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let _ = tx.send(e.data().as_string());
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    assert_eq!(rx.recv().await.unwrap(), None, "open");
    for frame in frames {
        ws.send_with_str(&frame).unwrap();
    }
    let mut acked = 0;
    while acked < acks {
        let frame = rx.recv().await.unwrap().unwrap_or_default();
        assert!(!frame.contains(r#""type":"error""#), "{frame}");
        acked += usize::from(frame.contains(r#""type":"published""#));
    }
    ws.set_onopen(None);
    ws.set_onmessage(None);
    let _ = ws.close();
}

/// Asks the hub (test route) to close every connection with 4000, by opening a WebSocket
/// to it (no subprotocol: the route does not answer one); returns once that socket closed.
async fn drop_all(addr: &str) {
    let ws = WebSocket::new(&format!("ws://{addr}/__echo/drop")).unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel::<()>();
    let on_close = Closure::<dyn FnMut()>::new(move || {
        let _ = tx.send(());
    });
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    rx.recv().await.unwrap();
    ws.set_onclose(None);
}

async fn publish(tag: &str) {
    let (addr, token) = hub().unwrap();
    let auth = format!(r#"{{"type":"authenticate","token":"{token}"}}"#);
    let event = format!(
        r#"{{"type":"publish","id":1,"event":{{"id":"{tag}","event_type":"pipeline_deleted","category":"PIPELINE","priority":"LOW","timestamp":"2026-11-22T10:00:00Z","source":"wasm-test","subject":"p-wasm","data":{{"pipelineId":"p-wasm"}}}}}}"#
    );
    raw(&format!("ws://{addr}/ws"), vec![auth, event], 1).await;
}

async fn next(rx: &mut mpsc::UnboundedReceiver<JsValue>) -> JsValue {
    rx.recv().await.unwrap()
}

#[wasm_bindgen_test]
async fn connects_subscribes_and_receives_through_the_js_api() {
    let Some((addr, token)) = hub() else { return };
    let client = JsClient::new(
        options(&[
            ("url", format!("ws://{addr}/ws").into()),
            ("token", token.into()),
            ("backoff", options(&[("baseMs", 50.into()), ("capMs", 200.into())])),
        ])
        .unchecked_into(),
    )
    .unwrap();
    let (state_tx, mut states) = mpsc::unbounded_channel();
    let _off_state = client
        .on_state(callback(move |s| drop(state_tx.send(get(&s, "status").as_string().unwrap()))).unchecked_into());
    let (tx, mut deliveries) = mpsc::unbounded_channel();
    let by_type = Rc::new(RefCell::new(0));
    let counter = by_type.clone();
    let _off_type =
        client.on_event("pipeline_deleted", callback(move |_| *counter.borrow_mut() += 1).unchecked_into(), None);
    let _off = client
        .subscribe(
            "pipeline",
            options(&[("subject", "p-wasm".into())]).unchecked_into(),
            callback(move |d| drop(tx.send(d))).unchecked_into(),
        )
        .unwrap();
    client.connect();
    while states.recv().await.unwrap() != "connected" {}

    publish("wasm-1").await;
    let delivery = next(&mut deliveries).await;
    assert_eq!(get(&delivery, "channel").as_string().as_deref(), Some("pipeline"));
    assert!(get(&delivery, "offset").as_f64().unwrap() > 0.0);
    let event = get(&delivery, "event");
    assert_eq!(get(&event, "id").as_string().as_deref(), Some("wasm-1"));
    assert_eq!(get(&get(&event, "data"), "pipelineId").as_string().as_deref(), Some("p-wasm"));
    assert_eq!(*by_type.borrow(), 1);

    // The hub drops every connection (test route); the client reconnects and resumes.
    drop_all(addr).await;
    // Any state but `connected` (the watch may coalesce a zero-delay `reconnecting`).
    while states.recv().await.unwrap() == "connected" {}
    while states.recv().await.unwrap() != "connected" {}
    publish("wasm-2").await;
    let delivery = next(&mut deliveries).await;
    assert_eq!(get(&get(&delivery, "event"), "id").as_string().as_deref(), Some("wasm-2"));

    client.close();
    assert_eq!(get(&client.state().into(), "status").as_string().as_deref(), Some("closed"));
}
