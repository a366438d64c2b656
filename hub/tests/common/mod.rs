//! Shared helpers for the hub's integration tests: a real hub on 127.0.0.1:0, real
//! WebSocket clients, tokens. No fixed ports, no sleeps for readiness.
#![allow(dead_code, unreachable_pub)]

pub mod raw;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use herald_hub::auth::mint_hs256;
use herald_hub::{Config, Hub, RunningHub};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Upper bound for any single wait: a failing test fails instead of hanging.
pub const WAIT: Duration = Duration::from_secs(10);
pub const SECRET: &[u8] = b"integration-test-secret-0123456789";

pub struct TestHub {
    pub hub: RunningHub,
    pub addr: SocketAddr,
}

/// A hub on a free port with [`SECRET`], after `tweak` edits its configuration.
pub async fn spawn_hub(tweak: impl FnOnce(&mut Config)) -> TestHub {
    let mut config = Config::default();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.auth = Some(herald_hub::auth::AuthConfig {
        key: herald_hub::auth::JwtKey::Hs256(SECRET.to_vec()),
        audience: None,
        issuer: None,
        leeway: Duration::from_secs(5),
    });
    tweak(&mut config);
    let hub = Hub::builder().config(config).spawn().await.expect("hub starts");
    let addr = hub.local_addr();
    TestHub { hub, addr }
}

impl TestHub {
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }
    pub fn http(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// Claims for `sub` in `org`, valid for an hour; merge `extra` over them.
pub fn claims(sub: &str, org: &str, extra: Value) -> Value {
    let mut claims = json!({"sub": sub, "org": org, "exp": now_secs() + 3600});
    if let (Some(base), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
        base.extend(extra.clone());
    }
    claims
}

pub fn token(claims: &Value) -> String {
    mint_hs256(SECRET, claims)
}

/// A subscriber token with the default permissions.
pub fn user_token(sub: &str, org: &str) -> String {
    token(&claims(sub, org, json!({})))
}

/// A token that may publish and subscribe anywhere in `org`.
pub fn publisher_token(org: &str) -> String {
    token(&claims("publisher", org, json!({"publish": ["*"], "subscribe": ["*"]})))
}

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct Client {
    pub ws: Ws,
    next_id: u32,
    /// The longest a send, a frame or the close may take ([`WAIT`] unless
    /// [`Client::with_wait`] says otherwise).
    wait: Duration,
}

impl Client {
    fn new(ws: Ws) -> Self {
        Self { ws, next_id: 1, wait: WAIT }
    }

    /// A client over `stream`, a connection already upgraded to a WebSocket (by
    /// [`raw::upgrade_request_on`], say).
    pub async fn from_stream(stream: TcpStream) -> Self {
        Self::new(WebSocketStream::from_raw_socket(MaybeTlsStream::Plain(stream), Role::Client, None).await)
    }

    /// Opens `/ws` on `stream`, a connection to the hub at `addr` the caller opened (from a
    /// chosen source address, say), with `headers` (`"name: value"` lines); the hub's answer
    /// when it does not upgrade.
    pub async fn upgrade_on(stream: TcpStream, addr: SocketAddr, headers: &[&str]) -> Result<Self, raw::RawResponse> {
        let (response, stream) = raw::upgrade_request_on(stream, addr, headers).await;
        if response.status != 101 {
            return Err(response);
        }
        Ok(Self::from_stream(stream).await)
    }

    /// The same client, with `wait` as the longest a send, a frame or the close may take.
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// Connects without authenticating.
    pub async fn connect(hub: &TestHub) -> Self {
        Self::connect_addr(hub.addr).await
    }

    /// Connects to the hub at `addr` (one in another process, say) without authenticating.
    pub async fn connect_addr(addr: SocketAddr) -> Self {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await.expect("connect");
        Self::new(ws)
    }

    /// Connects with `Authorization: Bearer`.
    pub async fn connect_with_header(hub: &TestHub, token: &str) -> Self {
        let mut request = hub.ws_url().into_client_request().unwrap();
        request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        let (ws, _) = tokio_tungstenite::connect_async(request).await.expect("connect");
        Self::new(ws)
    }

    /// Connects and authenticates with an `authenticate` frame; returns after `authenticated`.
    pub async fn authed(hub: &TestHub, token: &str) -> Self {
        let mut client = Self::connect(hub).await;
        client.send(json!({"type": "authenticate", "token": token})).await;
        let answer = client.recv().await;
        assert_eq!(answer["type"], "authenticated", "{answer}");
        client
    }

    pub async fn send(&mut self, frame: Value) {
        self.send_text(&frame.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        let send = self.ws.send(Message::text(text));
        tokio::time::timeout(self.wait, send).await.expect("sent in time").expect("send");
    }

    /// Sends a request with a fresh `id`; returns the id.
    pub async fn request(&mut self, mut frame: Value) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        frame["id"] = json!(id);
        self.send(frame).await;
        id
    }

    /// The next text frame as JSON (skipping pings and pongs). Panics on close or timeout.
    pub async fn recv(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(self.wait, self.ws.next()).await.expect("a frame in time");
            match message {
                Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).expect("JSON frame"),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// Frames until one whose `type` is `ty` (returned); the skipped ones are returned too.
    pub async fn recv_type(&mut self, ty: &str) -> (Value, Vec<Value>) {
        let mut skipped = Vec::new();
        loop {
            let frame = self.recv().await;
            if frame["type"] == ty {
                return (frame, skipped);
            }
            skipped.push(frame);
        }
    }

    /// Subscribes; returns the `subscribed` frame.
    pub async fn subscribe(&mut self, mut frame: Value) -> Value {
        frame["type"] = json!("subscribe");
        let id = self.request(frame).await;
        let answer = self.recv().await;
        assert_eq!(answer["type"], "subscribed", "{answer}");
        assert_eq!(answer["reply_to"], id);
        answer
    }

    /// Publishes `event` (optionally to `channel`); returns the `published` frame.
    pub async fn publish(&mut self, event: Value, channel: Option<&str>) -> Value {
        let mut frame = json!({"type": "publish", "event": event});
        if let Some(channel) = channel {
            frame["channel"] = json!(channel);
        }
        let id = self.request(frame).await;
        let (answer, _) = self.recv_type_reply(id).await;
        answer
    }

    /// Sends `frame` as a request ([`Client::request`]); returns the answer and the frames
    /// before it ([`Client::recv_type_reply`]).
    pub async fn call(&mut self, frame: Value) -> (Value, Vec<Value>) {
        let id = self.request(frame).await;
        self.recv_type_reply(id).await
    }

    /// Frames until the answer to request `id`.
    pub async fn recv_type_reply(&mut self, id: u32) -> (Value, Vec<Value>) {
        let mut skipped = Vec::new();
        loop {
            let frame = self.recv().await;
            if frame["reply_to"] == id {
                return (frame, skipped);
            }
            skipped.push(frame);
        }
    }

    /// Reads (discarding text frames) until the hub closes; returns the close code. Keeps
    /// reading to the end so tungstenite sends its half of the closing handshake.
    pub async fn closed(&mut self) -> Option<u16> {
        self.closed_after().await.1
    }

    /// [`Client::closed`], returning also the text frames before the close (as JSON; a text
    /// that is not JSON as a JSON string). The code is `None` when the connection ended
    /// without a close frame.
    pub async fn closed_after(&mut self) -> (Vec<Value>, Option<u16>) {
        let mut frames = Vec::new();
        let code = loop {
            let next = tokio::time::timeout(self.wait, self.ws.next()).await;
            match next.unwrap_or_else(|_| panic!("no close within {:?}; frames: {frames:?}", self.wait)) {
                Some(Ok(Message::Close(frame))) => break frame.map(|f: CloseFrame| u16::from(f.code)),
                Some(Ok(Message::Text(text))) => {
                    frames.push(serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.to_string())));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return (frames, None),
            }
        };
        let _ = tokio::time::timeout(self.wait, async { while self.ws.next().await.is_some() {} }).await;
        (frames, code)
    }
}

static NEXT_EVENT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A valid envelope of a custom type on `category`, with `subject` and a unique id.
pub fn event(category: &str, subject: &str) -> Value {
    let n = NEXT_EVENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    json!({
        "id": format!("evt-{n}-{}", std::process::id()),
        "event_type": "test_event",
        "category": category,
        "priority": "MEDIUM",
        "timestamp": "2026-11-22T10:00:00.000Z",
        "source": "tests",
        "subject": subject,
        "data": {"n": n},
    })
}

/// The same envelope with `final: true`.
pub fn final_event(category: &str, subject: &str) -> Value {
    let mut event = event(category, subject);
    event["final"] = json!(true);
    event
}
