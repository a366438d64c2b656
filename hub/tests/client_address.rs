//! The client address and the per-address limits, attacked with real clients: a spoofed
//! `X-Forwarded-For` from an untrusted peer, a reverse proxy (127.0.0.1 configured as
//! trusted) forwarding many clients, token guessing from one address, and a history flood.

mod common;

use common::*;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Opens `/ws` with `X-Forwarded-For: xff` (none when `None`); the open socket, or the
/// HTTP status and body that refused the upgrade.
async fn upgrade(hub: &TestHub, xff: Option<&str>) -> Result<Ws, (u16, String)> {
    let mut request = hub.ws_url().into_client_request().unwrap();
    if let Some(xff) = xff {
        request.headers_mut().insert("x-forwarded-for", xff.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(ws),
        Err(WsError::Http(response)) => {
            let body = response.body().as_ref().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
            Err((response.status().as_u16(), body))
        }
        Err(other) => panic!("unexpected connect error: {other}"),
    }
}

#[track_caller]
fn assert_refused_429(result: Result<Ws, (u16, String)>) {
    match result {
        Ok(_) => panic!("the upgrade was accepted"),
        Err((status, body)) => {
            assert_eq!(status, 429, "{body}");
            assert!(body.contains("rate_limited"), "{body}");
        }
    }
}

/// An HTTP request from `xff` (through the proxy at 127.0.0.1); the status, `Retry-After`
/// and the JSON body.
async fn send(request: reqwest::RequestBuilder, xff: &str) -> (u16, Option<String>, Value) {
    let response = request.header("x-forwarded-for", xff).send().await.expect("request");
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    (response.status().as_u16(), retry_after, response.json().await.expect("JSON body"))
}

fn publish_request(hub: &TestHub, token: &str) -> reqwest::RequestBuilder {
    let body = json!({"event": event("PIPELINE", "p-1")});
    reqwest::Client::new().post(hub.http("/api/v1/publish")).bearer_auth(token).json(&body)
}

fn history_request(hub: &TestHub, token: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new().get(hub.http("/api/v1/channels/pipeline/history")).bearer_auth(token)
}

#[tokio::test]
async fn a_spoofed_forwarded_header_from_an_untrusted_peer_changes_nothing() {
    // No trusted proxies (the default), and a list that does not hold the peer 127.0.0.1.
    for trusted in [vec![], vec!["10.0.0.0/8".parse().unwrap()]] {
        let hub = spawn_hub(|c| {
            c.max_connections_per_ip = 1;
            c.trusted_proxies = trusted;
        })
        .await;
        let _held = upgrade(&hub, Some("203.0.113.1")).await.expect("the first connection");
        // A new "address" per attempt does not escape the count of the real peer.
        assert_refused_429(upgrade(&hub, Some("203.0.113.2")).await);
        assert_refused_429(upgrade(&hub, Some("198.51.100.7, 203.0.113.3")).await);
        assert_refused_429(upgrade(&hub, None).await);
    }
}

#[tokio::test]
async fn a_trusted_proxys_forwarded_address_is_the_one_counted() {
    let hub = spawn_hub(|c| {
        c.max_connections_per_ip = 1;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    // Many clients behind one proxy each get their own count...
    let _a = upgrade(&hub, Some("203.0.113.1")).await.expect("client A");
    let _b = upgrade(&hub, Some("203.0.113.2")).await.expect("client B behind the same proxy");
    let _v6 = upgrade(&hub, Some("2001:db8::1")).await.expect("an IPv6 client");
    // ...and each one is still limited.
    assert_refused_429(upgrade(&hub, Some("203.0.113.1")).await);
    // A client cannot escape by prepending addresses: the right-most untrusted hop counts.
    assert_refused_429(upgrade(&hub, Some("198.51.100.9, 203.0.113.1")).await);
    assert_refused_429(upgrade(&hub, Some("2001:db8::2")).await); // the same /64
    // A hop added by the proxy itself (trusted) is skipped.
    assert_refused_429(upgrade(&hub, Some("203.0.113.2, 127.0.0.1")).await);
    // Without the header, the proxy's own address is the client.
    let _proxy = upgrade(&hub, None).await.expect("the proxy itself");
    assert_refused_429(upgrade(&hub, None).await);
}

#[tokio::test]
async fn token_guessing_from_one_address_is_blocked_with_429_on_every_route() {
    let hub = spawn_hub(|c| {
        c.max_auth_failures_per_ip = 3;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let good = publisher_token("acme");
    let forged = herald_hub::auth::mint_hs256(b"a-guessed-secret-that-is-wrong!!", &claims("x", "acme", json!({})));
    let attacker = "203.0.113.66";
    for (i, token) in [forged.as_str(), "garbage", forged.as_str()].into_iter().enumerate() {
        let (status, _, body) = send(publish_request(&hub, token), attacker).await;
        assert_eq!(status, 401, "attempt {i}: {body}");
    }
    // The address is now blocked, even with a good token, on every route and the upgrade.
    let (status, retry_after, body) = send(publish_request(&hub, &good), attacker).await;
    assert_eq!((status, body["code"].as_str()), (429, Some("rate_limited")), "{body}");
    let seconds: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&seconds), "{seconds}");
    let (status, _, body) = send(history_request(&hub, &good), attacker).await;
    assert_eq!(status, 429, "{body}");
    assert_refused_429(upgrade(&hub, Some(attacker)).await);
    // A missing token counts as a failure too, and is refused the same way once blocked.
    let (status, _, _) = send(reqwest::Client::new().post(hub.http("/api/v1/publish")), attacker).await;
    assert_eq!(status, 429);

    // Another address is not affected.
    let neighbour = "203.0.113.67";
    let (status, _, body) = send(publish_request(&hub, &good), neighbour).await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = send(publish_request(&hub, "garbage"), neighbour).await;
    assert_eq!(status, 401, "{body}");
    let _ws = upgrade(&hub, Some(neighbour)).await.expect("the neighbour may connect");

    let metrics = reqwest::get(hub.http("/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("herald_auth_blocked_total 4"), "{metrics}");
}

#[tokio::test]
async fn a_history_flood_from_one_address_gets_429_and_others_still_read() {
    let hub = spawn_hub(|c| {
        c.history_rate_per_ip = 2;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let token = user_token("u", "acme");
    let flooder = "198.51.100.1";
    // The burst is one second's worth; requests sent back to back use it up long before
    // a second has passed.
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let (status, _, body) = send(history_request(&hub, &token), flooder).await;
        statuses.push(status);
        if status == 429 {
            assert_eq!(body["code"], "rate_limited", "{body}");
        }
    }
    assert_eq!(statuses, [200, 200, 429]);
    let (status, _, body) = send(history_request(&hub, &token), "198.51.100.2").await;
    assert_eq!(status, 200, "another address has its own rate: {body}");
    let metrics = reqwest::get(hub.http("/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("herald_history_rate_limited_total 1"), "{metrics}");
}
