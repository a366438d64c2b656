//! Gathers a [`Sample`]: the host's `/proc` files, and the hub's `GET /metrics`,
//! `GET /readyz` and channel history (`GET /api/v1/channels/{channel}/history`), which says
//! when each example service last published.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use example_system_service::{Activity, HubMetrics, SERVICES, Sample, cpu_percent, parse_hub_metrics};
use herald_event_types::Timestamp;

use crate::cli::{self, DevTokens};

/// How long per request to the hub.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Channel history is read at most this often (the hub allows 20 history reads per second
/// per address); in between, the last reading is aged.
const HISTORY_EVERY: Duration = Duration::from_secs(1);
/// How many of a channel's newest events are searched for a service's own.
const HISTORY_LIMIT: u32 = 50;

/// Where the token for history reads comes from.
#[derive(Debug)]
enum Credentials {
    /// `--token`: it needs `subscribe` permission on the services' channels.
    Fixed(String),
    /// `--dev`: a publisher token from the development hub (it may subscribe anywhere),
    /// fetched again when refused.
    Dev(DevTokens, Option<String>),
}

/// Reads the host and the hub.
#[derive(Debug)]
pub(crate) struct Probe {
    client: reqwest::Client,
    base: reqwest::Url,
    credentials: Credentials,
    activities: Option<(Instant, Vec<Activity>)>,
    /// Failures already logged at `warn` (later ones go to `debug`).
    warned: HashSet<String>,
}

impl Probe {
    /// A probe of the hub at `--hub`, reading history with `--token` or a `--dev` token.
    pub(crate) fn new(args: &cli::Args, service: &str) -> Result<Self, String> {
        let base = cli::http_base(&args.hub)?;
        let credentials = match &args.token {
            Some(token) => Credentials::Fixed(token.clone()),
            None => Credentials::Dev(DevTokens::new(&args.hub, service)?, None),
        };
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
        Ok(Self { client, base, credentials, activities: None, warned: HashSet::new() })
    }

    /// One sample. Never fails: what cannot be read is `None` or an `Err` inside.
    pub(crate) async fn sample(&mut self) -> Sample {
        let load =
            std::fs::read_to_string("/proc/loadavg").ok().and_then(|text| example_system_service::parse_loadavg(&text));
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let memory =
            std::fs::read_to_string("/proc/meminfo").ok().and_then(|text| example_system_service::parse_meminfo(&text));
        let hub = self.metrics().await;
        let ready = self.ready().await;
        let services = self.activities().await;
        Sample {
            at: Instant::now(),
            cpu_percent: load.map(|load| cpu_percent(load, cpus)),
            load_average: load,
            memory_percent: memory,
            hub,
            ready,
            services,
        }
    }

    fn url(&self, path: &str) -> reqwest::Url {
        let mut url = self.base.clone();
        url.set_path(path);
        url
    }

    /// Logs a failure at `warn` the first time, at `debug` after.
    fn report(&mut self, what: &str, reason: &str) {
        if self.warned.insert(format!("{what}: {reason}")) {
            tracing::warn!(%reason, "{what}");
        } else {
            tracing::debug!(%reason, "{what}");
        }
    }

    async fn metrics(&mut self) -> Result<HubMetrics, String> {
        let url = self.url("/metrics");
        let result = async {
            let response = self.client.get(url.clone()).send().await.map_err(|e| format!("{url}: {e}"))?;
            let status = response.status();
            let text = response.text().await.map_err(|e| format!("{url}: {e}"))?;
            if status.is_success() { Ok(parse_hub_metrics(&text)) } else { Err(format!("{url}: HTTP {status}")) }
        }
        .await;
        if let Err(reason) = &result {
            self.report("cannot read the hub's metrics", reason);
        }
        result
    }

    async fn ready(&mut self) -> Result<(), String> {
        let url = self.url("/readyz");
        match self.client.get(url.clone()).send().await {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => {
                let status = response.status();
                let body: serde_json::Value = response.json().await.unwrap_or_default();
                let message = body["message"].as_str().unwrap_or("not ready");
                Err(format!("HTTP {}: {message}", status.as_u16()))
            }
            Err(error) => Err(format!("{url}: unreachable ({error})")),
        }
    }

    /// When each service of [`SERVICES`] last published, read at most every
    /// [`HISTORY_EVERY`].
    async fn activities(&mut self) -> Vec<Activity> {
        if let Some((at, activities)) = &self.activities {
            let elapsed = at.elapsed();
            if elapsed < HISTORY_EVERY {
                return activities
                    .iter()
                    .map(|activity| match activity {
                        Activity::LastEvent(age) => Activity::LastEvent(*age + elapsed),
                        other => other.clone(),
                    })
                    .collect();
            }
        }
        let mut activities = Vec::with_capacity(SERVICES.len());
        for (service, channel) in SERVICES {
            let activity = match self.last_event(service, channel).await {
                Ok(Some(age)) => Activity::LastEvent(age),
                Ok(None) => Activity::NoEvent,
                Err(reason) => {
                    self.report(
                        &format!("cannot tell when {service} last published; the status leaves it out"),
                        &reason,
                    );
                    Activity::Unknown(reason)
                }
            };
            activities.push(activity);
        }
        self.activities = Some((Instant::now(), activities.clone()));
        activities
    }

    /// The age of `service`'s newest event among `channel`'s recent ones.
    async fn last_event(&mut self, service: &str, channel: &str) -> Result<Option<Duration>, String> {
        let mut url = self.url(&format!("/api/v1/channels/{channel}/history"));
        url.query_pairs_mut().append_pair("limit", &HISTORY_LIMIT.to_string());
        let mut refreshed = false;
        let body: serde_json::Value = loop {
            let token = self.token().await?;
            let response =
                self.client.get(url.clone()).bearer_auth(token).send().await.map_err(|e| format!("{url}: {e}"))?;
            let status = response.status();
            let body: serde_json::Value = response.json().await.map_err(|e| format!("{url}: {e}"))?;
            if status.is_success() {
                break body;
            }
            // A restarted development hub has a new secret: fetch a token once more.
            if status == reqwest::StatusCode::UNAUTHORIZED && !refreshed {
                if let Credentials::Dev(_, token) = &mut self.credentials {
                    *token = None;
                    refreshed = true;
                    continue;
                }
            }
            let message = body["message"].as_str().unwrap_or_default();
            return Err(format!("{url}: HTTP {}: {message}", status.as_u16()));
        };
        let now = Timestamp::now().unix_millis();
        let newest = body["events"]
            .as_array()
            .into_iter()
            .flatten()
            .rev()
            .find(|item| item["event"]["source"] == service)
            .and_then(|item| item["event"]["timestamp"].as_str())
            .and_then(|text| Timestamp::parse(text).ok());
        Ok(newest.map(|at| Duration::from_millis(now.saturating_sub(at.unix_millis()).max(0) as u64)))
    }

    async fn token(&mut self) -> Result<String, String> {
        match &mut self.credentials {
            Credentials::Fixed(token) => Ok(token.clone()),
            Credentials::Dev(tokens, current) => {
                if current.is_none() {
                    *current = Some(tokens.fetch().await?);
                }
                Ok(current.clone().unwrap_or_default())
            }
        }
    }
}
