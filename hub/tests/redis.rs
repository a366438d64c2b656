//! Scale-out on Redis (feature `redis`): real `redis-server` instances started here on free
//! ports, real hubs on 127.0.0.1:0, real WebSocket clients.
#![cfg(feature = "redis")]

mod common;
mod scenarios;
#[path = "../src/broker/test_redis.rs"]
mod test_redis;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use common::*;
use serde_json::{Value, json};
use test_redis::RedisServer;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

async fn hub_on(server: &RedisServer) -> TestHub {
    let url = server.url();
    spawn_hub(move |config| config.broker = Some(url.as_str().into())).await
}

/// Reads `n` event frames; returns their offsets.
async fn offsets(client: &mut Client, n: usize) -> Vec<u64> {
    let mut seen = Vec::with_capacity(n);
    while seen.len() < n {
        let frame = client.recv().await;
        assert_eq!(frame["type"], "event", "{frame}");
        seen.push(frame["offset"].as_u64().unwrap());
    }
    seen
}

async fn publish(publisher: &mut Client) -> Value {
    let answer = publisher.publish(event("PIPELINE", "p-1"), None).await;
    assert_eq!(answer["type"], "published", "{answer}");
    answer
}

/// Polls `/readyz` until it answers `status` (or the overall wait runs out).
async fn wait_ready(hub: &TestHub, status: u16) {
    let client = reqwest::Client::new();
    tokio::time::timeout(WAIT, async {
        loop {
            let got = client.get(hub.http("/readyz")).send().await.map(|r| r.status().as_u16());
            if got.ok() == Some(status) {
                return;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("/readyz never answered {status}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hubs_deliver_everything_in_order_exactly_once() {
    let server = RedisServer::start();
    let (a, b, c) = (hub_on(&server).await, hub_on(&server).await, hub_on(&server).await);
    let mut on_b = Client::authed(&b, &user_token("u1", "acme")).await;
    let mut on_c = Client::authed(&c, &user_token("u2", "acme")).await;
    let mut on_a = Client::authed(&a, &user_token("u3", "acme")).await;
    let epoch = on_b.subscribe(json!({"channel": "pipeline"})).await["epoch"].clone();
    assert_eq!(on_c.subscribe(json!({"channel": "pipeline"})).await["epoch"], epoch, "one epoch for all hubs");
    on_a.subscribe(json!({"channel": "pipeline"})).await;

    let mut publisher = Client::authed(&a, &publisher_token("acme")).await;
    let mut other = Client::authed(&c, &publisher_token("acme")).await;
    for n in 0..30 {
        // Publishes from two hubs interleave into one order.
        publish(if n % 3 == 0 { &mut other } else { &mut publisher }).await;
    }
    let expected: Vec<u64> = (1..=30).collect();
    for client in [&mut on_a, &mut on_b, &mut on_c] {
        assert_eq!(offsets(client, 30).await, expected);
    }
    // Nothing twice: the next frame each receives is the next event.
    publish(&mut publisher).await;
    for client in [&mut on_a, &mut on_b, &mut on_c] {
        assert_eq!(offsets(client, 1).await, [31]);
    }
    // Another tenant sees nothing of it.
    let mut stranger = Client::authed(&b, &user_token("x", "globex")).await;
    assert_eq!(stranger.subscribe(json!({"channel": "pipeline"})).await["offset"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_moves_between_hubs_without_a_gap() {
    let server = RedisServer::start();
    let (a, b, c) = (hub_on(&server).await, hub_on(&server).await, hub_on(&server).await);
    let mut publisher = Client::authed(&a, &publisher_token("acme")).await;
    let mut sub = Client::authed(&b, &user_token("u", "acme")).await;
    let epoch = sub.subscribe(json!({"channel": "pipeline"})).await["epoch"].clone();
    for _ in 0..10 {
        publish(&mut publisher).await;
    }
    assert_eq!(offsets(&mut sub, 10).await, (1..=10).collect::<Vec<_>>());
    drop(sub); // b goes away for this client mid-stream
    for _ in 0..10 {
        publish(&mut publisher).await;
    }
    let mut moved = Client::authed(&c, &user_token("u", "acme")).await;
    let subscribed = moved.subscribe(json!({"channel": "pipeline", "since": {"epoch": epoch, "offset": 10}})).await;
    assert_eq!((subscribed["recovered"].as_bool(), subscribed["replayed"].as_u64()), (Some(true), Some(10)));
    assert_eq!(offsets(&mut moved, 10).await, (11..=20).collect::<Vec<_>>());
    publish(&mut publisher).await;
    assert_eq!(offsets(&mut moved, 1).await, [21], "then live, from another hub's publish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_fails_publishes_loudly_and_a_new_epoch_forces_a_resync() {
    let mut server = RedisServer::start();
    let (a, b) = (hub_on(&server).await, hub_on(&server).await);
    let mut publisher = Client::authed(&a, &publisher_token("acme")).await;
    let mut sub = Client::authed(&b, &user_token("u", "acme")).await;
    let epoch = sub.subscribe(json!({"channel": "pipeline"})).await["epoch"].clone();
    publish(&mut publisher).await;
    assert_eq!(offsets(&mut sub, 1).await, [1]);

    server.kill();
    let answer = publisher.publish(event("PIPELINE", "p-1"), None).await;
    assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("error"), Some("unavailable")), "{answer}");
    let http = reqwest::Client::new()
        .post(a.http("/api/v1/publish"))
        .bearer_auth(publisher_token("acme"))
        .json(&json!({"event": event("PIPELINE", "p-1")}))
        .send()
        .await
        .unwrap();
    assert_eq!(http.status().as_u16(), 503);
    wait_ready(&a, 503).await;

    // Back without its data: a new epoch. The live subscriber is closed (1012) so it
    // reconnects, and its `since` is refused: the SDK surfaces `Resync`.
    server.restart();
    wait_ready(&a, 200).await;
    assert_eq!(sub.closed().await, Some(1012));
    let mut again = Client::authed(&b, &user_token("u", "acme")).await;
    let subscribed = again.subscribe(json!({"channel": "pipeline", "since": {"epoch": epoch, "offset": 1}})).await;
    assert_eq!(subscribed["recovered"], false);
    assert_ne!(subscribed["epoch"], epoch);
    publish(&mut publisher).await;
    assert_eq!(offsets(&mut again, 1).await, [1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_aof_always_no_acknowledged_event_is_lost() {
    let mut server = RedisServer::start_with(true);
    let a = hub_on(&server).await;
    let mut publisher = Client::authed(&a, &publisher_token("acme")).await;
    let mut probe = Client::authed(&a, &user_token("u", "acme")).await;
    let epoch = probe.subscribe(json!({"channel": "pipeline"})).await["epoch"].clone();
    for _ in 0..20 {
        publish(&mut publisher).await;
    }
    server.restart(); // SIGKILL, then replay the AOF
    wait_ready(&a, 200).await;
    let b = hub_on(&server).await;
    let mut sub = Client::authed(&b, &user_token("u", "acme")).await;
    let subscribed = sub.subscribe(json!({"channel": "pipeline", "since": {"epoch": epoch, "offset": 0}})).await;
    assert_eq!((subscribed["recovered"].as_bool(), subscribed["replayed"].as_u64()), (Some(true), Some(20)));
    assert_eq!(offsets(&mut sub, 20).await, (1..=20).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_narrow_publisher_cannot_suppress_or_probe_another_channels_event_ids() {
    let server = RedisServer::start();
    let hub = hub_on(&server).await;
    scenarios::a_narrow_publisher_cannot_suppress_or_probe_another_channels_event_ids(&hub).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_events_cannot_grow_history_past_what_one_replay_carries() {
    let server = RedisServer::start();
    let hub = hub_on(&server).await;
    scenarios::large_events_cannot_grow_history_past_what_one_replay_carries(&hub).await;
}

/// A TCP forwarder standing in for a Redis address that moves on failover (a virtual IP, a
/// DNS name, a Sentinel-aware proxy): [`Forwarder::switch`] points it at another server and
/// cuts every open link, as a failover does.
struct Forwarder {
    addr: SocketAddr,
    target: Arc<Mutex<u16>>,
    links: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl Forwarder {
    async fn start(port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let target = Arc::new(Mutex::new(port));
        let links = Arc::new(Mutex::new(Vec::new()));
        let (to, open) = (target.clone(), links.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let port = *to.lock().unwrap();
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", port)).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                open.lock().unwrap().push(link.abort_handle());
            }
        })
        .abort_handle();
        Self { addr, target, links, accept }
    }

    fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    fn switch(&self, port: u16) {
        *self.target.lock().unwrap() = port;
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.accept.abort();
        self.switch(0);
    }
}

/// `INFO replication`'s `master_repl_offset` of `server`.
fn repl_offset(server: &RedisServer) -> u64 {
    let info = server.info("replication");
    let line = info.lines().find_map(|l| l.strip_prefix("master_repl_offset:")).unwrap();
    line.trim().parse().unwrap()
}

/// The failover Herald used to hide: the replica promoted to primary had missed the last
/// acknowledged publish (offset 4), kept the old epoch, and gave offset 4 to the next event.
/// A client that had seen the lost offset 4 then resumed with `since` (epoch, 4),
/// was told `recovered: true`, and silently missed the new event 4. Now the hub notices the
/// new server, starts a new epoch, closes live subscribers with 1012, and every `since` of
/// the old epoch is answered `recovered: false` (the SDKs surface `Resync`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failover_to_a_replica_that_missed_writes_forces_a_resync() {
    let primary = RedisServer::start();
    let replica = RedisServer::replica_of(&primary);
    let address = Forwarder::start(primary.port).await;
    let url = address.url();
    let hub = spawn_hub(move |config| config.broker = Some(url.as_str().into())).await;
    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;
    let mut sub = Client::authed(&hub, &user_token("u", "acme")).await;
    let epoch = sub.subscribe(json!({"channel": "pipeline"})).await["epoch"].clone();
    for _ in 0..3 {
        publish(&mut publisher).await;
    }
    assert_eq!(offsets(&mut sub, 3).await, [1, 2, 3]);
    let target = repl_offset(&primary);
    replica.wait_for(|| repl_offset(&replica) >= target);

    // The replica is promoted; the old primary still acknowledges one more publish.
    replica.command(&["REPLICAOF", "NO", "ONE"]).unwrap();
    publish(&mut publisher).await;
    assert_eq!(offsets(&mut sub, 1).await, [4], "seen by the client, lost by the failover");
    address.switch(replica.port);

    // The next publish (retried while the hub reconnects) lands on the promoted replica.
    let next = event("PIPELINE", "p-1");
    let answer = tokio::time::timeout(WAIT, async {
        loop {
            let answer = publisher.publish(next.clone(), None).await;
            if answer["type"] == "published" {
                return answer;
            }
            assert_eq!(answer["code"], "unavailable", "{answer}");
        }
    })
    .await
    .expect("publishes succeed again after the failover");
    assert_eq!(answer["offset"], 4, "offsets go on from what the replica holds");

    assert_eq!(sub.closed().await, Some(1012), "live subscribers are told continuity is lost");
    let mut again = Client::authed(&hub, &user_token("u", "acme")).await;
    let resumed = again.subscribe(json!({"channel": "pipeline", "since": {"epoch": epoch, "offset": 4}})).await;
    assert_eq!(resumed["recovered"], false, "offset 4 of the old epoch is another event now: {resumed}");
    assert_ne!(resumed["epoch"], epoch);
    assert_eq!(resumed["offset"], 4);
    publish(&mut publisher).await;
    assert_eq!(offsets(&mut again, 1).await, [5]);
}

/// A Redis that may evict keys would drop history, offset counters or the epoch under memory
/// pressure, and recovery would silently skip events: the hub refuses to start on it.
#[tokio::test]
async fn a_hub_refuses_to_start_on_a_redis_that_may_evict_its_keys() {
    for policy in ["allkeys-lru", "volatile-ttl"] {
        let server = RedisServer::start_args(&["--maxmemory-policy", policy]);
        let mut config = herald_hub::Config::default();
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.auth = Some(herald_hub::auth::AuthConfig {
            key: herald_hub::auth::JwtKey::Hs256(SECRET.to_vec()),
            audience: None,
            issuer: None,
            leeway: std::time::Duration::from_secs(5),
        });
        config.broker = Some(server.url().as_str().into());
        let error = herald_hub::Hub::builder().config(config).spawn().await.expect_err("the hub refuses to start");
        let message = error.to_string();
        assert!(message.contains(policy) && message.contains("set maxmemory-policy noeviction"), "{message}");
    }
}

/// Redis unreachable at startup: the hub starts, not ready. Redis then comes up with an
/// evicting policy: the hub talks to it, refuses it and stays unready (publishes fail with
/// `unavailable`) until the policy is fixed, then serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_comes_up_evicting_keeps_the_hub_unready_until_fixed() {
    let port = test_redis::free_port();
    let url = format!("redis://127.0.0.1:{port}");
    let hub = spawn_hub(move |config| config.broker = Some(url.as_str().into())).await;
    wait_ready(&hub, 503).await;
    let server = RedisServer::start_on(port, &["--maxmemory-policy", "allkeys-lfu"]);
    let mut publisher = Client::authed(&hub, &publisher_token("acme")).await;
    let answer = publisher.publish(event("PIPELINE", "p-1"), None).await;
    assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("error"), Some("unavailable")), "{answer}");
    let contacted = server.info("stats");
    assert!(!contacted.contains("total_connections_received:0\r"), "the hub reached Redis: {contacted}");
    wait_ready(&hub, 503).await;

    server.command(&["CONFIG", "SET", "maxmemory-policy", "noeviction"]).unwrap();
    wait_ready(&hub, 200).await;
    publish(&mut publisher).await;
}
