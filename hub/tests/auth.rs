//! Authentication over real WebSockets: the three ways to present a token, the JWT claim
//! checks and their `auth_error` codes, the auth timeout, refresh and live expiry, and the
//! default and claimed subscribe permissions.

mod common;

use std::time::Duration;

use common::*;
use futures_util::StreamExt;
use herald_hub::auth::mint_hs256;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// 2100-01-01T00:00:00Z and one hour later, as NumericDates: fixed, so `expires_at` is exact.
const EXP_2100: u64 = 4_102_444_800;
const EXP_2100_PLUS_1H: u64 = EXP_2100 + 3600;

/// The next text frame of a bare socket, as JSON (pings and pongs skipped).
async fn next_json(ws: &mut Ws) -> Value {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("a frame in time") {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).expect("JSON frame"),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// Reads a bare socket until the hub closes it; the close code.
async fn close_code(ws: &mut Ws) -> Option<u16> {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("close in time") {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        }
    }
}

/// Opens `/ws` offering `Sec-WebSocket-Protocol: protocols`; the socket and the protocol the
/// hub selected.
async fn connect_with_protocols(hub: &TestHub, protocols: &str) -> (Ws, Option<String>) {
    let mut request = hub.ws_url().into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", protocols.parse().unwrap());
    let (ws, response) = tokio_tungstenite::connect_async(request).await.expect("upgrade completes");
    let selected = response.headers().get_all("sec-websocket-protocol").iter().map(|v| v.to_str().unwrap().to_owned());
    let selected: Vec<String> = selected.collect();
    assert!(selected.len() <= 1, "one subprotocol header at most: {selected:?}");
    (ws, selected.into_iter().next())
}

/// Sends `authenticate` with an id; asserts `auth_error` answers it; returns its code and the
/// close code that follows.
async fn refused(hub: &TestHub, token: &str) -> (String, Option<u16>) {
    let mut client = Client::connect(hub).await;
    let id = client.request(json!({"type": "authenticate", "token": token})).await;
    let answer = client.recv().await;
    assert_eq!(answer["type"], "auth_error", "{answer}");
    assert_eq!(answer["reply_to"], id, "{answer}");
    assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()), "{answer}");
    (answer["code"].as_str().unwrap().to_owned(), client.closed().await)
}

/// Subscribes to `channel` (and `subject`); returns the answer to that request.
async fn try_subscribe(client: &mut Client, channel: &str, subject: Option<&str>) -> Value {
    let mut frame = json!({"type": "subscribe", "channel": channel});
    if let Some(subject) = subject {
        frame["subject"] = json!(subject);
    }
    let id = client.request(frame).await;
    let answer = client.recv().await;
    assert_eq!(answer["reply_to"], id, "{answer}");
    answer
}

#[tokio::test]
async fn authenticate_frame_is_answered_with_identity_expiry_and_reply_to() {
    let hub = spawn_hub(|c| c.heartbeat = Duration::from_millis(30_000)).await;
    let mut client = Client::connect(&hub).await;
    let token = token(&json!({"sub": "u-1", "org": "acme", "name": "Ada", "exp": EXP_2100}));
    client.send(json!({"type": "authenticate", "id": 41, "token": token})).await;
    let answer = client.recv().await;
    assert_eq!(answer["type"], "authenticated", "{answer}");
    assert_eq!(answer["reply_to"], 41);
    assert!(answer["connection_id"].as_str().is_some_and(|id| !id.is_empty()), "{answer}");
    assert_eq!(answer["user"], json!({"id": "u-1", "org": "acme", "name": "Ada"}));
    assert_eq!(answer["heartbeat_ms"], 30_000);
    assert_eq!(answer["expires_at"], "2100-01-01T00:00:00.000Z");

    // Without an id there is no reply_to, and without a name claim no name; ids differ.
    let mut other = Client::connect(&hub).await;
    other.send(json!({"type": "authenticate", "token": user_token("u-2", "acme")})).await;
    let second = other.recv().await;
    assert_eq!(second["type"], "authenticated", "{second}");
    assert!(second.get("reply_to").is_none(), "{second}");
    assert_eq!(second["user"], json!({"id": "u-2", "org": "acme"}));
    assert_ne!(second["connection_id"], answer["connection_id"]);
}

#[tokio::test]
async fn authorization_header_authenticates_without_any_client_frame() {
    let hub = spawn_hub(|_| {}).await;
    let token = token(&json!({"sub": "u-h", "org": "acme", "exp": EXP_2100}));
    let mut client = Client::connect_with_header(&hub, &token).await;
    let answer = client.recv().await;
    assert_eq!(answer["type"], "authenticated", "{answer}");
    assert!(answer.get("reply_to").is_none(), "{answer}");
    assert_eq!(answer["user"]["id"], "u-h");
    assert_eq!(answer["expires_at"], "2100-01-01T00:00:00.000Z");
    // The connection is usable at once.
    client.subscribe(json!({"channel": "pipeline"})).await;
}

#[tokio::test]
async fn bearer_subprotocol_selects_herald_v1_only_and_authenticates() {
    let hub = spawn_hub(|_| {}).await;
    let token = user_token("u-sp", "acme");
    let (mut ws, selected) = connect_with_protocols(&hub, &format!("herald.v1, herald.bearer.{token}")).await;
    assert_eq!(selected.as_deref(), Some("herald.v1"));
    let answer = next_json(&mut ws).await;
    assert_eq!(answer["type"], "authenticated", "{answer}");
    assert_eq!(answer["user"]["id"], "u-sp");
    assert!(!answer.to_string().contains(&token), "the token is never echoed");
}

#[tokio::test]
async fn a_bad_token_in_header_or_subprotocol_upgrades_then_gets_auth_error_and_4401() {
    let hub = spawn_hub(|_| {}).await;
    let forged = mint_hs256(b"not-the-hub-secret", &claims("u", "acme", json!({})));

    let mut header = Client::connect_with_header(&hub, &forged).await;
    let answer = header.recv().await;
    assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("auth_error"), Some("invalid_token")));
    assert_eq!(header.closed().await, Some(4401));

    let (mut ws, selected) = connect_with_protocols(&hub, &format!("herald.v1, herald.bearer.{forged}")).await;
    assert_eq!(selected.as_deref(), Some("herald.v1"), "the upgrade completes with herald.v1");
    let answer = next_json(&mut ws).await;
    assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("auth_error"), Some("invalid_token")));
    assert!(!answer.to_string().contains(&forged), "the token is never echoed");
    assert_eq!(close_code(&mut ws).await, Some(4401));
}

#[tokio::test]
async fn refused_tokens_get_their_auth_error_code_and_close_4401() {
    let hub = spawn_hub(|_| {}).await;
    let now = now_secs();
    let unsigned = {
        // {"alg":"none"} with valid claims and no signature.
        let claims = serde_json::to_vec(&claims("u", "acme", json!({}))).unwrap();
        format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", base64url(&claims))
    };
    let cases = [
        ("wrong secret", mint_hs256(b"another-secret", &claims("u", "acme", json!({}))), "invalid_token"),
        ("garbage", "not-a-jwt".to_owned(), "invalid_token"),
        ("three garbage parts", "a.b.c".to_owned(), "invalid_token"),
        ("alg none", unsigned, "invalid_token"),
        ("non-numeric exp", token(&json!({"sub": "u", "org": "acme", "exp": "tomorrow"})), "invalid_token"),
        ("expired beyond leeway", token(&claims("u", "acme", json!({"exp": now - 60}))), "token_expired"),
        ("nbf in the future", token(&claims("u", "acme", json!({"nbf": now + 600}))), "token_not_yet_valid"),
        ("iat in the future", token(&claims("u", "acme", json!({"iat": now + 600}))), "token_not_yet_valid"),
        ("missing org", token(&json!({"sub": "u", "exp": now + 3600})), "missing_claim"),
        ("empty org", token(&claims("u", "", json!({}))), "missing_claim"),
        ("missing sub", token(&json!({"org": "acme", "exp": now + 3600})), "missing_claim"),
        ("missing exp", token(&json!({"sub": "u", "org": "acme"})), "missing_claim"),
    ];
    for (case, token, code) in cases {
        let (got, close) = refused(&hub, &token).await;
        assert_eq!((got.as_str(), close), (code, Some(4401)), "{case}");
    }
}

#[tokio::test]
async fn expiry_inside_the_leeway_is_still_accepted() {
    let hub = spawn_hub(|_| {}).await; // leeway 5 s
    let recent = token(&claims("u", "acme", json!({"exp": now_secs() - 1})));
    Client::authed(&hub, &recent).await;
}

#[tokio::test]
async fn configured_audience_and_issuer_are_required_and_checked() {
    let hub = spawn_hub(|c| {
        let auth = c.auth.as_mut().unwrap();
        auth.audience = Some("herald".into());
        auth.issuer = Some("https://issuer.example".into());
    })
    .await;
    let with = |extra: Value| token(&claims("u", "acme", extra));
    let iss = "https://issuer.example";
    let cases = [
        ("missing aud", with(json!({"iss": iss})), "missing_claim"),
        ("missing iss", with(json!({"aud": "herald"})), "missing_claim"),
        ("wrong aud", with(json!({"aud": "other", "iss": iss})), "wrong_audience"),
        ("aud list without ours", with(json!({"aud": ["a", "b"], "iss": iss})), "wrong_audience"),
        ("wrong iss", with(json!({"aud": "herald", "iss": "https://evil.example"})), "wrong_issuer"),
    ];
    for (case, token, code) in cases {
        let (got, close) = refused(&hub, &token).await;
        assert_eq!((got.as_str(), close), (code, Some(4401)), "{case}");
    }
    Client::authed(&hub, &with(json!({"aud": "herald", "iss": iss}))).await;
    Client::authed(&hub, &with(json!({"aud": ["other", "herald"], "iss": iss}))).await;
}

#[tokio::test]
async fn no_authentication_within_auth_timeout_closes_4408() {
    let hub = spawn_hub(|c| c.auth_timeout = Duration::from_millis(200)).await;
    let mut client = Client::connect(&hub).await;
    let answer = client.recv().await;
    assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("auth_error"), Some("auth_timeout")));
    assert!(answer.get("reply_to").is_none(), "{answer}");
    assert_eq!(client.closed().await, Some(4408));

    // Once authenticated, the auth timeout no longer applies.
    let mut authed = Client::authed(&hub, &user_token("u", "acme")).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let id = authed.request(json!({"type": "ping"})).await;
    assert_eq!(authed.recv().await, json!({"type": "pong", "reply_to": id}));
}

#[tokio::test]
async fn requests_before_authentication_get_not_authenticated_and_the_connection_stays_open() {
    let hub = spawn_hub(|_| {}).await;
    let mut client = Client::connect(&hub).await;
    let subscribe = client.request(json!({"type": "subscribe", "channel": "pipeline"})).await;
    let publish = client.request(json!({"type": "publish", "event": event("PIPELINE", "p")})).await;
    let ping = client.request(json!({"type": "ping"})).await;
    for id in [subscribe, publish, ping] {
        let answer = client.recv().await;
        assert_eq!(answer["type"], "error", "{answer}");
        assert_eq!(answer["code"], "not_authenticated", "{answer}");
        assert_eq!(answer["reply_to"], id, "{answer}");
    }
    // Still open: authentication now succeeds and the connection works.
    client.send(json!({"type": "authenticate", "token": user_token("u", "acme")})).await;
    assert_eq!(client.recv().await["type"], "authenticated");
    client.subscribe(json!({"channel": "pipeline"})).await;
}

#[tokio::test]
async fn refresh_with_the_same_user_extends_the_connection_past_the_old_expiry() {
    let hub = spawn_hub(|c| {
        c.auth.as_mut().unwrap().leeway = Duration::ZERO;
        c.token_grace = Duration::ZERO;
    })
    .await;
    let first_exp = now_secs() + 2;
    let mut client = Client::authed(&hub, &token(&claims("u-r", "acme", json!({"exp": first_exp})))).await;
    client.subscribe(json!({"channel": "pipeline"})).await;

    let fresh = token(&claims("u-r", "acme", json!({"exp": EXP_2100_PLUS_1H, "name": "Renewed"})));
    let id = client.request(json!({"type": "authenticate", "token": fresh})).await;
    let answer = client.recv().await;
    assert_eq!(answer["type"], "authenticated", "{answer}");
    assert_eq!(answer["reply_to"], id);
    assert_eq!(answer["expires_at"], "2100-01-01T01:00:00.000Z");
    assert_eq!(answer["user"]["id"], "u-r");

    // Let the first token's expiry pass: without the refresh the hub would close 4401 here.
    let past_first_exp = Duration::from_millis(first_exp * 1000 + 500)
        .saturating_sub(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap());
    tokio::time::sleep(past_first_exp).await;
    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;
    let published = publisher.publish(event("PIPELINE", "p-1"), None).await;
    assert_eq!(published["type"], "published", "{published}");
    let frame = client.recv().await;
    assert_eq!((frame["type"].as_str(), frame["offset"].as_u64()), (Some("event"), Some(1)), "{frame}");
}

#[tokio::test]
async fn refresh_for_another_user_or_tenant_is_invalid_token_and_4401() {
    let hub = spawn_hub(|_| {}).await;
    for (sub, org) in [("u-other", "acme"), ("u-1", "globex")] {
        let mut client = Client::authed(&hub, &user_token("u-1", "acme")).await;
        let id = client.request(json!({"type": "authenticate", "token": user_token(sub, org)})).await;
        let answer = client.recv().await;
        assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("auth_error"), Some("invalid_token")));
        assert_eq!(answer["reply_to"], id);
        assert_eq!(client.closed().await, Some(4401), "{sub}/{org}");
    }
}

#[tokio::test]
async fn an_expired_token_without_refresh_is_closed_4401_by_the_hub() {
    let hub = spawn_hub(|c| {
        c.auth.as_mut().unwrap().leeway = Duration::ZERO;
        c.token_grace = Duration::ZERO;
    })
    .await;
    // At least one whole second of validity, so authentication itself succeeds.
    let mut client = Client::authed(&hub, &token(&claims("u-x", "acme", json!({"exp": now_secs() + 2})))).await;
    client.subscribe(json!({"channel": "pipeline"})).await;
    let (answer, skipped) = client.recv_type("auth_error").await;
    assert!(skipped.is_empty(), "nothing else before the auth_error: {skipped:?}");
    assert_eq!(answer["code"], "token_expired", "{answer}");
    assert!(answer.get("reply_to").is_none(), "{answer}");
    assert_eq!(client.closed().await, Some(4401));
}

#[tokio::test]
async fn default_subscribe_allows_the_category_channels_and_only_the_callers_user_subject() {
    let hub = spawn_hub(|_| {}).await;
    let mut client = Client::authed(&hub, &user_token("u-1", "acme")).await;
    for channel in ["pipeline", "security", "debug", "system", "architecture"] {
        let answer = try_subscribe(&mut client, channel, None).await;
        assert_eq!(answer["type"], "subscribed", "{channel}: {answer}");
    }
    for subject in ["u-1", "u-1/notifications"] {
        let answer = try_subscribe(&mut client, "user", Some(subject)).await;
        assert_eq!(answer["type"], "subscribed", "{subject}: {answer}");
    }
    for subject in [None, Some("u-2"), Some("u-10"), Some("u")] {
        let answer = try_subscribe(&mut client, "user", subject).await;
        assert_eq!(
            (answer["type"].as_str(), answer["code"].as_str()),
            (Some("error"), Some("forbidden")),
            "{subject:?}"
        );
    }
}

#[tokio::test]
async fn subscribe_claim_patterns_restrict_by_channel_and_whole_subject_segments() {
    let hub = spawn_hub(|_| {}).await;
    let scoped = token(&claims("u", "acme", json!({"subscribe": ["pipeline/p-1"]})));
    let mut client = Client::authed(&hub, &scoped).await;
    for subject in ["p-1", "p-1/e-2"] {
        assert_eq!(try_subscribe(&mut client, "pipeline", Some(subject)).await["type"], "subscribed", "{subject}");
    }
    for (channel, subject) in [("pipeline", Some("p-10")), ("pipeline", None), ("security", None), ("user", Some("u"))]
    {
        let answer = try_subscribe(&mut client, channel, subject).await;
        assert_eq!(answer["code"], "forbidden", "{channel}/{subject:?}: {answer}");
    }

    // An empty list grants nothing (it is not the default); `*` grants every channel in full.
    let mut none = Client::authed(&hub, &token(&claims("u", "acme", json!({"subscribe": []})))).await;
    assert_eq!(try_subscribe(&mut none, "pipeline", None).await["code"], "forbidden");
    let mut all = Client::authed(&hub, &token(&claims("u", "acme", json!({"subscribe": ["*"]})))).await;
    assert_eq!(try_subscribe(&mut all, "user", None).await["type"], "subscribed");
    assert_eq!(try_subscribe(&mut all, "security", Some("s-1")).await["type"], "subscribed");
}

#[tokio::test]
async fn sub_placeholder_in_patterns_expands_to_the_callers_sub() {
    let hub = spawn_hub(|_| {}).await;
    let claim = json!({"subscribe": ["pipeline/${sub}", "user/${sub}"]});
    let mut client = Client::authed(&hub, &token(&claims("p-7", "acme", claim))).await;
    assert_eq!(try_subscribe(&mut client, "pipeline", Some("p-7")).await["type"], "subscribed");
    assert_eq!(try_subscribe(&mut client, "pipeline", Some("p-7/e-1")).await["type"], "subscribed");
    assert_eq!(try_subscribe(&mut client, "user", Some("p-7")).await["type"], "subscribed");
    for (channel, subject) in [("pipeline", "p-8"), ("pipeline", "${sub}"), ("user", "p-8")] {
        let answer = try_subscribe(&mut client, channel, Some(subject)).await;
        assert_eq!(answer["code"], "forbidden", "{channel}/{subject}: {answer}");
    }
}

/// Unpadded base64url, for hand-made tokens.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}
