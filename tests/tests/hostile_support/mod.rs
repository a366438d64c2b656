//! What the hostile-client battery (`hostile.rs`) shares: a `herald-hub` child process,
//! tokens, clients bound to their own loopback source address (127.0.0.N), a raw WebSocket
//! upgrade for the clients that misbehave below the protocol, and the well-behaved victim.
#![allow(dead_code, unreachable_pub)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use herald_e2e::history::{Record, Recorder};
use herald_e2e::hub_process::HubProcess;
use herald_hub::auth::mint_hs256;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::Role;

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

pub fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Claims for `sub` in `org`, valid for an hour, with `extra` merged over them.
pub fn claims(org: &str, sub: &str, extra: Value) -> Value {
    let mut claims = json!({"sub": sub, "org": org, "exp": now_secs() + 3600});
    if let (Some(base), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
        base.extend(extra.clone());
    }
    claims
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

/// The hub's answer to an upgrade request: status, head (lower-cased), JSON body if any.
#[derive(Debug)]
pub struct Upgrade {
    pub status: u16,
    pub head: String,
    pub body: Value,
}

/// Sends `GET /ws` with `headers` (`"name: value"` lines) on `stream` and reads the answer
/// head, and for a refusal its body (by `content-length`). After a 101 nothing more is read.
pub async fn upgrade(stream: &mut TcpStream, hub: SocketAddr, headers: &[String]) -> Upgrade {
    let mut request = format!(
        "GET /ws HTTP/1.1\r\nHost: {hub}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    );
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    let exchange = async {
        stream.write_all(request.as_bytes()).await.expect("send the upgrade request");
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(stream.read_u8().await.expect("the answer head"));
        }
        let head = String::from_utf8_lossy(&head).to_lowercase();
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status code");
        let mut body = Value::Null;
        if status != 101 {
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .expect("content-length");
            let mut bytes = vec![0; length];
            stream.read_exact(&mut bytes).await.expect("the answer body");
            body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        }
        Upgrade { status, head, body }
    };
    tokio::time::timeout(WAIT, exchange).await.expect("the upgrade answered in time")
}

/// Writes one masked WebSocket frame (clients must mask).
pub async fn write_frame(stream: &mut TcpStream, opcode: u8, payload: &[u8]) -> std::io::Result<()> {
    let mut frame = vec![0x80 | opcode];
    match payload.len() {
        len @ 0..126 => frame.push(0x80 | len as u8),
        len @ 126..=0xffff => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    let mask = [0x5a, 0x17, 0xc3, 0x08];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    stream.write_all(&frame).await
}

/// A well-behaved WebSocket client (tungstenite) from its own source address.
#[derive(Debug)]
pub struct Ws {
    pub ws: WebSocketStream<TcpStream>,
    next_id: u32,
}

impl Ws {
    /// Opens `/ws` from `source`, with `Authorization: Bearer` when `bearer` is given; the
    /// hub's refusal (status and body) when it does not upgrade.
    pub async fn connect(source: IpAddr, hub: SocketAddr, bearer: Option<&str>) -> Result<Self, Upgrade> {
        let mut stream = tcp_from(source, hub).await;
        let headers: Vec<String> = bearer.map(|t| format!("Authorization: Bearer {t}")).into_iter().collect();
        let answer = upgrade(&mut stream, hub, &headers).await;
        if answer.status != 101 {
            return Err(answer);
        }
        let ws = WebSocketStream::from_raw_socket(stream, Role::Client, None).await;
        Ok(Self { ws, next_id: 1 })
    }

    /// Connects and authenticates with an `authenticate` frame.
    pub async fn authed(source: IpAddr, hub: SocketAddr, token: &str) -> Self {
        let mut ws = Self::connect(source, hub, None).await.expect("upgraded");
        let (answer, _) = ws.call(json!({"type": "authenticate", "token": token})).await;
        assert_eq!(answer["type"], "authenticated", "{answer}");
        ws
    }

    pub async fn send(&mut self, frame: Value) {
        let send = self.ws.send(Message::text(frame.to_string()));
        tokio::time::timeout(WAIT, send).await.expect("sent in time").expect("send");
    }

    /// Sends `frame` with a fresh `id`; returns the id.
    pub async fn request(&mut self, mut frame: Value) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        frame["id"] = json!(id);
        self.send(frame).await;
        id
    }

    /// The next text frame as JSON (pings and pongs skipped). Panics on a close, an error or
    /// after [`WAIT`].
    pub async fn recv(&mut self) -> Value {
        loop {
            match tokio::time::timeout(WAIT, self.ws.next()).await.expect("a frame in time") {
                Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).expect("a JSON frame"),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// Frames until the answer to request `id` (returned), and the frames before it.
    pub async fn reply(&mut self, id: u32) -> (Value, Vec<Value>) {
        let mut before = Vec::new();
        loop {
            let frame = self.recv().await;
            if frame["reply_to"] == id {
                return (frame, before);
            }
            before.push(frame);
        }
    }

    /// [`Ws::request`] then [`Ws::reply`].
    pub async fn call(&mut self, frame: Value) -> (Value, Vec<Value>) {
        let id = self.request(frame).await;
        self.reply(id).await
    }

    /// Reads until the hub closes: the text frames before the close, and its code (`None`
    /// when the connection ended without a close frame).
    pub async fn closed(mut self) -> (Vec<Value>, Option<u16>) {
        let mut frames = Vec::new();
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let next = tokio::time::timeout_at(deadline, self.ws.next()).await;
            match next.unwrap_or_else(|_| panic!("no close within {WAIT:?}; frames: {frames:?}")) {
                Some(Ok(Message::Text(text))) => frames.push(serde_json::from_str(&text).expect("a JSON frame")),
                Some(Ok(Message::Close(close))) => {
                    let code = close.map(|f| u16::from(f.code));
                    // Read on so tungstenite completes the closing handshake.
                    let _ = tokio::time::timeout(WAIT, async { while self.ws.next().await.is_some() {} }).await;
                    return (frames, code);
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return (frames, None),
            }
        }
    }
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
        let mut subscriber = Ws::authed(VICTIM_IP, hub, &token(&claims("acme", "victim", json!({})))).await;
        let (subscribed, _) = subscriber.call(json!({"type": "subscribe", "channel": "pipeline"})).await;
        assert_eq!(subscribed["type"], "subscribed", "{subscribed}");
        let epoch = subscribed["epoch"].as_str().expect("epoch").to_owned();
        let first = subscribed["offset"].as_u64().expect("offset");
        history.subscribe("victim", "acme", "pipeline", "");
        let publisher_token = token(&claims("acme", "trusted-publisher", json!({"publish": ["pipeline"]})));
        let mut publisher = Ws::authed(VICTIM_IP, hub, &publisher_token).await;

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
            let mut ws = match Ws::connect(source, hub, bearer).await {
                Ok(ws) => ws,
                Err(refused) => return http(refused.status, &refused.body),
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
            let (frames, code) = ws.closed().await;
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
