//! The wasm32 driver: `web_sys::WebSocket` with its handlers set through `set_on*` and
//! cleared before the socket and its closures are dropped (gloo-net's `Drop` relies on
//! `CloseEvent`, which Node lacks: see docs/toolchain.md), `gloo-timers` for the core's timer,
//! and one `spawn_local` task.

use herald_event_types::CloseCode;
use tokio::sync::mpsc;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

use super::{Core, Driver, seed, unix_ms};
use crate::client::TokenFuture;
use crate::proto::{Action, ClientProto, ProtoConfig};
use crate::time::Instant;

enum SocketEvent {
    Open,
    Text(String),
    Closed(u16, String),
}

struct Socket {
    ws: WebSocket,
    events: mpsc::UnboundedReceiver<SocketEvent>,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Socket {
    fn open(url: &str) -> Result<Self, String> {
        let ws = WebSocket::new_with_str(url, "herald.v1").map_err(|e| format!("{e:?}"))?;
        let (tx, events) = mpsc::unbounded_channel();
        let open_tx = tx.clone();
        let on_open = Closure::<dyn FnMut(Event)>::new(move |_| {
            let _ = open_tx.send(SocketEvent::Open);
        });
        let message_tx = tx.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(text) = event.data().as_string() {
                let _ = message_tx.send(SocketEvent::Text(text));
            }
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            let _ = tx.send(SocketEvent::Closed(event.code(), event.reason()));
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Self { ws, events, _on_open: on_open, _on_message: on_message, _on_close: on_close })
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // Clear the handlers first, so no event reaches a dropped closure.
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

pub(crate) fn spawn(driver: Driver) {
    wasm_bindgen_futures::spawn_local(run(driver));
}

async fn run(driver: Driver) {
    let Driver { url, provider, config, mut commands, state, router } = driver;
    let config = ProtoConfig { seed: seed(), ..config };
    let mut core = Core::new(ClientProto::idle(config, Instant::now()), state, router);
    let mut socket: Option<Socket> = None;
    let mut opened = false;
    let mut token: Option<TokenFuture> = None;
    let mut commands_open = true;
    loop {
        while let Some(frame) = core.proto.poll_transmit() {
            if let (Some(s), true) = (&socket, opened) {
                let _ = s.ws.send_with_str(&frame.to_json());
            }
        }
        while let Some(action) = core.proto.poll_action() {
            match action {
                Action::FetchToken => token = Some(provider()),
                Action::Connect => match Socket::open(&url) {
                    Ok(s) => {
                        socket = Some(s);
                        opened = false;
                    }
                    // The browser refuses this URL outright (a bad scheme, a blocked port,
                    // ws:// from an https page): retrying cannot help.
                    Err(error) => {
                        core.proto.handle_unrecoverable(Instant::now(), crate::Error::Config(format!("{url}: {error}")))
                    }
                },
                Action::Disconnect { code, reason } => {
                    if let Some(s) = socket.take() {
                        let _ = s.ws.close_with_code_and_reason(code.as_u16().max(3000), reason);
                    }
                    opened = false;
                    core.proto.handle_closed(Instant::now(), None, reason);
                }
            }
        }
        core.dispatch_events();
        if !commands_open && core.is_closed() && socket.is_none() {
            return;
        }
        let delay = core.proto.poll_timeout().map(|at| at.saturating_duration_since(Instant::now()));
        tokio::select! {
            command = commands.recv(), if commands_open => commands_open = core.command(command),
            result = async { token.as_mut().expect("guarded").await }, if token.is_some() => {
                token = None;
                core.proto.handle_token(Instant::now(), result);
            }
            event = async { socket.as_mut().expect("guarded").events.recv().await }, if socket.is_some() => {
                let now = Instant::now();
                match event {
                    Some(SocketEvent::Open) => {
                        opened = true;
                        core.proto.handle_connected(now, unix_ms());
                    }
                    Some(SocketEvent::Text(text)) => core.proto.handle_text(now, &text),
                    Some(SocketEvent::Closed(1006, _)) => {
                        // The browser's "abnormal closure": unreachable, refused (the HTTP
                        // status is hidden from scripts) or cut. A transport error, reported.
                        socket = None;
                        opened = false;
                        let reason = format!("{url}: the connection failed or was refused (1006)");
                        core.proto.handle_closed(now, None, &reason);
                    }
                    Some(SocketEvent::Closed(code, reason)) => {
                        socket = None;
                        opened = false;
                        core.proto.handle_closed(now, Some(CloseCode::from(code)), &reason);
                    }
                    None => {
                        socket = None;
                        opened = false;
                        core.proto.handle_closed(now, None, "connection lost");
                    }
                }
            }
            () = async { gloo_timers::future::sleep(delay.expect("guarded")).await }, if delay.is_some() => {
                core.proto.handle_timeout(Instant::now());
            }
        }
    }
}
