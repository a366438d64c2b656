//! Development mode (`--dev`, docs/operations.md §1): its token endpoint mints for tenant
//! `dev` only, it never signs with a configured key, and it stays on loopback unless a loudly
//! named flag says otherwise.

mod common;

use std::process::Stdio;

use common::*;
use herald_hub::auth::{AuthConfig, JwtKey};
use herald_hub::{Config, ConfigError, Hub, HubError};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

/// A 32-byte secret a production operator might have in the environment.
const PRODUCTION_SECRET: &str = "production-secret-0123456789abcdef";

/// Environment variables for a child process.
type Env<'a> = &'a [(&'a str, &'a str)];

/// `GET /api/v1/dev/token?query` on `hub`: status and JSON body.
async fn dev_token(hub: &TestHub, query: &str) -> (u16, Value) {
    let response = reqwest::get(hub.http(&format!("/api/v1/dev/token?{query}"))).await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// A library hub in development mode on loopback, with `SECRET` as its dev secret.
async fn dev_hub() -> TestHub {
    spawn_hub(|c| c.dev_token_secret = Some(SECRET.to_vec())).await
}

/// A `herald-hub` child with only `env` and `args`; killed when dropped.
fn hub_command(args: &[&str], env: &[(&str, &str)]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald-hub"));
    command.env_clear().envs(env.iter().copied()).args(args);
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    command
}

/// Runs the binary expecting it to exit by itself: its exit code and stderr.
async fn refused_start(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let output = tokio::time::timeout(WAIT, hub_command(args, env).output()).await.expect("exits by itself").unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[tokio::test]
async fn the_dev_token_endpoint_refuses_to_mint_for_another_org() {
    let hub = dev_hub().await;
    // Before: `?org=victim` signed a token for tenant `victim` with the hub's key.
    for org in ["victim", "acme", "DEV", "dev ", "dev/x"] {
        let (status, body) = dev_token(&hub, &format!("org={}", urlencode(org))).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "org {org:?}: {body}");
        assert!(body["message"].as_str().unwrap().contains("tenant `dev` only"), "{body}");
        assert!(body["token"].is_null(), "{body}");
    }
    for query in ["", "org=dev", "org=", "role=publisher&org=dev"] {
        let (status, body) = dev_token(&hub, query).await;
        assert_eq!(status, 200, "{query}: {body}");
        let mut client = Client::connect(&hub).await;
        client.send(json!({"type": "authenticate", "token": body["token"]})).await;
        let answer = client.recv().await;
        assert_eq!(answer["user"]["org"], "dev", "{query}: {answer}");
    }
}

#[tokio::test]
async fn the_dev_token_endpoint_hands_out_publisher_tokens_for_tenant_dev_and_checks_its_parameters() {
    let hub = dev_hub().await;
    let (status, body) = dev_token(&hub, "role=publisher&sub=pipeline-service").await;
    assert_eq!(status, 200, "{body}");
    let mut publisher = Client::authed(&hub, body["token"].as_str().unwrap()).await;
    let published = publisher.publish(event("PIPELINE", "p-1"), None).await;
    assert_eq!(published["type"], "published", "{published}");

    // A subscriber token (the default role) cannot publish.
    let (_, body) = dev_token(&hub, "sub=u-9").await;
    let mut user = Client::authed(&hub, body["token"].as_str().unwrap()).await;
    let refused = user.publish(event("PIPELINE", "p-1"), None).await;
    assert_eq!(refused["code"], "forbidden", "{refused}");

    for (query, why) in [("role=admin", "role"), ("sub=a%2Fb", "`sub`"), ("sub=u%E2%80%AE1", "`sub`")] {
        let (status, body) = dev_token(&hub, query).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")), "{query}: {body}");
        assert!(body["message"].as_str().unwrap().contains(why), "{query}: {body}");
    }
}

#[tokio::test]
async fn dev_mode_refuses_a_configured_jwt_secret_or_public_key_and_exits_2() {
    let key_file = std::env::temp_dir().join(format!("herald-dev-mode-{}.pem", std::process::id()));
    std::fs::write(&key_file, "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n").unwrap();
    let key_path = key_file.to_str().unwrap();
    let cases: [(&[&str], Env<'_>, &str); 3] = [
        (&["--dev", "--listen", "127.0.0.1:0"], &[("HERALD_JWT_SECRET", PRODUCTION_SECRET)], "HERALD_JWT_SECRET"),
        (
            &["--listen", "127.0.0.1:0"],
            &[("HERALD_DEV", "true"), ("HERALD_JWT_SECRET", PRODUCTION_SECRET)],
            "HERALD_JWT_SECRET",
        ),
        (&["--dev", "--listen", "127.0.0.1:0", "--jwt-public-key", key_path], &[], "HERALD_JWT_PUBLIC_KEY"),
    ];
    for (args, env, named) in cases {
        let (code, stderr) = refused_start(args, env).await;
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.starts_with("herald-hub: --dev") && stderr.contains(named), "{stderr}");
        assert!(!stderr.contains(PRODUCTION_SECRET), "{stderr}");
    }
    let _ = std::fs::remove_file(key_file);
}

#[tokio::test]
async fn dev_mode_refuses_a_non_loopback_listen_without_the_insecure_flag() {
    for listen in ["0.0.0.0:0", "[::]:0"] {
        let (code, stderr) = refused_start(&["--dev", "--listen", listen], &[]).await;
        assert_eq!(code, Some(2), "{listen}: {stderr}");
        assert!(stderr.contains("not a loopback address") && stderr.contains("--dev-allow-non-loopback-INSECURE"));
    }

    // With the flag it starts, prints its tokens and warns loudly.
    let mut child =
        hub_command(&["--dev", "--dev-allow-non-loopback-INSECURE", "--listen", "0.0.0.0:0"], &[]).spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let printed = tokio::time::timeout(WAIT, async {
        while let Some(line) = stdout.next_line().await.unwrap() {
            if line.starts_with("publisher token") {
                return line;
            }
        }
        panic!("the hub ended without printing its tokens");
    })
    .await
    .expect("the dev hub starts with the insecure flag");
    assert!(printed.contains(": ey"), "{printed}");
    child.start_kill().unwrap();
    let output = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("INSECURE") && stderr.contains("non-loopback"), "{stderr}");
}

#[tokio::test]
async fn a_library_hub_with_a_dev_secret_refuses_a_non_loopback_address_or_another_key() {
    let dev_config = |listen: &str, key: &[u8]| {
        let mut config = Config::default();
        config.listen = listen.parse().unwrap();
        config.auth = Some(AuthConfig::new(JwtKey::Hs256(key.to_vec())));
        config.dev_token_secret = Some(SECRET.to_vec());
        config
    };
    let error = Hub::builder().config(dev_config("0.0.0.0:0", SECRET)).spawn().await.unwrap_err();
    assert!(matches!(error, HubError::Config(ConfigError::DevNonLoopback(_))), "{error:?}");
    let other = b"another-secret-of-32-bytes-or-more";
    let error = Hub::builder().config(dev_config("127.0.0.1:0", other)).spawn().await.unwrap_err();
    assert!(matches!(error, HubError::Config(ConfigError::Invalid(_))), "{error:?}");

    let mut insecure = dev_config("0.0.0.0:0", SECRET);
    insecure.dev_allow_non_loopback_insecure = true;
    Hub::builder().config(insecure).spawn().await.expect("allowed by the insecure option").shutdown().await;
}

/// Percent-encodes `text` for a query string.
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
