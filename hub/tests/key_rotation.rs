//! Key rotation without a restart (`HERALD_JWT_KEYS`, docs/operations.md §3): a directory of
//! keys selected by `kid`, re-read when it changes and on SIGHUP; a broken directory keeps
//! the keys in use.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::*;
use herald_hub::auth::{AuthConfig, JwtKey, KeyDir};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

const KEY_A: &[u8] = b"rotation-key-a-0123456789abcdefghij";
const KEY_B: &[u8] = b"rotation-key-b-0123456789abcdefghij";

/// A fresh directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let path = std::env::temp_dir().join(format!("herald-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    /// Writes `name` atomically: a hidden temporary file (skipped by the hub), then a rename.
    fn put(&self, name: &str, bytes: &[u8]) {
        let temporary = self.0.join(format!(".{name}.tmp"));
        std::fs::write(&temporary, bytes).unwrap();
        std::fs::rename(&temporary, self.0.join(name)).unwrap();
    }

    fn remove(&self, name: &str) {
        std::fs::remove_file(self.0.join(name)).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An HS256 token for `sub` in `acme`, signed with `secret`, naming `kid` when given.
fn token_with_kid(secret: &[u8], kid: Option<&str>, sub: &str) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, &claims(sub, "acme", json!({})), &EncodingKey::from_secret(secret)).unwrap()
}

/// The answer to an `authenticate` frame with `token` on a fresh connection to `addr`.
async fn authenticate(addr: SocketAddr, token: &str) -> Value {
    let mut client = Client::connect_addr(addr).await;
    client.send(json!({"type": "authenticate", "token": token})).await;
    client.recv().await
}

/// Polls until `token` gets an answer of `ty` (`authenticated` or `auth_error`); that answer.
async fn until_answer(addr: SocketAddr, token: &str, ty: &str) -> Value {
    tokio::time::timeout(WAIT, async {
        loop {
            let answer = authenticate(addr, token).await;
            if answer["type"] == ty {
                return answer;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {ty} in time"))
}

/// A library hub verifying with the key directory `dir`, read every 20 ms.
async fn hub_with_keys(dir: &Path) -> TestHub {
    let mut keys = KeyDir::new(dir);
    keys.poll_interval = Some(Duration::from_millis(20));
    spawn_hub(move |c| c.auth = Some(AuthConfig::new(JwtKey::Dir(keys)))).await
}

#[tokio::test]
async fn rotating_keys_in_the_directory_takes_effect_without_a_restart() {
    let dir = TempDir::new("rotate");
    dir.put("a.hs256", KEY_A);
    let hub = hub_with_keys(&dir.0).await;
    let with_a = token_with_kid(KEY_A, Some("a"), "u-a");
    let with_b = token_with_kid(KEY_B, Some("b"), "u-b");
    assert_eq!(authenticate(hub.addr, &with_a).await["type"], "authenticated");
    let answer = authenticate(hub.addr, &with_b).await;
    assert_eq!(answer["code"], "invalid_token", "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("`kid`"), "{answer}");

    // Add key B: a token signed with B works, without a restart; A still works.
    dir.put("b.hs256", KEY_B);
    until_answer(hub.addr, &with_b, "authenticated").await;
    assert_eq!(authenticate(hub.addr, &with_a).await["type"], "authenticated");

    // Retire key A: its tokens are refused, B's still work.
    dir.remove("a.hs256");
    let answer = until_answer(hub.addr, &with_a, "auth_error").await;
    assert_eq!(answer["code"], "invalid_token", "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("`kid`"), "{answer}");
    assert_eq!(authenticate(hub.addr, &with_b).await["type"], "authenticated");

    // With a key directory every token must name its key; B's secret under A's name fails.
    for token in [token_with_kid(KEY_B, None, "u-b"), token_with_kid(KEY_B, Some("a"), "u-b")] {
        let answer = authenticate(hub.addr, &token).await;
        assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("auth_error"), Some("invalid_token")));
    }
    let answer = authenticate(hub.addr, &token_with_kid(KEY_B, None, "u-b")).await;
    assert!(answer["message"].as_str().unwrap().contains("no `kid`"), "{answer}");

    // The HTTP API uses the same keys.
    let response = reqwest::Client::new()
        .get(hub.http("/api/v1/channels/pipeline/history"))
        .bearer_auth(&with_a)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
}

#[tokio::test]
async fn a_broken_reload_keeps_the_old_keys() {
    let dir = TempDir::new("broken");
    dir.put("a.hs256", KEY_A);
    let hub = hub_with_keys(&dir.0).await;
    let auth = hub.hub.authenticator().clone();
    let with_a = token_with_kid(KEY_A, Some("a"), "u-a");
    let with_b = token_with_kid(KEY_B, Some("b"), "u-b");

    // A valid new key next to a broken one: the directory is refused whole. The watcher
    // runs meanwhile; one broken file is always present, so it can't load B either.
    let broken = [("c.hs256", &b"short"[..]), ("notes.txt", b"hello"), ("d.pem", b"not a key")];
    dir.put(broken[0].0, broken[0].1);
    dir.put("b.hs256", KEY_B);
    for (i, (name, _)) in broken.iter().enumerate() {
        if i > 0 {
            dir.put(name, broken[i].1);
            dir.remove(broken[i - 1].0);
        }
        let error = auth.reload_keys().expect_err("a broken directory is refused").to_string();
        assert!(error.contains(name), "{error}");
        assert_eq!(authenticate(hub.addr, &with_a).await["type"], "authenticated", "A stays after {name}");
        assert_eq!(authenticate(hub.addr, &with_b).await["code"], "invalid_token", "B waits for a valid directory");
    }
    // A directory with no key, or none at all, is refused too.
    dir.remove("a.hs256");
    dir.remove("b.hs256");
    dir.remove("d.pem");
    assert!(auth.reload_keys().unwrap_err().to_string().contains("no key"));
    std::fs::remove_dir(&dir.0).unwrap();
    assert!(auth.reload_keys().unwrap_err().to_string().contains("cannot read"));
    assert_eq!(authenticate(hub.addr, &with_a).await["type"], "authenticated", "A stays");

    // Fixed: the watcher picks it up.
    std::fs::create_dir(&dir.0).unwrap();
    dir.put("b.hs256", KEY_B);
    until_answer(hub.addr, &with_b, "authenticated").await;
    until_answer(hub.addr, &with_a, "auth_error").await;
}

#[tokio::test]
async fn the_binary_reloads_its_key_directory_on_sighup() {
    let dir = TempDir::new("sighup");
    dir.put("a.hs256", KEY_A);
    // No polling: only SIGHUP makes the hub read the directory again.
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald-hub"))
        .env_clear()
        .env("HERALD_JWT_KEYS", &dir.0)
        .env("HERALD_JWT_KEYS_POLL_MS", "0")
        .env("HERALD_LOG_FORMAT", "json")
        .args(["--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut log = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr: SocketAddr = tokio::time::timeout(WAIT, async {
        while let Some(line) = log.next_line().await.unwrap() {
            let line: Value = serde_json::from_str(&line).unwrap_or_default();
            if let Some(addr) = line["fields"]["addr"].as_str() {
                return addr.parse().unwrap();
            }
        }
        panic!("the hub ended before listening");
    })
    .await
    .expect("the hub starts with its key directory");
    let with_a = token_with_kid(KEY_A, Some("a"), "u-a");
    let with_b = token_with_kid(KEY_B, Some("b"), "u-b");
    assert_eq!(authenticate(addr, &with_a).await["type"], "authenticated");

    dir.put("b.hs256", KEY_B);
    dir.remove("a.hs256");
    let pid = child.id().unwrap().to_string();
    let status = tokio::process::Command::new("kill").args(["-HUP", &pid]).status().await.unwrap();
    assert!(status.success());
    // The hub logs the reload; then B works and A is refused.
    let reloaded = tokio::time::timeout(WAIT, async {
        while let Some(line) = log.next_line().await.unwrap() {
            if line.contains("JWT keys loaded") {
                return line;
            }
        }
        panic!("the hub ended");
    })
    .await
    .expect("a reload after SIGHUP");
    let reloaded: Value = serde_json::from_str(&reloaded).unwrap();
    assert_eq!(reloaded["fields"]["kids"], "b", "{reloaded}");
    assert_eq!(authenticate(addr, &with_b).await["type"], "authenticated");
    assert_eq!(authenticate(addr, &with_a).await["code"], "invalid_token");
    assert!(child.try_wait().unwrap().is_none(), "SIGHUP does not stop the hub");
}

#[tokio::test]
async fn the_binary_refuses_an_invalid_key_directory_or_a_second_key_at_startup() {
    let dir = TempDir::new("invalid");
    dir.put("a.hs256", b"too-short");
    let run = |env: Vec<(&'static str, String)>| async move {
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald-hub"))
            .env_clear()
            .envs(env)
            .args(["--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(WAIT, output).await.expect("exits by itself").unwrap();
        (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let keys = dir.0.to_str().unwrap().to_owned();
    let (code, stderr) = run(vec![("HERALD_JWT_KEYS", keys.clone())]).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("key file a.hs256") && stderr.contains("at least 32"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    let (code, stderr) =
        run(vec![("HERALD_JWT_KEYS", keys), ("HERALD_JWT_SECRET", String::from_utf8(KEY_A.to_vec()).unwrap())]).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("only one of"), "{stderr}");
}
