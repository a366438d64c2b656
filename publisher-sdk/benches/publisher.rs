//! Publisher SDK benchmarks (a plain binary, no criterion):
//!
//! 1. `try_publish` enqueue cost: median nanoseconds per call, with the hub down so the
//!    outbox only grows (no contention with the background task): for a pre-built
//!    [`OutgoingEvent`] (the enqueue alone) and for a typed event (envelope creation
//!    included: id, timestamp, serialising `data`).
//! 2. Sustained throughput to a hub on 127.0.0.1 (embedded in this process, real sockets):
//!    events acknowledged per second over one WebSocket, over HTTP batches, and in-process.
//!
//! Run: `cargo bench -p herald-publisher --all-features --bench publisher [-- EVENTS]`.

use std::time::{Duration, Instant};

use herald_event_types::events::{LogLevel, LogStream, PipelineExecutionLog};
use herald_hub::{Config, Hub, RunningHub};
use herald_publisher::{OutgoingEvent, Priority, PublishError, Publisher, PublisherBuilder};

const SECRET: &[u8] = b"bench-secret-0123456789abcdefghij";

fn log_line(n: u64) -> PipelineExecutionLog {
    PipelineExecutionLog {
        execution_id: format!("e-{}", n % 64),
        pipeline_id: "p-42".into(),
        line: format!("test suite {n}: 128 passed, 0 failed, 3 ignored; finished in 0.42s"),
        level: LogLevel::Info,
        stream: LogStream::Stdout,
        step: Some("test".into()),
    }
}

fn token() -> String {
    let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600;
    herald_hub::auth::mint_hs256(
        SECRET,
        &serde_json::json!({"sub": "bench", "org": "bench", "exp": exp, "publish": ["*"], "subscribe": ["*"]}),
    )
}

async fn hub() -> RunningHub {
    let mut config = Config::default();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.publish_rate = 100_000_000;
    config.auth = Some(herald_hub::auth::AuthConfig {
        key: herald_hub::auth::JwtKey::Hs256(SECRET.to_vec()),
        audience: None,
        issuer: None,
        leeway: Duration::from_secs(5),
    });
    Hub::builder().config(config).spawn().await.unwrap()
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Median ns per call of `call`, over `samples` samples of `per_sample` calls.
fn ns_per_call(samples: usize, per_sample: usize, mut call: impl FnMut()) -> (f64, f64) {
    let mut all = Vec::with_capacity(samples);
    for _ in 0..samples {
        let start = Instant::now();
        for _ in 0..per_sample {
            call();
        }
        all.push(start.elapsed().as_nanos() as f64 / per_sample as f64);
    }
    let p99 = {
        let mut sorted = all.clone();
        sorted.sort_by(f64::total_cmp);
        sorted[sorted.len() * 99 / 100]
    };
    (median(all), p99)
}

async fn enqueue_cost() {
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let publisher = Publisher::builder(format!("ws://{unused}"))
        .token(token())
        .source("bench")
        .outbox_capacity(2_000_000)
        .outbox_bytes(4 << 30)
        .backoff(Duration::from_secs(5), Duration::from_secs(30))
        .build()
        .unwrap();
    const SAMPLES: usize = 2000;
    const PER: usize = 100;
    let mut prebuilt: Vec<OutgoingEvent> =
        (0..(SAMPLES * PER) as u64).map(|n| OutgoingEvent::new(&log_line(n)).unwrap()).collect();
    prebuilt.reverse();
    let (median, p99) = ns_per_call(SAMPLES, PER, || {
        let event = prebuilt.pop().unwrap();
        publisher.try_publish_outgoing(event).unwrap();
    });
    println!("try_publish_outgoing (pre-built event, enqueue only): median {median:.0} ns, p99 of samples {p99:.0} ns");
    let events: Vec<PipelineExecutionLog> = (0..(SAMPLES * PER) as u64).map(log_line).collect();
    let mut index = 0;
    let (median, p99) = ns_per_call(SAMPLES, PER, || {
        publisher.try_publish(&events[index]).unwrap();
        index += 1;
    });
    println!("try_publish(&typed event) (envelope + enqueue): median {median:.0} ns, p99 of samples {p99:.0} ns");
    let (median, _) = ns_per_call(SAMPLES, PER, || {
        std::hint::black_box(OutgoingEvent::new(&events[0]).unwrap());
    });
    println!("  of which OutgoingEvent::new (id, timestamp, serialise data): median {median:.0} ns");
    drop(publisher);
}

/// Publishes `events` typed events as fast as the outbox takes them; returns events/s
/// acknowledged (from the first enqueue to the last acknowledgement).
async fn throughput(name: &str, builder: PublisherBuilder, events: u64) {
    let publisher = builder.source("bench").outbox_capacity(100_000).outbox_bytes(256 << 20).build().unwrap();
    // Warm up: connect, and one round trip.
    publisher.publish(&log_line(0)).await.unwrap();
    let start = Instant::now();
    let mut n = 0;
    while n < events {
        // MEDIUM, so that a full outbox refuses (`Full`) instead of shedding (LOW).
        let event = OutgoingEvent::new(&log_line(n)).unwrap().with_priority(Priority::Medium);
        match publisher.try_publish_outgoing(event) {
            Ok(()) => n += 1,
            Err(PublishError::Full { .. }) => publisher.flush().await,
            Err(error) => panic!("{error}"),
        }
    }
    publisher.flush().await;
    let elapsed = start.elapsed();
    let stats = publisher.stats();
    assert_eq!(stats.acked, events + 1, "{stats:?}");
    assert_eq!(stats.dropped.low, 0, "{stats:?}");
    println!(
        "{name}: {events} events in {:.2} s = {:.0} events/s (retried {}, failed {})",
        elapsed.as_secs_f64(),
        events as f64 / elapsed.as_secs_f64(),
        stats.retried,
        stats.failed
    );
    publisher.close().await;
}

fn main() {
    let events: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(300_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        println!("publisher SDK benchmarks, {} cores", std::thread::available_parallelism().map_or(0, |n| n.get()));
        enqueue_cost().await;
        for transport in ["ws", "http", "in-process"] {
            let hub = hub().await;
            let addr = hub.local_addr();
            let builder = match transport {
                "ws" => Publisher::builder(format!("ws://{addr}")).token(token()),
                "http" => Publisher::builder(format!("http://{addr}")).token(token()).max_batch(1000),
                _ => Publisher::in_process(hub.handle(), "bench"),
            };
            let count = if transport == "http" { events / 2 } else { events };
            throughput(transport, builder, count).await;
            hub.shutdown().await;
        }
    });
}
