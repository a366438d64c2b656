//! Test support shared by the example services' integration tests (included with
//! `#[path]`): real hubs on 127.0.0.1, and running a service binary to its exit.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use herald_hub::auth::{AuthConfig, JwtKey};
use herald_hub::{Config, Hub, RunningHub};
use tokio::process::Command;

/// Upper bound for a service to do what a test waits for (or to exit).
pub const WAIT: Duration = Duration::from_secs(30);

/// A hub on `listen` with a fresh random secret; with `dev`, a development hub as
/// `herald-hub --dev` runs (the token endpoint on), else a production-mode one.
pub async fn hub_at(listen: SocketAddr, dev: bool) -> RunningHub {
    let secret = herald_hub::dev::random_secret();
    let mut config = Config::default();
    config.listen = listen;
    config.auth = Some(AuthConfig::new(JwtKey::Hs256(secret.clone())));
    config.dev_token_secret = dev.then_some(secret);
    Hub::builder().config(config).spawn().await.expect("the hub starts")
}

/// A development hub on a free port.
pub async fn dev_hub() -> RunningHub {
    hub_at("127.0.0.1:0".parse().unwrap(), true).await
}

/// A production-mode hub (a secret, no development token endpoint) on a free port.
pub async fn production_hub() -> RunningHub {
    hub_at("127.0.0.1:0".parse().unwrap(), false).await
}

/// The service binary `bin` with `args`, without the caller's `HERALD_TOKEN`/`HERALD_HUB`,
/// logging at `RUST_LOG=warn` to a stdout nobody reads, killed when dropped.
pub fn service(bin: &str, args: &[&str]) -> Command {
    let mut command = Command::new(bin);
    command
        .args(args)
        .env_remove("HERALD_TOKEN")
        .env_remove("HERALD_HUB")
        .env_remove("HERALD_JWT_SECRET")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    command
}

/// Runs `bin` with `args` until it exits (within [`WAIT`]): its status and stderr.
pub async fn run_to_exit(bin: &str, args: &[&str]) -> (ExitStatus, String) {
    let output = tokio::time::timeout(WAIT, service(bin, args).stderr(Stdio::piped()).output())
        .await
        .expect("the service exits instead of running on")
        .unwrap();
    (output.status, String::from_utf8_lossy(&output.stderr).into_owned())
}

/// A token from a development hub's endpoint: `role` `subscriber` or `publisher` (which may
/// subscribe anywhere), for `sub`.
pub async fn dev_token(hub: SocketAddr, role: &str, sub: &str) -> String {
    let url = format!("http://{hub}/api/v1/dev/token?role={role}&sub={sub}");
    let body: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    body["token"].as_str().unwrap_or_else(|| panic!("no token: {body}")).to_owned()
}

/// The newest `limit` events of `channel` on a development hub, as the history endpoint
/// answers (`{"epoch","offset","recovered","events"}`).
pub async fn history(hub: SocketAddr, channel: &str, limit: u32) -> serde_json::Value {
    reqwest::Client::new()
        .get(format!("http://{hub}/api/v1/channels/{channel}/history?limit={limit}"))
        .bearer_auth(dev_token(hub, "publisher", "test-reader").await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
