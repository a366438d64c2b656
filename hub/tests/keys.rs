//! Key configuration at startup: HS256 secrets shorter than 32 bytes are refused, by the
//! library (`HubBuilder::jwt_secret`, `Config::auth`) and by the binary.

mod common;

use std::process::Stdio;

use common::*;
use herald_hub::auth::{AuthConfig, JwtKey, MIN_HS256_SECRET_LEN};
use herald_hub::{Config, Hub, HubError};

/// Runs the `herald-hub` binary with only `env` set and `args`, expecting it to exit by itself;
/// its exit code and stderr.
async fn refused_start(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald-hub"));
    command.env_clear().envs(env.iter().copied()).args(args);
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let output = tokio::time::timeout(WAIT, command.output()).await.expect("the hub exits by itself").unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[tokio::test]
async fn a_short_hs256_secret_is_refused_by_the_builder_and_the_config() {
    let short = vec![b's'; MIN_HS256_SECRET_LEN - 1];
    let error = Hub::builder().listen("127.0.0.1:0".parse().unwrap()).jwt_secret(short.clone()).spawn().await;
    let error = error.expect_err("a 31-byte secret is refused");
    assert!(matches!(error, HubError::Key(_)), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("31 bytes") && message.contains("at least 32"), "{message}");

    let mut config = Config::default();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.auth = Some(AuthConfig::new(JwtKey::Hs256(short)));
    assert!(matches!(Hub::builder().config(config).spawn().await, Err(HubError::Key(_))));

    // 32 bytes is enough.
    let hub = Hub::builder()
        .listen("127.0.0.1:0".parse().unwrap())
        .jwt_secret(vec![b's'; MIN_HS256_SECRET_LEN])
        .spawn()
        .await
        .expect("a 32-byte secret starts");
    hub.shutdown().await;
}

#[tokio::test]
async fn the_binary_refuses_a_short_herald_jwt_secret_with_one_line_and_exit_2() {
    let (code, stderr) = refused_start(&["--listen", "127.0.0.1:0"], &[("HERALD_JWT_SECRET", "changeme-secret")]).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("herald-hub: ") && stderr.contains("15 bytes") && stderr.contains("at least 32"));
    assert!(!stderr.contains("changeme-secret"), "the secret is never printed: {stderr}");
}
