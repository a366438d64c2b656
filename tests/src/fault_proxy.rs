//! A TCP fault proxy for real-socket tests: it listens on `127.0.0.1:0`, forwards every
//! connection to an upstream address, and injects the faults a network really has —
//! latency, a bandwidth cap, a silent freeze (a half-open connection: nothing arrives,
//! nothing is closed), a reset (RST), tiny writes (down to one byte per segment), and cuts.
//!
//! Faults are set per direction ([`Direction::Up`]: client → upstream, [`Direction::Down`]:
//! upstream → client) and apply at once to every open connection and to new ones. There is
//! no toxiproxy server on these machines (`docs/toolchain.md`, "Fault injection"); this is
//! the in-repo replacement.
//!
//! ```no_run
//! # async fn demo(hub: std::net::SocketAddr) {
//! use herald_e2e::fault_proxy::{Direction, FaultProxy};
//! let proxy = FaultProxy::start(hub).await;
//! proxy.update(Direction::Down, |link| link.slice = Some(1)); // 1-byte writes to the client
//! proxy.freeze();                                              // hold every byte, both ways
//! proxy.thaw();
//! proxy.stall();                                               // open connections go silent for good
//! proxy.reset();                                               // RST every connection
//! # }
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// Which way bytes travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the client to the upstream.
    Up,
    /// From the upstream to the client.
    Down,
}

/// The faults of one direction. The default is a perfect link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Link {
    /// Added to every chunk's delivery time. Default zero.
    pub latency: Duration,
    /// Bytes per second; `None` (the default) is unlimited.
    pub bytes_per_sec: Option<u64>,
    /// Hold every byte (nothing is forwarded, nothing is closed) until thawed. Default off.
    pub frozen: bool,
    /// Write at most this many bytes per write call (and flush each). Default `None`.
    pub slice: Option<usize>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Faults {
    up: Link,
    down: Link,
    /// Bumped to reset (RST) every open connection.
    resets: u64,
    /// Bumped to close (FIN) every open connection.
    cuts: u64,
    /// Bumped to stall every open connection for good (new ones are unaffected).
    stalls: u64,
}

/// The proxy; dropping it stops accepting (open connections end when either side closes).
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    faults: watch::Sender<Faults>,
    open: Arc<AtomicUsize>,
    accepted: Arc<AtomicUsize>,
    acceptor: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

impl FaultProxy {
    /// Starts a proxy on `127.0.0.1:0` in front of `upstream`.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the fault proxy");
        let addr = listener.local_addr().expect("local address");
        let (faults, _) = watch::channel(Faults::default());
        let open = Arc::new(AtomicUsize::new(0));
        let accepted = Arc::new(AtomicUsize::new(0));
        let acceptor = tokio::spawn(accept(listener, upstream, faults.clone(), open.clone(), accepted.clone()));
        Self { addr, faults, open, accepted, acceptor }
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections open through the proxy now.
    pub fn open_connections(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Connections accepted since the start.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Changes the faults of one direction, for open and future connections.
    pub fn update(&self, direction: Direction, change: impl FnOnce(&mut Link)) {
        self.faults.send_modify(|f| change(if direction == Direction::Up { &mut f.up } else { &mut f.down }));
    }

    /// Freezes both directions: a silent half-open connection (the peers see nothing).
    pub fn freeze(&self) {
        self.faults.send_modify(|f| (f.up.frozen, f.down.frozen) = (true, true));
    }

    /// Ends a freeze in both directions; held bytes flow again, in order.
    pub fn thaw(&self) {
        self.faults.send_modify(|f| (f.up.frozen, f.down.frozen) = (false, false));
    }

    /// Back to a perfect link (open connections stay open).
    pub fn heal(&self) {
        self.faults.send_modify(|f| (f.up, f.down) = (Link::default(), Link::default()));
    }

    /// Stalls every connection open now, for good: a silent half-open connection that only
    /// a heartbeat can detect. New connections are unaffected, so a client that gives up
    /// on the dead one and reconnects gets through.
    pub fn stall(&self) {
        self.faults.send_modify(|f| f.stalls += 1);
    }

    /// Resets every open connection: both peers get a TCP RST (`SO_LINGER` 0).
    pub fn reset(&self) {
        self.faults.send_modify(|f| f.resets += 1);
    }

    /// Closes every open connection cleanly (FIN to both peers).
    pub fn cut(&self) {
        self.faults.send_modify(|f| f.cuts += 1);
    }
}

async fn accept(
    listener: TcpListener,
    upstream: SocketAddr,
    faults: watch::Sender<Faults>,
    open: Arc<AtomicUsize>,
    accepted: Arc<AtomicUsize>,
) {
    while let Ok((client, _)) = listener.accept().await {
        accepted.fetch_add(1, Ordering::Relaxed);
        let faults = faults.subscribe();
        let open = open.clone();
        tokio::spawn(async move {
            let Ok(server) = TcpStream::connect(upstream).await else { return };
            open.fetch_add(1, Ordering::Relaxed);
            relay(client, server, faults).await;
            open.fetch_sub(1, Ordering::Relaxed);
        });
    }
}

/// Forwards both directions until both sides have closed, or a reset or cut is asked for.
async fn relay(mut client: TcpStream, mut server: TcpStream, mut faults: watch::Receiver<Faults>) {
    let start = *faults.borrow_and_update();
    let reset = {
        let (client_read, client_write) = client.split();
        let (server_read, server_write) = server.split();
        let up = pump(client_read, server_write, faults.clone(), Direction::Up, start.stalls);
        let down = pump(server_read, client_write, faults.clone(), Direction::Down, start.stalls);
        let both = async { tokio::join!(up, down) };
        tokio::pin!(both);
        loop {
            tokio::select! {
                _ = &mut both => break false,
                changed = faults.changed() => {
                    let Ok(()) = changed else { break false };
                    let now = *faults.borrow_and_update();
                    if now.resets != start.resets {
                        break true;
                    }
                    if now.cuts != start.cuts {
                        break false;
                    }
                }
            }
        }
    };
    if reset {
        // Closing a socket that lingers 0 s sends RST instead of FIN.
        for socket in [&client, &server] {
            let _ = socket2::SockRef::from(socket).set_linger(Some(Duration::ZERO));
        }
    }
}

/// Forwards one direction, applying that direction's faults, until the reader sees end of
/// stream (then passes the FIN on). Reading and writing are joined by a queue, so latency
/// delays chunks without slowing the reader.
async fn pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    faults: watch::Receiver<Faults>,
    direction: Direction,
    stalls: u64,
) {
    let link = move |f: &Faults| if direction == Direction::Up { f.up } else { f.down };
    let held = move |f: &Faults| link(f).frozen || f.stalls != stalls;
    let (queue, mut chunks) = mpsc::channel::<(Instant, Vec<u8>)>(256);
    let reader = {
        let faults = faults.clone();
        async move {
            let mut buf = vec![0; 16 * 1024];
            loop {
                let n = match from.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                let due = Instant::now() + link(&faults.borrow()).latency;
                if queue.send((due, buf[..n].to_vec())).await.is_err() {
                    return;
                }
            }
        }
    };
    let writer = {
        let mut faults = faults.clone();
        async move {
            while let Some((due, chunk)) = chunks.recv().await {
                tokio::time::sleep_until(due).await;
                let mut rest = &chunk[..];
                while !rest.is_empty() {
                    // A freeze holds the bytes until thawed.
                    if faults.wait_for(|f| !held(f)).await.is_err() {
                        return;
                    }
                    let current = link(&faults.borrow());
                    let n = current.slice.unwrap_or(rest.len()).clamp(1, rest.len());
                    if let Some(rate) = current.bytes_per_sec.filter(|&r| r > 0) {
                        tokio::time::sleep(Duration::from_secs_f64(n as f64 / rate as f64)).await;
                    }
                    if to.write_all(&rest[..n]).await.is_err() || to.flush().await.is_err() {
                        return;
                    }
                    rest = &rest[n..];
                }
            }
            let _ = to.shutdown().await;
        }
    };
    tokio::join!(reader, writer);
}
