//! The wasm driver in headless Chromium against a real hub (started by
//! `scripts/wasm-tests.sh`, which bakes its address and a token in at compile time):
//! connect, subscribe, receive, reconnect after the hub drops the connection, resume
//! without gaps or duplicates.

#![cfg(target_arch = "wasm32")]

use futures_util::StreamExt;
use herald_subscriber::proto::Backoff;
use herald_subscriber::{Client, ConnectionState, Duration, SubscriptionEvent};
use tokio::sync::mpsc;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{MessageEvent, WebSocket};

wasm_bindgen_test_configure!(run_in_browser);

// Baked in by scripts/wasm-tests.sh; without them the test fails loudly (never passes).
fn hub() -> &'static str {
    match option_env!("HERALD_TEST_HUB") {
        Some(hub) => hub,
        None => panic!("HERALD_TEST_HUB is not set: run through scripts/wasm-tests.sh"),
    }
}

fn token() -> &'static str {
    match option_env!("HERALD_TEST_TOKEN") {
        Some(token) => token,
        None => panic!("HERALD_TEST_TOKEN is not set: run through scripts/wasm-tests.sh"),
    }
}

/// Publishes `count` events on `pipeline` over a plain WebSocket; returns once all are acked.
async fn publish(tag: &str, count: u32) {
    let ws = WebSocket::new_with_str(&format!("ws://{}/ws", hub()), "herald.v1").unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let _ = tx.send(e.data().as_string().unwrap_or_default());
    });
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    let (open_tx, mut open_rx) = mpsc::unbounded_channel::<()>();
    let on_open = Closure::<dyn FnMut()>::new(move || {
        let _ = open_tx.send(());
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    open_rx.recv().await.unwrap();
    ws.send_with_str(&format!(r#"{{"type":"authenticate","token":"{}"}}"#, token())).unwrap();
    for i in 0..count {
        ws.send_with_str(&format!(
            r#"{{"type":"publish","id":{i},"event":{{"id":"{tag}-{i}","event_type":"pipeline_deleted","category":"PIPELINE","priority":"LOW","timestamp":"2026-11-22T10:00:00Z","source":"web-test","subject":"p-{i}","data":{{"pipelineId":"p-{i}"}}}}}}"#
        ))
        .unwrap();
    }
    let mut acked = 0;
    while acked < count {
        let frame = rx.recv().await.unwrap();
        assert!(!frame.contains(r#""type":"error""#), "{frame}");
        acked += u32::from(frame.contains(r#""type":"published""#));
    }
    ws.set_onmessage(None);
    ws.set_onopen(None);
    ws.close().unwrap();
}

/// Asks the hub (test route) to drop every connection with 4000, by opening a WebSocket to
/// it (a cross-origin fetch to a local address is blocked by Chromium).
fn drop_connections() {
    let _ = WebSocket::new(&format!("ws://{}/__echo/drop", hub())).unwrap();
}

async fn next_offset(sub: &mut herald_subscriber::Subscription) -> u64 {
    match sub.next().await.expect("stream open") {
        SubscriptionEvent::Event(delivery) => delivery.offset,
        other => panic!("expected an event, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn connects_receives_and_resumes_after_the_hub_drops_the_connection() {
    let backoff = Backoff { base: Duration::from_millis(50), cap: Duration::from_millis(300), custom: None };
    let client = Client::builder(format!("ws://{}/ws", hub())).token(token()).backoff(backoff).connect();
    let mut sub = client.subscribe("pipeline".parse().unwrap(), "".parse().unwrap(), Some(1000));
    client.connected().await.unwrap();

    // History replay first (whatever earlier runs left), then our events, in order.
    publish("first", 5).await;
    let mut last = 0;
    let mut seen = 0;
    while seen < 5 {
        let offset = next_offset(&mut sub).await;
        assert!(offset > last, "in order, no duplicates");
        last = offset;
        seen += 1;
    }

    let mut states = client.state_changes();
    states.borrow_and_update();
    drop_connections();
    loop {
        states.changed().await.unwrap();
        if matches!(*states.borrow(), ConnectionState::Reconnecting { .. }) {
            break;
        }
    }
    publish("second", 5).await; // while the client is away, or just back
    for _ in 0..5 {
        let offset = next_offset(&mut sub).await;
        assert_eq!(offset, last + 1, "resumed without a gap");
        last = offset;
    }
    assert_eq!(client.state(), ConnectionState::Connected);
    client.close();
}
