//! The sans-IO protocol core: the whole client protocol, with no sockets, timers, clock or
//! runtime. Drivers feed it inputs and carry out its outputs (quinn-proto's convention):
//!
//! - inputs: [`ClientProto::handle_connected`], [`ClientProto::handle_text`] /
//!   [`ClientProto::handle_frame`], [`ClientProto::handle_activity`],
//!   [`ClientProto::handle_closed`], [`ClientProto::handle_token`],
//!   [`ClientProto::handle_timeout`]; time is always passed in;
//! - commands: [`ClientProto::subscribe`], [`ClientProto::unsubscribe`], [`ClientProto::close`];
//! - outputs, polled after every input or command, in this order:
//!   [`ClientProto::poll_transmit`], [`ClientProto::poll_action`],
//!   [`ClientProto::poll_event`], then [`ClientProto::poll_timeout`].
//!
//! Driver contract: for every [`Action::Connect`], call `handle_connected` when the socket is
//! open (maybe never), then exactly one `handle_closed` when it is gone (including after an
//! [`Action::Disconnect`]). When the hub answers the upgrade with an HTTP error instead, call
//! [`ClientProto::handle_refused`] in place of that `handle_closed`. For every [`Action::FetchToken`], call `handle_token` once.

mod backoff;
mod state;
mod subscriptions;

use std::collections::VecDeque;

use herald_event_types::frame::{Authenticate, Ping, Unsubscribe};
use herald_event_types::{ChannelName, ClientFrame, CloseCode, Reconnect, ServerFrame, Subject};

pub use backoff::{Backoff, DelayFn, Rng};
pub use state::{Action, ConnectionState, Delivery, ProtoEvent, Refusal, SubscriptionId};
pub use subscriptions::Scope;

use crate::error::Error;
use crate::time::{Duration, Instant};
use subscriptions::Table;

/// The default of [`ProtoConfig::max_message_bytes`]: 1 MiB.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1 << 20;

/// Settings of the core. Every field documents its default.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProtoConfig {
    /// Reconnect delays. Default: full jitter, 1 s base, 30 s cap.
    pub backoff: Backoff,
    /// A connection authenticated for this long resets the attempt counter. Default 10 s.
    pub stable_after: Duration,
    /// Refresh the token this long before it expires (at most half its remaining life).
    /// Default 30 s.
    pub refresh_margin: Duration,
    /// Silence allowed after the hub's heartbeat interval before the connection is
    /// considered dead. Default 10 s (the hub's default `pong_timeout`).
    pub pong_timeout: Duration,
    /// Heartbeat interval assumed until the hub announces its own. Default 25 s.
    pub heartbeat: Duration,
    /// Time allowed from starting to connect until authenticated. Default 15 s.
    pub connect_timeout: Duration,
    /// Largest message accepted from the hub, in bytes. Default 1 MiB (1,048,576): 16 times
    /// the hub's default per-event cap (`max_event_bytes`, 64 KiB, so an `event` frame is at
    /// most about 64 KiB), and the hub's default per-connection queue (`client_queue_bytes`,
    /// 1 MiB), which no single frame a default hub delivers can exceed. A larger message
    /// closes the connection with 1009, reports [`Error::MessageTooBig`] and reconnects with
    /// backoff (docs/subscriber.md, "Message size limit"). The native driver enforces it
    /// while reading (a frame header announcing more is refused before its payload is
    /// read); [`ClientProto::handle_text`] checks it too, for drivers that cannot.
    pub max_message_bytes: usize,
    /// After a failed recovery (a resync: the hub restarted, or its history no longer
    /// reaches back far enough), reload this many of the channel's latest events, delivered
    /// marked `replayed` before live events continue. `None` turns the reload off (the
    /// application then only gets the resync signal). Default `Some(100)`.
    pub resync_history: Option<u32>,
    /// The token cannot change (`ClientBuilder::token`): when the hub refuses it, the client
    /// closes with the refusal instead of retrying. Otherwise a token provider that returns
    /// the very token just refused is reported and asked again after the backoff delay.
    /// Default `false`; the client builder sets it.
    pub fixed_token: bool,
    /// Seed of the jitter generator. Drivers set it from the platform's randomness.
    pub seed: u64,
}

/// The default of [`ProtoConfig::resync_history`]: 100 events.
pub const DEFAULT_RESYNC_HISTORY: u32 = 100;

impl Default for ProtoConfig {
    fn default() -> Self {
        Self {
            backoff: Backoff::default(),
            stable_after: Duration::from_secs(10),
            refresh_margin: Duration::from_secs(30),
            pong_timeout: Duration::from_secs(10),
            heartbeat: Duration::from_secs(25),
            connect_timeout: Duration::from_secs(15),
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            resync_history: Some(DEFAULT_RESYNC_HISTORY),
            fixed_token: false,
            seed: 0x5EED,
        }
    }
}

/// Where the connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the token provider before connecting.
    WaitingToken,
    /// Waiting out a backoff delay.
    Backoff { until: Instant },
    /// `Connect` requested; the socket is not open yet.
    Connecting { since: Instant },
    /// Socket open, `authenticate` sent.
    Authenticating { since: Instant },
    /// Authenticated.
    Open { since: Instant },
    /// We asked the driver to disconnect; waiting for `handle_closed`.
    Disconnecting { reconnect: bool },
    /// Closed (by the application or a permanent failure), or not started yet.
    Closed,
}

/// The client protocol state machine. See the module docs for the calling convention.
#[derive(Debug)]
pub struct ClientProto {
    config: ProtoConfig,
    rng: Rng,
    phase: Phase,
    state: ConnectionState,
    attempt: u32,
    token: Option<String>,
    /// The token the hub refused last, and why: the same token again cannot succeed.
    refused_token: Option<(String, Error)>,
    /// When the current connection was authenticated (kept until it is gone).
    open_since: Option<Instant>,
    /// [`ClientProto::open`] was called while the last socket was still closing.
    reopen: bool,
    refreshing: bool,
    refresh_at: Option<Instant>,
    /// Wall clock anchor: `unix_ms` at `anchor`.
    anchor: Option<(Instant, u64)>,
    heartbeat: Duration,
    last_rx: Instant,
    ping_outstanding: bool,
    table: Table,
    next_request: u32,
    next_id: u64,
    transmit: VecDeque<ClientFrame>,
    actions: VecDeque<Action>,
    events: VecDeque<ProtoEvent>,
}

impl ClientProto {
    /// A core that starts connecting at once (it first asks for a token).
    pub fn new(config: ProtoConfig, now: Instant) -> Self {
        let mut proto = Self::idle(config, now);
        proto.open(now);
        proto
    }

    /// A core that does nothing until [`ClientProto::open`]; its state is
    /// [`ConnectionState::Idle`]. Subscriptions may be added meanwhile.
    pub fn idle(config: ProtoConfig, now: Instant) -> Self {
        let mut table = Table::default();
        table.resync_history = config.resync_history;
        Self {
            rng: Rng::new(config.seed),
            heartbeat: config.heartbeat,
            config,
            phase: Phase::Closed,
            state: ConnectionState::Idle,
            attempt: 0,
            token: None,
            refused_token: None,
            open_since: None,
            reopen: false,
            refreshing: false,
            refresh_at: None,
            anchor: None,
            last_rx: now,
            ping_outstanding: false,
            table,
            next_request: 0,
            next_id: 0,
            transmit: VecDeque::new(),
            actions: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Starts connecting (it first asks for a token): from [`ConnectionState::Idle`], or
    /// again after the client closed. Every subscription is kept and resumed with `since`.
    /// Ignored while connecting or connected.
    pub fn open(&mut self, now: Instant) {
        let _ = now;
        if self.phase == (Phase::Disconnecting { reconnect: false }) {
            // Still closing the last socket: open once it is gone.
            self.reopen = true;
            return;
        }
        if self.phase != Phase::Closed {
            return;
        }
        self.reopen = false;
        self.attempt = 0;
        self.token = None;
        self.refused_token = None;
        self.phase = Phase::WaitingToken;
        self.actions.push_back(Action::FetchToken);
        self.state = ConnectionState::Idle; // so the change below is always reported
        self.set_state(ConnectionState::Connecting { attempt: 0 });
    }

    /// The current connection state.
    pub fn state(&self) -> &ConnectionState {
        &self.state
    }

    fn set_state(&mut self, state: ConnectionState) {
        if state != self.state {
            self.state = state.clone();
            self.events.push_back(ProtoEvent::StateChanged(state));
        }
    }

    fn request_id(&mut self) -> u32 {
        self.next_request = self.next_request.wrapping_add(1);
        self.next_request
    }

    // ---- commands -------------------------------------------------------------------

    /// Subscribes to `channel` (and a subject prefix, `""` for all), replaying the last
    /// `history` events first on the very first subscribe. Kept while disconnected and
    /// (re)established on every connection.
    pub fn subscribe(&mut self, channel: ChannelName, subject: Subject, history: Option<u32>) -> SubscriptionId {
        self.subscribe_scoped(channel, Scope::Prefix(subject), history)
    }

    /// Subscribes to `channel` for `scope`: a subject prefix, or [`Scope::User`], the
    /// authenticated user's own subject (`user/<sub>`, the narrowest subscription a default
    /// token may hold on the `user` channel). Subscriptions with the same channel and scope
    /// share one hub subscription, which ends when the last of them is unsubscribed.
    pub fn subscribe_scoped(&mut self, channel: ChannelName, scope: Scope, history: Option<u32>) -> SubscriptionId {
        self.next_id += 1;
        let id = SubscriptionId(self.next_id);
        if self.table.add(id, channel, scope, history) && matches!(self.phase, Phase::Open { .. }) {
            self.send_pending();
        }
        id
    }

    /// Drops a subscription. Unknown ids are ignored.
    pub fn unsubscribe(&mut self, id: SubscriptionId) {
        if let Some((channel, subject)) = self.table.remove(id) {
            if matches!(self.phase, Phase::Open { .. }) {
                let request = self.request_id();
                self.transmit.push_back(ClientFrame::Unsubscribe(Unsubscribe { id: Some(request), channel, subject }));
            }
        }
    }

    /// Closes the client (close code 1000) until [`ClientProto::open`].
    pub fn close(&mut self) {
        self.reopen = false;
        match self.phase {
            Phase::Closed | Phase::Disconnecting { reconnect: false } => return,
            Phase::Connecting { .. }
            | Phase::Authenticating { .. }
            | Phase::Open { .. }
            | Phase::Disconnecting { .. } => {
                self.actions.push_back(Action::Disconnect { code: CloseCode::Normal, reason: "client closed" });
                self.phase = Phase::Disconnecting { reconnect: false };
            }
            Phase::WaitingToken | Phase::Backoff { .. } => self.phase = Phase::Closed,
        }
        self.transmit.clear();
        self.set_state(ConnectionState::Closed {
            code: Some(CloseCode::Normal),
            reason: "closed by the application".into(),
            error: None,
        });
    }

    /// A failure that retrying cannot fix: closes the client with `error` (reported as an
    /// event and in the `Closed` state). The caller has no socket open.
    fn fail(&mut self, error: Error) {
        self.events.push_back(ProtoEvent::Error(error.clone()));
        self.close_with(error);
    }

    /// Closes the client with `error` (already reported).
    fn close_with(&mut self, error: Error) {
        self.table.disconnected();
        self.transmit.clear();
        self.refreshing = false;
        self.refresh_at = None;
        self.open_since = None;
        self.phase = Phase::Closed;
        let code = error.close_code();
        let reason = match &error {
            Error::Closed { reason, .. } => reason.clone(),
            other => other.to_string(),
        };
        self.set_state(ConnectionState::Closed { code, reason, error: Some(error) });
    }

    /// The driver cannot connect in a way that retrying cannot fix: an invalid URL, `wss://`
    /// with no TLS support, a transport the platform refuses. The client closes with `error`
    /// (see [`ConnectionState::Closed`]). Ignored when no connection attempt is under way.
    pub fn handle_unrecoverable(&mut self, now: Instant, error: Error) {
        let _ = now;
        if matches!(self.phase, Phase::Connecting { .. }) {
            self.fail(error);
        }
    }

    fn send_pending(&mut self) {
        let mut next = self.next_request;
        let frames = self.table.request_pending(&mut || {
            next = next.wrapping_add(1);
            next
        });
        self.next_request = next;
        self.transmit.extend(frames);
    }

    // ---- inputs ---------------------------------------------------------------------

    /// The application replaced the token: sent in band at once when connected (as a
    /// refresh), used by the next connection otherwise. It is not known to be refused.
    pub fn replace_token(&mut self, now: Instant, token: String) {
        let _ = now;
        self.refused_token = None;
        self.token = Some(token.clone());
        if matches!(self.phase, Phase::Open { .. }) {
            let id = Some(self.request_id());
            self.transmit.push_back(ClientFrame::Authenticate(Authenticate { id, token }));
        }
    }

    /// The token provider answered.
    pub fn handle_token(&mut self, now: Instant, token: Result<String, String>) {
        match token {
            Ok(token) => {
                if let Some((refused, error)) = &self.refused_token {
                    if *refused == token && self.phase == Phase::WaitingToken {
                        // The same token cannot succeed: final for a fixed token; a provider
                        // is asked again after the backoff delay.
                        if self.config.fixed_token {
                            let error = error.clone();
                            self.fail(error);
                        } else {
                            let message = format!("the token provider returned the token the hub refused ({error})");
                            self.events.push_back(ProtoEvent::Error(Error::Token(message)));
                            self.schedule_reconnect(now, Reconnect::Backoff);
                        }
                        return;
                    }
                }
                self.token = Some(token.clone());
                if self.refreshing && matches!(self.phase, Phase::Open { .. }) {
                    self.refreshing = false;
                    let id = Some(self.request_id());
                    self.transmit.push_back(ClientFrame::Authenticate(Authenticate { id, token }));
                } else if self.phase == Phase::WaitingToken {
                    self.connect(now);
                }
            }
            Err(message) => {
                self.events.push_back(ProtoEvent::Error(Error::Token(message)));
                if self.phase == Phase::WaitingToken {
                    self.schedule_reconnect(now, Reconnect::Backoff);
                } else if self.refreshing {
                    // Try again shortly; the hub's grace period covers the gap.
                    self.refreshing = false;
                    self.refresh_at = Some(now + self.config.backoff.base);
                }
            }
        }
    }

    fn connect(&mut self, now: Instant) {
        self.phase = Phase::Connecting { since: now };
        self.actions.push_back(Action::Connect);
        self.set_state(ConnectionState::Connecting { attempt: self.attempt });
    }

    /// The socket is open. `unix_ms` is the wall clock now (to interpret `expires_at`).
    pub fn handle_connected(&mut self, now: Instant, unix_ms: u64) {
        if !matches!(self.phase, Phase::Connecting { .. }) {
            return;
        }
        self.anchor = Some((now, unix_ms));
        self.last_rx = now;
        self.ping_outstanding = false;
        self.phase = Phase::Authenticating { since: now };
        let token = self.token.clone().unwrap_or_default();
        let id = Some(self.request_id());
        self.transmit.push_back(ClientFrame::Authenticate(Authenticate { id, token }));
    }

    /// The driver saw traffic that is not a text frame (a ping or pong).
    pub fn handle_activity(&mut self, now: Instant) {
        self.last_rx = now;
        self.ping_outstanding = false;
    }

    /// A text frame arrived. Frames that do not decode are ignored (a newer hub may send
    /// frame types this version does not know). A text longer than
    /// [`ProtoConfig::max_message_bytes`] is refused as by
    /// [`ClientProto::handle_message_too_big`].
    pub fn handle_text(&mut self, now: Instant, text: &str) {
        self.handle_activity(now);
        if text.len() > self.config.max_message_bytes {
            self.handle_message_too_big(now, text.len());
            return;
        }
        if let Ok(frame) = ServerFrame::decode(text) {
            self.handle_frame(now, frame);
        }
    }

    /// The transport refused a message from the hub of (at least) `size` bytes, over
    /// [`ProtoConfig::max_message_bytes`]. The core reports [`Error::MessageTooBig`], asks the
    /// driver to close the connection with 1009 ([`Action::Disconnect`]) and reconnects
    /// after the backoff delay, like after a dead connection. Ignored when no connection
    /// is open.
    pub fn handle_message_too_big(&mut self, now: Instant, size: usize) {
        if !matches!(self.phase, Phase::Authenticating { .. } | Phase::Open { .. }) {
            return;
        }
        let _ = now; // a refused message does not count as hearing from the hub
        let limit = self.config.max_message_bytes;
        self.drop_connection(CloseCode::MessageTooBig, "message too big", Error::MessageTooBig { size, limit });
    }

    /// The hub answered the upgrade request with an HTTP error instead of a WebSocket (docs/protocol.md
    /// §9.16, §9.18, §9.20): a 429 because the client's address holds too many connections or
    /// had too many failed authentications, a 503 when the hub is busy or shutting down.
    ///
    /// The core reports [`Error::Refused`] with the hub's code and message (a body without a
    /// Herald code is reported as [`Error::Transport`]) and reconnects: after a 429 no sooner
    /// than the backoff cap, as after close 4429, and never before `Retry-After`. Ignored when
    /// no connection attempt is under way.
    pub fn handle_refused(&mut self, now: Instant, refusal: Refusal) {
        if !matches!(self.phase, Phase::Connecting { .. }) {
            return;
        }
        let permanent = (400..500).contains(&refusal.status) && !matches!(refusal.status, 408 | 429);
        if permanent {
            // A wrong path (404), not a WebSocket endpoint (400), a proxy's refusal: retrying
            // the same request cannot help.
            let message = if refusal.message.is_empty() {
                "no Herald hub answers at this URL (not retried: check the hub URL and its path)".to_owned()
            } else {
                refusal.message
            };
            self.fail(Error::Http { url: refusal.url, status: refusal.status, code: refusal.code, message });
            return;
        }
        self.table.disconnected();
        self.transmit.clear();
        let error = match refusal.code {
            Some(code) => Error::Refused { code, message: refusal.message },
            None => Error::Transport(format!("{}: the hub refused the upgrade: HTTP {}", refusal.url, refusal.status)),
        };
        self.events.push_back(ProtoEvent::Error(error));
        let policy = if refusal.status == 429 { Reconnect::AfterBackoffCap } else { Reconnect::Backoff };
        self.schedule_reconnect_after(now, policy, refusal.retry_after.unwrap_or_default());
    }

    /// A decoded frame arrived.
    pub fn handle_frame(&mut self, now: Instant, frame: ServerFrame) {
        self.handle_activity(now);
        if !matches!(self.phase, Phase::Authenticating { .. } | Phase::Open { .. }) {
            return;
        }
        match frame {
            ServerFrame::Authenticated(auth) => {
                let unix_now = self.anchor.map(|(at, ms)| ms + (now - at).as_millis() as u64).unwrap_or(0);
                let remaining =
                    Duration::from_millis((auth.expires_at.unix_millis().max(0) as u64).saturating_sub(unix_now));
                let margin = self.config.refresh_margin.min(remaining / 2);
                self.refresh_at = Some(now + remaining.saturating_sub(margin));
                self.heartbeat = Duration::from_millis(auth.heartbeat_ms.max(1));
                self.refused_token = None;
                self.table.set_user(auth.user.id.parse().ok());
                self.events.push_back(ProtoEvent::Authenticated { user: auth.user });
                if let Phase::Authenticating { .. } = self.phase {
                    self.phase = Phase::Open { since: now };
                    self.open_since = Some(now);
                    self.set_state(ConnectionState::Connected);
                    self.send_pending();
                }
            }
            ServerFrame::AuthError(error) => {
                let failure = Error::Auth { code: error.code, message: error.message };
                if let Some(token) = self.token.take() {
                    self.refused_token = Some((token, failure.clone()));
                }
                self.events.push_back(ProtoEvent::Error(failure));
            }
            ServerFrame::Subscribed(subscribed) => {
                let mut events = Vec::new();
                let reload = self.table.subscribed(subscribed, &mut events);
                self.events.extend(events);
                if reload {
                    self.send_pending();
                }
            }
            ServerFrame::Event(event) => {
                if let Some(delivery) = self.table.event(event) {
                    self.events.push_back(ProtoEvent::Delivered(delivery));
                }
            }
            ServerFrame::SubjectEnded(ended) => {
                if let Some(subscriptions) = self.table.ended(&ended.channel, &ended.subject) {
                    self.events.push_back(ProtoEvent::SubjectEnded {
                        subscriptions,
                        channel: ended.channel,
                        subject: ended.subject,
                    });
                }
            }
            ServerFrame::Error(error) => match error.reply_to.and_then(|request| self.table.request_failed(request)) {
                Some((subscriptions, channel, subject)) => {
                    let error = Error::SubscribeRefused { channel, subject, code: error.code, message: error.message };
                    self.events.push_back(ProtoEvent::SubscribeFailed { subscriptions, error })
                }
                None => {
                    let refused = Error::Refused { code: error.code, message: error.message };
                    self.events.push_back(ProtoEvent::Error(refused))
                }
            },
            _ => {}
        }
    }

    /// The socket is gone. `code` is the close code received, if any.
    pub fn handle_closed(&mut self, now: Instant, code: Option<CloseCode>, reason: &str) {
        let open_since = self.open_since.take();
        // However the connection ended (the hub closed it, the network failed, or the core
        // dropped it: heartbeat timeout, oversized message), one that stayed up long enough
        // starts the next reconnect from attempt 0.
        if open_since.is_some_and(|since| now - since >= self.config.stable_after) {
            self.attempt = 0;
        }
        match self.phase {
            Phase::Open { .. } | Phase::Connecting { .. } | Phase::Authenticating { .. } => {}
            Phase::Disconnecting { reconnect: false } => {
                self.phase = Phase::Closed;
                self.table.disconnected();
                if self.reopen {
                    self.open(now);
                }
                return;
            }
            Phase::Disconnecting { reconnect: true } => {
                self.table.disconnected();
                self.transmit.clear();
                self.schedule_reconnect(now, Reconnect::Backoff);
                return;
            }
            Phase::WaitingToken | Phase::Backoff { .. } | Phase::Closed => return,
        };
        self.table.disconnected();
        self.transmit.clear();
        self.refreshing = false;
        self.refresh_at = None;
        let policy = code.map_or(Reconnect::Backoff, CloseCode::reconnect);
        if policy == Reconnect::Never {
            self.fail(Error::Closed { code, reason: reason.to_owned() });
            return;
        }
        if policy == Reconnect::RefreshToken && self.config.fixed_token {
            if let Some((_, refused)) = self.refused_token.clone() {
                // A fixed token the hub refused (reported with its `auth_error`): it cannot
                // change, so no attempt follows.
                self.close_with(refused);
                return;
            }
        }
        if code.is_none() {
            self.events.push_back(ProtoEvent::Error(Error::Transport(reason.to_owned())));
        }
        self.schedule_reconnect(now, policy);
    }

    fn schedule_reconnect(&mut self, now: Instant, policy: Reconnect) {
        self.schedule_reconnect_after(now, policy, Duration::ZERO);
    }

    /// Schedules the next attempt per `policy`, and no sooner than `at_least`.
    fn schedule_reconnect_after(&mut self, now: Instant, policy: Reconnect, at_least: Duration) {
        if policy == Reconnect::RefreshToken {
            self.token = None;
        }
        let mut delay = self.config.backoff.delay(self.attempt, &mut self.rng);
        if policy == Reconnect::AfterBackoffCap {
            delay = delay.max(self.config.backoff.cap);
        }
        delay = delay.max(at_least);
        self.attempt = self.attempt.saturating_add(1);
        self.phase = Phase::Backoff { until: now + delay };
        self.set_state(ConnectionState::Reconnecting { attempt: self.attempt, next_in: delay });
    }

    /// Timers: call at (or after) [`ClientProto::poll_timeout`].
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.phase {
            Phase::Backoff { until } if now >= until => {
                if self.token.is_some() {
                    self.connect(now);
                } else {
                    self.phase = Phase::WaitingToken;
                    self.actions.push_back(Action::FetchToken);
                    self.set_state(ConnectionState::Connecting { attempt: self.attempt });
                }
            }
            Phase::Connecting { since } | Phase::Authenticating { since }
                if now >= since + self.config.connect_timeout =>
            {
                self.drop_connection(
                    CloseCode::Other(4000),
                    "connect timeout",
                    Error::Transport("connect timeout".into()),
                );
            }
            Phase::Open { .. } => {
                if now >= self.last_rx + self.heartbeat + self.config.pong_timeout {
                    let error = Error::Transport("heartbeat timeout".into());
                    self.drop_connection(CloseCode::Other(4000), "heartbeat timeout", error);
                    return;
                }
                if now >= self.last_rx + self.heartbeat && !self.ping_outstanding {
                    self.ping_outstanding = true;
                    let id = Some(self.request_id());
                    self.transmit.push_back(ClientFrame::Ping(Ping { id }));
                }
                // A fixed token cannot be refreshed: the hub's grace period after `expires_at`
                // is all it gets (then 4401, and the client closes).
                if self.refresh_at.is_some_and(|at| now >= at) && !self.refreshing && !self.config.fixed_token {
                    self.refreshing = true;
                    self.refresh_at = None;
                    self.actions.push_back(Action::FetchToken);
                }
            }
            _ => {}
        }
    }

    /// Gives up on the current socket (dead, stuck or misbehaving): closes it with `code`,
    /// reports `error` and reconnects after the backoff delay once it is closed.
    fn drop_connection(&mut self, code: CloseCode, reason: &'static str, error: Error) {
        self.actions.push_back(Action::Disconnect { code, reason });
        self.phase = Phase::Disconnecting { reconnect: true };
        self.events.push_back(ProtoEvent::Error(error));
    }

    // ---- outputs --------------------------------------------------------------------

    /// The next frame to send, while a socket is open.
    pub fn poll_transmit(&mut self) -> Option<ClientFrame> {
        self.transmit.pop_front()
    }

    /// The next thing the driver must do.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<ProtoEvent> {
        self.events.pop_front()
    }

    /// When to call [`ClientProto::handle_timeout`] next; `None` when no timer is needed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Backoff { until } => Some(until),
            Phase::Connecting { since } | Phase::Authenticating { since } => Some(since + self.config.connect_timeout),
            Phase::Open { .. } => {
                let dead = self.last_rx + self.heartbeat + self.config.pong_timeout;
                let ping = if self.ping_outstanding { dead } else { self.last_rx + self.heartbeat };
                let refresh = if self.refreshing || self.config.fixed_token { None } else { self.refresh_at };
                Some(refresh.map_or(ping.min(dead), |at| at.min(ping).min(dead)))
            }
            Phase::WaitingToken | Phase::Disconnecting { .. } | Phase::Closed => None,
        }
    }

    /// The last position a subscription has seen, if any.
    pub fn position(&self, id: SubscriptionId) -> Option<&herald_event_types::StreamPosition> {
        self.table.position(id)
    }
}
