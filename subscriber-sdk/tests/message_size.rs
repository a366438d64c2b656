//! The native client's cap on incoming message size, against a hostile "hub": a tiny
//! WebSocket server in the test (on 127.0.0.1:0) that authenticates the client, then sends
//! an oversize message or only the header of an oversize frame.

#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::sync::{Arc, Mutex};

use common::{WAIT, fast_backoff};
use futures_util::{SinkExt, StreamExt};
use herald_event_types::Timestamp;
use herald_subscriber::proto::DEFAULT_MAX_MESSAGE_BYTES;
use herald_subscriber::{Client, ConnectionState, Error};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// A fake hub: accepts WebSocket connections with the `herald.v1` subprotocol.
struct FakeHub {
    listener: TcpListener,
}

impl FakeHub {
    async fn start() -> Self {
        Self { listener: TcpListener::bind("127.0.0.1:0").await.unwrap() }
    }

    fn url(&self) -> String {
        format!("ws://{}/ws", self.listener.local_addr().unwrap())
    }

    /// The next connection, after the handshake and the client's `authenticate`, answered
    /// with `authenticated` (heartbeat an hour, so silence never ends the test connection).
    async fn accept_authenticated(&self) -> WebSocketStream<TcpStream> {
        let (tcp, _) = tokio::time::timeout(WAIT, self.listener.accept()).await.expect("a connection in time").unwrap();
        let mut ws = tokio_tungstenite::accept_hdr_async(tcp, herald_v1).await.expect("handshake");
        let first = next_message(&mut ws).await;
        assert!(matches!(&first, Message::Text(text) if text.contains(r#""type":"authenticate""#)), "{first:?}");
        let expires = Timestamp::from_unix_millis(common::now_secs() * 1000 + 3_600_000);
        let authenticated = format!(
            r#"{{"type":"authenticated","connection_id":"c-1","user":{{"id":"u-1","org":"acme"}},"heartbeat_ms":3600000,"expires_at":"{expires}"}}"#
        );
        ws.send(Message::text(authenticated)).await.unwrap();
        ws
    }
}

/// Selects the `herald.v1` subprotocol, as a Herald hub does.
#[allow(clippy::result_large_err, reason = "the signature of tungstenite's handshake callback")]
fn herald_v1(_: &Request, mut response: Response) -> Result<Response, ErrorResponse> {
    response.headers_mut().insert("sec-websocket-protocol", "herald.v1".parse().unwrap());
    Ok(response)
}

async fn next_message(ws: &mut WebSocketStream<TcpStream>) -> Message {
    tokio::time::timeout(WAIT, ws.next()).await.expect("a message in time").expect("open").expect("no error")
}

/// Waits for the client's close frame and returns its code.
async fn close_code(ws: &mut WebSocketStream<TcpStream>) -> u16 {
    loop {
        match next_message(ws).await {
            Message::Close(Some(frame)) => return u16::from(frame.code),
            Message::Close(None) => panic!("closed without a code"),
            _ => {}
        }
    }
}

/// A client of `hub` with fast reconnects whose errors and states are recorded.
struct Observed {
    client: Client,
    errors: mpsc::UnboundedReceiver<Error>,
    states: Arc<Mutex<Vec<ConnectionState>>>,
    _handlers: Vec<herald_subscriber::Handler>,
}

fn observe(client: Client) -> Observed {
    let (tx, errors) = mpsc::unbounded_channel();
    let on_error = client.on_error(move |error| {
        let _ = tx.send(error.clone());
    });
    let states = Arc::new(Mutex::new(Vec::new()));
    let record = states.clone();
    let on_state = client.on_state(move |state| record.lock().unwrap().push(state.clone()));
    Observed { client, errors, states, _handlers: vec![on_error, on_state] }
}

impl Observed {
    async fn next_error(&mut self) -> Error {
        tokio::time::timeout(WAIT, self.errors.recv()).await.expect("an error in time").expect("client alive")
    }
}

#[tokio::test]
async fn an_oversize_message_from_the_hub_is_refused_with_1009_and_the_client_reconnects() {
    let hub = FakeHub::start().await;
    let mut observed = observe(Client::builder(hub.url()).token("t").backoff(fast_backoff()).connect());
    let mut first = hub.accept_authenticated().await;
    tokio::time::timeout(WAIT, observed.client.connected()).await.expect("connected in time").unwrap();

    // 2 MiB: under tungstenite's own defaults (16 MiB frames, 64 MiB messages), over the
    // client's 1 MiB default.
    let size = 2 << 20;
    first.send(Message::text(" ".repeat(size))).await.unwrap();
    assert_eq!(close_code(&mut first).await, 1009, "the client says why it closes");
    let error = observed.next_error().await;
    assert_eq!(error, Error::MessageTooBig { size, limit: DEFAULT_MAX_MESSAGE_BYTES });
    assert!(error.is_retryable());

    // It reconnects (after the backoff) and authenticates again.
    let _second = hub.accept_authenticated().await;
    let states = observed.states.lock().unwrap().clone();
    let refused_at = states.iter().position(|s| *s == ConnectionState::Connected).expect("was connected");
    assert!(
        states[refused_at..].iter().any(|s| matches!(s, ConnectionState::Reconnecting { .. })),
        "the refusal shows as Reconnecting: {states:?}"
    );
    observed.client.close();
}

#[tokio::test]
async fn a_frame_header_announcing_an_oversize_message_is_refused_before_its_payload() {
    let hub = FakeHub::start().await;
    let mut observed = observe(Client::builder(hub.url()).token("t").backoff(fast_backoff()).connect());
    let mut first = hub.accept_authenticated().await;
    tokio::time::timeout(WAIT, observed.client.connected()).await.expect("connected in time").unwrap();

    // A FIN text frame header announcing 8 MiB (64-bit length), then 16 bytes and nothing
    // more. A client that waited for (and buffered) the payload would never answer.
    let announced: u64 = 8 << 20;
    let mut header = vec![0x81, 127];
    header.extend_from_slice(&announced.to_be_bytes());
    header.extend_from_slice(&[b' '; 16]);
    first.get_mut().write_all(&header).await.unwrap();
    first.get_mut().flush().await.unwrap();

    assert_eq!(close_code(&mut first).await, 1009);
    let error = observed.next_error().await;
    assert_eq!(error, Error::MessageTooBig { size: announced as usize, limit: DEFAULT_MAX_MESSAGE_BYTES });
    let _second = hub.accept_authenticated().await;
    observed.client.close();
}

#[tokio::test]
async fn the_builder_sets_the_message_size_limit() {
    let hub = FakeHub::start().await;
    let limit = 4096;
    let mut observed =
        observe(Client::builder(hub.url()).token("t").backoff(fast_backoff()).max_message_bytes(limit).connect());
    let mut first = hub.accept_authenticated().await;
    tokio::time::timeout(WAIT, observed.client.connected()).await.expect("connected in time").unwrap();

    // Exactly the limit is read (and ignored: it is no frame); one byte more is refused.
    first.send(Message::text(" ".repeat(limit))).await.unwrap();
    first.send(Message::text(" ".repeat(limit + 1))).await.unwrap();
    assert_eq!(close_code(&mut first).await, u16::from(CloseCode::Size));
    assert_eq!(observed.next_error().await, Error::MessageTooBig { size: limit + 1, limit });
    let _second = hub.accept_authenticated().await;
    observed.client.close();
}
