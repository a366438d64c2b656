//! The native driver: one tokio task, `select!` over the socket, application commands, the
//! token provider and the core's next timer.
//!
//! The core's clock is tokio's ([`now`]): the same as `std::time::now()` in
//! production, and the runtime's paused or simulated time under `start_paused` tests and
//! turmoil, so deadlines the core computes match the timers the driver sleeps on.
//!
//! Message size: tungstenite enforces [`ProtoConfig::max_message_bytes`] on every frame and
//! message as it reads (a frame header announcing more is refused before its payload is
//! read), and a refusal goes to [`ClientProto::handle_message_too_big`].

use std::future::Future;
use std::pin::Pin;

use futures_util::{Sink, SinkExt, Stream, StreamExt};
use herald_event_types::{CloseCode, ErrorCode};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{CapacityError, UrlError};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};

use super::{Core, Driver, seed, unix_ms};
use crate::client::TokenFuture;
use crate::connector::{ConnectTarget, Connector};
use crate::proto::{Action, ClientProto, ProtoConfig, Refusal};
use crate::time::Instant;

/// An open WebSocket over TCP (the default) or over a custom connector's transport.
trait WsSocket: Stream<Item = Result<Message, WsError>> + Sink<Message, Error = WsError> + Unpin + Send {}
impl<T> WsSocket for T where T: Stream<Item = Result<Message, WsError>> + Sink<Message, Error = WsError> + Unpin + Send {}

type Socket = Box<dyn WsSocket>;
type Connecting = Pin<Box<dyn Future<Output = Result<Socket, ConnectFailed>> + Send>>;

/// Why a connection attempt failed.
enum ConnectFailed {
    /// The hub answered the upgrade with an HTTP error (429, 503, 404, …).
    Refused(Refusal),
    /// Retrying cannot help: an invalid URL, `wss://` without TLS support.
    Unrecoverable(String),
    /// Anything else: no route, refused TCP, a broken handshake.
    Other(String),
}

impl ConnectFailed {
    fn from_ws(url: &str, error: WsError) -> Self {
        match error {
            WsError::Http(response) => Self::Refused(refusal(url, &response)),
            WsError::Url(UrlError::TlsFeatureNotEnabled) => Self::Unrecoverable(format!(
                "{url}: wss:// needs TLS, which this build of the client does not have; \
                 use ws:// behind a TLS-terminating proxy, or a connector that does TLS"
            )),
            WsError::Url(error) => Self::Unrecoverable(format!("{url}: {error}")),
            other => Self::Other(format!("{url}: {other}")),
        }
    }
}

/// Reads the hub's refusal: status, `Retry-After` (seconds) and the `{"code","message"}` body.
fn refusal(url: &str, response: &tokio_tungstenite::tungstenite::http::Response<Option<Vec<u8>>>) -> Refusal {
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map(crate::time::Duration::from_secs);
    let body: serde_json::Value =
        response.body().as_deref().and_then(|bytes| serde_json::from_slice(bytes).ok()).unwrap_or_default();
    Refusal {
        url: url.to_owned(),
        status: response.status().as_u16(),
        code: body["code"].as_str().map(ErrorCode::from),
        message: body["message"].as_str().unwrap_or_default().to_owned(),
        retry_after,
    }
}

pub(crate) fn spawn(driver: Driver) {
    tokio::spawn(run(driver));
}

/// Now, on tokio's clock (see the module docs).
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// tungstenite's limits for a client that accepts messages of at most `max_message_bytes`
/// (one frame cannot be larger than the message it carries).
fn ws_config(max_message_bytes: usize) -> WebSocketConfig {
    WebSocketConfig::default().max_message_size(Some(max_message_bytes)).max_frame_size(Some(max_message_bytes))
}

fn connect(url: String, connector: Option<Connector>, max_message_bytes: usize) -> Connecting {
    Box::pin(async move {
        let mut request =
            url.as_str().into_client_request().map_err(|e| ConnectFailed::Unrecoverable(format!("{url}: {e}")))?;
        request.headers_mut().insert("sec-websocket-protocol", "herald.v1".parse().expect("static header"));
        let config = Some(ws_config(max_message_bytes));
        let Some(connector) = connector else {
            if url.starts_with("wss://") {
                // tokio-tungstenite would only find out after the TCP connection.
                return Err(ConnectFailed::from_ws(&url, WsError::Url(UrlError::TlsFeatureNotEnabled)));
            }
            let (socket, _) = tokio_tungstenite::connect_async_with_config(request, config, false)
                .await
                .map_err(|e| ConnectFailed::from_ws(&url, e))?;
            return Ok(Box::new(socket) as Socket);
        };
        let target = ConnectTarget::parse(&url).map_err(|e| ConnectFailed::Unrecoverable(format!("{url}: {e}")))?;
        let transport = connector(target).await.map_err(|e| ConnectFailed::Other(format!("{url}: {e}")))?;
        let (socket, _) = tokio_tungstenite::client_async_with_config(request, transport, config)
            .await
            .map_err(|e| ConnectFailed::from_ws(&url, e))?;
        Ok(Box::new(socket) as Socket)
    })
}

async fn run(driver: Driver) {
    let Driver { url, provider, config, mut commands, state, router, connector } = driver;
    let config = ProtoConfig { seed: seed(), ..config };
    let max_message_bytes = config.max_message_bytes;
    let mut core = Core::new(ClientProto::idle(config, now()), state, router);
    let mut socket: Option<Socket> = None;
    let mut connecting: Option<Connecting> = None;
    let mut token: Option<TokenFuture> = None;
    let mut commands_open = true;
    loop {
        // Carry out everything the core asked for.
        while let Some(frame) = core.proto.poll_transmit() {
            if let Some(ws) = socket.as_mut() {
                if let Err(error) = ws.feed(Message::text(frame.to_json())).await {
                    tracing::debug!(%error, "send failed");
                }
            }
        }
        if let Some(ws) = socket.as_mut() {
            let _ = ws.flush().await;
        }
        while let Some(action) = core.proto.poll_action() {
            match action {
                Action::FetchToken => token = Some(provider()),
                Action::Connect => connecting = Some(connect(url.clone(), connector.clone(), max_message_bytes)),
                Action::Disconnect { code, reason } => {
                    connecting = None;
                    if let Some(mut ws) = socket.take() {
                        let frame = CloseFrame {
                            code: WsCloseCode::from(code.as_u16()),
                            reason: Utf8Bytes::from_static(reason),
                        };
                        let _ = tokio::time::timeout(
                            std::time::Duration::from_secs(1),
                            ws.send(Message::Close(Some(frame))),
                        )
                        .await;
                    }
                    core.proto.handle_closed(now(), None, reason);
                }
            }
        }
        core.dispatch_events();
        if !commands_open && core.is_closed() && socket.is_none() && connecting.is_none() {
            return;
        }
        let deadline = core.proto.poll_timeout().map(tokio::time::Instant::from_std);
        tokio::select! {
            command = commands.recv(), if commands_open => {
                commands_open = core.command(command);
            }
            result = async { token.as_mut().expect("guarded").await }, if token.is_some() => {
                token = None;
                core.proto.handle_token(now(), result);
            }
            result = async { connecting.as_mut().expect("guarded").await }, if connecting.is_some() => {
                connecting = None;
                match result {
                    Ok(ws) => {
                        socket = Some(ws);
                        core.proto.handle_connected(now(), unix_ms());
                    }
                    Err(ConnectFailed::Refused(refusal)) => core.proto.handle_refused(now(), refusal),
                    Err(ConnectFailed::Unrecoverable(error)) => {
                        core.proto.handle_unrecoverable(now(), crate::Error::Config(error));
                    }
                    Err(ConnectFailed::Other(error)) => core.proto.handle_closed(now(), None, &error),
                }
            }
            message = async { socket.as_mut().expect("guarded").next().await }, if socket.is_some() => {
                let now = now();
                match message {
                    Some(Ok(Message::Text(text))) => core.proto.handle_text(now, &text),
                    Some(Ok(Message::Close(frame))) => {
                        // tungstenite has queued the reply; let it go out, then report.
                        if let Some(mut ws) = socket.take() {
                            let _ = tokio::time::timeout(std::time::Duration::from_secs(1), ws.send(Message::Close(None))).await;
                        }
                        let (code, reason) = match frame {
                            Some(frame) => (Some(CloseCode::from(u16::from(frame.code))), frame.reason.to_string()),
                            None => (None, "closed without a code".to_owned()),
                        };
                        core.proto.handle_closed(now, code, &reason);
                    }
                    Some(Ok(_)) => core.proto.handle_activity(now),
                    // Refused while reading; the core closes the socket with 1009 (its
                    // `Disconnect` action above) and reconnects with backoff.
                    Some(Err(WsError::Capacity(CapacityError::MessageTooLong { size, .. }))) => {
                        core.proto.handle_message_too_big(now, size);
                    }
                    Some(Err(error)) => {
                        socket = None;
                        core.proto.handle_closed(now, None, &error.to_string());
                    }
                    None => {
                        socket = None;
                        core.proto.handle_closed(now, None, "connection lost");
                    }
                }
            }
            () = async { tokio::time::sleep_until(deadline.expect("guarded")).await }, if deadline.is_some() => {
                core.proto.handle_timeout(now());
            }
        }
    }
}
