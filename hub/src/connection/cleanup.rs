//! Releasing what a connection holds, on a normal end and after a panic.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use tokio::task::JoinHandle;

use super::outbound::{ConnHandle, SERVER_ERROR};
use crate::limits::IpSlot;
use crate::state::HubState;

/// Releases what one connection holds: its subscriptions, its writer task (and with it the
/// socket), its per-user and per-address places and the connection gauge. [`Cleanup::finish`]
/// does it in order on a normal end; if the session panics, `Drop` closes the connection and
/// does the same in a spawned task, so a panic leaks nothing.
pub(super) struct Cleanup {
    pub(super) state: Arc<HubState>,
    pub(super) conn: Arc<ConnHandle>,
    /// `(org, sub)` once the connection counts against `max_connections_per_user`.
    pub(super) user: Option<(String, String)>,
    pub(super) ip_slot: Option<IpSlot>,
    pub(super) writer: Option<JoinHandle<()>>,
}

impl Cleanup {
    /// Releases everything, in order: subscriptions (no more fan-out), then the writer and
    /// the socket, then the places and the gauge.
    pub(super) async fn finish(&mut self) {
        let Some(writer) = self.writer.take() else { return };
        let (state, conn) = (self.state.clone(), self.conn.clone());
        let (user, ip_slot) = (self.user.take(), self.ip_slot.take());
        release(state, conn, user, ip_slot, writer).await;
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let Some(writer) = self.writer.take() else { return };
        // Only after a panic in the session: nothing may be left behind.
        tracing::error!("connection session ended abnormally; releasing its resources");
        self.conn.close_now(SERVER_ERROR, "internal error", None);
        let (state, conn) = (self.state.clone(), self.conn.clone());
        let (user, ip_slot) = (self.user.take(), self.ip_slot.take());
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn(release(state, conn, user, ip_slot, writer))),
            // No runtime left (the process is ending): release what needs no await.
            Err(_) => {
                writer.abort();
                if let Some((org, sub)) = user {
                    state.connections.release(&org, &sub);
                }
                state.metrics.connections.fetch_sub(1, Relaxed);
            }
        }
    }
}

async fn release(
    state: Arc<HubState>,
    conn: Arc<ConnHandle>,
    user: Option<(String, String)>,
    ip_slot: Option<IpSlot>,
    mut writer: JoinHandle<()>,
) {
    if let Some((org, _)) = &user {
        state.registry.remove_connection(&conn, org).await;
    }
    // The writer ends by itself once its close frame is written, or within `write_timeout`
    // of a stalled write; the abort is a backstop.
    if tokio::time::timeout(state.config.write_timeout, &mut writer).await.is_err() {
        writer.abort();
        let _ = writer.await;
    }
    // The socket's halves are both dropped now: the file descriptor is closed.
    if let Some((org, sub)) = user {
        state.connections.release(&org, &sub);
    }
    drop(ip_slot);
    state.metrics.connections.fetch_sub(1, Relaxed);
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use herald_event_types::{ChannelName, Subject};

    use super::*;
    use crate::auth::{AuthConfig, Authenticator, JwtKey};
    use crate::broker::{BrokerKind, HistoryQuery, MemoryBroker};
    use crate::channels::Registry;
    use crate::config::Config;
    use crate::metrics::Metrics;

    #[tokio::test]
    async fn a_panicking_session_releases_everything_it_held() {
        let config = Config {
            max_connections_per_user: 1,
            max_connections_per_ip: 1,
            write_timeout: Duration::from_millis(50),
            ..Config::default()
        };
        let metrics = Arc::new(Metrics::default());
        let registry = Registry::new(BrokerKind::Memory(MemoryBroker::new(config.memory.clone())), metrics.clone());
        let auth = Authenticator::new(AuthConfig::new(JwtKey::Hs256(vec![7; 32]))).unwrap();
        let state = Arc::new(HubState::new(config, auth, registry, metrics));
        let ip = "192.0.2.1".parse().unwrap();

        // A connection as the session leaves it: counted, subscribed, its writer running.
        let conn = Arc::new(ConnHandle::new(state.next_key(), 1 << 20));
        state.metrics.connections.fetch_add(1, Relaxed);
        assert!(state.connections.try_acquire("acme", "u-1"));
        let ip_slot = state.ip_connections.try_acquire(ip).expect("first from this address");
        let pipeline: ChannelName = "pipeline".parse().unwrap();
        let all = Subject::default();
        state.registry.subscribe(&conn, "acme", &pipeline, &all, HistoryQuery::Position, None).await.unwrap();
        assert_eq!(state.metrics.subscriptions(), 1);
        let cleanup = Cleanup {
            state: state.clone(),
            conn: conn.clone(),
            user: Some(("acme".into(), "u-1".into())),
            ip_slot: Some(ip_slot),
            // A writer stuck for good: only the abort ends it.
            writer: Some(tokio::spawn(std::future::pending::<()>())),
        };

        let session = tokio::spawn(async move {
            let _cleanup = cleanup;
            panic!("a bug in the session");
        });
        assert!(session.await.unwrap_err().is_panic());

        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while state.metrics.connections() != 0 {
            assert!(tokio::time::Instant::now() < deadline, "the connection gauge was never released");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(conn.is_closing(), "the connection is closed (1011) for the peer");
        assert_eq!(state.metrics.subscriptions(), 0, "subscriptions released");
        assert!(state.connections.try_acquire("acme", "u-1"), "the per-user place is free again");
        assert!(state.ip_connections.try_acquire(ip).is_some(), "the per-address place is free again");
    }
}
