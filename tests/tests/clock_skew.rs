//! Clock skew (docs/reliability.md, battery row 24): the real `herald-hub` binary runs under `faketime`
//! with its wall clock 3 s, 10 s or 10 min ahead or behind, and a 5 s `jwt_leeway`. Tokens
//! are minted here at the real time. A token is accepted exactly when its `exp`/`nbf`/`iat`
//! are within the leeway *of the hub's clock*, and refused with the documented `auth_error`
//! code and close 4401 otherwise. Ordering does not depend on the wall clock: a sequence
//! published through the skewed hub arrives in order with strictly increasing offsets.
//!
//! `faketime` (Debian package `faketime`, installed by `ensure_faketime` in
//! scripts/lib/setup.sh) is required: without it these tests fail and say how to install it.
//!
//! **Which clocks are skewed.** libfaketime fakes `CLOCK_MONOTONIC` too by default (verified
//! with 0.9.10: under `faketime -f +10m` a process's monotonic clock reads the faked epoch
//! time). Real clock skew (a wrong RTC, an NTP step) moves only the wall clock, so the matrix
//! runs with `FAKETIME_DONT_FAKE_MONOTONIC=1`. One more test runs +10 min with faketime's
//! default (both clocks shifted) and checks the same things: the hub's timers use `Instant`,
//! which only needs a monotonic clock, not a true one.

#[path = "../../hub/tests/common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::sync::OnceLock;

use common::{Client, now_secs};
use herald_e2e::hub_process::HubProcess;
use herald_hub::auth::mint_hs256;
use serde_json::json;

const LEEWAY_S: i64 = 5;
const SECRET: &str = "clock-skew-secret-0123456789abcdef";

/// The `LD_PRELOAD` value `faketime` uses (libfaketime), asked from `faketime` itself; or a
/// failure that says how to get it (never a silent pass). The hub is started with it
/// directly rather than through the `faketime` wrapper, which forks: killing the wrapper
/// would leave the hub running.
fn libfaketime() -> &'static str {
    static PRELOAD: OnceLock<String> = OnceLock::new();
    PRELOAD.get_or_init(|| {
        let output = std::process::Command::new("faketime")
            .args(["-f", "+0s", "sh", "-c", "printf %s \"$LD_PRELOAD\""])
            .output();
        let preload =
            output.ok().filter(|o| o.status.success()).map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
        match preload {
            Some(preload) if preload.contains("libfaketime") => preload,
            _ => panic!(
                "`faketime` not found: the clock-skew tests need it. Install it with \
                 `source scripts/lib/setup.sh && ensure_faketime` (Debian package faketime)"
            ),
        }
    })
}

/// A hub process under `faketime -f <skew>`, on 127.0.0.1:0. Killed on drop.
async fn skewed_hub(skew: &str, fake_monotonic: bool) -> HubProcess {
    let mut command = HubProcess::command();
    command
        .env("LD_PRELOAD", libfaketime())
        .env("FAKETIME", skew)
        .args(["--jwt-leeway-ms", &(LEEWAY_S * 1000).to_string(), "--publish-rate", "100000"])
        .env("HERALD_JWT_SECRET", SECRET);
    if fake_monotonic {
        command.env_remove("FAKETIME_DONT_FAKE_MONOTONIC");
    } else {
        command.env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    }
    HubProcess::spawn(command).await
}

/// A token minted now (real time) with `exp`, `nbf` and `iat` given as offsets in seconds
/// from now; `None` leaves the claim out.
fn token(exp: i64, nbf: Option<i64>, iat: Option<i64>) -> String {
    let now = now_secs() as i64;
    let mut claims = json!({"sub": "u", "org": "acme", "exp": now + exp, "publish": ["*"], "subscribe": ["*"]});
    if let Some(nbf) = nbf {
        claims["nbf"] = json!(now + nbf);
    }
    if let Some(iat) = iat {
        claims["iat"] = json!(now + iat);
    }
    mint_hs256(SECRET.as_bytes(), &claims)
}

/// The hub's rule (docs/protocol.md §1, §9.1) at hub time `now + skew`: `Ok` when accepted,
/// else the `auth_error` code. Panics when a case is within 2 s of a boundary, where the
/// second granularity of NumericDate and the test's own run time could decide it.
fn expected(skew: i64, exp: i64, nbf: Option<i64>, iat: Option<i64>) -> Result<(), &'static str> {
    let margin = |d: i64| assert!(d.abs() >= 2, "case too close to a boundary: skew {skew} exp {exp} nbf {nbf:?}");
    // Expired: exp + leeway < hub now.  Not yet valid: nbf or iat > hub now + leeway.
    margin(exp + LEEWAY_S - skew);
    if exp + LEEWAY_S < skew {
        return Err("token_expired");
    }
    for claim in [nbf, iat].into_iter().flatten() {
        margin(claim - skew - LEEWAY_S);
        if claim > skew + LEEWAY_S {
            return Err("token_not_yet_valid");
        }
    }
    Ok(())
}

/// The cases, as (exp, nbf, iat) offsets from the real now.
const CASES: [(i64, Option<i64>, Option<i64>); 8] = [
    (1, None, None),       // a short-lived token, fresh
    (-6, None, None),      // expired 6 s ago (real time)
    (30, None, None),      // half a minute left
    (300, None, None),     // five minutes left
    (3600, None, None),    // an hour left
    (3600, Some(0), None), // valid from now
    (3600, Some(5), None), // valid in 5 s
    (3600, None, Some(0)), // issued now
];

/// Authenticates with `token`: `Ok` on `authenticated`, else the `auth_error` code (after
/// checking that the hub closes with 4401).
async fn try_authenticate(addr: SocketAddr, token: &str) -> Result<Client, String> {
    let mut client = Client::connect_addr(addr).await;
    client.send(json!({"type": "authenticate", "token": token})).await;
    let answer = client.recv().await;
    match answer["type"].as_str() {
        Some("authenticated") => Ok(client),
        Some("auth_error") => {
            assert_eq!(client.closed().await, Some(4401), "auth_error is followed by close 4401");
            Err(answer["code"].as_str().unwrap_or_default().to_owned())
        }
        _ => panic!("unexpected answer {answer}"),
    }
}

/// Runs the token matrix and the ordering check against a hub skewed by `skew_s` seconds.
async fn check_skew(skew_s: i64, fake_monotonic: bool) {
    let spec = format!("{skew_s:+}s");
    let hub = skewed_hub(&spec, fake_monotonic).await;
    let mut accepted = 0;
    for (exp, nbf, iat) in CASES {
        let want = expected(skew_s, exp, nbf, iat);
        let got = try_authenticate(hub.addr(), &token(exp, nbf, iat)).await.map(|_| ());
        assert_eq!(got, want.map_err(str::to_owned), "skew {spec}: exp {exp:+} nbf {nbf:?} iat {iat:?}");
        accepted += usize::from(got.is_ok());
    }
    assert!(accepted > 0 && accepted < CASES.len(), "skew {spec}: the matrix has both outcomes");

    // Ordering: offsets come from counters, not clocks.
    let valid = token(3600, None, None);
    let mut subscriber = try_authenticate(hub.addr(), &valid).await.expect("valid token");
    subscriber.subscribe(json!({"channel": "pipeline"})).await;
    let mut publisher = try_authenticate(hub.addr(), &valid).await.expect("valid token");
    let mut last = 0;
    for n in 1..=50u64 {
        let mut event = common::event("PIPELINE", "p");
        event["data"]["n"] = json!(n);
        let answer = publisher.publish(event, None).await;
        let offset = answer["offset"].as_u64().expect("published");
        assert!(offset > last, "skew {spec}: offsets strictly increase");
        last = offset;
    }
    for n in 1..=50u64 {
        let (frame, _) = subscriber.recv_type("event").await;
        assert_eq!((frame["offset"].as_u64(), frame["event"]["data"]["n"].as_u64()), (Some(n), Some(n)), "{frame}");
    }
}

#[tokio::test]
async fn hub_clock_3s_ahead() {
    check_skew(3, false).await;
}

#[tokio::test]
async fn hub_clock_3s_behind() {
    check_skew(-3, false).await;
}

#[tokio::test]
async fn hub_clock_10s_ahead() {
    check_skew(10, false).await;
}

#[tokio::test]
async fn hub_clock_10s_behind() {
    check_skew(-10, false).await;
}

#[tokio::test]
async fn hub_clock_10min_ahead() {
    check_skew(600, false).await;
}

#[tokio::test]
async fn hub_clock_10min_behind() {
    check_skew(-600, false).await;
}

/// faketime's default: the monotonic clock is shifted as well. The hub's `Instant`-based
/// timers only need it to be monotonic, so everything above holds.
#[tokio::test]
async fn hub_clock_10min_ahead_monotonic_clock_shifted_too() {
    check_skew(600, true).await;
}
