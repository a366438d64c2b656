//! The service exits non-zero, with a one-line reason naming the code, when its publisher
//! stops for good: a token a production-mode hub refuses (WebSocket and HTTP), a hub URL
//! whose path is wrong. Before, it kept running and logged "event not published" for ever.

#[path = "../../common/hubs.rs"]
mod hubs;

use hubs::{production_hub, run_to_exit};

const BIN: &str = env!("CARGO_BIN_EXE_pipeline-service");

#[tokio::test]
async fn a_refused_token_ends_the_service_with_the_hubs_code() {
    let hub = production_hub().await;
    let addr = hub.local_addr();
    for url in [format!("ws://{addr}"), format!("http://{addr}")] {
        let (status, stderr) = run_to_exit(BIN, &["--token", "garbage", "--hub", &url, "--rate", "50"]).await;
        assert!(!status.success(), "{url}: {status}");
        let line = stderr.trim_end();
        assert!(!line.contains('\n'), "{url}: one line: {stderr}");
        assert!(line.starts_with("pipeline-service: the hub refused the token (invalid_token): "), "{url}: {stderr}");
        assert!(line.ends_with(&format!("(hub {url})")), "{url}: {stderr}");
    }
    hub.shutdown().await;
}

#[tokio::test]
async fn a_wrong_hub_path_ends_the_service_with_the_url() {
    let hub = production_hub().await;
    let url = format!("ws://{}/wrong", hub.local_addr());
    let (status, stderr) = run_to_exit(BIN, &["--token", "garbage", "--hub", &url]).await;
    assert!(!status.success(), "{status}");
    assert!(stderr.trim_end().starts_with(&format!("pipeline-service: {url}: HTTP 404")), "{stderr}");
    hub.shutdown().await;
}
