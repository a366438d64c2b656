//! Autobahn|Testsuite client-mode testee (`scripts/autobahn.sh`): the native driver's
//! transport (tokio-tungstenite) connects to `wstest -m fuzzingserver` and echoes every
//! message of every case. It keeps tungstenite's default size limits (16 MiB frames, 64 MiB
//! messages) because cases 9.* send messages of up to 16 MiB; the driver itself lowers both
//! to `max_message_bytes` (1 MiB by default, docs/subscriber.md), which
//! `subscriber-sdk/tests/message_size.rs` tests.
//!
//! ```text
//! cargo run -p herald-subscriber --example autobahn_client -- ws://127.0.0.1:9001
//! ```

/// Native only: the browser transport is the browser's own WebSocket.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
#[tokio::main(flavor = "current_thread")]
async fn main() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::connect_async;
    use tokio_tungstenite::tungstenite::Message;

    let base = std::env::args().nth(1).expect("usage: autobahn_client ws://HOST:PORT");
    let (mut counter, _) = connect_async(format!("{base}/getCaseCount")).await.expect("wstest reachable");
    let count: u32 = match counter.next().await {
        Some(Ok(Message::Text(text))) => text.parse().expect("a case count"),
        other => panic!("no case count: {other:?}"),
    };
    let _ = counter.close(None).await;
    for case in 1..=count {
        let url = format!("{base}/runCase?case={case}&agent=herald-subscriber");
        let Ok((mut ws, _)) = connect_async(url).await else { continue };
        while let Some(message) = ws.next().await {
            let echo = match message {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => message,
                // Keep reading after a Close: tungstenite sends its reply while the stream is
                // polled, and the stream ends once the closing handshake is complete.
                Ok(_) => continue,
                Err(_) => break,
            };
            if ws.send(echo).await.is_err() {
                break;
            }
        }
    }
    let (mut report, _) = connect_async(format!("{base}/updateReports?agent=herald-subscriber")).await.expect("report");
    let _ = report.close(None).await;
    while report.next().await.is_some() {}
    println!("autobahn client testee: {count} cases run");
}
