//! Leak check after churn: thousands of connect → authenticate → subscribe → disconnect
//! cycles against one hub — half of them dropping the TCP connection in the middle of a
//! subscribe, half held until the hub itself closes them (their token expires) — and then
//! the hub's connection and subscription gauges, and the runtime's live task count, must
//! come back to the idle baseline. A leaked task, subscription or registry entry per
//! connection shows as a gauge that stays above it.
//!
//! `HERALD_CHURN_CYCLES` sets the number of cycles (default 5,000).

mod common;

use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use herald_hub::RunningHub;
use herald_hub::auth::mint_hs256;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Connections open at once.
const CONCURRENCY: usize = 500;

fn cycles() -> usize {
    std::env::var("HERALD_CHURN_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(5_000)
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current().metrics().num_alive_tasks()
}

/// Waits until the hub holds nothing and the runtime runs at most `tasks` tasks.
async fn settle(hub: &RunningHub, tasks: usize) -> (i64, i64, usize) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = (hub.metrics().connections(), hub.metrics().subscriptions(), alive_tasks());
        if now.0 == 0 && now.1 == 0 && now.2 <= tasks {
            return now;
        }
        if tokio::time::Instant::now() >= deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// One cycle. `abrupt`: drop the socket right after sending `subscribe`; otherwise wait
/// for `subscribed` and then for the hub to close the connection when the token expires.
async fn cycle(url: &str, n: usize, abrupt: bool) -> Result<Option<u16>, String> {
    let exp = now_secs() + if abrupt { 3600 } else { 2 }; // expires 1–2 s from now
    let token = mint_hs256(SECRET, &json!({"sub": format!("u{}", n % 50), "org": "acme", "exp": exp}));
    let mut request = url.into_client_request().map_err(|e| e.to_string())?;
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().expect("header"));
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.map_err(|e| e.to_string())?;
    let subscribe = json!({"type": "subscribe", "id": 1, "channel": "pipeline", "subject": format!("p-{n}")});
    ws.send(Message::text(subscribe.to_string())).await.map_err(|e| e.to_string())?;
    if abrupt {
        return Ok(None); // dropped: no close frame, the TCP connection just ends
    }
    let mut subscribed = false;
    let mut seen = Vec::new();
    while let Some(message) = ws.next().await {
        match message.map_err(|e| e.to_string())? {
            Message::Text(text) if text.contains("\"subscribed\"") => subscribed = true,
            Message::Text(text) => seen.push(text.to_string()),
            Message::Close(frame) => {
                // Under heavy churn the token may run out before `subscribed` comes back;
                // that is still a close by the hub, for the documented reason.
                if !subscribed && !seen.iter().any(|t| t.contains("token_expired")) {
                    return Err(format!("closed before subscribed: {frame:?} after {seen:?}"));
                }
                return Ok(frame.map(|f| u16::from(f.code)));
            }
            _ => {}
        }
    }
    Err("ended without a close frame".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_leaves_no_connection_subscription_or_task_behind() {
    let hub = hub(|c| {
        c.token_grace = Duration::ZERO;
        c.max_connections_per_user = 1_000;
        c.max_connections_per_ip = 0; // every cycle comes from 127.0.0.1
    })
    .await;
    let url = format!("ws://{}/ws", hub.local_addr());
    // Warm up lazily created tasks, then take the baseline.
    cycle(&url, 0, true).await.unwrap();
    let baseline = settle(&hub, usize::MAX).await;
    assert_eq!((baseline.0, baseline.1), (0, 0), "idle before churn");
    let baseline_tasks = baseline.2;

    let total = cycles();
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..CONCURRENCY {
        let url = url.clone();
        workers.spawn(async move {
            let mut closes = Vec::new();
            for n in (worker..total).step_by(CONCURRENCY) {
                closes.push(cycle(&url, n, n % 2 == 0).await);
            }
            closes
        });
    }
    let mut hub_closes = 0;
    let mut peak = 0;
    while let Some(closes) = workers.join_next().await {
        peak = peak.max(hub.metrics().connections());
        for close in closes.unwrap() {
            match close {
                Ok(None) => {}
                Ok(Some(4401)) => hub_closes += 1,
                other => panic!("unexpected cycle outcome: {other:?}"),
            }
        }
    }
    assert_eq!(hub_closes, total / 2, "every held connection was closed by the hub (4401, token expired)");

    let after = settle(&hub, baseline_tasks).await;
    println!(
        "churn: {total} cycles, {hub_closes} closed by the hub, tasks {baseline_tasks} -> {}, connections {}, subscriptions {}",
        after.2, after.0, after.1
    );
    assert_eq!((after.0, after.1), (0, 0), "connections and subscriptions back to zero");
    assert!(after.2 <= baseline_tasks, "tasks back to the baseline: {} > {baseline_tasks}", after.2);
    let metrics = reqwest_free_metrics(&hub).await;
    assert!(metrics.contains("herald_runtime_tasks"), "the task gauge is exported");
}

/// `GET /metrics` over a raw socket (this crate has no HTTP client).
async fn reqwest_free_metrics(hub: &RunningHub) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(hub.local_addr()).await.unwrap();
    socket.write_all(b"GET /metrics HTTP/1.1\r\nhost: hub\r\nconnection: close\r\n\r\n").await.unwrap();
    let mut body = String::new();
    socket.read_to_string(&mut body).await.unwrap();
    body
}
