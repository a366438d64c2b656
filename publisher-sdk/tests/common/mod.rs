//! Shared helpers for the publisher's integration tests: a real hub on 127.0.0.1:0 (spawned
//! in-process), tokens, a raw WebSocket subscriber, and publishers for each transport.
//! No fixed ports, no sleeps for readiness: every wait is for an event, under a timeout.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use herald_hub::auth::mint_hs256;
use herald_hub::{Config, Hub, RunningHub};
use herald_publisher::{Publisher, PublisherBuilder};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Upper bound for any single wait: a failing test fails instead of hanging.
pub const WAIT: Duration = Duration::from_secs(15);
pub const SECRET: &[u8] = b"publisher-test-secret-0123456789ab";
pub const ORG: &str = "acme";

/// A hub configuration for tests: port `addr`, [`SECRET`], no rate limit to speak of.
pub fn hub_config(addr: SocketAddr) -> Config {
    let mut config = Config::default();
    config.listen = addr;
    config.publish_rate = 1_000_000;
    config.auth = Some(herald_hub::auth::AuthConfig {
        key: herald_hub::auth::JwtKey::Hs256(SECRET.to_vec()),
        audience: None,
        issuer: None,
        leeway: Duration::from_secs(5),
    });
    config
}

/// A hub on a free port, after `tweak` edits its configuration.
pub async fn spawn_hub(tweak: impl FnOnce(&mut Config)) -> RunningHub {
    let mut config = hub_config("127.0.0.1:0".parse().unwrap());
    tweak(&mut config);
    Hub::builder().config(config).spawn().await.expect("hub starts")
}

/// A hub on exactly `addr` (a restart on the port of a hub that was shut down).
pub async fn spawn_hub_at(addr: SocketAddr) -> RunningHub {
    Hub::builder().config(hub_config(addr)).spawn().await.expect("hub restarts on the same port")
}

/// A local address nothing listens on (bound, then released).
pub fn unused_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// A token for `org` that may publish and subscribe anywhere, expiring in `ttl_secs`.
pub fn token_for(org: &str, ttl_secs: u64) -> String {
    mint_hs256(
        SECRET,
        &json!({"sub": "publisher", "org": org, "exp": now_secs() + ttl_secs, "publish": ["*"], "subscribe": ["*"]}),
    )
}

pub fn token() -> String {
    token_for(ORG, 3600)
}

/// The three transports, for the shared suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Ws,
    Http,
    InProcess,
}

/// A builder for a publisher to `hub` over `transport`, with quick backoff.
pub fn builder(hub: &RunningHub, transport: Transport) -> PublisherBuilder {
    let addr = hub.local_addr();
    let builder = match transport {
        Transport::Ws => Publisher::builder(format!("ws://{addr}")).token(token()),
        Transport::Http => Publisher::builder(format!("http://{addr}")).token(token()),
        Transport::InProcess => Publisher::in_process(hub.handle(), ORG),
    };
    builder.source("tests").backoff(Duration::from_millis(10), Duration::from_millis(200))
}

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A raw WebSocket subscriber (what a browser would be).
pub struct Subscriber {
    ws: Ws,
    next_id: u32,
    /// Frames read while waiting for a `subscribed` (replayed events of earlier channels).
    pending: std::collections::VecDeque<Value>,
}

impl Subscriber {
    /// Connects to `addr` with a token for `org` and subscribes to `channels`, replaying up
    /// to `history` stored events of each first.
    pub async fn connect(addr: SocketAddr, channels: &[&str], history: Option<u32>) -> Self {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await.expect("connect");
        let mut subscriber = Self { ws, next_id: 1, pending: Default::default() };
        subscriber.send(json!({"type": "authenticate", "token": token()})).await;
        let answer = subscriber.recv().await.expect("authenticated");
        assert_eq!(answer["type"], "authenticated", "{answer}");
        for channel in channels {
            let mut frame = json!({"type": "subscribe", "id": subscriber.next_id, "channel": channel});
            if let Some(history) = history {
                frame["history"] = json!(history);
            }
            let id = subscriber.next_id;
            subscriber.next_id += 1;
            subscriber.send(frame).await;
            // Replayed events of earlier channels may come first: keep them for later.
            let mut early = Vec::new();
            loop {
                let answer = subscriber.recv_wire().await.expect("subscribed");
                if answer["reply_to"] == id {
                    assert_eq!(answer["type"], "subscribed", "{answer}");
                    break;
                }
                early.push(answer);
            }
            subscriber.pending.extend(early);
        }
        subscriber
    }

    async fn send(&mut self, frame: Value) {
        self.ws.send(Message::text(frame.to_string())).await.expect("send");
    }

    /// The next text frame; `None` when the hub closed the connection.
    pub async fn recv(&mut self) -> Option<Value> {
        if let Some(frame) = self.pending.pop_front() {
            return Some(frame);
        }
        self.recv_wire().await
    }

    async fn recv_wire(&mut self) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(WAIT, self.ws.next()).await.expect("a frame in time");
            match message {
                Some(Ok(Message::Text(text))) => return Some(serde_json::from_str(&text).expect("JSON frame")),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => {}
            }
        }
    }

    /// The next `event` frame (skipping `subject_ended`).
    pub async fn next_event(&mut self) -> Value {
        loop {
            let frame = self.recv().await.expect("an event before the connection closed");
            if frame["type"] == "event" {
                return frame;
            }
        }
    }

    /// Every `event` frame until the hub closes the connection.
    pub async fn events_until_closed(&mut self) -> Vec<Value> {
        let mut events = Vec::new();
        while let Some(frame) = self.recv().await {
            if frame["type"] == "event" {
                events.push(frame);
            }
        }
        events
    }
}
