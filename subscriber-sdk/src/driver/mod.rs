//! Transport drivers: thin loops that carry out the core's actions. Chosen by target, not
//! by feature: tokio + tokio-tungstenite natively, `web_sys::WebSocket` on wasm32.

use tokio::sync::{mpsc, watch};

use crate::client::{Command, TokenProvider};
use crate::proto::{ClientProto, ConnectionState, ProtoConfig, SubscriptionId};
use crate::router::{Router, SharedRouter};

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native::spawn;

#[cfg(target_arch = "wasm32")]
mod wasm;
#[cfg(target_arch = "wasm32")]
pub(crate) use wasm::spawn;

/// Everything a driver task owns.
pub(crate) struct Driver {
    pub(crate) url: String,
    pub(crate) provider: TokenProvider,
    pub(crate) config: ProtoConfig,
    pub(crate) commands: mpsc::UnboundedReceiver<Command>,
    pub(crate) state: std::sync::Arc<watch::Sender<ConnectionState>>,
    pub(crate) router: SharedRouter,
    /// A custom transport (natively; `None`: plain TCP through tokio-tungstenite).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) connector: Option<crate::connector::Connector>,
}

/// The driver-independent half: commands in, events out.
pub(crate) struct Core {
    pub(crate) proto: ClientProto,
    keys: Vec<(u64, SubscriptionId)>,
    state: std::sync::Arc<watch::Sender<ConnectionState>>,
    router: SharedRouter,
}

impl Core {
    pub(crate) fn new(
        proto: ClientProto,
        state: std::sync::Arc<watch::Sender<ConnectionState>>,
        router: SharedRouter,
    ) -> Self {
        Self { proto, keys: Vec::new(), state, router }
    }

    /// Applies an application command; `false` when every handle is gone (shut down).
    pub(crate) fn command(&mut self, command: Option<Command>) -> bool {
        match command {
            Some(Command::Subscribe { key, channel, scope, history }) => {
                let id = self.proto.subscribe_scoped(channel, scope, history);
                self.keys.push((key, id));
                crate::router::lock(&self.router).bind(id, key);
            }
            Some(Command::Unsubscribe { key }) => {
                if let Some(at) = self.keys.iter().position(|(k, _)| *k == key) {
                    let (_, id) = self.keys.swap_remove(at);
                    self.proto.unsubscribe(id);
                }
            }
            Some(Command::Token(token)) => self.proto.replace_token(crate::time::Instant::now(), token),
            Some(Command::Open) => self.proto.open(crate::time::Instant::now()),
            Some(Command::Close) => self.proto.close(),
            None => {
                self.proto.close();
                return false;
            }
        }
        true
    }

    /// Hands every pending core event to the router and publishes state changes.
    pub(crate) fn dispatch_events(&mut self) {
        while let Some(event) = self.proto.poll_event() {
            if let Some(state) = Router::dispatch(&self.router, event) {
                self.state.send_replace(state);
            }
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        matches!(self.proto.state(), ConnectionState::Closed { .. } | ConnectionState::Idle)
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn unix_ms() -> u64 {
    web_time::SystemTime::now().duration_since(web_time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// A random seed for the backoff jitter.
pub(crate) fn seed() -> u64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        return unix_ms();
    }
    u64::from_le_bytes(bytes)
}
