//! The WebSocket transport: one persistent connection, `publish` frames pipelined up to
//! `max_in_flight`, acknowledgements matched by `reply_to` (docs/protocol.md §4).
//!
//! The hub handles the frames of one connection in order, so when a connection drops, the
//! events it stored are a prefix of those sent. Every unacknowledged event goes back to the
//! front of the queue in its original order and is sent again with the same id: the stored
//! prefix is answered `duplicate: true`, the rest is stored in order.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{FutureExt, SinkExt, StreamExt};
use herald_event_types::frame::{AuthErrorCode, Authenticate};
use herald_event_types::{ChannelName, ClientFrame, CloseCode, ErrorCode, Reconnect, ServerFrame};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::{ErrorBody, Exit, Tokens, pause, retryable_status};
use crate::backoff::Backoff;
use crate::config::Config;
use crate::error::PublishError;
use crate::event::Published;
use crate::outbox::{Entry, Shared};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long past the hub's heartbeat interval the connection may stay silent before it is
/// considered dead (the hub's default `pong_timeout`).
const SILENCE_MARGIN: Duration = Duration::from_secs(10);
/// Refresh a token this long before it expires (at most half its remaining lifetime).
const REFRESH_MARGIN: Duration = Duration::from_secs(30);
/// Largest message (and frame) read from the hub: 1 MiB (docs/publisher.md, "Response size
/// limit").
const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// Why a session ended.
enum End {
    /// Stopped on purpose; the connection was closed.
    Stopped,
    /// The hub closed the connection with this code.
    Closed(CloseCode),
    /// The hub refused the token (close 4401): the `auth_error` code and message, or
    /// `token_expired` when the token ran out on the live connection.
    Unauthorized(AuthErrorCode, String),
    /// The connection failed.
    Network(String),
}

/// Why a connection attempt failed. Every message names the URL.
enum ConnectError {
    /// The hub refused the token: the `auth_error` code and message.
    Unauthorized(AuthErrorCode, String),
    Terminal(CloseCode),
    /// The hub answered the upgrade with an HTTP error that may pass (429: the address is
    /// over a per-address limit; 503: busy or shutting down; 408, other 5xx), maybe with
    /// `Retry-After`.
    Refused {
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
    /// The URL answered the upgrade with a status that retrying cannot fix (400, 403, 404,
    /// a page instead of an upgrade, …).
    Endpoint(PublishError),
    Other(String),
}

/// Classifies the answer to an upgrade that was not `101 Switching Protocols`, from
/// tungstenite's HTTP error: retried (408, 429, 5xx but 501), the token refused (401), or
/// a permanent error naming `url` (anything else: 400, 403, 404, 405, 501, 200, …).
fn refused(url: &str, response: &tungstenite::http::Response<Option<Vec<u8>>>) -> ConnectError {
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = response.body().as_deref().and_then(ErrorBody::parse);
    let reason = || status.canonical_reason().unwrap_or("no reason phrase").to_owned();
    match status.as_u16() {
        _ if retryable_status(status.as_u16()) => {
            let message = body.map_or_else(reason, |b| format!("{}: {}", b.code, b.message));
            ConnectError::Refused { status: status.as_u16(), message: format!("{url}: {message}"), retry_after }
        }
        401 => {
            let (code, message) = body.map_or_else(
                || (AuthErrorCode::Other("unauthorized".into()), reason()),
                |b| (AuthErrorCode::from(b.code.as_str()), b.message),
            );
            ConnectError::Unauthorized(code, message)
        }
        _ => {
            let (code, message) = body.map_or_else(|| (None, reason()), |b| (Some(b.code), b.message));
            ConnectError::Endpoint(PublishError::Endpoint {
                url: url.to_owned(),
                status: status.as_u16(),
                code,
                message,
            })
        }
    }
}

/// Events sent on the current connection and not yet answered.
#[derive(Default)]
struct Window {
    in_flight: VecDeque<(u32, Entry)>,
    /// Refused with `rate_limited`/`unavailable`: sent again after a pause.
    retry: Vec<Entry>,
    next_id: u32,
    /// After a close 1009 with several events unanswered: how many of them are still to be
    /// sent one at a time, to find the one the hub found too big ([`Window::too_big`]).
    probe: usize,
}

impl Window {
    fn take(&mut self, id: u32) -> Option<Entry> {
        let entry = if self.in_flight.front().is_some_and(|(front, _)| *front == id) {
            self.in_flight.pop_front().map(|(_, entry)| entry)
        } else {
            let at = self.in_flight.iter().position(|(i, _)| *i == id)?;
            self.in_flight.remove(at).map(|(_, entry)| entry)
        };
        self.probe = self.probe.saturating_sub(1);
        entry
    }

    fn unanswered(&mut self) -> Vec<Entry> {
        let mut all: Vec<Entry> = self.in_flight.drain(..).map(|(_, entry)| entry).collect();
        all.append(&mut self.retry);
        all
    }

    /// Most `publish` frames in flight: one at a time while probing after a 1009.
    fn limit(&self, config: &Config) -> usize {
        if self.probe > 0 { 1 } else { config.max_in_flight }
    }

    /// The hub closed the connection with 1009 (message too big): a `publish` frame was
    /// over its message limit (its `max_message_bytes` is below this publisher's
    /// `max_event_bytes` plus the frame), and the hub handled none of the frames after it.
    /// With one event unanswered, that is the one: it fails with `too_large`, the rest is
    /// sent again. With several, they are sent again one at a time, oldest first, until the
    /// culprit shows (the hub answers every frame before the one it refuses, so it is
    /// usually the first), then pipelined again: only the culprit fails. Returns the failed
    /// event, if it is known.
    fn too_big(&mut self, config: &Config) -> Option<(Entry, Result<Published, PublishError>)> {
        if self.in_flight.len() != 1 {
            // With none in flight there is nothing to blame (reconnecting is all we can do).
            self.probe = self.probe.max(self.in_flight.len());
            return None;
        }
        let (_, entry) = self.in_flight.pop_front()?;
        // Found: the hub handled none of the frames after it, so no other event is suspect.
        self.probe = 0;
        let bytes = entry.json.as_ref().map_or(entry.bytes, String::len);
        let message = format!(
            "the hub closed the connection with 1009 (message too big) on this event of {bytes} bytes: its \
             WebSocket message limit (HERALD_MAX_MESSAGE_BYTES) is below this publisher's max_event_bytes ({}) \
             plus the publish frame; make the event smaller, lower max_event_bytes, or raise the hub's limit",
            config.max_event_bytes
        );
        tracing::warn!(id = %entry.event.id(), bytes, "{message}");
        Some((entry, Err(PublishError::Rejected { code: ErrorCode::TooLarge, message })))
    }
}

pub(crate) async fn run(shared: &Shared, config: &Config, url: &str) -> Option<PublishError> {
    let mut tokens = Tokens::new(config);
    let mut backoff = Backoff::new(config.backoff_min, config.backoff_max);
    let mut exit = Exit::default();
    let mut window = Window::default();
    let mut attempts = 0u64;
    // Consecutive failed connection attempts: the first is logged at `warn`, the rest at
    // `debug`, so a hub that stays unreachable shows once without flooding the log.
    let mut failures = 0u64;
    loop {
        if exit.now(shared, config) {
            return None;
        }
        let Some(token) = tokens.get(shared, &mut backoff, &mut exit, config).await else {
            return (!exit.now(shared, config)).then(|| tokens.unauthorized());
        };
        if attempts > 0 {
            shared.counters.reconnects.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        attempts += 1;
        let delay = match connect(url, &token, config).await {
            Ok((ws, heartbeat, expires_at_ms)) => {
                tracing::debug!(url, "connected");
                if failures > 0 {
                    tracing::info!(url, failures, "connected again");
                }
                failures = 0;
                backoff.reset();
                let end =
                    session(shared, config, ws, &mut window, heartbeat, expires_at_ms, &mut tokens, &mut exit).await;
                if matches!(end, End::Closed(CloseCode::MessageTooBig)) {
                    shared.complete(window.too_big(config));
                }
                shared.requeue(window.unanswered());
                match end {
                    End::Stopped => return None,
                    End::Network(reason) => {
                        tracing::info!(url, %reason, "connection lost; reconnecting");
                        backoff.next_delay()
                    }
                    End::Unauthorized(code, message) => {
                        if let Err(error) = tokens.refused(code, message) {
                            return Some(error);
                        }
                        backoff.next_delay()
                    }
                    End::Closed(CloseCode::MessageTooBig) => {
                        tracing::info!(
                            url,
                            probing = window.probe,
                            "hub closed the connection with 1009; reconnecting"
                        );
                        backoff.next_delay()
                    }
                    End::Closed(code) => {
                        tracing::info!(url, code = code.as_u16(), "hub closed the connection");
                        match code.reconnect() {
                            Reconnect::AfterBackoffCap => backoff.cap() + backoff.next_delay(),
                            Reconnect::Never if code != CloseCode::Normal => {
                                return Some(PublishError::Terminated { code });
                            }
                            _ => backoff.next_delay(),
                        }
                    }
                }
            }
            Err(ConnectError::Unauthorized(code, message)) => {
                if let Err(error) = tokens.refused(code, message) {
                    return Some(error);
                }
                backoff.next_delay()
            }
            Err(ConnectError::Terminal(code)) => return Some(PublishError::Terminated { code }),
            Err(ConnectError::Endpoint(error)) => return Some(error),
            Err(ConnectError::Refused { status, message, retry_after }) => {
                failures += 1;
                // As after close 4429: a 429 waits at least the backoff cap; never before
                // the hub's `Retry-After` (docs/protocol.md §9.16, §9.18).
                let mut delay = backoff.next_delay();
                if status == 429 {
                    delay = delay.max(backoff.cap());
                }
                let delay = delay.max(retry_after.unwrap_or_default());
                if failures == 1 {
                    tracing::warn!(status, %message, ?delay, "the hub refused the connection; retrying");
                } else {
                    tracing::debug!(status, %message, ?delay, "the hub refused the connection; retrying");
                }
                delay
            }
            Err(ConnectError::Other(reason)) => {
                failures += 1;
                if failures == 1 {
                    tracing::warn!(%reason, "cannot connect to the hub; retrying with backoff");
                } else {
                    tracing::debug!(%reason, "cannot connect; retrying");
                }
                backoff.next_delay()
            }
        };
        pause(shared, delay, &exit).await;
    }
}

/// Connects and authenticates (`Authorization: Bearer`); returns the heartbeat interval and
/// when the token expires (ms since the Unix epoch).
async fn connect(url: &str, token: &str, config: &Config) -> Result<(Ws, Duration, i64), ConnectError> {
    let other = |e: tungstenite::Error| ConnectError::Other(format!("{url}: {e}"));
    let mut request = url.into_client_request().map_err(other)?;
    let bearer = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
        ConnectError::Unauthorized(AuthErrorCode::InvalidToken, "the token is not a valid HTTP header value".into())
    })?;
    request.headers_mut().insert("authorization", bearer);
    request.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_static("herald.v1"));
    let attempt = async {
        // The hub only answers with small frames (acknowledgements, errors): 1 MiB per
        // message and per frame, so a frame header announcing more is refused before its
        // payload is read (the connection then fails and is retried with backoff).
        let ws_config = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE_BYTES))
            .max_frame_size(Some(MAX_MESSAGE_BYTES));
        let (mut ws, _) =
            tokio_tungstenite::connect_async_with_config(request, Some(ws_config), true).await.map_err(|error| {
                match &error {
                    tungstenite::Error::Http(response) => refused(url, response),
                    _ => other(error),
                }
            })?;
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) => match ServerFrame::decode(&text) {
                    Ok(ServerFrame::Authenticated(auth)) => {
                        return Ok((ws, Duration::from_millis(auth.heartbeat_ms), auth.expires_at.unix_millis()));
                    }
                    // Followed by close 4401.
                    Ok(ServerFrame::AuthError(error)) => {
                        return Err(ConnectError::Unauthorized(error.code, error.message));
                    }
                    _ => {}
                },
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) =
                        frame.map_or((1005, String::new()), |f| (u16::from(f.code), f.reason.as_str().to_owned()));
                    let code = CloseCode::from(code);
                    return Err(match code.reconnect() {
                        Reconnect::RefreshToken => {
                            ConnectError::Unauthorized(AuthErrorCode::Other("unauthorized".into()), reason)
                        }
                        Reconnect::Never if code != CloseCode::Normal => ConnectError::Terminal(code),
                        _ => ConnectError::Other(format!("{url}: closed with {code} before authentication")),
                    });
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(other(error)),
                None => return Err(ConnectError::Other(format!("{url}: closed before authentication"))),
            }
        }
    };
    tokio::time::timeout(config.connect_timeout, attempt).await.unwrap_or_else(|_| {
        Err(ConnectError::Other(format!("{url}: no answer within the connect timeout ({:?})", config.connect_timeout)))
    })
}

/// `{"type":"publish","id":N,"channel":"…","event":…}` around already encoded envelope JSON.
fn encode_publish(id: u32, channel: Option<&ChannelName>, event: &str) -> String {
    use std::fmt::Write;
    let mut frame = String::with_capacity(event.len() + 96);
    let _ = write!(frame, r#"{{"type":"publish","id":{id}"#);
    if let Some(channel) = channel {
        // Channel names are [a-z0-9_-]: nothing to escape.
        let _ = write!(frame, r#","channel":"{channel}""#);
    }
    frame.push_str(r#","event":"#);
    frame.push_str(event);
    frame.push('}');
    frame
}

#[allow(clippy::too_many_arguments)]
async fn session(
    shared: &Shared,
    config: &Config,
    mut ws: Ws,
    window: &mut Window,
    heartbeat: Duration,
    expires_at_ms: i64,
    tokens: &mut Tokens,
    exit: &mut Exit,
) -> End {
    let silence_limit = heartbeat + SILENCE_MARGIN;
    // In-band refresh: with a token provider, fetch a fresh token before this one expires
    // and send it as `authenticate` on the live connection (no reconnect, nothing resent).
    let provider = tokens.provider();
    let mut refresh_at = provider.as_ref().map(|_| refresh_deadline(expires_at_ms));
    let mut refreshing: Option<futures_util::future::BoxFuture<'static, Result<String, crate::error::BoxError>>> = None;
    let mut last_heard = Instant::now();
    let mut paused_until: Option<Instant> = None;
    let mut retry_backoff = Backoff::new(config.backoff_min, config.backoff_max);
    let mut batch = Vec::with_capacity(config.max_batch);
    let mut done = Vec::new();
    let mut auth_error = None;
    loop {
        if paused_until.is_some_and(|at| Instant::now() >= at) {
            paused_until = None;
            shared.requeue(std::mem::take(&mut window.retry));
        }
        if paused_until.is_none() {
            let mut sent = false;
            while window.in_flight.len() < window.limit(config) {
                let room = (window.limit(config) - window.in_flight.len()).min(config.max_batch);
                shared.take(room, usize::MAX, &mut batch);
                if batch.is_empty() {
                    break;
                }
                // Drained, not replaced: the batch's allocation is reused for every burst.
                let mut entries = batch.drain(..);
                while let Some(mut entry) = entries.next() {
                    let id = window.next_id;
                    window.next_id = window.next_id.wrapping_add(1);
                    entry.json();
                    let json = entry.json.as_deref().unwrap_or_default();
                    let frame = encode_publish(id, entry.event.channel.as_ref(), json);
                    window.in_flight.push_back((id, entry));
                    if let Err(error) = ws.feed(Message::text(frame)).await {
                        shared.requeue(entries.collect());
                        return End::Network(error.to_string());
                    }
                    sent = true;
                }
            }
            if sent && let Err(error) = ws.flush().await {
                return End::Network(error.to_string());
            }
        }
        if exit.now(shared, config) {
            let normal = tungstenite::protocol::CloseFrame {
                code: tungstenite::protocol::frame::coding::CloseCode::Normal,
                reason: "publisher closed".into(),
            };
            let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(Some(normal))).await;
            return End::Stopped;
        }
        let can_send = paused_until.is_none() && window.in_flight.len() < window.limit(config);
        let far = Instant::now() + Duration::from_secs(3600);
        tokio::select! {
            biased;
            message = ws.next() => {
                last_heard = Instant::now();
                let mut next = Some(message);
                // Handle every frame already received before waking anyone.
                while let Some(message) = next.take() {
                    match message {
                        Some(Ok(Message::Text(text))) => {
                            if text.starts_with(r#"{"type":"authenticated""#) {
                                if let Ok(ServerFrame::Authenticated(auth)) = ServerFrame::decode(&text) {
                                    refresh_at = provider.as_ref().map(|_| refresh_deadline(auth.expires_at.unix_millis()));
                                }
                            }
                            if let Some(refusal) = on_frame(&text, window, &mut done, &mut paused_until, &mut retry_backoff) {
                                auth_error = Some(refusal);
                            }
                        }
                        Some(Ok(Message::Close(frame))) => {
                            shared.complete(done.drain(..));
                            let code = CloseCode::from(frame.as_ref().map_or(1005, |f| u16::from(f.code)));
                            if code == CloseCode::Unauthorized {
                                // A refused in-band refresh (its `auth_error` came first), or
                                // the token ran out without one.
                                let (code, message) = auth_error.take().unwrap_or_else(|| {
                                    let reason = frame.map(|f| f.reason.as_str().to_owned()).unwrap_or_default();
                                    (AuthErrorCode::TokenExpired, format!("the hub closed the connection with 4401 ({reason})"))
                                });
                                return End::Unauthorized(code, message);
                            }
                            return End::Closed(code);
                        }
                        Some(Ok(_)) => {}
                        Some(Err(error)) => {
                            shared.complete(done.drain(..));
                            return End::Network(error.to_string());
                        }
                        None => {
                            shared.complete(done.drain(..));
                            return End::Network("connection closed".into());
                        }
                    }
                    if done.len() < 1024 {
                        next = ws.next().now_or_never();
                    }
                }
                shared.complete(done.drain(..));
            }
            () = shared.wake.notified(), if can_send => {}
            () = tokio::time::sleep_until(refresh_at.unwrap_or(far)), if refresh_at.is_some() && refreshing.is_none() => {
                refresh_at = None;
                if let Some(provider) = provider.clone() {
                    shared.counters.token_refreshes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    refreshing = Some(Box::pin(async move { provider.fetch().await }));
                }
            }
            result = async { refreshing.as_mut().expect("guarded").await }, if refreshing.is_some() => {
                refreshing = None;
                match result {
                    Ok(token) => {
                        let frame = ClientFrame::Authenticate(Authenticate { id: None, token: token.clone() });
                        tokens.set(token);
                        if let Err(error) = ws.send(Message::text(frame.to_json())).await {
                            return End::Network(error.to_string());
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "token provider failed; retrying the refresh");
                        refresh_at = Some(Instant::now() + config.backoff_min);
                    }
                }
            }
            () = tokio::time::sleep_until(paused_until.unwrap_or(far)), if paused_until.is_some() => {}
            () = tokio::time::sleep_until(exit.deadline().unwrap_or(far)), if exit.deadline().is_some() => {}
            () = tokio::time::sleep_until(last_heard + silence_limit) => {
                return End::Network("hub silent for longer than heartbeat + 10 s".into());
            }
        }
    }
}

/// When to refresh a token expiring at `expires_at_ms`: 30 s before, or halfway through the
/// remaining lifetime when that is shorter.
fn refresh_deadline(expires_at_ms: i64) -> Instant {
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    let remaining = Duration::from_millis(expires_at_ms.saturating_sub(now_ms).max(0) as u64);
    Instant::now() + remaining.saturating_sub(REFRESH_MARGIN.min(remaining / 2))
}

/// Handles one hub frame: an acknowledgement or a refusal of a publish. Returns the code and
/// message of an `auth_error` (a refused in-band refresh; close 4401 follows).
fn on_frame(
    text: &str,
    window: &mut Window,
    done: &mut Vec<(Entry, Result<Published, PublishError>)>,
    paused_until: &mut Option<Instant>,
    retry_backoff: &mut Backoff,
) -> Option<(AuthErrorCode, String)> {
    match ServerFrame::decode(text) {
        Ok(ServerFrame::AuthError(error)) => return Some((error.code, error.message)),
        Ok(ServerFrame::Published(ack)) => {
            if let Some(entry) = ack.reply_to.and_then(|id| window.take(id)) {
                retry_backoff.reset();
                done.push((
                    entry,
                    Ok(Published { channel: ack.channel, offset: ack.offset, duplicate: ack.duplicate }),
                ));
            }
        }
        Ok(ServerFrame::Error(error)) => {
            let Some(entry) = error.reply_to.and_then(|id| window.take(id)) else {
                tracing::debug!(code = %error.code, message = %error.message, "hub error without a request");
                return None;
            };
            match error.code {
                ErrorCode::RateLimited | ErrorCode::Unavailable | ErrorCode::NotAuthenticated => {
                    tracing::debug!(code = %error.code, "publish refused for now; will retry");
                    window.retry.push(entry);
                    let delay = retry_backoff.next_delay().max(Duration::from_millis(1));
                    paused_until.get_or_insert(Instant::now() + delay);
                }
                code => {
                    tracing::warn!(id = %entry.event.id(), %code, message = %error.message, "hub rejected an event");
                    done.push((entry, Err(PublishError::Rejected { code, message: error.message })));
                }
            }
        }
        _ => {}
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_frames_decode_as_client_frames() {
        let envelope = r#"{"id":"e1","event_type":"x","category":"SYSTEM","priority":"LOW","timestamp":"2026-11-22T10:00:00Z","source":"s","data":{}}"#;
        let channel = ChannelName::new("builds").unwrap();
        let frame = encode_publish(7, Some(&channel), envelope);
        let decoded = herald_event_types::ClientFrame::decode(&frame).unwrap();
        let herald_event_types::ClientFrame::Publish(publish) = decoded else { panic!("{decoded:?}") };
        assert_eq!((publish.id, publish.channel.unwrap().as_str()), (Some(7), "builds"));
        assert!(herald_event_types::ClientFrame::decode(&encode_publish(u32::MAX, None, envelope)).is_ok());
    }

    #[test]
    fn window_matches_out_of_order_replies() {
        let mut window = Window::default();
        for id in 0..3 {
            let event = crate::OutgoingEvent::new(&herald_event_types::events::PipelineDeleted {
                pipeline_id: format!("p-{id}"),
            })
            .unwrap();
            window.in_flight.push_back((id, Entry::new(event, None)));
        }
        assert_eq!(window.take(1).unwrap().event.subject(), "p-1");
        assert_eq!(window.take(0).unwrap().event.subject(), "p-0");
        assert!(window.take(1).is_none());
        assert_eq!(window.unanswered().len(), 1);
    }
}
