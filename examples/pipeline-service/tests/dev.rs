//! `pipeline-service --dev` against a real development hub: the service gets its publisher
//! token from the hub's development endpoint (no shared secret), and gets a fresh one after
//! the hub restarts with a new random secret, as in `./scripts/demo.sh` and the dashboard's
//! end-to-end test.

#[path = "../../common/hubs.rs"]
mod hubs;

use std::net::SocketAddr;
use std::time::Duration;

use hubs::{WAIT, hub_at, run_to_exit, service};

const BIN: &str = env!("CARGO_BIN_EXE_pipeline-service");

/// The `pipeline` channel's latest offset on `hub`.
async fn latest_offset(hub: SocketAddr) -> u64 {
    let history = hubs::history(hub, "pipeline", 1).await;
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
    let hub = hubs::dev_hub().await;
    let addr = hub.local_addr();
    let hub_url = format!("ws://{addr}");
    let mut service = service(BIN, &["--dev", "--hub", &hub_url, "--rate", "50", "--seed", "7"]).spawn().unwrap();
    until_events_arrive(addr).await;

    // A restarted development hub has a new secret: the old token is refused, the service
    // asks the endpoint again and goes on publishing.
    hub.shutdown().await;
    let restarted = hub_at(addr, true).await;
    until_events_arrive(addr).await;
    assert!(service.try_wait().unwrap().is_none(), "the service is still running");
    service.start_kill().unwrap();
    let _ = service.wait().await;
    restarted.shutdown().await;
}

#[tokio::test]
async fn dev_mode_against_a_hub_without_the_dev_endpoint_fails_at_start_with_the_reason() {
    let hub = hubs::production_hub().await;
    let (status, stderr) = run_to_exit(BIN, &["--dev", "--hub", &format!("ws://{}", hub.local_addr())]).await;
    assert!(!status.success());
    assert!(stderr.contains("/api/v1/dev/token") && stderr.contains("404"), "{stderr}");
    hub.shutdown().await;
}
