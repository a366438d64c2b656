//! Test-only: a real `redis-server` on a free port, killed (only that PID) when dropped.
//!
//! Shared by the unit tests (`broker::redis`) and the integration tests (included with
//! `#[path]`), so it uses only std. Readiness is polled with `PING`, never slept for.
#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary the tests run (`HERALD_TEST_REDIS_SERVER` overrides it).
pub fn binary() -> String {
    std::env::var("HERALD_TEST_REDIS_SERVER").unwrap_or_else(|_| "/usr/bin/redis-server".into())
}

/// A running `redis-server`.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Its working directory (AOF files live here), removed on drop.
    pub dir: PathBuf,
    aof: bool,
    /// Extra command-line arguments, kept for restarts.
    args: Vec<String>,
}

impl RedisServer {
    /// Without persistence.
    pub fn start() -> Self {
        Self::start_with(false)
    }

    /// With AOF and `appendfsync always` when `aof`, else without persistence.
    pub fn start_with(aof: bool) -> Self {
        Self::start_full(aof, &[], None)
    }

    /// Without persistence, with extra arguments (`["--maxmemory-policy", "allkeys-lru"]`).
    pub fn start_args(args: &[&str]) -> Self {
        Self::start_full(false, args, None)
    }

    /// Without persistence, with extra arguments, on `port` (which must be free).
    pub fn start_on(port: u16, args: &[&str]) -> Self {
        Self::start_full(false, args, Some(port))
    }

    /// A replica of `primary` (without persistence), once its first sync is done.
    pub fn replica_of(primary: &Self) -> Self {
        let port = primary.port.to_string();
        let replica = Self::start_args(&["--replicaof", "127.0.0.1", &port]);
        replica.wait_for(|| replica.info("replication").contains("master_link_status:up"));
        replica
    }

    fn start_full(aof: bool, args: &[&str], port: Option<u16>) -> Self {
        let dir = std::env::temp_dir().join(format!("herald-redis-{:016x}", rand_u64()));
        std::fs::create_dir_all(&dir).expect("redis test dir");
        let args = args.iter().map(|a| (*a).to_owned()).collect();
        let mut server = Self { child: None, port: 0, dir, aof, args };
        server.launch(port);
        server
    }

    /// Runs one command; its reply as text (arrays one item a line), or the error text.
    pub fn command(&self, args: &[&str]) -> Result<String, String> {
        command(self.port, args)
    }

    /// `INFO <section>`.
    pub fn info(&self, section: &str) -> String {
        self.command(&["INFO", section]).expect("INFO")
    }

    /// Polls `done` until it holds (10 s at most; then panics).
    pub fn wait_for(&self, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < deadline, "redis on port {} never reached the awaited state", self.port);
            std::thread::yield_now();
        }
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server with SIGKILL (no shutdown save) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and directory (AOF replayed if enabled).
    pub fn restart(&mut self) {
        self.kill();
        self.launch(Some(self.port));
    }

    fn launch(&mut self, port: Option<u16>) {
        for _ in 0..20 {
            let port = port.unwrap_or_else(free_port);
            let mut command = Command::new(binary());
            command
                .arg("--port")
                .arg(port.to_string())
                .arg("--bind")
                .arg("127.0.0.1")
                .arg("--dir")
                .arg(&self.dir)
                .arg("--save")
                .arg("")
                .args(&self.args)
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            if self.aof {
                command.args(["--appendonly", "yes", "--appendfsync", "always"]);
            } else {
                command.args(["--appendonly", "no"]);
            }
            let mut child = command.spawn().expect("redis-server starts (is it installed?)");
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if ping(port) {
                    self.child = Some(child);
                    self.port = port;
                    return;
                }
                // Exited: most likely the port was taken meanwhile; try another one.
                if child.try_wait().ok().flatten().is_some() || Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::yield_now();
            }
        }
        panic!("redis-server did not start");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether a server answers `PING` on 127.0.0.1:`port`.
pub fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}

/// Runs one command on 127.0.0.1:`port` (std only, RESP2): the reply as text, arrays one
/// item a line; an error reply as `Err`.
pub fn command(port: u16, args: &[&str]) -> Result<String, String> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).map_err(|e| e.to_string())?;
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    stream.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
    let mut reader = std::io::BufReader::new(stream);
    reply(&mut reader)
}

fn reply(reader: &mut impl std::io::BufRead) -> Result<String, String> {
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| e.to_string())?;
    let line = line.trim_end_matches("\r\n");
    let (kind, rest) = line.split_at(1.min(line.len()));
    match kind {
        "+" | ":" => Ok(rest.to_owned()),
        "-" => Err(rest.to_owned()),
        "$" if rest == "-1" => Ok(String::new()),
        "$" => {
            let len: usize = rest.parse().map_err(|_| format!("bad bulk length {rest}"))?;
            let mut bytes = vec![0; len + 2];
            reader.read_exact(&mut bytes).map_err(|e| e.to_string())?;
            bytes.truncate(len);
            String::from_utf8(bytes).map_err(|e| e.to_string())
        }
        "*" if rest == "-1" => Ok(String::new()),
        "*" => {
            let n: usize = rest.parse().map_err(|_| format!("bad array length {rest}"))?;
            let items: Result<Vec<_>, _> = (0..n).map(|_| reply(reader)).collect();
            Ok(items?.join("\n"))
        }
        _ => Err(format!("unexpected reply {line:?}")),
    }
}

/// A port that was free a moment ago (bound to 127.0.0.1:0 and released).
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()).expect("free port").port()
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}
