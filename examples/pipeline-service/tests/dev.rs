//! `pipeline-service --dev` against a real development hub: the service gets its publisher
//! token from the hub's development endpoint (no shared secret), and gets a fresh one after
//! the hub restarts with a new random secret, as in `./scripts/demo.sh` and the dashboard's
//! end-to-end test.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use herald_hub::auth::{AuthConfig, JwtKey};
use herald_hub::{Config, Hub, RunningHub};
use serde_json::Value;
use tokio::process::Command;

const WAIT: Duration = Duration::from_secs(30);

/// A development hub on `listen` with a fresh random secret, as `herald-hub --dev` runs.
async fn dev_hub(listen: SocketAddr) -> RunningHub {
    let secret = herald_hub::dev::random_secret();
    let mut config = Config::default();
    config.listen = listen;
    config.auth = Some(AuthConfig::new(JwtKey::Hs256(secret.clone())));
    config.dev_token_secret = Some(secret);
    Hub::builder().config(config).spawn().await.expect("the dev hub starts")
}

/// The `pipeline` channel's latest offset on `hub`, read with a dev subscriber token.
async fn latest_offset(hub: SocketAddr) -> u64 {
    let client = reqwest::Client::new();
    let token: Value = client.get(format!("http://{hub}/api/v1/dev/token")).send().await.unwrap().json().await.unwrap();
    let history: Value = client
        .get(format!("http://{hub}/api/v1/channels/pipeline/history?limit=1"))
        .bearer_auth(token["token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    history["offset"].as_u64().unwrap_or_else(|| panic!("history answer {history}"))
}

/// Polls until the service has published into `hub`.
async fn until_events_arrive(hub: SocketAddr) {
    tokio::time::timeout(WAIT, async {
        while latest_offset(hub).await == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the service publishes into the hub");
}

#[tokio::test]
async fn dev_mode_fetches_a_token_from_the_hub_and_a_fresh_one_after_a_restart() {
    let hub = dev_hub("127.0.0.1:0".parse().unwrap()).await;
    let addr = hub.local_addr();
    let mut service = Command::new(env!("CARGO_BIN_EXE_pipeline-service"))
        .args(["--dev", "--hub", &format!("ws://{addr}"), "--rate", "50", "--seed", "7"])
        .env_remove("HERALD_TOKEN")
        .env_remove("HERALD_JWT_SECRET")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    until_events_arrive(addr).await;

    // A restarted development hub has a new secret: the old token is refused, the service
    // asks the endpoint again and goes on publishing.
    hub.shutdown().await;
    let restarted = dev_hub(addr).await;
    until_events_arrive(addr).await;
    assert!(service.try_wait().unwrap().is_none(), "the service is still running");
    service.start_kill().unwrap();
    let _ = service.wait().await;
    restarted.shutdown().await;
}

#[tokio::test]
async fn dev_mode_against_a_hub_without_the_dev_endpoint_fails_at_start_with_the_reason() {
    let mut config = Config::default();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.auth = Some(AuthConfig::new(JwtKey::Hs256(herald_hub::dev::random_secret())));
    let hub = Hub::builder().config(config).spawn().await.unwrap();
    let output = tokio::time::timeout(
        WAIT,
        Command::new(env!("CARGO_BIN_EXE_pipeline-service"))
            .args(["--dev", "--hub", &format!("ws://{}", hub.local_addr())])
            .env_remove("HERALD_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the service exits")
    .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/api/v1/dev/token") && stderr.contains("404"), "{stderr}");
    hub.shutdown().await;
}
