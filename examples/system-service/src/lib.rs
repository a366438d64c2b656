//! The logic behind `system-service`: a system monitor that publishes what it measures, not
//! a simulation. The binary gathers a [`Sample`] every step (the host's `/proc/loadavg` and
//! `/proc/meminfo`, the hub's `GET /metrics` and `GET /readyz`, and when the example services
//! last published); [`Monitor::step`] turns it into events through any [`EventSink`]:
//!
//! - `system_metrics_update` (LOW) every step: CPU (the 1-minute load average over the CPU
//!   count), memory in use, the hub's open WebSocket connections (`herald_connections`) and,
//!   in `extra`, its subscriptions (`hubSubscriptions`, from `herald_subscriptions`), the
//!   load average (`loadAverage1m`), and the hub's publish rate from
//!   `herald_events_published_total`;
//! - `system_status_update` (MEDIUM) when the health of the hub or of a service changes, and
//!   at least every [`STATUS_REFRESH`] so a dashboard that connects later finds it in the
//!   recent history;
//! - `system_alert` (HIGH) when memory use crosses `--memory-alert-percent` (and `resolved`
//!   once it is [`ALERT_HYSTERESIS`] points below), and when the hub stops being ready.
//!
//! The parsers and the monitor are pure, so the unit tests drive them with fixed text and
//! samples against `MockEventSink`.

use std::time::{Duration, Instant};

use herald_event_types::Timestamp;
use herald_event_types::events::{
    Alert, ComponentStatus, HealthStatus, Severity, SystemAlert, SystemMetrics, SystemMetricsUpdate, SystemStatus,
    SystemStatusUpdate,
};
use herald_publisher::{EventSink, EventSinkExt, PublishError};

/// The services whose activity the monitor reports: (name, which is also the `source` they
/// publish with; their channel).
pub const SERVICES: [(&str, &str); 3] =
    [("pipeline-service", "pipeline"), ("security-service", "security"), ("debugger-service", "debug")];

/// A service whose last event is at most this old is `healthy`.
pub const HEALTHY_WITHIN: Duration = Duration::from_secs(30);
/// A service whose last event is at most this old is `degraded`; older (or none): `down`.
pub const DEGRADED_WITHIN: Duration = Duration::from_secs(120);
/// A status is published again after this long even when nothing changed.
pub const STATUS_REFRESH: Duration = Duration::from_secs(60);
/// A memory alert is resolved once memory use is this many points below the threshold.
pub const ALERT_HYSTERESIS: f64 = 5.0;

/// The hub's own gauges and counters, from its Prometheus text (docs/protocol.md §9.12).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HubMetrics {
    /// `herald_connections`: WebSocket connections open (dashboards and WebSocket publishers).
    pub connections: Option<u64>,
    /// `herald_subscriptions`: subscriptions held.
    pub subscriptions: Option<u64>,
    /// `herald_events_published_total`: events accepted since the hub started.
    pub events_published: Option<u64>,
}

/// The 1-minute load average from `/proc/loadavg` (`0.52 0.58 0.59 1/467 12345`).
pub fn parse_loadavg(text: &str) -> Option<f64> {
    text.split_whitespace().next()?.parse().ok().filter(|load: &f64| load.is_finite() && *load >= 0.0)
}

/// Memory in use, in percent, from `/proc/meminfo`: `MemTotal` less `MemAvailable`.
pub fn parse_meminfo(text: &str) -> Option<f64> {
    let field = |name: &str| -> Option<f64> {
        let line = text.lines().find(|line| line.split(':').next() == Some(name))?;
        line.split(':').nth(1)?.split_whitespace().next()?.parse().ok()
    };
    let total = field("MemTotal")?;
    let available = field("MemAvailable")?;
    (total > 0.0 && available <= total).then(|| (total - available) * 100.0 / total)
}

/// CPU use in percent from the load average and the CPU count, at most 100.
pub fn cpu_percent(load: f64, cpus: usize) -> f64 {
    (load * 100.0 / cpus.max(1) as f64).min(100.0)
}

/// The gauges [`HubMetrics`] names, from the hub's `GET /metrics` text. Unknown lines,
/// comments and labelled series are skipped; a missing metric stays `None`.
pub fn parse_hub_metrics(text: &str) -> HubMetrics {
    let mut metrics = HubMetrics::default();
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        let mut parts = line.split_whitespace();
        let (Some(name), Some(value)) = (parts.next(), parts.next()) else { continue };
        // Gauges are integers here; a float (never seen) is truncated.
        let Some(value) = value.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0).map(|v| v as u64) else {
            continue;
        };
        match name {
            "herald_connections" => metrics.connections = Some(value),
            "herald_subscriptions" => metrics.subscriptions = Some(value),
            "herald_events_published_total" => metrics.events_published = Some(value),
            _ => {}
        }
    }
    metrics
}

/// When one service last published.
#[derive(Debug, Clone, PartialEq)]
pub enum Activity {
    /// Its newest event in its channel's recent history is this old.
    LastEvent(Duration),
    /// None of the channel's recent events is from it.
    NoEvent,
    /// The history could not be read (the reason names the URL or status).
    Unknown(String),
}

/// What one step measured.
#[derive(Debug, Clone)]
pub struct Sample {
    /// When it was taken.
    pub at: Instant,
    /// The host's CPU use, percent (`None` where `/proc` is missing).
    pub cpu_percent: Option<f64>,
    /// The host's 1-minute load average.
    pub load_average: Option<f64>,
    /// The host's memory use, percent.
    pub memory_percent: Option<f64>,
    /// The hub's metrics, or why they could not be read.
    pub hub: Result<HubMetrics, String>,
    /// `GET /readyz`: `Ok` when the hub is ready, else its answer or why it could not be asked.
    pub ready: Result<(), String>,
    /// Per service of [`SERVICES`], in order: when it last published.
    pub services: Vec<Activity>,
}

/// Turns samples into events; keeps what it needs to report changes and rates.
#[derive(Debug)]
pub struct Monitor {
    memory_alert_percent: f64,
    /// The previous `herald_events_published_total` and when it was read.
    last_published: Option<(u64, Instant)>,
    /// The last status published (health values only, not the messages) and when.
    last_status: Option<(Vec<HealthStatus>, Instant)>,
    memory_alert: bool,
    hub_alert: bool,
}

impl Monitor {
    /// A monitor that raises a memory alert at `memory_alert_percent` of memory in use.
    pub fn new(memory_alert_percent: f64) -> Self {
        Self { memory_alert_percent, last_published: None, last_status: None, memory_alert: false, hub_alert: false }
    }

    /// Publishes the events for `sample`: a metrics snapshot, the status when it changed (or
    /// is [`STATUS_REFRESH`] old), and alerts that were raised or resolved.
    ///
    /// # Errors
    /// What the sink returns.
    pub fn step(&mut self, sample: &Sample, sink: &impl EventSink) -> Result<(), PublishError> {
        sink.try_publish(&SystemMetricsUpdate { metrics: self.metrics(sample) })?;
        let status = status(sample);
        let mut health: Vec<HealthStatus> = vec![status.status.clone()];
        health.extend(status.components.iter().flatten().map(|c| c.status.clone()));
        let due = match &self.last_status {
            None => true,
            Some((last, at)) => *last != health || sample.at.duration_since(*at) >= STATUS_REFRESH,
        };
        if due {
            sink.try_publish(&SystemStatusUpdate { status })?;
            self.last_status = Some((health, sample.at));
        }
        self.alerts(sample, sink)
    }

    fn metrics(&mut self, sample: &Sample) -> SystemMetrics {
        let hub = sample.hub.as_ref().ok();
        let mut events_per_second = None;
        if let Some(total) = hub.and_then(|hub| hub.events_published) {
            if let Some((last, at)) = self.last_published {
                let elapsed = sample.at.duration_since(at).as_secs_f64();
                // A restarted hub counts from zero again: no rate for that step.
                if elapsed > 0.0 && total >= last {
                    events_per_second = Some(((total - last) as f64 / elapsed * 10.0).round() / 10.0);
                }
            }
            self.last_published = Some((total, sample.at));
        }
        let round = |value: f64| (value * 10.0).round() / 10.0;
        let mut metrics = SystemMetrics {
            cpu_percent: sample.cpu_percent.map(round),
            memory_percent: sample.memory_percent.map(round),
            events_per_second,
            connected_clients: hub.and_then(|hub| hub.connections).map(|n| n.min(u64::from(u32::MAX)) as u32),
            ..Default::default()
        };
        if let Some(subscriptions) = hub.and_then(|hub| hub.subscriptions) {
            metrics.extra.insert("hubSubscriptions".into(), subscriptions.into());
        }
        if let Some(load) = sample.load_average {
            metrics.extra.insert("loadAverage1m".into(), load.into());
        }
        metrics
    }

    fn alerts(&mut self, sample: &Sample, sink: &impl EventSink) -> Result<(), PublishError> {
        if let Some(memory) = sample.memory_percent {
            let raise = !self.memory_alert && memory >= self.memory_alert_percent;
            let resolve = self.memory_alert && memory < self.memory_alert_percent - ALERT_HYSTERESIS;
            if raise || resolve {
                self.memory_alert = raise;
                let title = format!("Memory use above {}%", self.memory_alert_percent);
                let message = format!("{memory:.1}% of memory in use");
                sink.try_publish(&alert("memory", title, Severity::High, "host", message, resolve))?;
            }
        }
        let not_ready = sample.ready.is_err();
        if not_ready != self.hub_alert {
            self.hub_alert = not_ready;
            let message = match &sample.ready {
                Err(reason) => reason.clone(),
                Ok(()) => "ready again".to_owned(),
            };
            let alert = alert("hub-not-ready", "Hub not ready".into(), Severity::Critical, "hub", message, !not_ready);
            sink.try_publish(&alert)?;
        }
        Ok(())
    }
}

fn alert(id: &str, title: String, severity: Severity, component: &str, message: String, resolved: bool) -> SystemAlert {
    SystemAlert {
        alert_id: id.into(),
        alert: Alert {
            title,
            severity,
            message: Some(message),
            component: Some(component.into()),
            raised_at: Some(Timestamp::now()),
            resolved: Some(resolved),
            ..Default::default()
        },
    }
}

/// The health of the hub and of each service, and the overall health: `down` when the hub
/// is not ready, `degraded` when a service is not healthy, `healthy` otherwise. A service
/// whose channel history cannot be read is left out (and logged by the binary).
pub fn status(sample: &Sample) -> SystemStatus {
    let hub = match &sample.ready {
        Ok(()) => component("hub", HealthStatus::Healthy, "ready".into()),
        Err(reason) => component("hub", HealthStatus::Down, reason.clone()),
    };
    let mut components = vec![hub];
    for ((name, _), activity) in SERVICES.iter().zip(&sample.services) {
        let (health, message) = match activity {
            Activity::LastEvent(age) if *age <= HEALTHY_WITHIN => (HealthStatus::Healthy, "publishing".to_owned()),
            Activity::LastEvent(age) if *age <= DEGRADED_WITHIN => {
                (HealthStatus::Degraded, format!("no event for {} s", age.as_secs()))
            }
            Activity::LastEvent(age) => (HealthStatus::Down, format!("no event for {} s", age.as_secs())),
            Activity::NoEvent => (HealthStatus::Down, "no recent event".to_owned()),
            Activity::Unknown(_) => continue,
        };
        components.push(component(name, health, message));
    }
    let (overall, message) = if sample.ready.is_err() {
        (HealthStatus::Down, "the hub is not ready".to_owned())
    } else {
        let unhealthy: Vec<&str> =
            components.iter().filter(|c| c.status != HealthStatus::Healthy).map(|c| c.name.as_str()).collect();
        if unhealthy.is_empty() {
            (HealthStatus::Healthy, "all components healthy".to_owned())
        } else {
            (HealthStatus::Degraded, format!("not healthy: {}", unhealthy.join(", ")))
        }
    };
    SystemStatus { status: overall, message: Some(message), components: Some(components), ..Default::default() }
}

fn component(name: &str, status: HealthStatus, message: String) -> ComponentStatus {
    ComponentStatus { name: name.into(), status, message: Some(message), ..Default::default() }
}

#[cfg(test)]
#[path = "../../common/recording.rs"]
mod recording;

#[cfg(test)]
mod tests {
    use herald_event_types::Priority;
    use herald_publisher::OutgoingEvent;

    use super::*;

    const METRICS: &str = "# HELP herald_connections WebSocket connections open.\n# TYPE herald_connections gauge\n\
        herald_connections 7\nherald_connections_total 40\nherald_subscriptions 12\n\
        herald_events_published_total 1000\nherald_recoveries_total{result=\"hit\"} 3\n";

    fn sample(at: Instant, memory: f64, published: u64, ready: bool, ages: [u64; 3]) -> Sample {
        Sample {
            at,
            cpu_percent: Some(12.34),
            load_average: Some(0.5),
            memory_percent: Some(memory),
            hub: Ok(HubMetrics { events_published: Some(published), ..parse_hub_metrics(METRICS) }),
            ready: if ready { Ok(()) } else { Err("broker unreachable".into()) },
            services: ages.iter().map(|&age| Activity::LastEvent(Duration::from_secs(age))).collect(),
        }
    }

    fn run(monitor: &mut Monitor, samples: &[Sample]) -> Vec<OutgoingEvent> {
        let mut samples = samples.iter();
        crate::recording::record(samples.len(), |sink| monitor.step(samples.next().unwrap(), sink))
    }

    #[test]
    fn parsers_read_proc_and_prometheus_text() {
        assert_eq!(parse_loadavg("0.52 0.58 0.59 1/467 12345\n"), Some(0.52));
        assert_eq!(parse_loadavg(""), None);
        let meminfo = "MemTotal:       16000000 kB\nMemFree:  1000000 kB\nMemAvailable:   4000000 kB\n";
        assert_eq!(parse_meminfo(meminfo), Some(75.0));
        assert_eq!(parse_meminfo("MemTotal: 10 kB\n"), None);
        assert_eq!(cpu_percent(1.0, 4), 25.0);
        assert_eq!(cpu_percent(9.0, 4), 100.0);
        let hub = parse_hub_metrics(METRICS);
        assert_eq!((hub.connections, hub.subscriptions, hub.events_published), (Some(7), Some(12), Some(1000)));
        assert_eq!(parse_hub_metrics("garbage\nherald_connections x\n"), HubMetrics::default());
    }

    #[test]
    fn metrics_every_step_with_the_hubs_gauges_and_publish_rate() {
        let start = Instant::now();
        let mut monitor = Monitor::new(90.0);
        let samples =
            [sample(start, 50.0, 1000, true, [1; 3]), sample(start + Duration::from_secs(2), 50.0, 1100, true, [1; 3])];
        let events = run(&mut monitor, &samples);
        let metrics: Vec<SystemMetricsUpdate> =
            events.iter().filter(|e| e.event_type() == "system_metrics_update").map(|e| e.decode().unwrap()).collect();
        assert_eq!(metrics.len(), 2);
        let last = &metrics[1].metrics;
        assert_eq!((last.connected_clients, last.events_per_second), (Some(7), Some(50.0)));
        assert_eq!((last.cpu_percent, last.memory_percent), (Some(12.3), Some(50.0)));
        assert_eq!(last.extra["hubSubscriptions"], 12);
        assert_eq!(metrics[0].metrics.events_per_second, None, "no rate before a second sample");
        assert!(
            events.iter().filter(|e| e.event_type() == "system_metrics_update").all(|e| e.priority() == Priority::Low)
        );
    }

    #[test]
    fn status_on_change_and_every_minute_only() {
        let start = Instant::now();
        let mut monitor = Monitor::new(90.0);
        let at = |secs| start + Duration::from_secs(secs);
        let samples = [
            sample(at(0), 50.0, 0, true, [1, 1, 1]),
            sample(at(2), 50.0, 0, true, [3, 3, 3]),    // unchanged
            sample(at(4), 50.0, 0, true, [5, 5, 200]),  // debugger down
            sample(at(6), 50.0, 0, true, [7, 7, 202]),  // unchanged
            sample(at(70), 50.0, 0, true, [1, 1, 266]), // a minute later: refreshed
        ];
        let statuses: Vec<SystemStatusUpdate> = run(&mut monitor, &samples)
            .iter()
            .filter(|e| e.event_type() == "system_status_update")
            .map(|e| e.decode().unwrap())
            .collect();
        assert_eq!(statuses.len(), 3);
        assert_eq!(statuses[0].status.status, HealthStatus::Healthy);
        let degraded = &statuses[1].status;
        assert_eq!(degraded.status, HealthStatus::Degraded);
        let components = degraded.components.as_ref().unwrap();
        let names: Vec<&str> = components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["hub", "pipeline-service", "security-service", "debugger-service"]);
        assert_eq!(components[3].status, HealthStatus::Down);
        assert_eq!(degraded.message.as_deref(), Some("not healthy: debugger-service"));
    }

    #[test]
    fn hub_not_ready_is_down_and_unknown_services_are_left_out() {
        let mut s = sample(Instant::now(), 50.0, 0, false, [1; 3]);
        s.services[1] = Activity::Unknown("403".into());
        s.services[2] = Activity::NoEvent;
        let status = status(&s);
        assert_eq!(status.status, HealthStatus::Down);
        let components = status.components.unwrap();
        assert_eq!(components.len(), 3);
        assert_eq!(
            (components[0].status.clone(), components[0].message.as_deref()),
            (HealthStatus::Down, Some("broker unreachable"))
        );
        assert_eq!(components[2].status, HealthStatus::Down);
    }

    #[test]
    fn alerts_are_raised_on_crossing_and_resolved_below_the_hysteresis() {
        let start = Instant::now();
        let at = |secs| start + Duration::from_secs(secs);
        let mut monitor = Monitor::new(80.0);
        let samples = [
            sample(at(0), 70.0, 0, true, [1; 3]),
            sample(at(2), 85.0, 0, true, [1; 3]),  // raised
            sample(at(4), 90.0, 0, false, [1; 3]), // still high; hub not ready raised
            sample(at(6), 77.0, 0, false, [1; 3]), // within the hysteresis: still raised
            sample(at(8), 60.0, 0, true, [1; 3]),  // both resolved
        ];
        let alerts: Vec<(OutgoingEvent, SystemAlert)> = run(&mut monitor, &samples)
            .into_iter()
            .filter(|e| e.event_type() == "system_alert")
            .map(|e| {
                let alert = e.decode().unwrap();
                (e, alert)
            })
            .collect();
        let seen: Vec<(&str, bool)> =
            alerts.iter().map(|(_, a)| (a.alert_id.as_str(), a.alert.resolved.unwrap())).collect();
        assert_eq!(seen, [("memory", false), ("hub-not-ready", false), ("memory", true), ("hub-not-ready", true)]);
        assert_eq!(alerts[0].0.subject(), "alerts/memory");
        assert_eq!(alerts[0].0.priority(), Priority::High);
        assert_eq!(alerts[1].1.alert.severity, Severity::Critical);
    }
}
