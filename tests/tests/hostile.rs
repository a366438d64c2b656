//! The hostile-client battery (docs/reliability.md, "The hostile-client battery"): the real
//! `herald-hub` binary runs in a child process and is attacked by clients that misbehave on
//! purpose, while a well-behaved tenant, `acme`, keeps publishing numbered events into
//! `pipeline` and receiving them. Each attacker connects from its own loopback address
//! (127.0.0.2, 127.0.0.3, …), so every per-address limit stays at its default and an attacker
//! only spends its own budget. The hub is measured from outside: resident memory (`VmRSS`),
//! open file descriptors (`/proc/<pid>/fd`) and its `/metrics` gauges.
//!
//! The main test runs the attacks in sequence against one hub and prints what it measured:
//!
//! 1. an unsubscribe flood of 50,000 distinct names: no state is kept for them;
//! 2. 200 clients that subscribe, keep pinging and never read: each is dropped at the write
//!    timeout and everything it held is released within the documented bound;
//! 3. (separate, ignored until the per-event size cap is merged) oversize events;
//! 4. 50 connections dripping request headers one byte per 200 ms: dropped at the header
//!    read timeout;
//! 5. an auth spray of bad tokens on every route: each refused with its documented code
//!    (the per-address 429 after many failures: separate, ignored until merged);
//! 6. cross-tenant probes of every frame and route with a valid token of tenant `evil`.
//!
//! After each attack and at the end, the hub's descriptors are back at the baseline and its
//! memory within a stated margin; the victim received every acknowledged event, in order,
//! once, and was never closed. Deadlines are the documented bounds plus a stated margin for
//! a debug build on a busy 2-core machine; the measured figures are printed
//! (`-- --nocapture`).

#[path = "../../hub/tests/common/mod.rs"]
mod common;
mod hostile_support;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use common::Client;
use common::raw::write_frame;
use herald_e2e::hub_process::{HubProcess, parse_metric};
use hostile_support::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

/// Scheduling slack added to a documented bound before a deadline fails the test: the hub
/// is a debug build sharing 2 cores with this test and its 200+ clients.
const MARGIN: Duration = Duration::from_secs(5);
/// `--write-timeout-ms` of the battery's hub.
const WRITE_TIMEOUT: Duration = Duration::from_millis(1000);
/// `--header-read-timeout-ms` of the battery's hub.
const HEADER_READ_TIMEOUT: Duration = Duration::from_millis(1000);
/// How much an attack may leave on the hub's resident memory once it is over, in KiB, for
/// attacks whose clients hold little (the unsubscribe flood) and for a repeat of the
/// never-reading clients (the allocator reuses the first wave's freed pages). A wave that
/// left each of its 200 clients' 16 KiB write buffer behind would add over 3 MiB. Measured
/// (docs/reliability.md): +0.1 MiB and +0.3 to +0.8 MiB.
const RSS_STEP_KIB: u64 = 2560;
/// How far the hub's resident memory may stay above the baseline after the first wave of
/// never-reading clients and at the end of the battery, in KiB. Their write buffers (16 KiB
/// and a frame each, about 5 MiB for 200) are freed, but glibc's allocator keeps most of
/// those pages for reuse instead of returning them, and the hub's legitimate state grows a
/// little over the battery (the dedup ids of a few thousand events). Measured: +3.0 to +4.2
/// MiB after the first wave, +4.0 to +5.1 MiB at the end. The exact checks are the
/// descriptors, the gauges and the live tasks, which must all return to the baseline.
const RSS_RETENTION_KIB: u64 = 12 * 1024;

/// The channels a default hub serves.
const CHANNELS: [&str; 6] = ["pipeline", "security", "debug", "system", "architecture", "user"];

/// What is measured before the attacks.
#[derive(Debug, Clone, Copy)]
struct Baseline {
    fds: usize,
    rss_kib: u64,
    connections: f64,
    subscriptions: f64,
    slots: f64,
    tasks: f64,
}

impl Baseline {
    /// Waits for a quiet hub: only the victim's two connections, and two readings in a row
    /// (20 ms apart) that agree, so no connection that just ended (the history fillers', the
    /// previous scrape's) is counted.
    async fn take(hub: &HubProcess) -> Self {
        let deadline = Instant::now() + WAIT;
        let mut last = None;
        loop {
            let metrics = hub.metrics().await;
            let gauge = |name| parse_metric(&metrics, name).unwrap_or_else(|| panic!("{name} not exported"));
            let now = Self {
                fds: hub.open_fds(),
                rss_kib: hub.rss_kib(),
                connections: gauge("herald_connections"),
                subscriptions: gauge("herald_subscriptions"),
                slots: gauge("herald_channel_slots"),
                tasks: gauge("herald_runtime_tasks"),
            };
            let same = |a: &Self, b: &Self| (a.fds, a.connections, a.tasks) == (b.fds, b.connections, b.tasks);
            if now.connections == 2.0 && last.as_ref().is_some_and(|last| same(last, &now)) {
                return now;
            }
            assert!(Instant::now() < deadline, "the hub never settled: {now:?}");
            last = Some(now);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Polls until the hub's open descriptors, connection gauge and live tasks are back at
/// `base`; panics at `deadline`. Returns when that was.
async fn released(hub: &HubProcess, base: &Baseline, what: &str, deadline: Instant) -> Instant {
    loop {
        let metrics = hub.metrics().await;
        let gauge = |name| parse_metric(&metrics, name).unwrap_or_else(|| panic!("{name} not exported"));
        let (connections, tasks) = (gauge("herald_connections"), gauge("herald_runtime_tasks"));
        // Read after the scrape: its connection is closed by now, or shows as one extra
        // descriptor (and task) that the next round no longer sees.
        let fds = hub.open_fds();
        // At most the baseline's descriptors: the baseline may have caught a scrape's
        // connection on its way out (one more than idle), never one fewer.
        if fds <= base.fds && connections == base.connections && tasks == base.tasks {
            return Instant::now();
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not released in time: {fds} fds, {connections} connections, {tasks} tasks; baseline {base:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls `metric` until `done` holds for its value; panics after [`WAIT`].
async fn metric_reaches(hub: &HubProcess, metric: &str, done: impl Fn(f64) -> bool) -> f64 {
    let deadline = Instant::now() + WAIT;
    loop {
        let value = hub.metric(metric).await;
        if done(value) {
            return value;
        }
        assert!(Instant::now() < deadline, "{metric} stuck at {value}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_clients_leave_the_hub_and_a_well_behaved_tenant_as_they_found_them() {
    let write_ms = WRITE_TIMEOUT.as_millis().to_string();
    let header_ms = HEADER_READ_TIMEOUT.as_millis().to_string();
    let hub = hub(&["--write-timeout-ms", &write_ms, "--header-read-timeout-ms", &header_ms]).await;
    fill_histories(&hub).await;
    let victim = Victim::start(hub.addr()).await;
    let base = Baseline::take(&hub).await;
    println!("baseline: {} fds, RSS {}, gauges {base:?}", base.fds, mib(base.rss_kib));

    unsubscribe_flood_of_50000_distinct_names_keeps_no_state(&hub, &base).await;
    never_reading_clients_that_keep_pinging_are_dropped_at_the_write_timeout(&hub, &base).await;
    header_drip_connections_are_dropped_at_the_header_read_timeout(&hub, &base).await;
    auth_spray_of_bad_tokens_is_refused_with_the_documented_codes(&hub).await;
    cross_tenant_probes_never_see_acme(&hub, &victim).await;

    // The end of the battery: everything back, and the victim unharmed.
    released(&hub, &base, "end of the battery", Instant::now() + WAIT).await;
    let rss = hub.rss_kib();
    println!("end of the battery: {} fds, RSS {} (baseline {})", hub.open_fds(), mib(rss), mib(base.rss_kib));
    assert!(rss <= base.rss_kib + RSS_RETENTION_KIB, "RSS {rss} KiB vs baseline {} KiB", base.rss_kib);
    assert_eq!(hub.metric("herald_subscriptions").await, base.subscriptions);
    // One slot per (tenant, channel) used, never removed: bounded by tenants (signed `org`
    // claims) × configured channels. Tenant `evil` used all six; no attacker-chosen name made one.
    assert_eq!(hub.metric("herald_channel_slots").await, base.slots + CHANNELS.len() as f64);
    let events = victim.finish().await;
    println!("victim: {events} events, every one once, in order, never closed");
}

/// Size of the events that fill the never-reading clients' sockets (scenario 2).
const FLOOD_EVENT_BYTES: usize = 8 * 1024;

/// Before the baseline, a trusted publisher fills acme's `pipeline` and `debug` histories
/// (where the victim's stream and scenario 2's legitimate flood go) to their bound with events
/// of the sizes that follow. The hub keeps a channel's history by design; filled first, it
/// stays the same size while new events replace older ones, so the memory figures measure
/// what the attackers cost rather than the history the hub is meant to keep.
async fn fill_histories(hub: &HubProcess) {
    const EVENTS: usize = 1000; // the default history size
    for (category, pad) in [("PIPELINE", 0), ("DEBUG", FLOOD_EVENT_BYTES)] {
        // One publisher per channel: 1000 publishes are one second's worth of the default rate.
        let filler_token = token(&claims("acme", &format!("filler-{category}"), json!({"publish": ["*"]})));
        let mut filler = ws_authed(VICTIM_IP, hub.addr(), &filler_token).await;
        for chunk in (0..EVENTS).collect::<Vec<_>>().chunks(100) {
            let mut ids = Vec::with_capacity(chunk.len());
            for &n in chunk {
                let mut event = envelope("acme", &format!("history-{category}-{n}"), category, n as u64);
                event["data"]["pad"] = json!("h".repeat(pad));
                ids.push(filler.request(json!({"type": "publish", "event": event})).await);
            }
            for id in ids {
                let (answer, _) = filler.recv_type_reply(id).await;
                assert_eq!(answer["type"], "published", "{answer}");
            }
        }
        filler.ws.close(None).await.expect("close");
        filler.closed().await;
    }
}

/// Scenario 1: One connection sends 50,000 unsubscribes of distinct valid names: half name channels
/// the hub does not serve (`channel_not_found`), half distinct subjects on `pipeline`
/// (`unsubscribed`). The hub keeps nothing for any of them.
async fn unsubscribe_flood_of_50000_distinct_names_keeps_no_state(hub: &HubProcess, base: &Baseline) {
    const FLOOD: u32 = 50_000;
    let before = hub.rss_kib();
    let mut attacker = ws_authed(loopback(2), hub.addr(), &token(&claims("acme", "unsubscriber", json!({})))).await;
    // Pipelined in chunks: a client that sent everything before reading would overflow its
    // own outbound queue (4409), which is not this attack.
    for chunk in (0..FLOOD).collect::<Vec<_>>().chunks(1000) {
        let mut sent = Vec::with_capacity(chunk.len());
        for &n in chunk {
            let frame = if n % 2 == 0 {
                json!({"type": "unsubscribe", "channel": format!("x{n}")})
            } else {
                json!({"type": "unsubscribe", "channel": "pipeline", "subject": format!("s-{n}")})
            };
            sent.push((n, attacker.request(frame).await));
        }
        for (n, id) in sent {
            let answer = attacker.recv().await;
            assert_eq!(answer["reply_to"], id, "{answer}");
            if n % 2 == 0 {
                assert_eq!(
                    (answer["type"].as_str(), answer["code"].as_str()),
                    (Some("error"), Some("channel_not_found"))
                );
            } else {
                assert_eq!(
                    (answer["type"].as_str(), answer["subject"].as_str()),
                    (Some("unsubscribed"), Some(&*format!("s-{n}")))
                );
            }
        }
    }
    let during = hub.rss_kib();
    assert_eq!(hub.metric("herald_channel_slots").await, base.slots, "no channel slot for any name the attacker sent");
    assert_eq!(hub.metric("herald_subscriptions").await, base.subscriptions);
    attacker.ws.close(None).await.expect("close");
    attacker.closed().await;
    released(hub, base, "the unsubscriber", Instant::now() + WAIT).await;
    let after = hub.rss_kib();
    println!(
        "1. unsubscribe flood: {FLOOD} answered; slots {} -> {}; RSS before {}, with the attacker {}, after {}",
        base.slots,
        hub.metric("herald_channel_slots").await,
        mib(before),
        mib(during),
        mib(after)
    );
    assert!(after <= before + RSS_STEP_KIB, "RSS grew from {before} KiB to {after} KiB");
}

/// A client that upgrades, authenticates and subscribes to `channel` from `source`, with a
/// receive buffer of a few KiB and a 536-byte MSS (which also keeps the hub's send buffer
/// for it small), so its socket fills after about 100 KiB. It never reads after the upgrade.
async fn never_reading_client(source: IpAddr, hub: SocketAddr, token: &str, channel: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    socket2::SockRef::from(&socket).set_tcp_mss(536).expect("TCP_MAXSEG");
    let (answer, mut stream) = upgrade(connect_from(socket, source, hub).await, hub).await;
    assert_eq!(answer.status, 101, "{}", answer.head);
    for frame in [json!({"type": "authenticate", "token": token}), json!({"type": "subscribe", "channel": channel})] {
        write_frame(&mut stream, 0x1, frame.to_string().as_bytes()).await.expect("send");
    }
    stream
}

/// Sends a WebSocket ping and a `ping` frame in turn every 100 ms until `stop`, never reading.
/// Writes fail once the hub has dropped the connection; the socket is kept open regardless
/// and handed back at the end (the attacker decides when it goes).
async fn keep_pinging(mut stream: TcpStream, mut stop: watch::Receiver<bool>) -> TcpStream {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut alive = true;
    for n in 0u64.. {
        tokio::select! {
            _ = stop.changed() => break,
            _ = tick.tick() => {}
        }
        if alive {
            let sent = if n % 2 == 0 {
                write_frame(&mut stream, 0x9, b"are you there").await
            } else {
                write_frame(&mut stream, 0x1, json!({"type": "ping", "id": n}).to_string().as_bytes()).await
            };
            alive = sent.is_ok();
        }
    }
    stream
}

/// What one wave of never-reading clients did to the hub.
#[derive(Debug)]
struct Wave {
    rss_before: u64,
    rss_flooded: u64,
    rss_after: u64,
    peak_fds: usize,
    timeouts: f64,
    released_after: Duration,
}

/// Scenario 2: 200 clients from one address authenticate, subscribe to acme's `debug`, keep pinging
/// and never read, while a trusted publisher sends 768 KiB of events to each. Every one is dropped
/// at the write timeout (1 s here), and everything it held (socket, gauges, subscription) is
/// released within write_timeout + 3 s of its socket filling up (docs/operations.md); their own
/// sockets stay open throughout. Two identical waves: the allocator keeps some of the first wave's
/// freed pages (so RSS is compared with a margin), and the second wave must not add to them, which
/// it would if anything leaked per client.
async fn never_reading_clients_that_keep_pinging_are_dropped_at_the_write_timeout(hub: &HubProcess, base: &Baseline) {
    let first = never_reading_wave(hub, base, 1).await;
    let second = never_reading_wave(hub, base, 2).await;
    for (n, wave) in [&first, &second].into_iter().enumerate() {
        println!(
            "2. never-reading clients, wave {}: 200 held {} fds ({} at baseline); {} write timeouts; \
             fds and connections back {:.1} s after the sockets filled (bound {:.1} s + margin); \
             RSS before {}, flooded {}, after {}",
            n + 1,
            wave.peak_fds,
            base.fds,
            wave.timeouts,
            wave.released_after.as_secs_f64(),
            (WRITE_TIMEOUT + CLOSE_HANDSHAKE).as_secs_f64(),
            mib(wave.rss_before),
            mib(wave.rss_flooded),
            mib(wave.rss_after),
        );
    }
    assert!(
        first.rss_after <= first.rss_before + RSS_RETENTION_KIB,
        "RSS grew from {} KiB to {} KiB",
        first.rss_before,
        first.rss_after
    );
    assert!(
        second.rss_after <= first.rss_after + RSS_STEP_KIB,
        "the second wave grew RSS again: {} KiB -> {} KiB",
        first.rss_after,
        second.rss_after
    );
}

/// The session's wait for the closing handshake after its writer gave up (hub constant).
const CLOSE_HANDSHAKE: Duration = Duration::from_secs(3);
async fn never_reading_wave(hub: &HubProcess, base: &Baseline, wave: usize) -> Wave {
    const CLIENTS: usize = 200;
    const EVENTS: usize = 96;
    let rss_before = hub.rss_kib();
    let timeouts_before = hub.metric("herald_write_timeouts_total").await;
    let (stop, stop_rx) = watch::channel(false);
    let mut attackers = Vec::with_capacity(CLIENTS);
    for i in 0..CLIENTS {
        let token = token(&claims("acme", &format!("sloth-{i}"), json!({})));
        let stream = never_reading_client(loopback(3), hub.addr(), &token, "debug").await;
        attackers.push(tokio::spawn(keep_pinging(stream, stop_rx.clone())));
    }
    let subscribed = base.subscriptions + CLIENTS as f64;
    metric_reaches(hub, "herald_subscriptions", |n| n == subscribed).await;
    let peak_fds = hub.open_fds();

    // The trusted publisher (the victim's address) fills every attacker's socket.
    let flood_token = token(&claims("acme", "flood-publisher", json!({"publish": ["debug"]})));
    let mut publisher = ws_authed(VICTIM_IP, hub.addr(), &flood_token).await;
    for n in 0..EVENTS {
        let mut event = envelope("acme", &format!("flood-{wave}-{n}"), "DEBUG", n as u64);
        event["data"]["pad"] = json!("x".repeat(FLOOD_EVENT_BYTES));
        let (answer, _) = publisher.call(json!({"type": "publish", "event": event})).await;
        assert_eq!((answer["type"].as_str(), answer["duplicate"].as_bool()), (Some("published"), Some(false)));
    }
    let filled = Instant::now();
    let rss_flooded = hub.rss_kib();
    publisher.ws.close(None).await.expect("close");
    publisher.closed().await;
    let timeouts = metric_reaches(hub, "herald_write_timeouts_total", |n| n >= timeouts_before + CLIENTS as f64).await;
    let deadline = filled + WRITE_TIMEOUT + CLOSE_HANDSHAKE + MARGIN;
    let done = released(hub, base, "the never-reading clients", deadline).await;
    assert_eq!(hub.metric("herald_subscriptions").await, base.subscriptions, "their subscriptions are gone");
    let rss_after = hub.rss_kib();

    // The attackers held their sockets open throughout; now they let go.
    stop.send_replace(true);
    for attacker in attackers {
        drop(attacker.await.expect("attacker task"));
    }
    Wave {
        rss_before,
        rss_flooded,
        rss_after,
        peak_fds,
        timeouts: timeouts - timeouts_before,
        released_after: done - filled,
    }
}

/// Sends an HTTP request one byte every 200 ms (it would take about a minute); returns how
/// long the hub kept the connection.
async fn drip(source: IpAddr, hub: SocketAddr) -> Duration {
    let mut stream = tcp_from(source, hub).await;
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {hub}\r\nUser-Agent: {}\r\n\r\n", "drip".repeat(60));
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    for byte in request.bytes() {
        if stream.write_all(&[byte]).await.is_err() {
            return started.elapsed();
        }
        tokio::select! {
            read = stream.read(&mut buffer) => match read {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(_) => {} // an error status, say: the end of the stream follows
            },
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
    }
    panic!("the hub read a whole request dripped over {:?}", started.elapsed());
}

/// Scenario 4: 50 connections from one address drip request headers one byte per 200 ms: each is
/// dropped at the header read timeout (1 s here, counted from the first byte), and the hub's
/// descriptors are back at the baseline.
async fn header_drip_connections_are_dropped_at_the_header_read_timeout(hub: &HubProcess, base: &Baseline) {
    const DRIPPERS: usize = 50;
    let addr = hub.addr();
    let drips: Vec<_> = (0..DRIPPERS).map(|_| tokio::spawn(drip(loopback(4), addr))).collect();
    let mut held = Vec::with_capacity(DRIPPERS);
    for drip in drips {
        held.push(drip.await.expect("drip task"));
    }
    let longest = held.iter().max().copied().unwrap_or_default();
    released(hub, base, "the header drippers", Instant::now() + WAIT).await;
    println!(
        "4. header drip: {DRIPPERS} connections dropped after {:.2}-{:.2} s (header read timeout {:.1} s); \
         fds back to {}",
        held.iter().min().copied().unwrap_or_default().as_secs_f64(),
        longest.as_secs_f64(),
        HEADER_READ_TIMEOUT.as_secs_f64(),
        base.fds
    );
    assert!(longest <= HEADER_READ_TIMEOUT + MARGIN, "a dripping connection was held {longest:?}");
}

/// Scenario 5: One address sprays bad tokens (bad signature, `alg: none`, garbage, expired, not yet
/// valid, no `org`) over every route: WebSocket header and `authenticate` frame, HTTP publish and
/// history. Every attempt is refused with its documented code, or, once the address has failed
/// often enough for the per-address limit (when merged), 429 `rate_limited`; nothing is ever
/// accepted.
async fn auth_spray_of_bad_tokens_is_refused_with_the_documented_codes(hub: &HubProcess) {
    const ROUNDS: usize = 3;
    let failures_before = hub.metric("herald_auth_failures_total").await;
    let (mut documented, mut limited) = (0, 0);
    for _ in 0..ROUNDS {
        for (what, token, code) in bad_tokens() {
            for route in ROUTES {
                match attempt(hub.addr(), loopback(5), route, &token).await {
                    Refusal::Auth(got) => {
                        assert_eq!(got, code, "{what} on {route}");
                        documented += 1;
                    }
                    Refusal::RateLimited => limited += 1,
                    Refusal::Accepted => panic!("{what} on {route}: accepted"),
                }
            }
        }
    }
    assert!(documented > 0, "the first attempts are answered with their codes");
    let failures = hub.metric("herald_auth_failures_total").await - failures_before;
    println!(
        "5. auth spray: {} attempts from one address: {documented} refused with their auth_error code, \
         {limited} with 429; herald_auth_failures_total +{failures}",
        documented + limited
    );
}

/// Scenario 6: A valid token of tenant `evil` (from its own address) tries every WebSocket frame
/// and every HTTP route, aiming at acme's channels, positions and event ids. It never receives an
/// acme event and never learns an acme offset: every offset it sees is its own tenant's.
async fn cross_tenant_probes_never_see_acme(hub: &HubProcess, victim: &Victim) {
    let (addr, source) = (hub.addr(), loopback(6));
    let evil_token = publisher_token("evil", "mallory");
    let acme_latest = *victim.latest.borrow();
    assert!(acme_latest > 0, "acme has published by now");
    let mut evil = ws_authed(source, addr, &evil_token).await;
    let mut seen = Vec::new();
    let mut call = async |evil: &mut Client, frame: Value| {
        let (answer, before) = evil.call(frame).await;
        seen.extend(before);
        answer
    };
    // Every channel, every way to subscribe, with acme's epoch and offsets.
    let since = |offset: u64| json!({"epoch": victim.epoch, "offset": offset});
    for channel in CHANNELS {
        for extra in [
            json!({}),
            json!({"history": 1000}),
            json!({"since": since(0)}),
            json!({"since": since(acme_latest)}),
            json!({"since": since(acme_latest / 2), "history": 1000}),
            json!({"subject": "stream", "history": 1000}),
        ] {
            let mut frame = json!({"type": "subscribe", "channel": channel});
            frame.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            let answer = call(&mut evil, frame.clone()).await;
            assert_eq!(answer["type"], "subscribed", "{frame}: {answer}");
            assert_eq!(
                (answer["offset"].as_u64(), answer["replayed"].as_u64()),
                (Some(0), Some(0)),
                "{frame}: {answer}"
            );
        }
        let answer = call(&mut evil, json!({"type": "unsubscribe", "channel": channel})).await;
        assert_eq!(answer["type"], "unsubscribed", "{answer}");
    }
    // Publishing with ids acme used: new events of evil's own, at evil's own offsets.
    for (n, (channel, id)) in
        [("pipeline", "acme-1"), ("debug", "flood-1-0"), ("pipeline", "acme-2")].into_iter().enumerate()
    {
        let category = channel.to_uppercase();
        let frame = json!({"type": "publish", "channel": channel, "event": envelope("evil", id, &category, n as u64)});
        let answer = call(&mut evil, frame).await;
        let offset = if n == 2 { 2 } else { 1 };
        assert_eq!(
            (answer["type"].as_str(), answer["duplicate"].as_bool()),
            (Some("published"), Some(false)),
            "{answer}"
        );
        assert_eq!(answer["offset"].as_u64(), Some(offset), "evil's own offset: {answer}");
    }
    let answer = call(&mut evil, json!({"type": "subscribe", "channel": "pipeline", "history": 1000})).await;
    assert_eq!((answer["offset"].as_u64(), answer["replayed"].as_u64()), (Some(2), Some(2)), "{answer}");
    assert_eq!(call(&mut evil, json!({"type": "ping"})).await["type"], "pong");

    // HTTP, every route.
    let http = http_from(source);
    let url = |path: &str| format!("http://{addr}{path}");
    let body = json!({"channel": "pipeline", "event": envelope("evil", "acme-3", "PIPELINE", 3)});
    let publish = http.post(url("/api/v1/publish")).bearer_auth(&evil_token).json(&body);
    let (status, body) = http_answer(publish.send().await.expect("HTTP")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["results"][0]["offset"].as_u64(), body["results"][0]["duplicate"].as_bool()),
        (Some(3), Some(false))
    );
    let (mut history_reads, mut history_limited) = (0, 0);
    for channel in CHANNELS {
        let own = if channel == "pipeline" { 3 } else { u64::from(channel == "debug") };
        for query in [format!("since_offset=0&epoch={}&limit=1000", victim.epoch), "limit=1000".to_owned()] {
            let request =
                http.get(url(&format!("/api/v1/channels/{channel}/history?{query}"))).bearer_auth(&evil_token);
            let (status, body) = http_answer(request.send().await.expect("HTTP")).await;
            if status == 429 && body["code"] == "rate_limited" && history_reads > 0 {
                // The per-address history rate (when merged) may cut a fast prober off.
                history_limited += 1;
                continue;
            }
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["offset"].as_u64(), Some(own), "{channel}?{query}: evil's own offset: {body}");
            let events = body["events"].as_array().expect("events");
            assert_eq!(events.len() as u64, own, "{channel}?{query}: {body}");
            seen.extend(events.iter().cloned());
            history_reads += 1;
        }
    }
    let (status, _) = http_answer(http.get(url("/api/v1/dev/token?org=acme")).send().await.expect("HTTP")).await;
    assert_eq!(status, 404, "no token minting outside development mode");
    for path in ["/healthz", "/readyz", "/metrics"] {
        let response = http.get(url(path)).send().await.expect("HTTP");
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let text = response.text().await.expect("body");
        assert!(!text.contains("acme"), "{path} names no tenant: {text}");
    }

    // Whatever acme published meanwhile never reached evil, on either path.
    let (pong, before) = evil.call(json!({"type": "ping"})).await;
    assert_eq!(pong["type"], "pong");
    seen.extend(before);
    let events: Vec<&Value> = seen.iter().filter(|f| f["type"] == "event").collect();
    for event in &events {
        assert_eq!(event["event"]["source"], "evil", "evil received an acme event: {event}");
    }
    assert!(events.len() >= 4, "evil got its own events back: {seen:?}");
    evil.ws.close(None).await.expect("close");
    evil.closed().await;
    println!(
        "6. cross-tenant probes: {} subscribes, 3 WS + 1 HTTP publishes with acme's ids, {history_reads} history \
         reads ({history_limited} more refused with 429): evil saw only its own {} events and offsets \
         (acme was at offset {acme_latest})",
        CHANNELS.len() * 6 + 1,
        events.len()
    );
}

/// Scenario 3: Oversize events: an HTTP publish of a ~900 KB event (under the 1 MiB body limit) and
/// a WebSocket publish of a 100 KiB event are refused with `too_large` (HTTP 413), so one event can
/// no longer overflow every subscriber's queue and knock the channel's subscribers out with 4409.
/// The victim, subscribed to the target channel, is never closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_events_are_refused_with_too_large_and_knock_out_no_subscriber() {
    // WebSocket messages up to 1 MiB, so the per-event cap (default 64 KiB) is what refuses
    // the WebSocket publish, not the message size limit (close 1009).
    let hub = hub(&["--max-message-bytes", "1048576"]).await;
    let victim = Victim::start(hub.addr()).await;
    let (addr, source) = (hub.addr(), loopback(7));
    let big_token = publisher_token("acme", "big-publisher");
    let big = |id: &str, bytes: usize| {
        let mut event = envelope("acme", id, "PIPELINE", 0);
        event["data"]["blob"] = json!("x".repeat(bytes));
        event
    };

    let http = http_from(source);
    let small = envelope("acme", "small-in-a-big-batch", "PIPELINE", 0);
    for body in
        [json!({"event": big("big-http", 900 * 1024)}), json!({"events": [small, big("big-batch", 900 * 1024)]})]
    {
        let request = http.post(format!("http://{addr}/api/v1/publish")).bearer_auth(&big_token).json(&body);
        let (status, answer) = http_answer(request.send().await.expect("HTTP")).await;
        assert_eq!((status, answer["code"].as_str()), (413, Some("too_large")), "{answer}");
    }

    let mut ws = ws_authed(source, addr, &big_token).await;
    let (answer, _) = ws.call(json!({"type": "publish", "event": big("big-ws", 100 * 1024)})).await;
    assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("error"), Some("too_large")), "{answer}");
    let (pong, _) = ws.call(json!({"type": "ping"})).await;
    assert_eq!(pong["type"], "pong", "the publisher's connection stays open");

    // Nothing of it was stored: acme's pipeline holds the victim's stream only.
    let url = format!("http://{addr}/api/v1/channels/pipeline/history?limit=1000");
    let (status, history) = http_answer(http.get(url).bearer_auth(&big_token).send().await.expect("HTTP")).await;
    assert_eq!(status, 200, "{history}");
    for event in history["events"].as_array().expect("events") {
        assert!(event["event"]["id"].as_str().is_some_and(|id| id.starts_with("acme-")), "{event}");
    }
    victim.finish().await;
}

/// Scenario 5, continued: After enough failed authentications from one address, every further
/// attempt from it gets 429 `rate_limited` (HTTP, and the WebSocket upgrade before any 101), while
/// other addresses, the victim's among them, are unaffected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_spray_from_one_address_is_cut_off_with_429_and_spares_other_addresses() {
    const MOST: usize = 500;
    let hub = hub(&[]).await;
    let victim = Victim::start(hub.addr()).await;
    let (addr, sprayer) = (hub.addr(), loopback(5));
    let tokens = bad_tokens();
    let mut failures = 0;
    'spray: for round in 0.. {
        for route in ROUTES {
            let (what, token, code) = &tokens[round % tokens.len()];
            match attempt(addr, sprayer, route, token).await {
                Refusal::Auth(got) => assert_eq!(&got, code, "{what} on {route}"),
                Refusal::RateLimited => break 'spray,
                Refusal::Accepted => panic!("{what} on {route}: accepted"),
            }
            failures += 1;
            assert!(failures < MOST, "{MOST} failed authentications from one address and no 429");
        }
    }
    // Cut off on every route, whatever the token.
    for route in ROUTES {
        let (_, token, _) = &tokens[0];
        assert_eq!(attempt(addr, sprayer, route, token).await, Refusal::RateLimited, "{route}");
    }
    // Another address is unaffected: its bad token gets its own code, a good one works.
    let (_, token, code) = &tokens[0];
    assert_eq!(attempt(addr, loopback(8), "http publish", token).await, Refusal::Auth((*code).to_owned()));
    let mut other = ws_authed(loopback(8), addr, &publisher_token("acme", "bystander")).await;
    assert_eq!(other.call(json!({"type": "ping"})).await.0["type"], "pong");
    println!("5. auth spray: cut off with 429 after {failures} failed authentications from one address");
    victim.finish().await;
}

/// Scenario 6, continued: Tokens whose `sub` or `org` hold a `/` or a control character (which
/// would let `user/${sub}` reach into other users' subjects, or forge a tenant's name) are refused
/// with `invalid_token` on every route.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_whose_sub_or_org_hold_a_slash_or_a_control_character_are_refused() {
    let hub = hub(&[]).await;
    let victim = Victim::start(hub.addr()).await;
    let forged = [
        ("acme/evil", "mallory"),
        ("evil", "victim/x"),
        ("evil", "mal\u{7}lory"),
        ("acme\n", "mallory"),
        ("evil", "a\u{0}"),
    ];
    // One address per attempt: the failed-authentication limit must not answer instead.
    let mut source = 10;
    for (org, sub) in forged {
        let token = publisher_token(org, sub);
        for route in ROUTES {
            source += 1;
            let refusal = attempt(hub.addr(), loopback(source), route, &token).await;
            assert_eq!(refusal, Refusal::Auth("invalid_token".into()), "org {org:?} sub {sub:?} on {route}");
        }
    }
    victim.finish().await;
}
