//! The client as a Rust developer uses it, against a real hub on 127.0.0.1:0: handlers that
//! imply their subscriptions (USER → `user/<sub>`), refusals visible everywhere, a restarted
//! hub that loses nothing, permanent failures that stop, the `/ws` URL convention, history.

#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use futures_util::StreamExt;
use herald_event_types::events::UserNotification;
use herald_subscriber::{Client, ConnectionState, Error, EventCategory, HistoryQuery, SubscriptionEvent};
use serde_json::json;
use tokio::sync::mpsc;

fn notification(user: &str, n: u32) -> herald_event_types::Envelope {
    let data = json!({"userId": user, "notificationId": format!("n-{n}"),
        "notification": {"title": "t", "message": "m", "level": "info"}});
    typed_envelope("user_notification", "USER", user, data)
}

/// Publishes `envelope` until `received` yields (the subscription is live once one arrives).
async fn warm_up<T>(
    hub: &herald_hub::RunningHub,
    envelope: impl Fn(u32) -> herald_event_types::Envelope,
    received: &mut mpsc::UnboundedReceiver<T>,
) -> u32 {
    let mut n = 0;
    loop {
        n += 1;
        hub.handle().publish("acme", None, &envelope(n)).await.unwrap();
        if let Ok(Some(_)) = tokio::time::timeout(std::time::Duration::from_millis(50), received.recv()).await {
            return n;
        }
    }
}

#[tokio::test]
async fn a_user_category_handler_receives_the_users_own_notifications_with_a_default_token() {
    let hub = hub_on("127.0.0.1:0".parse().unwrap(), |_| {}).await;
    let client = Client::builder(format!("ws://{}", hub.local_addr()))
        .token(default_token_for("alice"))
        .backoff(fast_backoff())
        .connect();
    let (tx, mut received) = mpsc::unbounded_channel();
    let typed_tx = tx.clone();
    let _typed = client.on::<UserNotification>(move |n, _| {
        let _ = typed_tx.send(n.user_id);
    });
    let _category = client.on_category(EventCategory::User, move |d| {
        let _ = tx.send(d.event.subject.to_string());
    });
    let errors = Arc::new(Mutex::new(Vec::new()));
    let seen = errors.clone();
    let _errors = client.on_error(move |e| seen.lock().unwrap().push(e.to_string()));
    warm_up(&hub, |n| notification("alice", n), &mut received).await;
    // Another user's notification never arrives; alice's do, once per handler.
    hub.handle().publish("acme", None, &notification("bob", 99)).await.unwrap();
    hub.handle().publish("acme", None, &notification("alice", 100)).await.unwrap();
    let mut got = Vec::new();
    while got.len() < 2 {
        got.push(tokio::time::timeout(WAIT, received.recv()).await.unwrap().unwrap());
    }
    assert!(got.iter().all(|user| user == "alice"), "{got:?}");
    assert_eq!(client.user().map(|u| u.id), Some("alice".to_owned()));
    assert!(client.refusals().is_empty(), "{:?}", client.refusals());
    assert!(errors.lock().unwrap().is_empty(), "{:?}", errors.lock().unwrap());
}

#[tokio::test]
async fn a_refused_implied_subscription_is_visible_in_every_api() {
    let hub = hub_on("127.0.0.1:0".parse().unwrap(), |_| {}).await;
    let client = Client::builder(format!("ws://{}/ws", hub.local_addr()))
        .token(token_with("carol", &["pipeline"]))
        .backoff(fast_backoff())
        .connect();
    let (tx, mut errors) = mpsc::unbounded_channel();
    let on_error_tx = tx.clone();
    let _errors = client.on_error(move |e| {
        let _ = on_error_tx.send(("client", e.clone()));
    });
    let handler = client.on_category(EventCategory::Security, |_| {}).on_refused(move |e| {
        let _ = tx.send(("handler", e.clone()));
    });
    let mut stream = client.subscribe("security".parse().unwrap(), "".parse().unwrap(), None);
    let item = tokio::time::timeout(WAIT, stream.next()).await.unwrap().unwrap();
    let SubscriptionEvent::Failed(Error::SubscribeRefused { channel, code, .. }) = &item else { panic!("{item:?}") };
    assert_eq!((channel.as_str(), code.as_str()), ("security", "forbidden"));
    assert!(tokio::time::timeout(WAIT, stream.next()).await.unwrap().is_none(), "the stream ends");
    let mut heard = Vec::new();
    while heard.len() < 2 {
        let (who, error) = tokio::time::timeout(WAIT, errors.recv()).await.unwrap().unwrap();
        assert!(error.to_string().contains("security") && error.to_string().contains("forbidden"), "{error}");
        heard.push(who);
    }
    heard.sort_unstable();
    assert_eq!(heard, ["client", "handler"]);
    let refusals = client.refusals();
    assert!(matches!(&refusals[..], [Error::SubscribeRefused { .. }]), "{refusals:?}");
    // The refusal is in force while something still wants that subscription.
    drop(handler);
    assert_eq!(client.refusals().len(), 1, "the stream still holds it");
    drop(stream);
    assert!(client.refusals().is_empty());
    assert_eq!(client.state(), ConnectionState::Connected, "a refusal does not close the connection");
}

/// The scenario: the hub is replaced while the watcher is in backoff, and events are
/// published into the new hub (a new epoch) before the watcher is back.
async fn a_restarted_hub_loses_nothing(builder: impl FnOnce(String) -> herald_subscriber::ClientBuilder) {
    let first = hub_on("127.0.0.1:0".parse().unwrap(), |_| {}).await;
    let proxy = Proxy::start(first.local_addr()).await;
    let client = builder(format!("ws://{}", proxy.addr)).backoff(fast_backoff()).connect();
    let mut watcher = client.subscribe("pipeline".parse().unwrap(), "".parse().unwrap(), None);
    client.connected().await.unwrap();
    let (tx, mut live) = mpsc::unbounded_channel();
    let _handler = client.on_category(EventCategory::Pipeline, move |d| {
        let _ = tx.send((d.offset, d.replayed));
    });
    warm_up(&first, |n| envelope(&format!("old-{n}")), &mut live).await;
    // The hub goes away; the watcher backs off (connections refused meanwhile).
    proxy.set_upstream(None);
    proxy.cut();
    first.shutdown().await;
    let second = hub_on("127.0.0.1:0".parse().unwrap(), |_| {}).await;
    for i in 0..7 {
        second.handle().publish("acme", None, &envelope(&format!("scan-{i}"))).await.unwrap();
    }
    while live.try_recv().is_ok() {}
    proxy.set_upstream(Some(second.local_addr()));
    // Resync, then the 7 events of the new epoch (replayed), then live ones.
    loop {
        match tokio::time::timeout(WAIT, watcher.next()).await.unwrap().unwrap() {
            SubscriptionEvent::Resync => break,
            SubscriptionEvent::Event(_) | SubscriptionEvent::Closed(_) => {}
            other => panic!("{other:?}"),
        }
    }
    let mut reloaded = Vec::new();
    while reloaded.len() < 7 {
        match tokio::time::timeout(WAIT, watcher.next()).await.unwrap().unwrap() {
            SubscriptionEvent::Event(d) => reloaded.push((d.offset, d.replayed, d.event.subject.to_string())),
            other => panic!("{other:?}"),
        }
    }
    let expected: Vec<_> = (0..7).map(|i| (i + 1, true, format!("scan-{i}"))).collect();
    assert_eq!(reloaded, expected);
    second.handle().publish("acme", None, &envelope("after")).await.unwrap();
    let SubscriptionEvent::Event(d) = tokio::time::timeout(WAIT, watcher.next()).await.unwrap().unwrap() else {
        panic!()
    };
    assert_eq!((d.offset, d.replayed), (8, false));
    // The category handler saw the same: each of the 7 once, then the live one.
    let mut handled = Vec::new();
    while handled.len() < 8 {
        handled.push(tokio::time::timeout(WAIT, live.recv()).await.unwrap().unwrap());
    }
    let expected: Vec<_> = (1..=8).map(|offset| (offset, offset <= 7)).collect();
    assert_eq!(handled, expected);
}

#[tokio::test]
async fn a_restarted_hub_loses_nothing_with_a_fixed_token() {
    a_restarted_hub_loses_nothing(|url| Client::builder(url).token(token_for("w", 3600))).await;
}

#[tokio::test]
async fn a_restarted_hub_loses_nothing_with_a_token_provider() {
    a_restarted_hub_loses_nothing(|url| {
        Client::builder(url).token_provider(|| async { Ok::<_, String>(token_for("w", 3600)) })
    })
    .await;
}

#[tokio::test]
async fn a_refused_fixed_token_closes_the_client_with_the_hubs_code() {
    let hub = hub_on("127.0.0.1:0".parse().unwrap(), |_| {}).await;
    let client =
        Client::builder(format!("ws://{}", hub.local_addr())).token("not-a-jwt").backoff(fast_backoff()).connect();
    let error = tokio::time::timeout(WAIT, client.connected()).await.expect("settles in time").unwrap_err();
    let Error::Auth { code, .. } = &error else { panic!("{error:?}") };
    assert_eq!(code.as_str(), "invalid_token");
    let ConnectionState::Closed { error: Some(Error::Auth { .. }), .. } = client.state() else {
        panic!("{:?}", client.state())
    };
    // A new token, then connect(): the same client (its handlers, its subscriptions) goes on.
    client.set_token(token_for("u", 3600)).unwrap();
    client.connect();
    tokio::time::timeout(WAIT, client.connected()).await.expect("connects in time").unwrap();
}

#[tokio::test]
async fn a_wrong_path_closes_the_client_naming_the_url() {
    let hub = hub_on("127.0.0.1:0".parse().unwrap(), |_| {}).await;
    let url = format!("ws://{}/not-herald", hub.local_addr());
    let client = Client::builder(url.clone()).token(token_for("u", 3600)).backoff(fast_backoff()).connect();
    let error = tokio::time::timeout(WAIT, client.connected()).await.expect("settles in time").unwrap_err();
    assert!(matches!(error, Error::Http { status: 404, .. }), "{error:?}");
    assert!(error.to_string().contains(&url), "{error}");
}

#[tokio::test]
async fn wss_without_tls_support_closes_the_client_with_a_clear_error() {
    let client = Client::builder("wss://127.0.0.1:9").token("t").backoff(fast_backoff()).connect();
    let error = tokio::time::timeout(WAIT, client.connected()).await.expect("settles in time").unwrap_err();
    assert!(error.to_string().contains("TLS"), "{error}");
    assert!(matches!(client.state(), ConnectionState::Closed { error: Some(_), .. }));
}

#[tokio::test]
async fn history_reads_a_page_with_the_clients_token() {
    let hub = hub_on("127.0.0.1:0".parse().unwrap(), |_| {}).await;
    for i in 0..5 {
        hub.handle().publish("acme", None, &envelope(&format!("p-{i}"))).await.unwrap();
    }
    let client = Client::builder(format!("ws://{}", hub.local_addr())).token(token_for("u", 3600)).build();
    let pipeline = "pipeline".parse().unwrap();
    let page = client.history(&pipeline, &HistoryQuery::new().limit(3)).await.unwrap();
    assert_eq!(page.events.iter().map(|e| e.offset).collect::<Vec<_>>(), vec![3, 4, 5]);
    assert_eq!(page.offset, 5);
    let subject = "p-1".parse().unwrap();
    let page = client.history(&pipeline, &HistoryQuery::new().subject(subject)).await.unwrap();
    assert_eq!(page.events.len(), 1);
    // Refused: a token without the permission gets the hub's code.
    let narrow = Client::builder(format!("ws://{}", hub.local_addr())).token(token_with("u", &["security"])).build();
    let error = narrow.history(&pipeline, &HistoryQuery::new()).await.unwrap_err();
    assert!(matches!(&error, Error::Http { status: 403, code: Some(c), .. } if c.as_str() == "forbidden"), "{error:?}");
    assert_eq!(client.state(), ConnectionState::Idle, "history needs no connection");
}
