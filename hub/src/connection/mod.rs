//! One WebSocket connection: authentication, requests, heartbeats and closing.
//!
//! The session task reads frames and runs timers; a writer task drains the connection's
//! bounded queue ([`outbound`]). Everything the hub sends goes through that queue, so
//! answers, replays and live events keep their order. See `docs/protocol.md` for every
//! frame, error code and close code used here.

mod cleanup;
#[cfg(feature = "__echo")]
pub(crate) mod echo;
pub(crate) mod outbound;

use std::net::IpAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use futures_util::StreamExt;
use futures_util::stream::SplitStream;
use herald_event_types::frame::{AuthError, AuthErrorCode, Authenticated, ErrorFrame, Pong, Published, User};
use herald_event_types::{ClientFrame, CloseCode, ErrorCode, ServerFrame, Timestamp};
use tokio::time::{Instant, sleep_until};
use tracing::Instrument;

use crate::auth::Identity;
use crate::broker::{BrokerError, HistoryQuery};
use crate::limits::{IpSlot, SlidingWindow};
use crate::state::{HubState, unix_millis_now};
use cleanup::Cleanup;
use outbound::{ConnHandle, SERVER_ERROR, write_loop};

/// More than this many bad frames within [`BAD_FRAME_WINDOW`] close the connection (4500).
const MAX_BAD_FRAMES: usize = 100;
const BAD_FRAME_WINDOW: Duration = Duration::from_secs(10);
/// How long to wait for the peer's half of the closing handshake.
const CLOSE_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(3);
/// Before authentication the hub answers at most this many frames; the next one closes the
/// connection with 4500, so an unauthenticated peer cannot make the hub write without end.
const MAX_PRE_AUTH_REPLIES: usize = 8;

/// Runs one upgraded connection to its end. `offered` is a token from the `Authorization`
/// header or the `herald.bearer.` subprotocol; `ip_slot` is the connection's place in the
/// per-address limit.
///
/// Everything the connection holds is released by a [`Cleanup`] guard, also when the session
/// panics. The per-user and per-address places and the `herald_connections` gauge are
/// released only once the socket is really gone: after the writer finished, or was aborted
/// `write_timeout` after the session ended.
pub(crate) async fn serve(socket: WebSocket, state: Arc<HubState>, offered: Option<String>, ip_slot: IpSlot) {
    let key = state.next_key();
    let connection_id = format!("c-{key:x}-{:08x}", rand::random::<u32>());
    let conn = Arc::new(ConnHandle::new(key, state.config.client_queue_bytes));
    state.metrics.connections.fetch_add(1, Relaxed);
    state.metrics.connections_total.fetch_add(1, Relaxed);
    let (sink, stream) = socket.split();
    let writer = tokio::spawn({
        let (conn, metrics, write_timeout) = (conn.clone(), state.metrics.clone(), state.config.write_timeout);
        async move { write_loop(&conn, sink, &metrics, write_timeout).await }
    });
    let client = ip_slot.ip();
    let ip_slot = Some(ip_slot);
    let mut cleanup = Cleanup { state: state.clone(), conn: conn.clone(), user: None, ip_slot, writer: Some(writer) };

    let span = tracing::info_span!("connection", id = %connection_id);
    let mut session = Session::new(state, conn, connection_id, client, &mut cleanup.user);
    session.run(stream, offered).instrument(span).await;
    drop(session);
    cleanup.finish().await;
}

/// The close code for a failed read: tungstenite reports protocol failures only as errors,
/// so the hub maps them to 1009 (too big), 1007 (bad UTF-8) and 1002 (protocol error).
pub(crate) fn close_code_for(error: axum::Error) -> (CloseCode, &'static str) {
    use tokio_tungstenite::tungstenite::Error as WsError;
    use tokio_tungstenite::tungstenite::error::CapacityError;
    let inner = error.into_inner();
    match inner.downcast_ref::<WsError>() {
        Some(WsError::Capacity(CapacityError::MessageTooLong { .. })) => (CloseCode::MessageTooBig, "message too big"),
        Some(WsError::Capacity(_)) => (CloseCode::MessageTooBig, "frame too big"),
        Some(WsError::Utf8(_)) => (CloseCode::InvalidPayload, "invalid utf-8"),
        Some(WsError::Protocol(_)) => (CloseCode::ProtocolError, "protocol error"),
        _ => {
            tracing::debug!(error = %inner, "websocket read failed");
            (SERVER_ERROR, "read failed")
        }
    }
}

/// Keeps reading after a close was sent until the peer completes the closing handshake (or
/// [`CLOSE_HANDSHAKE_TIMEOUT`] passes): leaving on our own Close would drop the TCP
/// connection before the handshake completes.
pub(crate) async fn finish_close_handshake(stream: &mut SplitStream<WebSocket>) {
    let _ = tokio::time::timeout(CLOSE_HANDSHAKE_TIMEOUT, async { while stream.next().await.is_some() {} }).await;
}

struct Session<'a> {
    state: Arc<HubState>,
    conn: Arc<ConnHandle>,
    connection_id: String,
    /// Shared so each request can hold it cheaply while the session is borrowed mutably.
    identity: Option<Arc<Identity>>,
    /// When the token (plus grace) runs out; only while authenticated.
    expires: Option<Instant>,
    auth_deadline: Instant,
    next_ping: Instant,
    pong_deadline: Option<Instant>,
    bad_frames: SlidingWindow,
    /// The client's address (behind a trusted proxy: the forwarded one), for the per-address
    /// failed-authentication limit.
    client: IpAddr,
    /// Frames answered before authentication succeeded (at most [`MAX_PRE_AUTH_REPLIES`]).
    pre_auth_replies: usize,
    /// Set to `(org, sub)` once the connection counts against the per-user limit; owned by
    /// the connection's [`Cleanup`], which releases it.
    user: &'a mut Option<(String, String)>,
}

impl<'a> Session<'a> {
    fn new(
        state: Arc<HubState>,
        conn: Arc<ConnHandle>,
        connection_id: String,
        client: IpAddr,
        user: &'a mut Option<(String, String)>,
    ) -> Self {
        let now = Instant::now();
        Self {
            auth_deadline: now + state.config.auth_timeout,
            next_ping: now + state.config.heartbeat,
            state,
            conn,
            connection_id,
            identity: None,
            expires: None,
            pong_deadline: None,
            bad_frames: SlidingWindow::new(MAX_BAD_FRAMES, BAD_FRAME_WINDOW),
            client,
            pre_auth_replies: 0,
            user,
        }
    }

    async fn run(&mut self, mut stream: SplitStream<WebSocket>, offered: Option<String>) {
        if let Some(token) = offered {
            self.authenticate(&token, None);
        }
        let shutdown = self.state.shutdown.clone();
        #[cfg(feature = "__echo")]
        let mut drop_all = self.state.drop_all.subscribe();
        // Without the test routes nothing ever drops connections: keep the sender, never send.
        #[cfg(not(feature = "__echo"))]
        let (_never, mut drop_all) = tokio::sync::watch::channel(0u64);
        while !self.conn.is_closing() {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => self.conn.close_now(CloseCode::GoingAway, "hub shutting down", None),
                Ok(()) = drop_all.changed() => self.conn.close_now(CloseCode::Other(4000), "dropped by test route", None),
                () = self.conn.done.cancelled() => break,
                () = sleep_until(self.next_deadline()) => self.on_timer(Instant::now()),
                message = stream.next() => match message {
                    Some(Ok(message)) => self.on_message(message).await,
                    Some(Err(error)) => self.on_read_error(error),
                    None => {
                        // The peer went away (or finished a closing handshake it started).
                        self.conn.close_now(CloseCode::Normal, "", None);
                        return;
                    }
                },
            }
        }
        if let Some(closing) = self.conn.closing() {
            tracing::debug!(code = %closing.code, reason = closing.reason, "closing");
        }
        finish_close_handshake(&mut stream).await;
    }

    fn next_deadline(&self) -> Instant {
        let mut deadline = self.next_ping;
        if self.identity.is_none() {
            deadline = deadline.min(self.auth_deadline);
        }
        for candidate in [self.expires, self.pong_deadline].into_iter().flatten() {
            deadline = deadline.min(candidate);
        }
        deadline
    }

    fn on_timer(&mut self, now: Instant) {
        if self.identity.is_none() && now >= self.auth_deadline {
            self.auth_failure(
                None,
                AuthErrorCode::AuthTimeout,
                "no authentication within auth_timeout",
                CloseCode::Timeout,
            );
        } else if self.expires.is_some_and(|at| now >= at) {
            self.auth_failure(
                None,
                AuthErrorCode::TokenExpired,
                "token expired and was not refreshed",
                CloseCode::Unauthorized,
            );
        } else if self.pong_deadline.is_some_and(|at| now >= at) {
            self.conn.close_now(CloseCode::Timeout, "pong timeout", None);
        } else if now >= self.next_ping {
            self.conn.ping();
            self.next_ping = now + self.state.config.heartbeat;
            self.pong_deadline.get_or_insert(now + self.state.config.pong_timeout);
        }
    }

    fn on_read_error(&mut self, error: axum::Error) {
        let (code, reason) = close_code_for(error);
        self.conn.close(code, reason, None);
    }

    async fn on_message(&mut self, message: Message) {
        // Any traffic shows the peer is alive.
        self.pong_deadline = None;
        match message {
            Message::Text(text) => self.on_text(&text).await,
            Message::Binary(_) => {
                if !self.admit_before_auth() {
                    return;
                }
                self.bad_frame();
                self.error(None, ErrorCode::BadRequest, "binary frames are not supported; send JSON text frames");
            }
            Message::Ping(_) | Message::Pong(_) | Message::Close(_) => {}
        }
    }

    fn send(&self, frame: &ServerFrame) {
        self.conn.push(Utf8Bytes::from(frame.to_json()));
    }

    fn error(&self, reply_to: Option<u32>, code: ErrorCode, message: impl Into<String>) {
        self.send(&ServerFrame::Error(ErrorFrame { reply_to, code, message: message.into() }));
    }

    /// Before authentication, counts a frame other than `authenticate`: `false` (and the
    /// connection closing with 4500) once more than [`MAX_PRE_AUTH_REPLIES`] arrived. Always
    /// `true` once authenticated.
    fn admit_before_auth(&mut self) -> bool {
        if self.identity.is_some() {
            return true;
        }
        self.pre_auth_replies += 1;
        if self.pre_auth_replies <= MAX_PRE_AUTH_REPLIES {
            return true;
        }
        self.state.metrics.bad_frames.fetch_add(1, Relaxed);
        self.conn.close(CloseCode::ProtocolViolation, "too many frames before authentication", None);
        false
    }

    /// Answers a request the broker failed: the broker's own text goes to the log, never to
    /// the client, which gets `unavailable` and a fixed message.
    fn unavailable(&self, reply_to: Option<u32>, error: &BrokerError) {
        tracing::warn!(%error, "broker request failed");
        self.error(reply_to, ErrorCode::Unavailable, BrokerError::CLIENT_MESSAGE);
    }

    fn bad_frame(&mut self) {
        self.state.metrics.bad_frames.fetch_add(1, Relaxed);
        if self.bad_frames.record(Instant::now()) {
            self.conn.close(CloseCode::ProtocolViolation, "too many bad frames", None);
        }
    }

    fn auth_failure(&mut self, reply_to: Option<u32>, code: AuthErrorCode, message: &str, close: CloseCode) {
        self.state.metrics.auth_failures.fetch_add(1, Relaxed);
        let frame = Some(Utf8Bytes::from(
            ServerFrame::AuthError(AuthError { reply_to, code: code.clone(), message: message.to_owned() }).to_json(),
        ));
        if code == AuthErrorCode::TokenExpired {
            // No event may be delivered once the token (plus grace) has run out.
            self.conn.close_now(close, "unauthorized", frame);
        } else {
            self.conn.close(close, "unauthorized", frame);
        }
    }

    async fn on_text(&mut self, text: &str) {
        let decoded = ClientFrame::decode(text);
        if !matches!(decoded, Ok(ClientFrame::Authenticate(_))) && !self.admit_before_auth() {
            return;
        }
        let frame = match decoded {
            Ok(frame) => frame,
            Err(error) => {
                self.bad_frame();
                self.send(&error.to_frame());
                return;
            }
        };
        if let ClientFrame::Authenticate(auth) = &frame {
            self.authenticate(&auth.token, auth.id);
            return;
        }
        let Some(identity) = self.identity.clone() else {
            self.bad_frame();
            self.error(frame.id(), ErrorCode::NotAuthenticated, "authenticate first");
            return;
        };
        match frame {
            ClientFrame::Subscribe(s) => self.subscribe(&identity, s).await,
            ClientFrame::Unsubscribe(u) => {
                // Validated like `subscribe`: an unknown channel is refused and creates nothing.
                if let Err((code, message)) = self.state.check_channel(&u.channel) {
                    return self.error(u.id, code, message);
                }
                self.state.registry.unsubscribe(&self.conn, &identity.org, &u.channel, &u.subject, u.id).await;
            }
            ClientFrame::Publish(p) => self.publish(&identity, p).await,
            ClientFrame::Ping(p) => self.send(&ServerFrame::Pong(Pong { reply_to: p.id })),
            // Authenticate is handled above; frames added later are answered as unknown.
            _ => self.error(frame.id(), ErrorCode::UnknownType, "unsupported frame"),
        }
    }

    fn authenticate(&mut self, token: &str, reply_to: Option<u32>) {
        let now_ms = unix_millis_now();
        let identity = match self.state.auth.verify(token, now_ms) {
            Ok(identity) => identity,
            Err(failure) => {
                tracing::info!(code = %failure.code, "authentication failed");
                self.record_auth_failure();
                return self.auth_failure(reply_to, failure.code, &failure.message, CloseCode::Unauthorized);
            }
        };
        match &self.identity {
            Some(current) if current.sub != identity.sub || current.org != identity.org => {
                self.record_auth_failure();
                let message = "a refreshed token must have the same sub and org";
                return self.auth_failure(reply_to, AuthErrorCode::InvalidToken, message, CloseCode::Unauthorized);
            }
            Some(_) => {
                if let Some(revoked) = self.revoked_by(&identity) {
                    return self.revoke(reply_to, &revoked);
                }
            }
            None => {
                if !self.state.connections.try_acquire(&identity.org, &identity.sub) {
                    let message = "too many connections for this user".to_owned();
                    let frame = ServerFrame::Error(ErrorFrame { reply_to, code: ErrorCode::RateLimited, message });
                    self.conn.close(
                        CloseCode::RateLimited,
                        "too many connections",
                        Some(Utf8Bytes::from(frame.to_json())),
                    );
                    return;
                }
                *self.user = Some((identity.org.clone(), identity.sub.clone()));
                tracing::info!(org = %identity.org, sub = %identity.sub, "authenticated");
            }
        }
        // Saturating: a token may say it expires in the year 292 billion.
        let grace = u64::try_from(self.state.config.token_grace.as_millis()).unwrap_or(u64::MAX);
        let remaining = identity.expires_at_ms.saturating_add(grace).saturating_sub(now_ms);
        self.expires = Instant::now().checked_add(Duration::from_millis(remaining));
        self.send(&ServerFrame::Authenticated(Authenticated {
            reply_to,
            connection_id: self.connection_id.clone(),
            user: User { id: identity.sub.clone(), org: identity.org.clone(), name: identity.name.clone() },
            heartbeat_ms: self.state.config.heartbeat.as_millis() as u64,
            expires_at: Timestamp::from_unix_millis(identity.expires_at_ms),
        }));
        self.identity = Some(Arc::new(identity));
    }

    /// Counts a refused token against the client's address (`max_auth_failures_per_ip`). Not
    /// for a token that expired while connected, or an auth timeout: those are not guesses.
    fn record_auth_failure(&self) {
        self.state.auth_failures.record(self.client);
    }

    /// The first held subscription that `refreshed` no longer allows, as `channel/subject`.
    fn revoked_by(&self, refreshed: &Identity) -> Option<String> {
        let held = self.conn.subscriptions.lock().unwrap_or_else(PoisonError::into_inner);
        let mut revoked: Vec<String> = held
            .iter()
            .filter(|(channel, subject)| !refreshed.subscribe.allows(channel, subject))
            .map(
                |(channel, subject)| {
                    if subject.is_empty() { channel.to_string() } else { format!("{channel}/{subject}") }
                },
            )
            .collect();
        revoked.sort_unstable();
        revoked.into_iter().next()
    }

    /// A refreshed token no longer allows a held subscription: permissions were revoked,
    /// which ends the connection with 4503 after an `error` `forbidden` answering the
    /// `authenticate` (docs/protocol.md §1). Nothing more is delivered under the old rights.
    fn revoke(&mut self, reply_to: Option<u32>, revoked: &str) {
        let message = format!("the refreshed token no longer allows the subscription to {revoked}");
        tracing::info!(revoked, "refreshed token revokes a held subscription");
        let frame = ServerFrame::Error(ErrorFrame { reply_to, code: ErrorCode::Forbidden, message });
        self.conn.close_now(CloseCode::Forbidden, "permissions revoked", Some(Utf8Bytes::from(frame.to_json())));
    }

    async fn subscribe(&mut self, identity: &Identity, s: herald_event_types::frame::Subscribe) {
        if let Err((code, message)) = self.state.check_channel(&s.channel) {
            return self.error(s.id, code, message);
        }
        if !identity.subscribe.allows(&s.channel, &s.subject) {
            let message = format!("no subscribe permission for {}/{}", s.channel, s.subject);
            return self.error(s.id, ErrorCode::Forbidden, message);
        }
        {
            let held = self.conn.subscriptions.lock().unwrap_or_else(PoisonError::into_inner);
            if held.len() >= self.state.config.max_subscriptions
                && !held.contains(&(s.channel.clone(), s.subject.clone()))
            {
                drop(held);
                return self.error(s.id, ErrorCode::TooManySubscriptions, "subscription limit reached");
            }
        }
        let since = s.since.is_some();
        let query = match (s.since, s.history) {
            (Some(position), _) => {
                HistoryQuery::Since { epoch: position.epoch, offset: position.offset, limit: usize::MAX }
            }
            (None, Some(n)) if n > 0 => {
                HistoryQuery::Latest { limit: (n as usize).min(self.state.config.memory.history_size) }
            }
            _ => HistoryQuery::Position,
        };
        let result =
            self.state.registry.subscribe(&self.conn, &identity.org, &s.channel, &s.subject, query, s.id).await;
        match result {
            Ok(outcome) if since => {
                let counter = if outcome.recovered {
                    &self.state.metrics.recoveries_hit
                } else {
                    &self.state.metrics.recoveries_miss
                };
                counter.fetch_add(1, Relaxed);
            }
            Ok(_) => {}
            Err(error) => self.unavailable(s.id, &error),
        }
    }

    async fn publish(&mut self, identity: &Identity, p: herald_event_types::frame::Publish) {
        let received = Instant::now();
        let channel = match self.state.check_publish(identity, p.channel, &p.event) {
            Ok(channel) => channel,
            Err((code, message)) => {
                self.state.metrics.publish_rejected.fetch_add(1, Relaxed);
                return self.error(p.id, code, message);
            }
        };
        if let Err((code, message)) = self.state.check_event_size(&p.event) {
            self.state.metrics.publish_rejected.fetch_add(1, Relaxed);
            return self.error(p.id, code, message);
        }
        if !self.state.rate.try_take(&identity.org, &identity.sub, 1, received) {
            self.state.metrics.publish_rejected.fetch_add(1, Relaxed);
            return self.error(p.id, ErrorCode::RateLimited, "publish rate limit exceeded; retry later");
        }
        match self.state.registry.publish(&identity.org, &channel, &p.event, received).await {
            Ok(appended) => self.send(&ServerFrame::Published(Published {
                reply_to: p.id,
                channel: appended.channel,
                offset: appended.offset,
                duplicate: appended.duplicate,
            })),
            Err(error) => self.unavailable(p.id, &error),
        }
    }
}
