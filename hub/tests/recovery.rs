//! Recovery: `since` replays exactly what was missed or says `recovered: false`; `history`
//! replays the latest N; live events that arrive during a replay come after it, never twice.

mod common;

use common::*;
use serde_json::{Value, json};

async fn publish_n(publisher: &mut Client, n: usize, subject: &str) -> Vec<Value> {
    let mut answers = Vec::new();
    for _ in 0..n {
        answers.push(publisher.publish(event("PIPELINE", subject), None).await);
    }
    answers
}

async fn epoch_of(hub: &TestHub) -> String {
    let mut probe = Client::authed(hub, &user_token("probe", "acme")).await;
    probe.subscribe(json!({"channel": "pipeline"})).await["epoch"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn since_replays_every_missed_event_in_order() {
    let hub = spawn_hub(|_| {}).await;
    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;
    publish_n(&mut publisher, 5, "p-1").await;
    let epoch = epoch_of(&hub).await;

    let mut sub = Client::authed(&hub, &user_token("u", "acme")).await;
    let subscribed = sub.subscribe(json!({"channel": "pipeline", "since": {"epoch": epoch, "offset": 2}})).await;
    assert_eq!(subscribed["recovered"], true);
    assert_eq!(subscribed["replayed"], 3);
    assert_eq!(subscribed["offset"], 5);
    for offset in 3..=5 {
        assert_eq!(sub.recv().await["offset"], offset);
    }
    publisher.publish(event("PIPELINE", "p-1"), None).await;
    assert_eq!(sub.recv().await["offset"], 6, "then live");
}

#[tokio::test]
async fn recovery_fails_loudly_for_another_epoch_a_future_offset_or_evicted_history() {
    let hub = spawn_hub(|c| c.memory.history_size = 3).await;
    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;
    publish_n(&mut publisher, 10, "p-1").await;
    let epoch = epoch_of(&hub).await;
    let mut sub = Client::authed(&hub, &user_token("u", "acme")).await;
    for since in [
        json!({"epoch": "other", "offset": 9}),
        json!({"epoch": epoch, "offset": 11}),
        json!({"epoch": epoch, "offset": 2}),
    ] {
        let subscribed = sub.subscribe(json!({"channel": "pipeline", "since": since})).await;
        assert_eq!(subscribed["recovered"], false, "{since}");
        assert_eq!(subscribed["replayed"], 0, "{since}");
    }
    // Exactly at the edge of what history holds (8, 9, 10 kept): recovered.
    let subscribed = sub.subscribe(json!({"channel": "pipeline", "since": {"epoch": epoch, "offset": 7}})).await;
    assert_eq!((subscribed["recovered"].as_bool(), subscribed["replayed"].as_u64()), (Some(true), Some(3)));
    // `since` at the latest offset: nothing missed, recovered.
    let mut caught_up = Client::authed(&hub, &user_token("u2", "acme")).await;
    let subscribed = caught_up.subscribe(json!({"channel": "pipeline", "since": {"epoch": epoch, "offset": 10}})).await;
    assert_eq!((subscribed["recovered"].as_bool(), subscribed["replayed"].as_u64()), (Some(true), Some(0)));
}

#[tokio::test]
async fn history_replays_the_latest_matching_events_and_since_wins_over_it() {
    let hub = spawn_hub(|_| {}).await;
    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;
    for i in 0..6 {
        publisher.publish(event("PIPELINE", if i % 2 == 0 { "p-1" } else { "p-2" }), None).await;
    }
    let mut sub = Client::authed(&hub, &user_token("u", "acme")).await;
    let subscribed = sub.subscribe(json!({"channel": "pipeline", "subject": "p-1", "history": 2})).await;
    assert_eq!((subscribed["recovered"].as_bool(), subscribed["replayed"].as_u64()), (Some(false), Some(2)));
    assert_eq!(sub.recv().await["offset"], 3);
    assert_eq!(sub.recv().await["offset"], 5);

    let epoch = subscribed["epoch"].clone();
    let mut other = Client::authed(&hub, &user_token("u2", "acme")).await;
    let subscribed =
        other.subscribe(json!({"channel": "pipeline", "history": 1, "since": {"epoch": epoch, "offset": 3}})).await;
    assert_eq!((subscribed["recovered"].as_bool(), subscribed["replayed"].as_u64()), (Some(true), Some(3)));
}

#[tokio::test]
async fn live_events_during_a_replay_come_after_it_never_twice() {
    let hub = spawn_hub(|_| {}).await;
    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;
    publish_n(&mut publisher, 200, "p").await;
    let epoch = epoch_of(&hub).await;

    // Keep publishing from another task while the subscriber resubscribes several times.
    let mut background = Client::authed(&hub, &publisher_token("acme")).await;
    let writer = tokio::spawn(async move {
        publish_n(&mut background, 300, "p").await;
    });
    let mut sub = Client::authed(&hub, &user_token("u", "acme")).await;
    let subscribed = sub.subscribe(json!({"channel": "pipeline", "since": {"epoch": epoch, "offset": 0}})).await;
    assert_eq!(subscribed["recovered"], true);
    writer.await.unwrap();
    let mut expected = 1;
    while expected <= 500 {
        let frame = sub.recv().await;
        assert_eq!(frame["type"], "event");
        assert_eq!(frame["offset"], expected, "every offset once, in order");
        expected += 1;
    }
    // Nothing after the last one: the next frame is the answer to a ping.
    let id = sub.request(json!({"type": "ping"})).await;
    assert_eq!(sub.recv().await["reply_to"], id);
}

#[tokio::test]
async fn duplicates_return_the_first_offset_and_are_delivered_once() {
    let hub = spawn_hub(|_| {}).await;
    let mut sub = Client::authed(&hub, &user_token("u", "acme")).await;
    sub.subscribe(json!({"channel": "pipeline"})).await;
    sub.subscribe(json!({"channel": "debug"})).await;
    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;
    let original = event("PIPELINE", "p-1");
    let first = publisher.publish(original.clone(), None).await;
    let again = publisher.publish(original.clone(), None).await;
    let elsewhere = publisher.publish(original.clone(), Some("debug")).await;
    assert_eq!((first["offset"].as_u64(), first["duplicate"].as_bool()), (Some(1), Some(false)));
    assert_eq!((again["offset"].as_u64(), again["duplicate"].as_bool()), (Some(1), Some(true)));
    assert_eq!(
        (elsewhere["channel"].as_str(), elsewhere["offset"].as_u64(), elsewhere["duplicate"].as_bool()),
        (Some("debug"), Some(1), Some(false)),
        "dedup is per (tenant, channel): the same id on another channel is another event"
    );
    let next = publisher.publish(event("PIPELINE", "p-1"), None).await;
    assert_eq!(next["offset"], 2, "a duplicate takes no offset");
    let seen: Vec<_> = [sub.recv().await, sub.recv().await, sub.recv().await]
        .iter()
        .map(|frame| (frame["channel"].as_str().unwrap().to_owned(), frame["offset"].as_u64().unwrap()))
        .collect();
    let expected = [("pipeline", 1), ("debug", 1), ("pipeline", 2)];
    assert_eq!(seen, expected.map(|(channel, offset)| (channel.to_owned(), offset)));
}

#[tokio::test]
async fn a_final_event_ends_subscriptions_to_exactly_its_subject() {
    let hub = spawn_hub(|_| {}).await;
    let mut exact = Client::authed(&hub, &user_token("u1", "acme")).await;
    exact.subscribe(json!({"channel": "pipeline", "subject": "p-1/e-1"})).await;
    let mut parent = Client::authed(&hub, &user_token("u2", "acme")).await;
    parent.subscribe(json!({"channel": "pipeline", "subject": "p-1"})).await;
    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;
    publisher.publish(final_event("PIPELINE", "p-1/e-1"), None).await;
    publisher.publish(event("PIPELINE", "p-1/e-1"), None).await;

    assert_eq!(exact.recv().await["offset"], 1);
    let ended = exact.recv().await;
    assert_eq!((ended["type"].as_str(), ended["subject"].as_str()), (Some("subject_ended"), Some("p-1/e-1")));
    let id = exact.request(json!({"type": "ping"})).await;
    assert_eq!(exact.recv().await["reply_to"], id, "offset 2 is not delivered after the end");
    // The parent subscription is a prefix, not exactly the subject: it continues.
    assert_eq!(parent.recv().await["offset"], 1);
    assert_eq!(parent.recv().await["offset"], 2);
    // A final event with subject "" ends nothing.
    let mut whole = Client::authed(&hub, &user_token("u3", "acme")).await;
    whole.subscribe(json!({"channel": "pipeline"})).await;
    publisher.publish(final_event("PIPELINE", ""), None).await;
    publisher.publish(event("PIPELINE", "x"), None).await;
    assert_eq!(whole.recv().await["offset"], 3);
    assert_eq!(whole.recv().await["offset"], 4);
}

#[tokio::test]
async fn a_replayed_final_event_ends_the_new_subscription_after_the_replay() {
    let hub = spawn_hub(|_| {}).await;
    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;
    publisher.publish(event("PIPELINE", "p-1/e-1"), None).await;
    publisher.publish(final_event("PIPELINE", "p-1/e-1"), None).await;
    let mut sub = Client::authed(&hub, &user_token("u", "acme")).await;
    let subscribed = sub.subscribe(json!({"channel": "pipeline", "subject": "p-1/e-1", "history": 10})).await;
    assert_eq!(subscribed["replayed"], 2);
    assert_eq!(sub.recv().await["offset"], 1);
    assert_eq!(sub.recv().await["offset"], 2);
    assert_eq!(sub.recv().await["type"], "subject_ended");
    publisher.publish(event("PIPELINE", "p-1/e-1"), None).await;
    let id = sub.request(json!({"type": "ping"})).await;
    assert_eq!(sub.recv().await["reply_to"], id, "no live events after the end");
}

#[tokio::test]
async fn unsubscribe_stops_delivery_and_is_answered_even_when_nothing_was_held() {
    let hub = spawn_hub(|_| {}).await;
    let mut sub = Client::authed(&hub, &user_token("u", "acme")).await;
    sub.subscribe(json!({"channel": "pipeline"})).await;
    let id = sub.request(json!({"type": "unsubscribe", "channel": "pipeline"})).await;
    let answer = sub.recv().await;
    assert_eq!((answer["type"].as_str(), answer["reply_to"].as_u64()), (Some("unsubscribed"), Some(u64::from(id))));
    let id = sub.request(json!({"type": "unsubscribe", "channel": "security", "subject": "x"})).await;
    assert_eq!(sub.recv().await["reply_to"], id);
    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;
    publisher.publish(event("PIPELINE", "p"), None).await;
    let id = sub.request(json!({"type": "ping"})).await;
    let pong = sub.recv().await;
    assert_eq!((pong["type"].as_str(), pong["reply_to"].as_u64()), (Some("pong"), Some(u64::from(id))));
}

#[tokio::test]
async fn a_replay_too_big_for_the_queue_is_refused_instead_of_overflowing() {
    let hub = spawn_hub(|c| {
        c.client_queue_bytes = 64 * 1024;
        c.max_event_bytes = 16 * 1024; // the queue must hold 4 of the largest events
    })
    .await;
    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;
    let padding = "x".repeat(2_000);
    for _ in 0..100 {
        let mut e = event("PIPELINE", "p");
        e["data"]["padding"] = json!(padding);
        publisher.publish(e, None).await; // ~200 KB of history, over 3× the queue
    }
    let epoch = epoch_of(&hub).await;
    let mut sub = Client::authed(&hub, &user_token("u", "acme")).await;
    // Recovery is all or nothing: it does not fit, so it is refused (the client resyncs)
    // and the connection lives on, instead of a 4409 that the retry would repeat forever.
    let subscribed = sub.subscribe(json!({"channel": "pipeline", "since": {"epoch": epoch, "offset": 0}})).await;
    assert_eq!((subscribed["recovered"].as_bool(), subscribed["replayed"].as_u64()), (Some(false), Some(0)));
    // `history` keeps the newest events that fit, contiguous up to the latest.
    let subscribed = sub.subscribe(json!({"channel": "pipeline", "subject": "p", "history": 100})).await;
    let replayed = subscribed["replayed"].as_u64().unwrap();
    assert!(replayed > 0 && replayed < 100, "{replayed}");
    for offset in (101 - replayed)..=100 {
        assert_eq!(sub.recv().await["offset"], offset);
    }
    let id = sub.request(json!({"type": "ping"})).await;
    assert_eq!(sub.recv().await["reply_to"], id, "still connected");
}
