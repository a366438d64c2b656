//! The native driver against a real hub on 127.0.0.1:0.

#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use common::*;
use futures_util::StreamExt;
use herald_event_types::events::PipelineDeleted;
use herald_subscriber::{Client, ConnectionState, SubscriptionEvent};

async fn next(sub: &mut herald_subscriber::Subscription, checker: &Checker) -> SubscriptionEvent {
    let item = tokio::time::timeout(WAIT, sub.next()).await.expect("an item in time").expect("stream open");
    checker.record("pipeline", &item);
    item
}

async fn next_event(sub: &mut herald_subscriber::Subscription, checker: &Checker) -> u64 {
    loop {
        if let SubscriptionEvent::Event(d) = next(sub, checker).await {
            return d.offset;
        }
    }
}

#[tokio::test]
async fn subscribes_receives_and_routes_typed_events() {
    let hub = hub_on("127.0.0.1:0".parse().unwrap(), |_| {}).await;
    let client = client(&format!("ws://{}/ws", hub.local_addr()));
    let typed = Arc::new(AtomicU32::new(0));
    let counter = typed.clone();
    let _handler = client.on::<PipelineDeleted>(move |event, _| {
        assert!(event.pipeline_id.starts_with("p-"));
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let checker = Checker::default();
    let mut sub = client.subscribe("pipeline".parse().unwrap(), "".parse().unwrap(), None);
    client.connected().await.unwrap();
    // Publish only once the subscription is live: the first `subscribed` is on the wire
    // before any event, so wait for a warm-up event to arrive.
    let handle = hub.handle();
    let mut published = 0;
    let first = loop {
        published += 1;
        handle.publish("acme", None, &envelope(&format!("p-{published}"))).await.unwrap();
        if let Ok(Some(item)) = tokio::time::timeout(std::time::Duration::from_millis(50), sub.next()).await {
            checker.record("pipeline", &item);
            break item;
        }
    };
    let SubscriptionEvent::Event(first) = first else { panic!("{first:?}") };
    for i in 0..20 {
        handle.publish("acme", None, &envelope(&format!("p-x{i}"))).await.unwrap();
    }
    let mut last = first.offset;
    while last < published + 20 {
        last = next_event(&mut sub, &checker).await;
    }
    checker.assert_contract("pipeline");
    assert!(typed.load(Ordering::SeqCst) >= 21, "typed handler ran for each delivered event");
    client.close();
}

#[tokio::test]
async fn a_dropped_connection_resumes_gaplessly_without_duplicates() {
    let hub = hub_on("127.0.0.1:0".parse().unwrap(), |_| {}).await;
    let proxy = Proxy::start(hub.local_addr()).await;
    let client = client(&format!("ws://{}/ws", proxy.addr));
    let transitions = Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = transitions.clone();
    let _on_state = client.on_state(move |state| record.lock().unwrap().push(state.clone()));
    let checker = Checker::default();
    let mut sub = client.subscribe("pipeline".parse().unwrap(), "".parse().unwrap(), Some(1000));
    client.connected().await.unwrap();
    let handle = hub.handle();
    for i in 0..10 {
        handle.publish("acme", None, &envelope(&format!("p-{i}"))).await.unwrap();
    }
    for expected in 1..=10 {
        assert_eq!(next_event(&mut sub, &checker).await, expected);
    }
    // Cut the network, publish while the client is away, let it come back.
    let mut states = client.state_changes();
    proxy.cut();
    while states.borrow_and_update().is_connected() {
        tokio::time::timeout(WAIT, states.changed()).await.unwrap().unwrap();
    }
    for i in 10..30 {
        handle.publish("acme", None, &envelope(&format!("p-{i}"))).await.unwrap();
    }
    for expected in 11..=30 {
        assert_eq!(next_event(&mut sub, &checker).await, expected, "missed events replayed in order");
    }
    assert_eq!(checker.resyncs("pipeline"), 0, "history survived: no resync");
    checker.assert_contract("pipeline");
    // Every transition was reported, in order: up, down (with a backoff), up again.
    let seen = transitions.lock().unwrap().clone();
    let first_up = seen.iter().position(|s| *s == ConnectionState::Connected).expect("connected");
    let down =
        seen[first_up..].iter().position(|s| matches!(s, ConnectionState::Reconnecting { .. })).expect("reconnecting");
    assert!(seen[first_up + down..].contains(&ConnectionState::Connected), "{seen:?}");
}

#[tokio::test]
async fn a_restarted_hub_without_history_is_a_resync_then_live() {
    let first = hub_on("127.0.0.1:0".parse().unwrap(), |_| {}).await;
    let addr = first.local_addr();
    let client = client(&format!("ws://{addr}/ws"));
    let checker = Checker::default();
    let mut sub = client.subscribe("pipeline".parse().unwrap(), "".parse().unwrap(), Some(100));
    client.connected().await.unwrap();
    first.handle().publish("acme", None, &envelope("p-1")).await.unwrap();
    assert_eq!(next_event(&mut sub, &checker).await, 1);

    first.shutdown().await; // clients get 1001 and reconnect with jitter
    let second = hub_on(addr, |_| {}).await;
    // The new hub has a new epoch and no history: the subscription must say so.
    let item = next(&mut sub, &checker).await;
    assert_eq!(item, SubscriptionEvent::Resync, "a resync comes first");
    second.handle().publish("acme", None, &envelope("p-2")).await.unwrap();
    assert_eq!(next_event(&mut sub, &checker).await, 1, "then live events of the new epoch");
    checker.assert_contract("pipeline");
}

#[tokio::test]
async fn tokens_are_refreshed_in_band_before_they_expire() {
    let hub = hub_on("127.0.0.1:0".parse().unwrap(), |c| c.token_grace = std::time::Duration::ZERO).await;
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let client = Client::builder(format!("ws://{}/ws", hub.local_addr()))
        .token_provider(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { Ok::<_, String>(token_for("u-1", 2)) }
        })
        .backoff(fast_backoff())
        .connect();
    client.connected().await.unwrap();
    let mut states = client.state_changes();
    states.borrow_and_update();
    // Outlive two token lifetimes: refreshed in-band, never disconnected.
    while calls.load(Ordering::SeqCst) < 4 {
        tokio::select! {
            changed = states.changed() => {
                changed.unwrap();
                panic!("state changed to {:?}: the token should have been refreshed in band", *states.borrow());
            }
            () = tokio::time::sleep(std::time::Duration::from_millis(100)) => {}
        }
    }
    assert_eq!(client.state(), ConnectionState::Connected);
}

#[tokio::test]
async fn close_stops_a_client_that_keeps_retrying() {
    let hub = hub_on("127.0.0.1:0".parse().unwrap(), |_| {}).await;
    let client = Client::builder(format!("ws://{}/ws", hub.local_addr()))
        .token_provider(|| async { Ok::<_, String>("not-a-jwt".to_owned()) })
        .backoff(fast_backoff())
        .connect();
    // A bad token from a provider is 4401, then the provider is asked again (it might have a
    // better one) with backoff; the client never stops on its own, so close it and check it
    // stays closed.
    let mut states = client.state_changes();
    while !matches!(*states.borrow_and_update(), ConnectionState::Reconnecting { .. }) {
        tokio::time::timeout(WAIT, states.changed()).await.unwrap().unwrap();
    }
    client.close();
    while !matches!(*states.borrow_and_update(), ConnectionState::Closed { .. }) {
        tokio::time::timeout(WAIT, states.changed()).await.unwrap().unwrap();
    }
    assert!(client.connected().await.is_err());
}

#[tokio::test]
async fn streams_are_told_when_the_client_closes_and_resume_after_connect() {
    let hub = hub_on("127.0.0.1:0".parse().unwrap(), |_| {}).await;
    let client = client(&format!("ws://{}/ws", hub.local_addr()));
    let checker = Checker::default();
    let mut sub = client.subscribe("pipeline".parse().unwrap(), "".parse().unwrap(), None);
    client.connected().await.unwrap();
    let handle = hub.handle();
    // Warm up: the subscription is live once an event arrives.
    let mut published = 0;
    loop {
        published += 1;
        handle.publish("acme", None, &envelope(&format!("p-{published}"))).await.unwrap();
        if let Ok(Some(item)) = tokio::time::timeout(std::time::Duration::from_millis(50), sub.next()).await {
            checker.record("pipeline", &item);
            break;
        }
    }
    client.close();
    // The stream is told (the application closed it: no error), and stays open.
    loop {
        match next(&mut sub, &checker).await {
            SubscriptionEvent::Closed(None) => break,
            SubscriptionEvent::Event(_) => {}
            other => panic!("{other:?}"),
        }
    }
    // Events published while closed arrive after `connect()`: resumed with `since`.
    for i in 0..5 {
        handle.publish("acme", None, &envelope(&format!("q-{i}"))).await.unwrap();
    }
    client.connect();
    client.connected().await.unwrap();
    while next_event(&mut sub, &checker).await < published + 5 {}
    checker.assert_contract("pipeline");
    assert_eq!(checker.resyncs("pipeline"), 0);
}

#[tokio::test]
async fn an_upgrade_refused_with_429_is_reported_as_rate_limited_and_waits_the_cap() {
    // One connection per address: a second one from 127.0.0.1 gets 429 before the upgrade.
    let hub = hub_on("127.0.0.1:0".parse().unwrap(), |c| c.max_connections_per_ip = 1).await;
    let url = format!("ws://{}/ws", hub.local_addr());
    let (_holder, _) = tokio_tungstenite::connect_async(url.as_str()).await.expect("the first connection");
    let client = client(&url);
    let (errors_tx, mut errors) = tokio::sync::mpsc::unbounded_channel();
    let _handler = client.on_error(move |error| {
        let _ = errors_tx.send(error.clone());
    });
    let mut states = client.state_changes();
    let error = tokio::time::timeout(WAIT, errors.recv()).await.expect("an error in time").expect("an error");
    let herald_subscriber::Error::Refused { code, message } = &error else { panic!("{error:?}") };
    assert_eq!(code.as_str(), "rate_limited");
    assert!(message.contains("too many connections"), "the hub's message: {message}");
    // It waits at least the backoff cap (200 ms in these tests), as after close 4429.
    let next_in = tokio::time::timeout(WAIT, async {
        loop {
            if let ConnectionState::Reconnecting { next_in, .. } = states.borrow_and_update().clone() {
                return next_in;
            }
            states.changed().await.unwrap();
        }
    })
    .await
    .expect("reconnecting in time");
    assert!(next_in >= fast_backoff().cap, "{next_in:?}");
    client.close();
}
