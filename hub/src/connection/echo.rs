//! Test-only echo endpoint (feature `__echo`) for the Autobahn|Testsuite: the production
//! WebSocket settings, writer, close-code mapping and closing handshake, with a handler that
//! echoes every text and binary message. Unauthenticated: never enable in production.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket};
use futures_util::StreamExt;
use herald_event_types::CloseCode;

use super::outbound::{ConnHandle, write_loop};
use super::{close_code_for, finish_close_handshake};
use crate::state::HubState;

pub(crate) async fn serve(socket: WebSocket, state: Arc<HubState>) {
    let conn = Arc::new(ConnHandle::new(state.next_key(), usize::MAX / 2));
    let (sink, mut stream) = socket.split();
    let writer = tokio::spawn({
        let (conn, metrics, write_timeout) = (conn.clone(), state.metrics.clone(), state.config.write_timeout);
        async move { write_loop(&conn, sink, &metrics, write_timeout).await }
    });
    while !conn.is_closing() {
        match stream.next().await {
            Some(Ok(Message::Text(text))) => {
                conn.push(text);
            }
            Some(Ok(Message::Binary(bytes))) => conn.push_binary(bytes),
            Some(Ok(Message::Close(_))) => conn.close(CloseCode::Normal, "", None),
            Some(Ok(_)) => {}
            Some(Err(error)) => {
                let (code, reason) = close_code_for(error);
                conn.close(code, reason, None);
            }
            None => {
                conn.close(CloseCode::Normal, "", None);
                break;
            }
        }
    }
    finish_close_handshake(&mut stream).await;
    let _ = writer.await;
}
