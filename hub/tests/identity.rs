//! Hostile identities and subjects over the real transports: a `sub` or `org` with `/` or a
//! hidden character (docs/protocol.md §1, JWT claims), and subjects with bidi controls or
//! invisible characters (docs/protocol.md §3).

mod common;

use common::*;
use serde_json::{Value, json};

/// The `auth_error` code a WebSocket `authenticate` frame gets for `token`, and the close code.
async fn ws_refusal(hub: &TestHub, token: &str) -> (Value, Option<u16>) {
    let mut client = Client::connect(hub).await;
    client.send(json!({"type": "authenticate", "token": token})).await;
    let answer = client.recv().await;
    assert_eq!(answer["type"], "auth_error", "{answer}");
    (answer, client.closed().await)
}

/// `GET /api/v1/channels/user/history?subject=…` with `token`: status and JSON body.
async fn history(hub: &TestHub, token: &str, subject: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(hub.http("/api/v1/channels/user/history"))
        .query(&[("subject", subject)])
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_sub_with_a_slash_cannot_reach_another_users_subjects_over_websocket_or_http() {
    let hub = spawn_hub(|_| {}).await;
    // Alice's private notifications live under `user/alice/…`.
    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;
    let published = publisher.publish(event("USER", "alice/inbox/n-1"), None).await;
    assert_eq!(published["type"], "published", "{published}");

    // A token for sub `alice/inbox` would expand `user/${sub}` to `user/alice/inbox`.
    let hostile = user_token("alice/inbox", "acme");
    let (answer, close) = ws_refusal(&hub, &hostile).await;
    assert_eq!((answer["code"].as_str(), close), (Some("invalid_token"), Some(4401)), "{answer}");
    let message = answer["message"].as_str().unwrap();
    assert!(message.contains("`sub`") && message.contains('/'), "the message says why: {message}");

    let mut header = Client::connect_with_header(&hub, &hostile).await;
    let answer = header.recv().await;
    assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("auth_error"), Some("invalid_token")));
    assert_eq!(header.closed().await, Some(4401));

    let (status, body) = history(&hub, &hostile, "alice/inbox").await;
    assert_eq!((status, body["code"].as_str()), (401, Some("invalid_token")), "{body}");
    assert!(body["events"].is_null(), "nothing of alice's is returned: {body}");

    // The same with an explicit `${sub}` pattern, and an `org` with a slash.
    let claimed = token(&claims("alice/inbox", "acme", json!({"subscribe": ["user/${sub}"]})));
    assert_eq!(ws_refusal(&hub, &claimed).await.0["code"], "invalid_token");
    let (answer, close) = ws_refusal(&hub, &user_token("u-1", "acme/eu")).await;
    assert_eq!((answer["code"].as_str(), close), (Some("invalid_token"), Some(4401)), "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("`org`"), "{answer}");

    // Alice herself still gets in.
    let mut alice = Client::authed(&hub, &user_token("alice", "acme")).await;
    let subscribed = alice.subscribe(json!({"channel": "user", "subject": "alice", "history": 10})).await;
    assert_eq!(subscribed["type"], "subscribed");
}

#[tokio::test]
async fn a_sub_or_org_with_control_or_bidi_characters_is_refused_over_websocket_and_http() {
    let hub = spawn_hub(|_| {}).await;
    for (sub, org) in [("u-1\n", "acme"), ("u-1\u{202E}", "acme"), ("\u{200B}u-1", "acme"), ("u-1", "ac\u{0}me")] {
        let hostile = user_token(sub, org);
        let (answer, close) = ws_refusal(&hub, &hostile).await;
        assert_eq!((answer["code"].as_str(), close), (Some("invalid_token"), Some(4401)), "{sub:?}/{org:?}");
        assert!(answer["message"].as_str().unwrap().contains("control"), "{answer}");
        let (status, body) = history(&hub, &hostile, "").await;
        assert_eq!((status, body["code"].as_str()), (401, Some("invalid_token")), "{sub:?}/{org:?}: {body}");
    }
}

#[tokio::test]
async fn a_subject_with_a_bidi_override_or_invisible_character_is_refused_on_subscribe_publish_and_history() {
    let hub = spawn_hub(|_| {}).await;
    let token = publisher_token("acme");
    let mut client = Client::authed(&hub, &token).await;
    for subject in ["p-42\u{202E}", "p-\u{200B}42", "p-42/e\u{2066}-7", "p\u{AD}42", "p\u{2028}", "p\u{85}"] {
        let id = client.request(json!({"type": "subscribe", "channel": "pipeline", "subject": subject})).await;
        let answer = client.recv().await;
        assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("error"), Some("bad_request")));
        assert_eq!(answer["reply_to"], id, "{answer}");

        let answer = client.publish(event("PIPELINE", subject), None).await;
        assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("error"), Some("invalid_event")));

        let response = reqwest::Client::new()
            .get(hub.http("/api/v1/channels/pipeline/history"))
            .query(&[("subject", subject)])
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{subject:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "bad_request", "{body}");
    }
    // The connection is still usable, and a visible subject still works.
    let published = client.publish(event("PIPELINE", "p-42/ü"), None).await;
    assert_eq!(published["type"], "published", "{published}");
}
