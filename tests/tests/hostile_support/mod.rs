//! What the hostile-client battery (`hostile.rs`) shares: a `herald-hub` child process,
//! tokens, clients bound to their own loopback source address (127.0.0.N), a raw WebSocket
//! upgrade for the clients that misbehave below the protocol, and the well-behaved victim.
#![allow(dead_code, unreachable_pub)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use herald_e2e::history::{Record, Recorder};
use herald_e2e::hub_process::HubProcess;
use herald_hub::auth::mint_hs256;
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::common::raw::{self, RawResponse};
use crate::common::{self, Client, now_secs};

/// The hub's HS256 secret: at least 32 bytes, as the hub requires of HS256 secrets.
pub const SECRET: &str = "hostile-battery-secret-at-least-32-bytes";
/// The longest any single step may take before the scenario fails (not a timing goal).
pub const WAIT: Duration = Duration::from_secs(30);

/// `127.0.0.n`: every actor connects from its own loopback address, so the hub's
/// per-address limits stay at their defaults and an attacker only spends its own budget.
pub const fn loopback(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}

/// The victim's address (its subscriber and its publisher), and the one metrics come from.
pub const VICTIM_IP: IpAddr = loopback(1);

/// A hub process with [`SECRET`] and `args` (flags); everything else at its default.
pub async fn hub(args: &[&str]) -> HubProcess {
    let mut command = HubProcess::command();
    command.args(args).env("HERALD_JWT_SECRET", SECRET);
    HubProcess::spawn(command).await
}

/// Claims for `sub` in `org`, valid for an hour, with `extra` merged over them
/// ([`common::claims`], the organisation first).
pub fn claims(org: &str, sub: &str, extra: Value) -> Value {
    common::claims(sub, org, extra)
}

/// `claims` signed with [`SECRET`].
pub fn token(claims: &Value) -> String {
    mint_hs256(SECRET.as_bytes(), claims)
}

/// A token that may publish and subscribe anywhere in `org`.
pub fn publisher_token(org: &str, sub: &str) -> String {
    token(&claims(org, sub, json!({"publish": ["*"], "subscribe": ["*"]})))
}

/// A TCP connection to `hub` from `source`.
pub async fn tcp_from(source: IpAddr, hub: SocketAddr) -> TcpStream {
    connect_from(TcpSocket::new_v4().expect("socket"), source, hub).await
}

/// Connects `socket` (options already set) to `hub` from `source`.
pub async fn connect_from(socket: TcpSocket, source: IpAddr, hub: SocketAddr) -> TcpStream {
    socket.bind(SocketAddr::new(source, 0)).expect("bind the source address");
    tokio::time::timeout(WAIT, socket.connect(hub)).await.expect("connect in time").expect("connect")
}

/// Sends `GET /ws` on `stream` ([`raw::upgrade_request_on`]) and reads the answer head, and
/// for a refusal its body. After a 101 nothing more is read.
pub async fn upgrade(stream: TcpStream, hub: SocketAddr) -> (RawResponse, TcpStream) {
    let exchange = raw::upgrade_request_on(stream, hub, &[]);
    tokio::time::timeout(WAIT, exchange).await.expect("the upgrade answered in time")
}

/// A well-behaved WebSocket client (tungstenite, waiting up to [`WAIT`]) that opens `/ws`
/// from `source`, with `Authorization: Bearer` when `bearer` is given; the hub's refusal
/// (status and body) when it does not upgrade.
pub async fn ws_connect(source: IpAddr, hub: SocketAddr, bearer: Option<&str>) -> Result<Client, RawResponse> {
    let header = bearer.map(|t| format!("Authorization: Bearer {t}"));
    let headers: Vec<&str> = header.iter().map(String::as_str).collect();
    let upgrade = Client::upgrade_on(tcp_from(source, hub).await, hub, &headers);
    let client = tokio::time::timeout(WAIT, upgrade).await.expect("the upgrade answered in time")?;
    Ok(client.with_wait(WAIT))
}

/// [`ws_connect`], then authenticates with an `authenticate` frame.
pub async fn ws_authed(source: IpAddr, hub: SocketAddr, token: &str) -> Client {
    let mut ws = ws_connect(source, hub, None).await.expect("upgraded");
    let (answer, _) = ws.call(json!({"type": "authenticate", "token": token})).await;
    assert_eq!(answer["type"], "authenticated", "{answer}");
    ws
}

/// An HTTP client whose connections come from `source`.
pub fn http_from(source: IpAddr) -> reqwest::Client {
    reqwest::Client::builder().local_address(source).timeout(WAIT).build().expect("HTTP client")
}

/// The status and JSON body of an HTTP answer (`Null` for a body that is not JSON).
pub async fn http_answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.bytes().await.expect("an HTTP body");
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// A valid envelope of `tenant` with `id`, on `category`'s channel, with `data.n`.
pub fn envelope(tenant: &str, id: &str, category: &str, n: u64) -> Value {
    json!({
        "id": id, "event_type": "hostile_battery", "category": category, "priority": "LOW",
        "timestamp": "2026-12-07T10:00:00.000Z", "source": tenant, "subject": "stream", "data": {"n": n},
    })
}

/// Records an `event` frame the victim received; returns its offset. Panics on any other frame.
fn record_delivery(history: &Recorder, frame: &Value) -> u64 {
    assert_eq!(frame["type"], "event", "the victim gets only events: {frame}");
    let (id, offset) = (frame["event"]["id"].as_str().expect("id"), frame["offset"].as_u64().expect("offset"));
    let channel = frame["channel"].as_str().expect("channel");
    history.record(Record::Deliver { subscriber: "victim".into(), channel: channel.into(), id: id.into(), offset });
    offset
}

/// The well-behaved tenant `acme`, from 127.0.0.1: a subscriber on `pipeline` (whole
/// channel) and a trusted publisher sending numbered events `acme-1`, `acme-2`… into it, one
/// every 20 ms, every publish and delivery recorded in a history. [`Victim::finish`] checks
/// that every acknowledged event arrived once, in order, with contiguous offsets, and that
/// neither connection was ever closed or refused.
#[derive(Debug)]
pub struct Victim {
    /// Publishes, acks and deliveries (checked by `herald_e2e::history`).
    pub history: Recorder,
    /// acme's `pipeline` epoch, from the victim's `subscribed`.
    pub epoch: String,
    /// The channel's offset when the victim subscribed.
    pub first: u64,
    stop: watch::Sender<bool>,
    target: watch::Sender<Option<u64>>,
    /// The latest acknowledged offset, as the publisher goes.
    pub latest: watch::Receiver<u64>,
    publisher: Option<JoinHandle<u64>>,
    subscriber: Option<JoinHandle<Vec<u64>>>,
}

impl Drop for Victim {
    /// A scenario that failed drops the victim before the hub: its tasks end quietly rather
    /// than report the hub's death as a second failure.
    fn drop(&mut self) {
        for task in [
            self.publisher.as_ref().map(JoinHandle::abort_handle),
            self.subscriber.as_ref().map(JoinHandle::abort_handle),
        ] {
            task.inspect(tokio::task::AbortHandle::abort);
        }
    }
}

impl Victim {
    /// Publishes at least this many events, however short the scenario.
    const MIN_EVENTS: u64 = 20;
    const PERIOD: Duration = Duration::from_millis(20);

    /// Starts both connections; returns once the subscription is live.
    pub async fn start(hub: SocketAddr) -> Self {
        let history = Recorder::new();
        let mut subscriber = ws_authed(VICTIM_IP, hub, &token(&claims("acme", "victim", json!({})))).await;
        let (subscribed, _) = subscriber.call(json!({"type": "subscribe", "channel": "pipeline"})).await;
        assert_eq!(subscribed["type"], "subscribed", "{subscribed}");
        let epoch = subscribed["epoch"].as_str().expect("epoch").to_owned();
        let first = subscribed["offset"].as_u64().expect("offset");
        history.subscribe("victim", "acme", "pipeline", "");
        let publisher_token = token(&claims("acme", "trusted-publisher", json!({"publish": ["pipeline"]})));
        let mut publisher = ws_authed(VICTIM_IP, hub, &publisher_token).await;

        let (stop, stop_rx) = watch::channel(false);
        let (target, mut target_rx) = watch::channel(None::<u64>);
        let (latest_tx, latest) = watch::channel(first);
        let (log, ack_epoch) = (history.clone(), epoch.clone());
        let publisher = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Self::PERIOD);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut n = 0;
            while !(*stop_rx.borrow() && n >= Self::MIN_EVENTS) {
                tick.tick().await;
                n += 1;
                let id = format!("acme-{n}");
                log.publish("acme", "pipeline", "stream", &id);
                let frame = json!({"type": "publish", "event": envelope("acme", &id, "PIPELINE", n)});
                let (answer, before) = publisher.call(frame).await;
                assert!(before.is_empty(), "the publisher got unasked frames: {before:?}");
                assert_eq!(
                    (answer["type"].as_str(), answer["duplicate"].as_bool()),
                    (Some("published"), Some(false)),
                    "the victim's own publishes are never refused: {answer}"
                );
                let offset = answer["offset"].as_u64().expect("offset");
                log.ack(&id, offset, &ack_epoch);
                latest_tx.send_replace(offset);
            }
            *latest_tx.borrow()
        });
        let log = history.clone();
        let subscriber = tokio::spawn(async move {
            let mut offsets = Vec::new();
            loop {
                if target_rx.borrow().is_some_and(|last| offsets.last().is_some_and(|&o| o >= last)) {
                    break;
                }
                tokio::select! {
                    // The scenario is gone (it failed): nothing left to check.
                    changed = target_rx.changed() => if changed.is_err() { return offsets },
                    // Panics when the hub closes the victim: it must never be closed.
                    frame = subscriber.recv() => offsets.push(record_delivery(&log, &frame)),
                }
            }
            // Anything delivered after the stream (a duplicate, a foreign event) comes before the pong.
            let (pong, extra) = subscriber.call(json!({"type": "ping"})).await;
            assert_eq!((pong["type"].as_str(), extra.len()), (Some("pong"), 0), "nothing after the stream: {extra:?}");
            offsets
        });
        Self { history, epoch, first, stop, target, latest, publisher: Some(publisher), subscriber: Some(subscriber) }
    }

    /// Stops the stream and checks what the victim received; returns how many events.
    pub async fn finish(mut self) -> u64 {
        self.stop.send_replace(true);
        let publisher = self.publisher.take().expect("finished once");
        let last = publisher.await.expect("the victim's publisher was never refused or closed");
        self.target.send_replace(Some(last));
        let subscriber = self.subscriber.take().expect("finished once");
        let offsets = subscriber.await.expect("the victim's subscriber was never closed");
        let expected = self.first + 1..=last;
        let wrong = offsets.iter().zip(expected.clone()).position(|(got, want)| *got != want);
        assert!(
            wrong.is_none() && offsets.len() == expected.clone().count(),
            "the victim received {} events, expected offsets {expected:?}; first wrong at index {wrong:?}",
            offsets.len()
        );
        let report = self.history.check();
        report.assert_clean();
        assert_eq!(report.acked as u64, last - self.first);
        println!("victim: {report}");
        last - self.first
    }
}

/// Bad tokens, each with the `auth_error` code the hub must answer (docs/protocol.md §1).
pub fn bad_tokens() -> Vec<(&'static str, String, &'static str)> {
    let valid = token(&claims("acme", "sprayer", json!({})));
    let payload = valid.split('.').nth(1).expect("a JWT payload").to_owned();
    let other_key = b"not-the-hub-secret-but-32-bytes-long!!";
    let now = now_secs();
    vec![
        ("bad signature", mint_hs256(other_key, &claims("acme", "sprayer", json!({}))), "invalid_token"),
        // {"alg":"none","typ":"JWT"}: an unsigned token.
        ("alg none", format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}."), "invalid_token"),
        ("garbage", "garbage".to_owned(), "invalid_token"),
        ("expired", token(&claims("acme", "sprayer", json!({"exp": now - 3600}))), "token_expired"),
        ("not yet valid", token(&claims("acme", "sprayer", json!({"nbf": now + 3600}))), "token_not_yet_valid"),
        ("no org", token(&json!({"sub": "sprayer", "exp": now + 3600})), "missing_claim"),
    ]
}

/// How the hub refused one attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The documented `auth_error` code (WebSocket: then close 4401; HTTP: 401).
    Auth(String),
    /// HTTP 429 `rate_limited`: the address is blocked after too many failures.
    RateLimited,
    /// Not refused at all: `authenticated`, or an HTTP success.
    Accepted,
}

/// Where a token is presented: the upgrade's `Authorization` header, an `authenticate`
/// frame, `POST /api/v1/publish`, `GET /api/v1/channels/pipeline/history`.
pub const ROUTES: [&str; 4] = ["ws header", "ws frame", "http publish", "http history"];

/// One authentication attempt with `token` on `route`, from `source`.
pub async fn attempt(hub: SocketAddr, source: IpAddr, route: &str, token: &str) -> Refusal {
    let http = |status: u16, body: &Value| match status {
        200 => Refusal::Accepted,
        401 => Refusal::Auth(body["code"].as_str().unwrap_or_default().to_owned()),
        429 if body["code"] == "rate_limited" => Refusal::RateLimited,
        other => panic!("{route}: unexpected HTTP {other}: {body}"),
    };
    match route {
        "ws header" | "ws frame" => {
            let bearer = (route == "ws header").then_some(token);
            let mut ws = match ws_connect(source, hub, bearer).await {
                Ok(ws) => ws,
                Err(refused) => return http(refused.status, &refused.json()),
            };
            if bearer.is_none() {
                ws.request(json!({"type": "authenticate", "token": token})).await;
            }
            let answer = ws.recv().await;
            if answer["type"] == "authenticated" {
                return Refusal::Accepted;
            }
            assert_eq!(answer["type"], "auth_error", "{route}: {answer}");
            assert_eq!(answer["reply_to"].as_u64(), bearer.is_none().then_some(1), "{route}: {answer}");
            let (frames, code) = ws.closed_after().await;
            assert_eq!((code, frames.len()), (Some(4401), 0), "{route}: auth_error, then close 4401: {frames:?}");
            Refusal::Auth(answer["code"].as_str().unwrap_or_default().to_owned())
        }
        "http publish" => {
            let body = json!({"event": envelope("acme", "sprayed", "PIPELINE", 0)});
            let request = http_from(source).post(format!("http://{hub}/api/v1/publish")).bearer_auth(token).json(&body);
            let (status, body) = http_answer(request.send().await.expect("HTTP")).await;
            http(status, &body)
        }
        _ => {
            let url = format!("http://{hub}/api/v1/channels/pipeline/history?limit=1000");
            let (status, body) =
                http_answer(http_from(source).get(url).bearer_auth(token).send().await.expect("HTTP")).await;
            http(status, &body)
        }
    }
}
