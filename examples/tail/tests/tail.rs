//! `herald-tail` end to end: the real binary against a real hub.

use std::process::Stdio;
use std::time::Duration;

use herald_event_types::Envelope;
use herald_hub::auth::{AuthConfig, JwtKey, mint_hs256};
use herald_hub::{Config, Hub};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const SECRET: &[u8] = b"tail-test-secret-0123456789abcdef";
const WAIT: Duration = Duration::from_secs(20);

async fn hub() -> herald_hub::RunningHub {
    let mut config = Config::default();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.auth = Some(AuthConfig {
        key: JwtKey::Hs256(SECRET.to_vec()),
        audience: None,
        issuer: None,
        leeway: Duration::from_secs(5),
    });
    Hub::builder().config(config).spawn().await.unwrap()
}

fn token() -> String {
    let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600;
    mint_hs256(SECRET, &json!({"sub": "u-1", "org": "acme", "exp": exp}))
}

fn event(n: u64, event_type: &str, subject: &str) -> Envelope {
    Envelope::from_json(
        &json!({"id": format!("t-{n}"), "event_type": event_type, "category": "SECURITY", "priority": "HIGH",
                "timestamp": "2026-11-22T10:00:00Z", "source": "test", "subject": subject, "data": {"n": n}})
        .to_string(),
    )
    .unwrap()
}

#[tokio::test]
async fn prints_matching_events_as_json_lines() {
    let hub = hub().await;
    let url = format!("ws://{}/ws", hub.local_addr());
    let mut child = Command::new(env!("CARGO_BIN_EXE_herald-tail"))
        .args([
            "--hub",
            &url,
            "--token",
            &token(),
            "security/scan-1",
            "--types",
            "security_vulnerability_detected",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    // Wait until the tail says it is connected, then publish (it subscribes right after).
    loop {
        let line = tokio::time::timeout(WAIT, stderr.next_line()).await.unwrap().unwrap().expect("stderr open");
        if line.contains("connected") {
            break;
        }
    }
    let handle = hub.handle();
    // Keep publishing a warm-up match until one arrives (the subscription is then live).
    let mut n = 0;
    let first: Value = loop {
        n += 1;
        handle.publish("acme", None, &event(n, "security_vulnerability_detected", "scan-1/v-0")).await.unwrap();
        if let Ok(Ok(Some(line))) = tokio::time::timeout(Duration::from_millis(100), lines.next_line()).await {
            break serde_json::from_str(&line).unwrap();
        }
    };
    assert_eq!(first["channel"], "security");
    handle.publish("acme", None, &event(100, "security_scan_updated", "scan-1")).await.unwrap(); // filtered by type
    handle.publish("acme", None, &event(101, "security_vulnerability_detected", "scan-2/v-9")).await.unwrap(); // other subject
    handle.publish("acme", None, &event(102, "security_vulnerability_detected", "scan-1/v-1")).await.unwrap();
    let line = tokio::time::timeout(WAIT, lines.next_line()).await.unwrap().unwrap().unwrap();
    let next: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(next["event"]["id"], "t-102", "only matching types and subjects are printed");
    assert_eq!(next["offset"].as_u64().unwrap(), first["offset"].as_u64().unwrap() + 3);
}

#[tokio::test]
async fn a_refused_token_exits_non_zero_with_a_clear_message() {
    let hub = hub().await;
    let output = tokio::time::timeout(
        WAIT,
        Command::new(env!("CARGO_BIN_EXE_herald-tail"))
            .args(["--hub", &format!("ws://{}/ws", hub.local_addr()), "--token", "not-a-jwt", "pipeline"])
            .output(),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("authentication failed (invalid_token)"), "{stderr}");
}

#[tokio::test]
async fn an_invalid_target_is_a_usage_error() {
    let output =
        Command::new(env!("CARGO_BIN_EXE_herald-tail")).args(["--token", "x", "Not A Channel"]).output().await.unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid target"));
}
