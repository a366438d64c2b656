//! Prometheus metrics, kept as atomics: one add per event on the hot path, not one per
//! delivery. Names as docs/protocol.md §9.12, plus a few more (see `docs/operations.md`).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds of the publish-to-fan-out latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 12] =
    [0.000_05, 0.0001, 0.000_25, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5];

/// The hub's counters and gauges.
#[derive(Debug, Default)]
pub struct Metrics {
    pub(crate) connections: AtomicI64,
    pub(crate) connections_total: AtomicU64,
    pub(crate) subscriptions: AtomicI64,
    pub(crate) events_published: AtomicU64,
    pub(crate) events_duplicate: AtomicU64,
    pub(crate) events_delivered: AtomicU64,
    pub(crate) frames_out: AtomicU64,
    pub(crate) bytes_out: AtomicU64,
    pub(crate) slow_consumer_closes: AtomicU64,
    /// Redis relay: gaps in a topic filled from the stream.
    pub(crate) relay_gaps_filled: AtomicU64,
    pub(crate) recoveries_hit: AtomicU64,
    pub(crate) recoveries_miss: AtomicU64,
    pub(crate) publish_rejected: AtomicU64,
    pub(crate) bad_frames: AtomicU64,
    pub(crate) auth_failures: AtomicU64,
    /// WebSocket upgrades refused with 429 by `max_connections_per_ip`.
    pub(crate) ip_limit_refused: AtomicU64,
    /// Connections dropped because a socket write stalled for `write_timeout`.
    pub(crate) write_timeouts: AtomicU64,
    /// (tenant, channel) slots in the subscription registry (never removed).
    pub(crate) channel_slots: AtomicI64,
    /// HTTP requests and upgrades refused with 429 while their address is blocked for failed
    /// authentications (`max_auth_failures_per_ip`).
    pub(crate) auth_blocked: AtomicU64,
    /// History reads refused with 429 by `history_rate_per_ip`.
    pub(crate) history_rate_limited: AtomicU64,
    /// HTTP requests refused with 503 by `max_http_in_flight`.
    pub(crate) http_in_flight_refused: AtomicU64,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_nanos: AtomicU64,
}

impl Metrics {
    /// Records the time from receiving a publish to handing it to every subscriber queue.
    pub(crate) fn observe_fanout(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        if let Some(i) = LATENCY_BUCKETS.iter().position(|&upper| seconds <= upper) {
            self.latency_buckets[i].fetch_add(1, Relaxed);
        }
        self.latency_count.fetch_add(1, Relaxed);
        self.latency_sum_nanos.fetch_add(elapsed.as_nanos() as u64, Relaxed);
    }

    /// Connections open now.
    pub fn connections(&self) -> i64 {
        self.connections.load(Relaxed)
    }

    /// Subscriptions held now.
    pub fn subscriptions(&self) -> i64 {
        self.subscriptions.load(Relaxed)
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n");
        };
        metric(
            "herald_connections",
            "gauge",
            "WebSocket connections open.",
            self.connections.load(Relaxed).to_string(),
        );
        metric(
            "herald_connections_total",
            "counter",
            "WebSocket connections accepted.",
            self.connections_total.load(Relaxed).to_string(),
        );
        metric("herald_subscriptions", "gauge", "Subscriptions held.", self.subscriptions.load(Relaxed).to_string());
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            metric(
                "herald_runtime_tasks",
                "gauge",
                "Tokio tasks alive in the hub's runtime (a leak shows as a rising baseline).",
                runtime.metrics().num_alive_tasks().to_string(),
            );
        }
        metric(
            "herald_events_published_total",
            "counter",
            "Events accepted (not counting duplicates).",
            self.events_published.load(Relaxed).to_string(),
        );
        metric(
            "herald_events_duplicate_total",
            "counter",
            "Publishes answered as duplicates.",
            self.events_duplicate.load(Relaxed).to_string(),
        );
        metric(
            "herald_events_delivered_total",
            "counter",
            "Event frames queued to subscribers (live and replayed).",
            self.events_delivered.load(Relaxed).to_string(),
        );
        metric(
            "herald_frames_out_total",
            "counter",
            "WebSocket frames written.",
            self.frames_out.load(Relaxed).to_string(),
        );
        metric(
            "herald_bytes_out_total",
            "counter",
            "WebSocket payload bytes written.",
            self.bytes_out.load(Relaxed).to_string(),
        );
        metric(
            "herald_slow_consumer_closes_total",
            "counter",
            "Connections closed with 4409 (queue overflow; their queued frames dropped).",
            self.slow_consumer_closes.load(Relaxed).to_string(),
        );
        metric(
            "herald_relay_gaps_filled_total",
            "counter",
            "Redis broker: gaps in pub/sub delivery filled from the stream.",
            self.relay_gaps_filled.load(Relaxed).to_string(),
        );
        metric(
            "herald_publish_rejected_total",
            "counter",
            "Publishes refused (forbidden, rate limited, invalid).",
            self.publish_rejected.load(Relaxed).to_string(),
        );
        metric(
            "herald_bad_frames_total",
            "counter",
            "Client frames answered with bad_request, unknown_type or invalid_event.",
            self.bad_frames.load(Relaxed).to_string(),
        );
        metric(
            "herald_auth_failures_total",
            "counter",
            "Tokens refused.",
            self.auth_failures.load(Relaxed).to_string(),
        );
        metric(
            "herald_ip_limit_refused_total",
            "counter",
            "WebSocket upgrades refused with 429 by max_connections_per_ip.",
            self.ip_limit_refused.load(Relaxed).to_string(),
        );
        metric(
            "herald_write_timeouts_total",
            "counter",
            "Connections dropped because a socket write stalled for write_timeout (the peer stopped reading).",
            self.write_timeouts.load(Relaxed).to_string(),
        );
        metric(
            "herald_channel_slots",
            "gauge",
            "(tenant, channel) pairs with subscription state; bounded by tenants x configured channels.",
            self.channel_slots.load(Relaxed).to_string(),
        );
        metric(
            "herald_auth_blocked_total",
            "counter",
            "HTTP requests and WebSocket upgrades refused with 429 after too many failed authentications from their address.",
            self.auth_blocked.load(Relaxed).to_string(),
        );
        metric(
            "herald_history_rate_limited_total",
            "counter",
            "History reads refused with 429 by history_rate_per_ip.",
            self.history_rate_limited.load(Relaxed).to_string(),
        );
        metric(
            "herald_http_in_flight_refused_total",
            "counter",
            "HTTP requests refused with 503 by max_http_in_flight.",
            self.http_in_flight_refused.load(Relaxed).to_string(),
        );
        let _ = write!(
            out,
            "# HELP herald_recoveries_total Subscriptions with `since`, by outcome.\n# TYPE herald_recoveries_total counter\n\
             herald_recoveries_total{{result=\"hit\"}} {}\nherald_recoveries_total{{result=\"miss\"}} {}\n",
            self.recoveries_hit.load(Relaxed),
            self.recoveries_miss.load(Relaxed)
        );
        out.push_str("# HELP herald_publish_fanout_seconds Time from receiving a publish to queueing it for every subscriber.\n# TYPE herald_publish_fanout_seconds histogram\n");
        let mut cumulative = 0;
        for (upper, bucket) in LATENCY_BUCKETS.iter().zip(&self.latency_buckets) {
            cumulative += bucket.load(Relaxed);
            let _ = writeln!(out, "herald_publish_fanout_seconds_bucket{{le=\"{upper}\"}} {cumulative}");
        }
        let count = self.latency_count.load(Relaxed);
        let _ = writeln!(out, "herald_publish_fanout_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ =
            writeln!(out, "herald_publish_fanout_seconds_sum {}", self.latency_sum_nanos.load(Relaxed) as f64 / 1e9);
        let _ = writeln!(out, "herald_publish_fanout_seconds_count {count}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_protocol_metric() {
        let metrics = Metrics::default();
        metrics.observe_fanout(Duration::from_micros(300));
        let text = metrics.render();
        for name in [
            "herald_connections ",
            "herald_connections_total ",
            "herald_subscriptions ",
            "herald_events_published_total ",
            "herald_events_delivered_total ",
            "herald_slow_consumer_closes_total ",
            "herald_recoveries_total{result=\"hit\"} ",
            "herald_recoveries_total{result=\"miss\"} ",
            "herald_publish_fanout_seconds_bucket{le=\"0.0005\"} 1",
            "herald_publish_fanout_seconds_count 1",
        ] {
            assert!(text.contains(name), "missing {name}");
        }
    }
}
