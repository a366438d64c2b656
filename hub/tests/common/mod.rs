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
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
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
}

impl Client {
    /// Connects without authenticating.
    pub async fn connect(hub: &TestHub) -> Self {
        Self::connect_addr(hub.addr).await
    }

    /// Connects to the hub at `addr` (one in another process, say) without authenticating.
    pub async fn connect_addr(addr: SocketAddr) -> Self {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await.expect("connect");
        Self { ws, next_id: 1 }
    }

    /// Connects with `Authorization: Bearer`.
    pub async fn connect_with_header(hub: &TestHub, token: &str) -> Self {
        let mut request = hub.ws_url().into_client_request().unwrap();
        request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        let (ws, _) = tokio_tungstenite::connect_async(request).await.expect("connect");
        Self { ws, next_id: 1 }
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
        self.ws.send(Message::text(frame.to_string())).await.expect("send");
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.expect("send");
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
            let message = tokio::time::timeout(WAIT, self.ws.next()).await.expect("a frame in time");
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
        let code = loop {
            match tokio::time::timeout(WAIT, self.ws.next()).await.expect("close in time") {
                Some(Ok(Message::Close(frame))) => break frame.map(|f: CloseFrame| u16::from(f.code)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        };
        let _ = tokio::time::timeout(WAIT, async { while self.ws.next().await.is_some() {} }).await;
        code
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
