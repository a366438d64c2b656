//! Deterministic network-fault simulations (docs/reliability.md, battery row 9): the real hub (router,
//! auth, memory broker, connection code, served through `HubBuilder::spawn_on`) and the
//! real subscriber SDK (connected through `ClientBuilder::connector`) run as turmoil hosts
//! on a simulated network with simulated time. Every scenario runs over many seeds
//! (`HERALD_SEEDS`, default 50; `HERALD_SEED=n` replays one), and each seed's history must
//! pass the delivery-contract checker: nothing acknowledged is lost, nothing arrives twice
//! or out of order, and a lost history is signalled with a resync.
//!
//! Topology: host `hub` runs the hub and an in-process publisher (one event every 20 ms of
//! simulated time through its `HubHandle`, recording publish and ack; a restarted hub
//! records its acks under the next epoch label). Host `client` runs one SDK client that
//! records every delivery and resync. The scenario's faults are applied by the test thread
//! between simulation steps, at fixed simulated times.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{config, envelope, token};
use futures_util::StreamExt;
use herald_e2e::history::{Recorder, Report};
use herald_hub::Hub;
use herald_subscriber::proto::Backoff;
use herald_subscriber::{Client, ConnectTarget, ConnectionState, ProtoConfig, SubscriptionEvent};

const HUB: &str = "hub";
const CLIENT: &str = "client";
const PORT: u16 = 8080;
const TENANT: &str = "acme";
/// Simulated time between two publishes.
const PUBLISH_EVERY: Duration = Duration::from_millis(40);
/// Events published per run: 6 s of simulated time; every fault happens inside it.
const EVENTS: u64 = 150;

/// turmoil's listener as an axum listener, for `HubBuilder::spawn_on`.
struct SimListener(turmoil::net::TcpListener);

impl axum::serve::Listener for SimListener {
    type Io = turmoil::net::TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok(accepted) => return accepted,
                // As axum's own listeners do: wait a little, try again.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// One network fault, applied at a simulated time.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Cut the link both ways (in-flight segments are dropped: the TCP stream is dead).
    Partition,
    /// Restore it.
    Repair,
    /// Drop everything the hub sends to the client.
    HubToClientDown,
    /// Drop everything the client sends to the hub.
    ClientToHubDown,
    /// Undo a one-way cut from the hub.
    HubToClientUp,
    /// Undo a one-way cut from the client.
    ClientToHubUp,
    /// Queue every segment on the link (none lost) until `Release`.
    Hold,
    /// Deliver what was held.
    Release,
    /// Fixed latency on the link.
    Latency(Duration),
    /// Random extra latency up to this, on every link (jitter; TCP reorders by sequence).
    Jitter(Duration),
    /// Kill the hub host: every task, socket and the memory broker's history.
    Crash,
    /// Start the hub software again (a fresh hub: new epoch).
    Bounce,
}

impl Fault {
    fn apply(self, sim: &mut turmoil::Sim<'_>) {
        match self {
            Self::Partition => sim.partition(HUB, CLIENT),
            Self::Repair => sim.repair(HUB, CLIENT),
            Self::HubToClientDown => sim.partition_oneway(HUB, CLIENT),
            Self::ClientToHubDown => sim.partition_oneway(CLIENT, HUB),
            Self::HubToClientUp => sim.repair_oneway(HUB, CLIENT),
            Self::ClientToHubUp => sim.repair_oneway(CLIENT, HUB),
            Self::Hold => sim.hold(HUB, CLIENT),
            Self::Release => sim.release(HUB, CLIENT),
            Self::Latency(latency) => sim.set_link_latency(HUB, CLIENT, latency),
            Self::Jitter(max) => sim.set_max_message_latency(max),
            Self::Crash => sim.crash(HUB),
            Self::Bounce => sim.bounce(HUB),
        }
    }
}

/// A scenario: faults at simulated times (ms), and what must hold beyond a clean history.
struct Scenario {
    name: &'static str,
    faults: Vec<(u64, Fault)>,
    /// At least this many connections (1 = no reconnect needed).
    min_connections: usize,
    /// At most this many connections (`usize::MAX`: any).
    max_connections: usize,
    /// Whether the client must be told to resync (history lost) or must never be.
    resync: bool,
}

/// What the hosts share with the test thread.
#[derive(Default)]
struct Shared {
    history: Recorder,
    /// The next event number to publish (survives hub restarts).
    next: AtomicU64,
    /// Hub software starts (1 = first; the epoch label).
    starts: AtomicU64,
    /// Set when the last event was acknowledged.
    published_all: AtomicBool,
    /// Times the client reached `Connected`.
    connections: AtomicUsize,
}

/// Figures of one seed.
struct Outcome {
    report: Report,
    connections: usize,
    simulated: Duration,
}

fn seeds() -> Vec<u64> {
    if let Ok(seed) = std::env::var("HERALD_SEED") {
        return vec![seed.parse().expect("HERALD_SEED is a number")];
    }
    let count = std::env::var("HERALD_SEEDS").ok().map_or(50, |n| n.parse().expect("HERALD_SEEDS is a number"));
    (0..count).collect()
}

/// A hub with fast heartbeats, serving on the simulated network, plus the publisher.
async fn hub_software(shared: Arc<Shared>) -> turmoil::Result {
    let epoch = (shared.starts.fetch_add(1, SeqCst) + 1).to_string();
    let listener = turmoil::net::TcpListener::bind((Ipv4Addr::UNSPECIFIED, PORT)).await?;
    let hub = Hub::builder()
        .config(config(|c| {
            c.heartbeat = Duration::from_millis(200);
            c.pong_timeout = Duration::from_millis(400);
        }))
        .spawn_on(SimListener(listener))?;
    let handle = hub.handle();
    loop {
        let n = shared.next.fetch_add(1, SeqCst);
        if n >= EVENTS {
            break;
        }
        let id = format!("e{n}");
        shared.history.publish(TENANT, "pipeline", "p-1", &id);
        let outcome = handle.publish(TENANT, None, &envelope(&id, "p-1")).await?;
        shared.history.ack(&id, outcome.offset, &epoch);
        if n == EVENTS - 1 {
            shared.published_all.store(true, SeqCst);
        }
        tokio::time::sleep(PUBLISH_EVERY).await;
    }
    std::future::pending::<()>().await;
    drop(hub);
    Ok(())
}

/// Backoff jitter from the seed, so a seed replays the same reconnect delays.
fn seeded_backoff(seed: u64) -> Backoff {
    let state = Arc::new(AtomicU64::new(seed ^ 0x9E37_79B9_7F4A_7C15));
    let custom = Arc::new(move |attempt: u32| {
        // SplitMix64 step; full jitter over [0, min(300 ms, 20 ms × 2^attempt)].
        let mut z = state.fetch_add(0x9E37_79B9_7F4A_7C15, SeqCst).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let ceiling = (20u64 << attempt.min(10)).min(300);
        Duration::from_millis(z % (ceiling + 1))
    });
    Backoff { base: Duration::from_millis(20), cap: Duration::from_millis(300), custom: Some(custom) }
}

/// The real SDK over the simulated network: records everything, ends after the last event.
async fn client_software(shared: Arc<Shared>, seed: u64) -> turmoil::Result {
    let mut proto = ProtoConfig::default();
    proto.heartbeat = Duration::from_millis(200);
    proto.pong_timeout = Duration::from_millis(400);
    proto.connect_timeout = Duration::from_secs(1);
    let client = Client::builder(format!("ws://{HUB}:{PORT}/ws"))
        .token(token(TENANT, "sim"))
        .config(proto)
        .backoff(seeded_backoff(seed))
        .connector(|target: ConnectTarget| async move {
            turmoil::net::TcpStream::connect((target.host.as_str(), target.port)).await
        })
        .connect();
    let counter = shared.clone();
    client
        .on_state(move |state| {
            if *state == ConnectionState::Connected {
                counter.connections.fetch_add(1, SeqCst);
            }
        })
        .forget();
    shared.history.subscribe(CLIENT, TENANT, "pipeline", "");
    let mut subscription = client.subscribe("pipeline".parse()?, "".parse()?, None);
    let last = format!("e{}", EVENTS - 1);
    while let Some(item) = subscription.next().await {
        shared.history.observe(CLIENT, &item);
        if let SubscriptionEvent::Event(delivery) = &item {
            if delivery.event.id.to_string() == last {
                break;
            }
        }
    }
    // The last ack is recorded once the publish call returns on the hub host.
    while !shared.published_all.load(SeqCst) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    client.close();
    Ok(())
}

/// Runs one seed of `scenario`: `Err` says what went wrong (with the seed).
fn run_seed(scenario: &Scenario, seed: u64) -> Result<Outcome, String> {
    let shared = Arc::new(Shared::default());
    let mut sim = turmoil::Builder::new()
        .rng_seed(seed)
        .simulation_duration(Duration::from_secs(60))
        .tick_duration(Duration::from_millis(10))
        .build();
    let hub_shared = shared.clone();
    sim.host(HUB, move || hub_software(hub_shared.clone()));
    sim.client(CLIENT, client_software(shared.clone(), seed));
    let mut pending = scenario.faults.iter().peekable();
    let finished = loop {
        while let Some(&&(at, fault)) = pending.peek() {
            if sim.elapsed() < Duration::from_millis(at) {
                break;
            }
            fault.apply(&mut sim);
            pending.next();
        }
        match sim.step() {
            Ok(true) => break Ok(()),
            Ok(false) => {}
            Err(error) => break Err(error.to_string()),
        }
    };
    let simulated = sim.elapsed();
    let name = format!("turmoil-{}-{seed}", scenario.name);
    let _ = shared.history.save(&name);
    let report = shared.history.check();
    let connections = shared.connections.load(SeqCst);
    let fail = |why: String| Err(format!("{} seed {seed}: {why}\n  {report}", scenario.name));
    if let Err(error) = finished {
        return fail(format!("simulation failed after {simulated:?}: {error}"));
    }
    if !report.is_clean() {
        let shown: Vec<String> = report.violations.iter().take(10).map(ToString::to_string).collect();
        return fail(format!("history violates the contract:\n  {}", shown.join("\n  ")));
    }
    if scenario.resync && report.resyncs == 0 {
        return fail("the hub lost its history but no resync was signalled".into());
    }
    if !scenario.resync && report.resyncs != 0 {
        return fail("resync although the history was available".into());
    }
    if connections < scenario.min_connections || connections > scenario.max_connections {
        return fail(format!(
            "{connections} connections, expected {}..={}",
            scenario.min_connections, scenario.max_connections
        ));
    }
    Ok(Outcome { report, connections, simulated })
}

/// Runs every seed, prints the figures, and fails with every failing seed listed.
fn run(scenario: &Scenario) {
    let seeds = seeds();
    let started = Instant::now();
    let (mut published, mut acked, mut delivered, mut resyncs, mut connections) = (0, 0, 0, 0, 0);
    let (mut slowest, mut simulated) = (Duration::ZERO, Duration::ZERO);
    let mut failures = Vec::new();
    for &seed in &seeds {
        let wall = Instant::now();
        match run_seed(scenario, seed) {
            Ok(outcome) => {
                published += outcome.report.published;
                acked += outcome.report.acked;
                delivered += outcome.report.delivered;
                resyncs += outcome.report.resyncs;
                connections += outcome.connections;
                simulated += outcome.simulated;
            }
            Err(failure) => failures.push(failure),
        }
        slowest = slowest.max(wall.elapsed());
    }
    let wall = started.elapsed();
    let runs = seeds.len().max(1) as u32;
    println!(
        "turmoil {}: {} seeds, {} failed; {published} published, {acked} acked, {delivered} delivered, \
         {resyncs} resyncs, {connections} connections; {:.2?} simulated per seed; wall {wall:.2?} \
         ({:.2?} per seed, slowest {slowest:.2?})",
        scenario.name,
        seeds.len(),
        failures.len(),
        simulated / runs,
        wall / runs,
    );
    assert!(failures.is_empty(), "{} of {} seeds failed:\n{}", failures.len(), seeds.len(), failures.join("\n"));
}

#[test]
fn partition_and_repair_mid_stream_recovers_without_loss() {
    run(&Scenario {
        name: "partition",
        faults: vec![(1500, Fault::Partition), (3000, Fault::Repair)],
        min_connections: 2,
        max_connections: usize::MAX,
        resync: false,
    });
}

#[test]
fn one_way_partitions_in_both_directions_are_detected_and_recovered() {
    run(&Scenario {
        name: "oneway",
        faults: vec![
            (1000, Fault::HubToClientDown),
            (2500, Fault::HubToClientUp),
            (3500, Fault::ClientToHubDown),
            (5000, Fault::ClientToHubUp),
        ],
        min_connections: 3,
        max_connections: usize::MAX,
        resync: false,
    });
}

#[test]
fn latency_and_jitter_deliver_everything_in_order() {
    run(&Scenario {
        name: "latency",
        faults: vec![
            (500, Fault::Latency(Duration::from_millis(80))),
            (1500, Fault::Jitter(Duration::from_millis(60))),
            (4000, Fault::Latency(Duration::from_millis(1))),
            (4000, Fault::Jitter(Duration::ZERO)),
        ],
        // Round trips of up to ~300 ms stay within the 600 ms heartbeat bound: no reconnect.
        min_connections: 1,
        max_connections: 1,
        resync: false,
    });
}

#[test]
fn a_short_hold_is_ridden_out_and_a_long_one_recovered() {
    run(&Scenario {
        name: "hold",
        faults: vec![
            // Shorter than heartbeat + pong timeout (600 ms): the same connection survives.
            (1000, Fault::Hold),
            (1300, Fault::Release),
            // Longer: both sides give up on the connection; the client reconnects.
            (2500, Fault::Hold),
            (4000, Fault::Release),
        ],
        min_connections: 2,
        max_connections: usize::MAX,
        resync: false,
    });
}

#[test]
fn a_hub_crash_and_restart_is_signalled_as_a_resync_then_clean() {
    run(&Scenario {
        name: "crash",
        faults: vec![(2000, Fault::Crash), (3000, Fault::Bounce)],
        min_connections: 2,
        max_connections: usize::MAX,
        resync: true,
    });
}

#[test]
fn simulated_time_drives_hub_and_sdk_clocks() {
    // Without the tokio-clock fixes, the SDK's deadlines (std time) and its timers (tokio's
    // simulated time) disagree and a dead connection is never detected in simulated time:
    // the partition scenario would wedge until `simulation_duration`. One quiet seed with a
    // permanent one-way cut shows detection happens within the heartbeat bound.
    let shared = Arc::new(Shared::default());
    let mut sim = turmoil::Builder::new().rng_seed(7).simulation_duration(Duration::from_secs(20)).build();
    let hub_shared = shared.clone();
    sim.host(HUB, move || hub_software(hub_shared.clone()));
    let states: Arc<Mutex<Vec<(Duration, ConnectionState)>>> = Arc::default();
    let recorded = states.clone();
    sim.client(CLIENT, async move {
        let mut proto = ProtoConfig::default();
        proto.heartbeat = Duration::from_millis(200);
        proto.pong_timeout = Duration::from_millis(400);
        let client = Client::builder(format!("ws://{HUB}:{PORT}/ws"))
            .token(token(TENANT, "clock"))
            .config(proto)
            .backoff(seeded_backoff(7))
            .connector(|target: ConnectTarget| async move {
                turmoil::net::TcpStream::connect((target.host.as_str(), target.port)).await
            })
            .connect();
        let start = tokio::time::Instant::now();
        let mut changes = client.state_changes();
        loop {
            let state = changes.borrow_and_update().clone();
            let was_connected = recorded.lock().unwrap().iter().any(|(_, s)| *s == ConnectionState::Connected);
            let lost = was_connected && state != ConnectionState::Connected;
            recorded.lock().unwrap().push((start.elapsed(), state));
            if lost {
                break;
            }
            changes.changed().await?;
        }
        client.close();
        Ok(())
    });
    let mut cut = false;
    let wall = Instant::now();
    while !sim.step().expect("the client notices the dead link") {
        if !cut && sim.elapsed() >= Duration::from_millis(1000) {
            sim.partition_oneway(HUB, CLIENT);
            cut = true;
        }
    }
    let (wall, simulated) = (wall.elapsed(), sim.elapsed());
    // With std time in the driver, its deadlines only pass in real time: the client spins
    // until the wall clock catches up, so the run takes about as long as it simulates.
    assert!(wall * 3 < simulated, "{wall:?} of wall time for {simulated:?} simulated");
    let states = states.lock().unwrap();
    let connected = states.iter().find(|(_, s)| *s == ConnectionState::Connected).expect("connected").0;
    let (lost_at, _) = states.last().unwrap();
    assert!(connected < Duration::from_millis(1000), "{states:?}");
    // Cut at ~1 s; the last ping before it was at most 200 ms earlier; detection at the
    // latest 200 + 400 ms after that ping (plus a tick or two).
    assert!(
        *lost_at > Duration::from_millis(1000) && *lost_at <= Duration::from_millis(1650),
        "detected at {lost_at:?}: {states:?}"
    );
}

/// One `POST /api/v1/publish` over the simulated network; returns the HTTP status.
async fn http_publish(id: &str, token: &str) -> Result<u16, Box<dyn std::error::Error>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body =
        serde_json::json!({ "event": serde_json::from_str::<serde_json::Value>(&envelope(id, "p-1").to_json())? })
            .to_string();
    let mut stream = turmoil::net::TcpStream::connect((HUB, PORT)).await?;
    let request = format!(
        "POST /api/v1/publish HTTP/1.1\r\nHost: {HUB}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let status = String::from_utf8_lossy(&response).split(' ').nth(1).unwrap_or("0").parse()?;
    Ok(status)
}

#[test]
fn the_publish_rate_limit_refills_on_the_runtimes_clock() {
    // 20 publishes/s allowed (burst 20); the publisher sends 10/s for 6 s of simulated
    // time, i.e. well under the rate. With the limiter on `std::time::Instant`, 6 s of
    // simulated time take a fraction of a second of real time, the bucket barely refills
    // and most publishes after the first 20 are refused with 429.
    let mut sim = turmoil::Builder::new().rng_seed(3).simulation_duration(Duration::from_secs(30)).build();
    sim.host(HUB, || async {
        let listener = turmoil::net::TcpListener::bind((Ipv4Addr::UNSPECIFIED, PORT)).await?;
        let _hub = Hub::builder().config(config(|c| c.publish_rate = 20)).spawn_on(SimListener(listener))?;
        std::future::pending::<()>().await;
        Ok(())
    });
    let statuses: Arc<Mutex<Vec<u16>>> = Arc::default();
    let recorded = statuses.clone();
    sim.client("publisher", async move {
        let token = token(TENANT, "publisher");
        for n in 0..60 {
            let status = http_publish(&format!("r{n}"), &token).await?;
            recorded.lock().unwrap().push(status);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    });
    sim.run().expect("the simulation runs");
    let statuses = statuses.lock().unwrap();
    assert_eq!(statuses.len(), 60);
    assert!(statuses.iter().all(|&s| s == 200), "every publish within the rate is accepted: {statuses:?}");
}
