//! `ws_read_loop`: raw client bytes through the hub's real WebSocket path, in memory.
//!
//! Each input runs a fresh hub (`herald_hub::__fuzz::Harness`: memory broker, the default
//! configuration with the fuzz HS256 secret) serving one connection over `tokio::io::duplex`:
//! hyper's HTTP/1.1 connection, the router's `/ws` upgrade with the production
//! `WebSocketConfig` (`http::configure`: 64 KiB message and frame limits), the session loop
//! (auth, subscribe, publish, heartbeats, bad-frame limit, close-code mapping) and the
//! writer. The harness sends a valid upgrade request, then the client bytes, then ends its
//! write half. It all runs on a current-thread runtime with paused time, so timers (auth
//! timeout, pings, close handshake) cost nothing and a hang shows up as virtual time running
//! out.
//!
//! The first input byte is a mode:
//! - bit 0: first send a valid `authenticate` frame (token for `u-1`/`acme`, subscribe and
//!   publish `*`), so the fuzzer starts on the authenticated paths;
//! - bit 1: framed: the rest, split at 0xFF, is sent as masked text frames; otherwise the
//!   rest is sent as raw bytes (frames the fuzzer builds itself);
//! - bit 2: with framing, the first piece is JSON claims the harness signs with the hub's key
//!   and sends in an `authenticate` frame (fuzzed claims on a live connection);
//! - bit 3: end with a client Close (1000) frame, then EOF (otherwise just EOF);
//! - bit 4: wait 40 s (virtual) before ending, so the auth timeout, a heartbeat ping and the
//!   pong timeout fire (otherwise 100 ms, enough for the hub to answer everything).
//!
//! Properties: no panic (in any task); the run ends within a bounded virtual time; the
//! upgrade succeeds; everything the hub writes is well-formed server framing; every text
//! frame is a `ServerFrame` that decodes; the first one is `authenticated` (or an
//! `auth_error` that closed at once) when bit 0 was set; at most one Close is sent, it is the last frame, and its code is one docs/protocol.md §7
//! documents; afterwards no connection is left open.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use herald_event_types::ServerFrame;
use herald_fuzz::{DOCUMENTED_CLOSE_CODES, SECRET, client_close_codes, client_frame, parse_server_frames, split};
use herald_hub::__fuzz::Harness;
use herald_hub::Config;
use herald_hub::auth::{AuthConfig, JwtKey, mint_hs256};
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Runtime;

/// A run that takes longer than this (virtual time) is a hang.
const HANG: Duration = Duration::from_secs(3600);
/// What a finished run may take: the client's linger, the close handshake wait (3 s), slack.
const BOUND: Duration = Duration::from_secs(120);
/// How long the client waits after its input before ending (virtual time).
const SETTLE: Duration = Duration::from_millis(100);
/// With mode bit 4: long enough for the auth timeout (10 s), a ping (25 s) and the pong
/// timeout (10 s) to fire.
const LINGER: Duration = Duration::from_secs(40);

const REQUEST: &[u8] = b"GET /ws HTTP/1.1\r\nHost: hub\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: herald.v1\r\n\r\n";

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().expect("runtime")
    })
}

fn token(claims: &serde_json::Value) -> String {
    mint_hs256(SECRET, claims)
}

fn authenticate(token: &str) -> Vec<u8> {
    let frame = serde_json::json!({"type": "authenticate", "id": 1, "token": token});
    client_frame(1, frame.to_string().as_bytes())
}

/// The client's bytes after the upgrade request.
fn client_bytes(mode: u8, rest: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    if mode & 1 != 0 {
        let claims = serde_json::json!({"sub": "u-1", "org": "acme", "exp": 4_000_000_000u64,
            "subscribe": ["*"], "publish": ["*"]});
        bytes.extend(authenticate(&token(&claims)));
    }
    if mode & 2 == 0 {
        bytes.extend_from_slice(rest);
    } else {
        let mut pieces = split(rest, 0xff, 4096).into_iter();
        if mode & 4 != 0 {
            let first = pieces.next().unwrap_or_default();
            match serde_json::from_slice::<serde_json::Value>(first) {
                Ok(claims) => bytes.extend(authenticate(&token(&claims))),
                Err(_) => bytes.extend(authenticate(&String::from_utf8_lossy(first))),
            }
        }
        for piece in pieces {
            bytes.extend(client_frame(1, piece));
        }
    }
    bytes
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let input = client_bytes(mode, rest);
    // A reply to the client's own Close echoes its code (RFC 6455 §5.5.1).
    let echoed = client_close_codes(&input);
    let mut config = Config::default();
    config.auth = Some(AuthConfig::new(JwtKey::Hs256(SECRET.to_vec())));
    let harness = Harness::new(config).expect("the fuzz hub starts");

    let output = runtime().block_on(async {
        let started = tokio::time::Instant::now();
        let (client, server) = tokio::io::duplex(64 * 1024);
        let (mut reader, mut writer) = tokio::io::split(client);
        let (upgraded, upgraded_rx) = tokio::sync::oneshot::channel::<()>();
        let write = async move {
            let mut upgraded_rx = upgraded_rx;
            // Like a real client: the request, then (once the 101 is in) the frames. The hub
            // may stop reading (closed connection): a failed write ends the input.
            if writer.write_all(REQUEST).await.is_ok() && (&mut upgraded_rx).await.is_ok() {
                let _ = writer.write_all(&input).await;
                let _ = writer.flush().await;
                // Paused time only advances when every task is idle: after this sleep the hub
                // has handled all it could. (Ending the stream at once would make tungstenite
                // fail the connection before the answers are written.)
                tokio::time::sleep(if mode & 0x10 != 0 { LINGER } else { SETTLE }).await;
                if mode & 8 != 0 {
                    let _ = writer.write_all(&client_frame(8, &1000u16.to_be_bytes())).await;
                    tokio::time::sleep(SETTLE).await;
                }
            }
            let _ = writer.shutdown().await;
        };
        let read = async move {
            let mut output = Vec::new();
            let mut upgraded = Some(upgraded);
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = reader.read(&mut chunk).await {
                output.extend_from_slice(&chunk[..n]);
                if upgraded.is_some() && output.windows(4).any(|w| w == b"\r\n\r\n") {
                    let _ = upgraded.take().map(|tx| tx.send(()));
                }
            }
            output
        };
        let run = async { tokio::join!(harness.serve_connection(server), write, read).2 };
        let output = tokio::time::timeout(HANG, run).await.expect("the connection never ended (virtual hour)");
        let took = started.elapsed();
        if std::env::var_os("HERALD_FUZZ_TRACE").is_some() {
            eprintln!("run took {took:?} (virtual); hub wrote {} bytes", output.len());
        }
        assert!(took <= BOUND, "the connection took {took:?} of virtual time");
        output
    });
    assert_eq!(harness.metrics().connections(), 0, "a connection is still counted as open");
    check_output(mode, &output, &echoed);
});

fn check_output(mode: u8, output: &[u8], echoed: &[u16]) {
    let head_end = output.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP response") + 4;
    let head = String::from_utf8_lossy(&output[..head_end]);
    assert!(head.starts_with("HTTP/1.1 101"), "upgrade refused: {head}");
    let frames = parse_server_frames(&output[head_end..]).unwrap_or_else(|e| panic!("bad server framing: {e}"));
    if std::env::var_os("HERALD_FUZZ_TRACE").is_some() {
        eprintln!("{head}");
        // For reproducing: `HERALD_FUZZ_TRACE=1 cargo +nightly fuzz run ws_read_loop <file>`.
        for frame in &frames {
            eprintln!("hub sent opcode {}: {}", frame.opcode, String::from_utf8_lossy(&frame.payload));
        }
    }
    let mut texts = 0;
    for (i, frame) in frames.iter().enumerate() {
        assert!(frame.fin, "the hub never fragments");
        match frame.opcode {
            1 => {
                let text = std::str::from_utf8(&frame.payload).expect("text frames are UTF-8");
                let decoded = ServerFrame::decode(text).unwrap_or_else(|e| panic!("hub sent {text}: {e}"));
                if texts == 0 && mode & 1 != 0 {
                    // An expired refresh closes at once and drops what was queued (the hub's
                    // no-delivery-after-expiry rule), `authenticated` included.
                    let first = matches!(decoded, ServerFrame::Authenticated(_) | ServerFrame::AuthError(_));
                    assert!(first, "first answer {text}");
                }
                texts += 1;
            }
            8 => {
                assert_eq!(i, frames.len() - 1, "frames after the close");
                if frame.payload.len() >= 2 {
                    let code = u16::from_be_bytes([frame.payload[0], frame.payload[1]]);
                    let known = DOCUMENTED_CLOSE_CODES.contains(&code) || echoed.contains(&code);
                    assert!(known, "undocumented close code {code}");
                    assert!(std::str::from_utf8(&frame.payload[2..]).is_ok(), "close reason not UTF-8");
                } else {
                    assert!(frame.payload.is_empty(), "a 1-byte close payload");
                }
            }
            9 | 10 => {}
            other => panic!("the hub sent opcode {other}"),
        }
    }
}
