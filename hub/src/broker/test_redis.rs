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
}

impl RedisServer {
    /// Without persistence.
    pub fn start() -> Self {
        Self::start_with(false)
    }

    /// With AOF and `appendfsync always` when `aof`, else without persistence.
    pub fn start_with(aof: bool) -> Self {
        let dir = std::env::temp_dir().join(format!("herald-redis-{:016x}", rand_u64()));
        std::fs::create_dir_all(&dir).expect("redis test dir");
        let mut server = Self { child: None, port: 0, dir, aof };
        server.launch(None);
        server
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

/// A port that was free a moment ago (bound to 127.0.0.1:0 and released).
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()).expect("free port").port()
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}
