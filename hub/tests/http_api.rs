//! The HTTP API with a real client: publishing (single, batch, idempotent, rate limited,
//! refused), history paging and recovery, health, readiness and metrics.

mod common;

use common::*;
use serde_json::{Value, json};

/// `POST /api/v1/publish` with `body` (and a bearer token); the status and the JSON body.
async fn publish(hub: &TestHub, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(hub.http("/api/v1/publish")).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("publish request");
    (response.status().as_u16(), response.json().await.expect("JSON body"))
}

/// `GET /api/v1/channels/{channel}/history` with `query`; the status and the JSON body.
async fn history(hub: &TestHub, token: Option<&str>, channel: &str, query: &[(&str, &str)]) -> (u16, Value) {
    let mut request = reqwest::Client::new().get(hub.http(&format!("/api/v1/channels/{channel}/history"))).query(query);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("history request");
    (response.status().as_u16(), response.json().await.expect("JSON body"))
}

/// Asserts an error answer: `status`, and a body of exactly `{"code", "message"}`.
#[track_caller]
fn assert_error((status, body): (u16, Value), expected_status: u16, code: &str) {
    assert_eq!(status, expected_status, "{body}");
    let fields = body.as_object().expect("object body");
    assert_eq!(fields.len(), 2, "only code and message: {body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
}

/// The offsets of a history answer's events, checking each item's shape.
fn offsets(body: &Value) -> Vec<u64> {
    let events = body["events"].as_array().expect("events array");
    events
        .iter()
        .map(|item| {
            assert!(item["event"].is_object(), "each item has the event: {item}");
            item["offset"].as_u64().expect("each item has an offset")
        })
        .collect()
}

/// The value of one sample line (`name` includes any labels).
fn sample(text: &str, name: &str) -> f64 {
    let line = text.lines().find(|l| l.rsplit_once(' ').is_some_and(|(n, _)| n == name));
    let line = line.unwrap_or_else(|| panic!("no sample {name} in\n{text}"));
    line.rsplit_once(' ').unwrap().1.parse().expect("numeric sample")
}

async fn metrics(hub: &TestHub) -> String {
    let response = reqwest::get(hub.http("/metrics")).await.expect("metrics request");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn publishing_one_event_returns_its_offset_and_reaches_subscribers() {
    let hub = spawn_hub(|_| {}).await;
    let mut subscriber = Client::authed(&hub, &user_token("u", "acme")).await;
    subscriber.subscribe(json!({"channel": "pipeline"})).await;
    let event = event("PIPELINE", "p-1");
    let (status, body) = publish(&hub, Some(&publisher_token("acme")), &json!({"event": event})).await;
    assert_eq!(status, 200, "{body}");
    let results = body["results"].as_array().expect("results");
    assert_eq!(results.len(), 1);
    assert_eq!((results[0]["offset"].as_u64(), results[0]["duplicate"].as_bool()), (Some(1), Some(false)));
    let frame = subscriber.recv().await;
    assert_eq!((frame["type"].as_str(), frame["offset"].as_u64()), (Some("event"), Some(1)));
    assert_eq!(frame["event"], event);
}

#[tokio::test]
async fn batch_items_choose_their_channel_and_results_follow_the_request_order() {
    let hub = spawn_hub(|c| c.channels.push("builds".parse().unwrap())).await;
    let token = publisher_token("acme");
    let mut bare = event("PIPELINE", "b-1");
    bare["channel"] = json!("builds");
    let wrapped = event("SECURITY", "b-2");
    let default = event("PIPELINE", "p-1");
    let mut last = event("DEBUG", "b-3");
    last["channel"] = json!("builds");
    let batch = json!({"events": [bare, {"channel": "builds", "event": wrapped}, default, last]});
    let (status, body) = publish(&hub, Some(&token), &batch).await;
    assert_eq!(status, 200, "{body}");
    let results: Vec<_> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["channel"].as_str().unwrap().to_owned(), r["offset"].as_u64().unwrap(), r["duplicate"].clone()))
        .collect();
    let expected = [("builds", 1), ("builds", 2), ("pipeline", 1), ("builds", 3)];
    let expected: Vec<_> = expected.iter().map(|(c, o)| ((*c).to_owned(), *o, json!(false))).collect();
    assert_eq!(results, expected);

    // The item's own "channel" routes it and is not forwarded inside the event.
    let (status, builds) = history(&hub, Some(&token), "builds", &[]).await;
    assert_eq!(status, 200, "{builds}");
    assert_eq!(offsets(&builds), [1, 2, 3]);
    let subjects: Vec<_> = builds["events"].as_array().unwrap().iter().map(|i| i["event"]["subject"].clone()).collect();
    assert_eq!(subjects, [json!("b-1"), json!("b-2"), json!("b-3")]);
    assert!(builds["events"][0]["event"].get("channel").is_none(), "{builds}");
    assert_eq!(builds["events"][1]["event"], wrapped);
}

#[tokio::test]
async fn a_batch_with_one_invalid_or_forbidden_event_publishes_nothing() {
    let hub = spawn_hub(|_| {}).await;
    let token = publisher_token("acme");
    let mut invalid = event("PIPELINE", "p-2");
    invalid.as_object_mut().unwrap().remove("source");
    let batch = json!({"events": [event("PIPELINE", "p-1"), invalid, event("PIPELINE", "p-3")]});
    assert_error(publish(&hub, Some(&token), &batch).await, 400, "invalid_event");

    let scoped = self::token(&claims("svc", "acme", json!({"publish": ["pipeline/p-1"], "subscribe": ["*"]})));
    let batch = json!({"events": [event("PIPELINE", "p-1"), event("PIPELINE", "p-2")]});
    assert_error(publish(&hub, Some(&scoped), &batch).await, 403, "forbidden");

    let (status, body) = history(&hub, Some(&token), "pipeline", &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["offset"], 0, "nothing was published: {body}");
    assert_eq!(offsets(&body), Vec::<u64>::new());
    // The next accepted event gets offset 1: no offset was used up.
    let (_, accepted) = publish(&hub, Some(&token), &json!({"event": event("PIPELINE", "p-1")})).await;
    assert_eq!(accepted["results"][0]["offset"], 1);
}

#[tokio::test]
async fn publish_refusals_have_their_status_and_a_json_error_body() {
    let hub = spawn_hub(|_| {}).await;
    let body = json!({"event": event("PIPELINE", "p")});
    assert_error(publish(&hub, None, &body).await, 401, "not_authenticated");
    let forged = herald_hub::auth::mint_hs256(b"wrong-secret", &claims("svc", "acme", json!({"publish": ["*"]})));
    assert_error(publish(&hub, Some(&forged), &body).await, 401, "invalid_token");
    let expired = token(&claims("svc", "acme", json!({"publish": ["*"], "exp": now_secs() - 600})));
    assert_error(publish(&hub, Some(&expired), &body).await, 401, "token_expired");
    assert_error(publish(&hub, Some(&user_token("u", "acme")), &body).await, 403, "forbidden");

    let publisher = publisher_token("acme");
    let unknown = json!({"channel": "nope", "event": event("PIPELINE", "p")});
    assert_error(publish(&hub, Some(&publisher), &unknown).await, 404, "channel_not_found");
    let bad_name = json!({"channel": "Bad!", "event": event("PIPELINE", "p")});
    assert_error(publish(&hub, Some(&publisher), &bad_name).await, 400, "bad_request");
    let mut bad_event = event("PIPELINE", "p");
    bad_event["priority"] = json!("URGENT");
    assert_error(publish(&hub, Some(&publisher), &json!({"event": bad_event})).await, 400, "invalid_event");
    assert_error(publish(&hub, Some(&publisher), &json!({"event": 5})).await, 400, "invalid_event");
    let response = reqwest::Client::new()
        .post(hub.http("/api/v1/publish"))
        .bearer_auth(&publisher)
        .body("{not json")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_error((status, response.json().await.unwrap()), 400, "bad_request");

    // None of the refusals published anything.
    let (_, body) = history(&hub, Some(&publisher), "pipeline", &[]).await;
    assert_eq!(body["offset"], 0, "{body}");
}

#[tokio::test]
async fn a_body_over_max_http_body_bytes_is_413_too_large() {
    let hub = spawn_hub(|c| c.max_http_body_bytes = 1024).await;
    let token = publisher_token("acme");
    let mut big = event("PIPELINE", "p");
    big["data"] = json!({"padding": "x".repeat(2048)});
    assert_error(publish(&hub, Some(&token), &json!({"event": big})).await, 413, "too_large");
    // A body under the limit is accepted, and the refused one was not published.
    let (status, body) = publish(&hub, Some(&token), &json!({"event": event("PIPELINE", "p")})).await;
    assert_eq!((status, body["results"][0]["offset"].as_u64()), (200, Some(1)), "{body}");
}

#[tokio::test]
async fn rate_limited_publishes_get_429_and_are_never_silently_dropped() {
    let hub = spawn_hub(|c| c.publish_rate = 5).await;
    let token = publisher_token("acme");
    // A batch larger than the burst can never pass, and takes nothing from the bucket.
    let six: Vec<Value> = (0..6).map(|_| event("PIPELINE", "p")).collect();
    assert_error(publish(&hub, Some(&token), &json!({"events": six})).await, 429, "rate_limited");

    let five: Vec<Value> = (0..5).map(|_| event("PIPELINE", "p")).collect();
    let (status, body) = publish(&hub, Some(&token), &json!({"events": five})).await;
    assert_eq!(status, 200, "{body}");
    let sixth = event("PIPELINE", "p");
    assert_error(publish(&hub, Some(&token), &json!({"event": sixth})).await, 429, "rate_limited");

    let (_, body) = history(&hub, Some(&token), "pipeline", &[]).await;
    assert_eq!(offsets(&body), [1, 2, 3, 4, 5]);
    let ids: Vec<_> = body["events"].as_array().unwrap().iter().map(|i| i["event"]["id"].clone()).collect();
    assert_eq!(ids, five.iter().map(|e| e["id"].clone()).collect::<Vec<_>>(), "the accepted five, in order");
    assert!(!ids.contains(&sixth["id"]));
}

#[tokio::test]
async fn a_repeated_event_id_gets_the_first_offset_and_is_delivered_once() {
    let hub = spawn_hub(|_| {}).await;
    let mut subscriber = Client::authed(&hub, &user_token("u", "acme")).await;
    subscriber.subscribe(json!({"channel": "pipeline"})).await;
    let token = publisher_token("acme");
    let first = event("PIPELINE", "p-1");
    let (_, body) = publish(&hub, Some(&token), &json!({"event": first})).await;
    assert_eq!(
        (body["results"][0]["offset"].as_u64(), body["results"][0]["duplicate"].as_bool()),
        (Some(1), Some(false))
    );
    let (status, body) = publish(&hub, Some(&token), &json!({"event": first})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["results"][0]["offset"].as_u64(), body["results"][0]["duplicate"].as_bool()),
        (Some(1), Some(true))
    );
    // Twice in one batch: stored once.
    let second = event("PIPELINE", "p-2");
    let (_, body) = publish(&hub, Some(&token), &json!({"events": [second, second]})).await;
    let results: Vec<_> =
        body["results"].as_array().unwrap().iter().map(|r| (r["offset"].clone(), r["duplicate"].clone())).collect();
    assert_eq!(results, [(json!(2), json!(false)), (json!(2), json!(true))]);
    let marker = event("PIPELINE", "p-3");
    publish(&hub, Some(&token), &json!({"event": marker})).await;

    for (offset, id) in [(1, &first["id"]), (2, &second["id"]), (3, &marker["id"])] {
        let frame = subscriber.recv().await;
        assert_eq!((&frame["offset"], &frame["event"]["id"]), (&json!(offset), id), "{frame}");
    }
}

#[tokio::test]
async fn history_returns_the_latest_events_oldest_first_and_resumes_after_an_offset() {
    let hub = spawn_hub(|_| {}).await;
    let token = publisher_token("acme");
    let events: Vec<Value> = (1..=5).map(|i| event("PIPELINE", &format!("p-{i}"))).collect();
    publish(&hub, Some(&token), &json!({"events": events})).await;

    let (status, latest) = history(&hub, Some(&token), "pipeline", &[("limit", "3")]).await;
    assert_eq!(status, 200, "{latest}");
    assert_eq!(offsets(&latest), [3, 4, 5]);
    assert_eq!(latest["events"][0]["event"], events[2]);
    assert_eq!((latest["offset"].as_u64(), latest["recovered"].as_bool()), (Some(5), Some(false)));
    let epoch = latest["epoch"].as_str().expect("epoch").to_owned();
    assert!(!epoch.is_empty());

    let (_, since) = history(&hub, Some(&token), "pipeline", &[("since_offset", "2"), ("epoch", &epoch)]).await;
    assert_eq!(offsets(&since), [3, 4, 5]);
    assert_eq!((since["recovered"].as_bool(), since["epoch"].as_str()), (Some(true), Some(epoch.as_str())));
    // A page shorter than what follows still means continuity.
    let page = [("since_offset", "1"), ("epoch", epoch.as_str()), ("limit", "2")];
    let (_, page) = history(&hub, Some(&token), "pipeline", &page).await;
    assert_eq!((offsets(&page), page["recovered"].as_bool()), (vec![2, 3], Some(true)));
    // Up to date: recovered with nothing to replay.
    let (_, current) = history(&hub, Some(&token), "pipeline", &[("since_offset", "5"), ("epoch", &epoch)]).await;
    assert_eq!((offsets(&current), current["recovered"].as_bool()), (vec![], Some(true)));

    let (_, wrong) =
        history(&hub, Some(&token), "pipeline", &[("since_offset", "2"), ("epoch", "not-the-epoch")]).await;
    assert_eq!(wrong["recovered"], false, "{wrong}");
    assert_eq!(wrong["epoch"], epoch.as_str());
    let (_, beyond) = history(&hub, Some(&token), "pipeline", &[("since_offset", "99"), ("epoch", &epoch)]).await;
    assert_eq!(beyond["recovered"], false, "{beyond}");
}

#[tokio::test]
async fn history_filters_by_subject_prefix_on_whole_segments() {
    let hub = spawn_hub(|_| {}).await;
    let token = publisher_token("acme");
    let subjects = ["p-1", "p-1/e-1", "p-10", "p-2", "p-1/e-2/s-1"];
    let events: Vec<Value> = subjects.iter().map(|s| event("PIPELINE", s)).collect();
    publish(&hub, Some(&token), &json!({"events": events})).await;
    let (status, body) = history(&hub, Some(&token), "pipeline", &[("subject", "p-1")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(offsets(&body), [1, 2, 5]);
    assert_eq!(body["offset"], 5, "top-level offset is the channel's latest");
    let (_, body) = history(&hub, Some(&token), "pipeline", &[("subject", "p-1/e-1")]).await;
    assert_eq!(offsets(&body), [2]);
    // `limit` counts matching events: the latest two of subject p-1, not of the channel.
    let (_, body) = history(&hub, Some(&token), "pipeline", &[("subject", "p-1"), ("limit", "2")]).await;
    assert_eq!(offsets(&body), [2, 5]);
}

#[tokio::test]
async fn history_pages_default_to_100_and_are_capped_at_1000() {
    let hub = spawn_hub(|c| {
        c.memory.history_size = 2000;
        c.publish_rate = 100_000;
    })
    .await;
    let token = publisher_token("acme");
    let first: Vec<Value> = (0..1000).map(|_| event("SYSTEM", "s")).collect();
    assert_eq!(publish(&hub, Some(&token), &json!({"events": first})).await.0, 200);
    let rest: Vec<Value> = (0..5).map(|_| event("SYSTEM", "s")).collect();
    assert_eq!(publish(&hub, Some(&token), &json!({"events": rest})).await.0, 200);

    let (_, capped) = history(&hub, Some(&token), "system", &[("limit", "5000")]).await;
    assert_eq!(offsets(&capped), (6..=1005).collect::<Vec<u64>>());
    let (_, default) = history(&hub, Some(&token), "system", &[]).await;
    assert_eq!(offsets(&default), (906..=1005).collect::<Vec<u64>>());
    let (_, since) = history(&hub, Some(&token), "system", &[("since_offset", "0"), ("limit", "5000")]).await;
    assert_eq!(offsets(&since), (1..=1000).collect::<Vec<u64>>());
    assert_eq!(since["recovered"], true);
}

#[tokio::test]
async fn history_needs_a_token_a_subscribe_permission_and_a_known_channel() {
    let hub = spawn_hub(|_| {}).await;
    let user = user_token("u-1", "acme");
    assert_error(history(&hub, None, "pipeline", &[]).await, 401, "not_authenticated");
    assert_error(history(&hub, Some(&user), "user", &[]).await, 403, "forbidden");
    assert_error(history(&hub, Some(&user), "user", &[("subject", "u-2")]).await, 403, "forbidden");
    assert_eq!(history(&hub, Some(&user), "user", &[("subject", "u-1")]).await.0, 200);
    let security_only = token(&claims("u-1", "acme", json!({"subscribe": ["security"]})));
    assert_error(history(&hub, Some(&security_only), "pipeline", &[]).await, 403, "forbidden");
    assert_eq!(history(&hub, Some(&security_only), "security", &[]).await.0, 200);
    assert_error(history(&hub, Some(&user), "nope", &[]).await, 404, "channel_not_found");
    assert_error(history(&hub, Some(&user), "Bad!", &[]).await, 400, "bad_request");
    for query in [("subject", "a//b"), ("since_offset", "abc"), ("limit", "-1")] {
        assert_error(history(&hub, Some(&user), "pipeline", &[query]).await, 400, "bad_request");
    }
}

#[tokio::test]
async fn health_and_readiness_answer_200() {
    let hub = spawn_hub(|_| {}).await;
    for path in ["/healthz", "/readyz"] {
        let response = reqwest::get(hub.http(path)).await.expect("request");
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn metrics_expose_every_protocol_metric_and_they_move() {
    let hub = spawn_hub(|_| {}).await;
    let text = metrics(&hub).await;
    let names = [
        "herald_connections",
        "herald_connections_total",
        "herald_subscriptions",
        "herald_events_published_total",
        "herald_events_delivered_total",
        "herald_slow_consumer_closes_total",
        "herald_recoveries_total{result=\"hit\"}",
        "herald_recoveries_total{result=\"miss\"}",
    ];
    for name in names {
        assert_eq!(sample(&text, name), 0.0, "{name} starts at 0");
    }

    let mut subscriber = Client::authed(&hub, &user_token("u", "acme")).await;
    let subscribed = subscriber.subscribe(json!({"channel": "pipeline"})).await;
    let (status, _) = publish(&hub, Some(&publisher_token("acme")), &json!({"event": event("PIPELINE", "p")})).await;
    assert_eq!(status, 200);
    assert_eq!(subscriber.recv().await["offset"], 1);
    let epoch = subscribed["epoch"].as_str().unwrap();
    let mut recovering = Client::authed(&hub, &user_token("u", "acme")).await;
    recovering.subscribe(json!({"channel": "security", "since": {"epoch": epoch, "offset": 0}})).await;
    recovering.subscribe(json!({"channel": "debug", "since": {"epoch": "old-epoch", "offset": 3}})).await;
    // A ping round trip on each connection: everything before it has been counted.
    for client in [&mut subscriber, &mut recovering] {
        let id = client.request(json!({"type": "ping"})).await;
        assert_eq!(client.recv().await["reply_to"], id);
    }

    let text = metrics(&hub).await;
    let expected = [
        ("herald_connections", 2.0),
        ("herald_connections_total", 2.0),
        ("herald_subscriptions", 3.0),
        ("herald_events_published_total", 1.0),
        ("herald_events_delivered_total", 1.0),
        ("herald_slow_consumer_closes_total", 0.0),
        ("herald_recoveries_total{result=\"hit\"}", 1.0),
        ("herald_recoveries_total{result=\"miss\"}", 1.0),
    ];
    for (name, value) in expected {
        assert_eq!(sample(&text, name), value, "{name}");
    }
}

#[tokio::test]
async fn the_dev_token_route_exists_only_in_development_mode() {
    let production = spawn_hub(|_| {}).await;
    let status = reqwest::get(production.http("/api/v1/dev/token")).await.unwrap().status();
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND);

    let dev = spawn_hub(|c| c.dev_token_secret = Some(SECRET.to_vec())).await;
    let body: Value = reqwest::get(dev.http("/api/v1/dev/token?sub=u-9")).await.unwrap().json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
    let mut client = Client::connect(&dev).await;
    client.send(json!({"type": "authenticate", "token": token})).await;
    let authenticated = client.recv().await;
    assert_eq!(authenticated["user"]["id"], "u-9");
    assert_eq!(authenticated["user"]["org"], "dev");
}

#[tokio::test]
async fn the_static_app_never_answers_an_api_path_or_a_websocket_upgrade() {
    let dir = std::env::temp_dir().join(format!("herald-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>app</title>").unwrap();
    let static_dir = dir.clone();
    let hub = spawn_hub(move |c| c.static_dir = Some(static_dir)).await;
    // Client-side routes of the app get its index.html.
    let page = reqwest::get(hub.http("/pipelines/p-42")).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<title>app</title>"));
    // A mistyped API path is a 404, not the app's page.
    assert_eq!(reqwest::get(hub.http("/api/herald-token")).await.unwrap().status(), 404);
    // So is a WebSocket upgrade on a wrong path: a client sees the refusal, not a 200 page.
    let wrong = tokio_tungstenite::connect_async(format!("ws://{}/websocket", hub.addr)).await;
    match wrong {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 404),
        other => panic!("{:?}", other.map(|_| ())),
    }
    std::fs::remove_dir_all(dir).unwrap();
}
