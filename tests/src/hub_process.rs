//! The real `herald-hub` binary as a child process on `127.0.0.1:0`, for the scenarios that
//! need the process itself: a skewed wall clock (`tests/tests/clock_skew.rs`), or its memory,
//! file descriptors and metrics measured from outside (`tests/tests/hostile.rs`).
//!
//! [`hub_binary`] builds the binary once per test run with the same cargo and profile;
//! [`HubProcess::command`] prepares a command line, [`HubProcess::spawn`] starts it and reads
//! the bound address from the hub's JSON log. The process is killed (SIGKILL) when the
//! [`HubProcess`] is dropped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

/// How long the hub may take to start and log its address (a debug build on a busy machine).
const STARTUP: Duration = Duration::from_secs(30);

/// The `herald-hub` binary, built by the same cargo into the same target directory, in the
/// profile of the running test (it is another package's binary, so `CARGO_BIN_EXE_*` does
/// not exist here). Built once per test binary run. `HERALD_HUB_BIN=<path>` names a
/// prebuilt binary to run instead (another build or version of the hub, to compare).
///
/// # Panics
/// When `cargo build -p herald-hub` fails or reports no executable.
pub fn hub_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(prebuilt) = std::env::var_os("HERALD_HUB_BIN") {
            return PathBuf::from(prebuilt);
        }
        let mut build = std::process::Command::new(env!("CARGO"));
        build.args(["build", "--quiet", "-p", "herald-hub", "--bin", "herald-hub", "--message-format=json"]);
        if !cfg!(debug_assertions) {
            build.arg("--release");
        }
        // Cargo sets these for the running test; a build script that watches them (ring's)
        // would make every run rebuild the hub.
        const SET_FOR_THE_TEST: [&str; 7] = [
            "CARGO_MANIFEST_",
            "CARGO_PKG_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
            "CARGO_PRIMARY_",
            "CARGO_TARGET_TMPDIR",
            "OUT_DIR",
        ];
        for (name, _) in std::env::vars_os() {
            if name.to_str().is_some_and(|n| SET_FOR_THE_TEST.iter().any(|p| n.starts_with(p))) {
                build.env_remove(name);
            }
        }
        let output =
            build.current_dir(env!("CARGO_MANIFEST_DIR")).stderr(Stdio::inherit()).output().expect("run cargo build");
        assert!(output.status.success(), "cargo build -p herald-hub failed");
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find_map(|message| {
                let is_hub = message["target"]["name"] == "herald-hub"
                    && message["target"]["kind"].as_array().is_some_and(|k| k.iter().any(|k| k == "bin"));
                is_hub.then(|| message["executable"].as_str().map(PathBuf::from)).flatten()
            })
            .expect("cargo reported the herald-hub executable")
    })
}

/// A `herald-hub` child process listening on `127.0.0.1:<free port>`. Killed on drop.
#[derive(Debug)]
pub struct HubProcess {
    _child: Child,
    addr: SocketAddr,
    pid: u32,
}

impl HubProcess {
    /// A command line for [`hub_binary`] that [`HubProcess::spawn`] can start: `--listen
    /// 127.0.0.1:0 --log-format json` (do not pass those flags again), `RUST_LOG=info`, and
    /// none of the caller's `HERALD_*` variables, so only what the scenario adds configures
    /// the hub. The scenario adds a key (`HERALD_JWT_SECRET`) and any other flags.
    pub fn command() -> Command {
        let mut command = Command::new(hub_binary());
        for (name, _) in std::env::vars_os() {
            if name.to_str().is_some_and(|n| n.starts_with("HERALD_")) {
                command.env_remove(name);
            }
        }
        command
            .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// Starts `command` (from [`HubProcess::command`]) and waits until the hub logs its
    /// address. Its log is drained in the background so the hub never blocks on a full pipe.
    ///
    /// # Panics
    /// When the process cannot start, exits, or logs no address within 30 s.
    pub async fn spawn(mut command: Command) -> Self {
        let mut child = command.stderr(Stdio::piped()).spawn().expect("start herald-hub");
        let pid = child.id().expect("the hub is running");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        // {"fields":{"message":"herald hub listening","addr":"127.0.0.1:…"},…}
        let addr = tokio::time::timeout(STARTUP, async {
            while let Some(line) = lines.next_line().await.expect("read hub log") {
                let Ok(entry) = serde_json::from_str::<Value>(&line) else {
                    // Not JSON: the hub refused its configuration (one line on stderr).
                    eprintln!("herald-hub: {line}");
                    continue;
                };
                if entry["fields"]["message"] == "herald hub listening" {
                    return entry["fields"]["addr"].as_str().and_then(|a| a.parse().ok());
                }
            }
            None
        })
        .await
        .expect("the hub logs its address in time")
        .expect("the hub started and logged its address");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self { _child: child, addr, pid }
    }

    /// The address the hub listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The hub's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The hub's resident set size in KiB (`VmRSS` of `/proc/<pid>/status`; Linux only).
    ///
    /// # Panics
    /// When the process is gone or `/proc` has no `VmRSS` line.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).expect("read /proc/<pid>/status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/<pid>/status")
    }

    /// How many file descriptors the hub has open (entries of `/proc/<pid>/fd`; Linux only).
    ///
    /// # Panics
    /// When the process is gone.
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid)).expect("read /proc/<pid>/fd").count()
    }

    /// The body of `GET /metrics` (Prometheus text), over a fresh connection from 127.0.0.1
    /// that the hub closes after answering.
    ///
    /// # Panics
    /// When the hub does not answer 200 within 30 s.
    pub async fn metrics(&self) -> String {
        let exchange = async {
            let mut socket = tokio::net::TcpStream::connect(self.addr).await.expect("connect for /metrics");
            let request = format!("GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.addr);
            socket.write_all(request.as_bytes()).await.expect("send GET /metrics");
            let mut response = String::new();
            socket.read_to_string(&mut response).await.expect("read /metrics");
            response
        };
        let response = tokio::time::timeout(STARTUP, exchange).await.expect("/metrics answered in time");
        let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
        assert!(head.starts_with("HTTP/1.1 200"), "GET /metrics: {head}");
        body.to_owned()
    }

    /// The value of the unlabelled metric `name` (`herald_connections`, say).
    ///
    /// # Panics
    /// When the hub does not export it.
    pub async fn metric(&self, name: &str) -> f64 {
        parse_metric(&self.metrics().await, name).unwrap_or_else(|| panic!("metric {name} not exported"))
    }
}

/// The value of the unlabelled sample `name` in Prometheus text, if present.
pub fn parse_metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|value| value.trim().parse().ok())
}
