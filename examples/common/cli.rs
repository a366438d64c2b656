//! Shared by the example services (included with `#[path]`): the command line, `--dev`
//! tokens (fetched from a development hub), and the loop that paces a service's steps at
//! `--rate` and exits with the reason when the publisher stops for good.

use std::time::Duration;

use herald_publisher::{PublishError, Publisher};

/// Publishes a realistic, randomised stream of Herald events to a hub (docs/publisher.md).
#[derive(Debug, clap::Parser)]
#[command(version)]
pub(crate) struct Args {
    /// Hub URL: `ws://host:port` (one WebSocket) or `http://host:port` (HTTP batches).
    #[arg(long, env = "HERALD_HUB", default_value = "ws://127.0.0.1:8080")]
    pub(crate) hub: String,
    /// A JWT whose `publish` permissions cover the service's channels.
    #[arg(long, env = "HERALD_TOKEN", required_unless_present = "dev", conflicts_with = "dev")]
    pub(crate) token: Option<String>,
    /// Get a publisher token for tenant `dev` from a development hub (`herald-hub --dev`):
    /// `GET /api/v1/dev/token?role=publisher` on the `--hub` address, at start and again
    /// whenever the hub refuses it (a restarted development hub has a new secret).
    #[arg(long)]
    pub(crate) dev: bool,
    /// Steps per second, on average (default: 5 events per second; system-service: 0.5,
    /// one snapshot every 2 s).
    #[arg(long)]
    pub(crate) rate: Option<f64>,
    /// Stop after this many steps (events; system-service: snapshots). Default: run until
    /// Ctrl-C.
    #[arg(long)]
    pub(crate) count: Option<u64>,
    /// Seed of the random generator (default: random), to replay a run (the simulated
    /// services; system-service measures, it has nothing to replay).
    #[arg(long)]
    pub(crate) seed: Option<u64>,
}

/// Fetches publisher tokens for `--dev` from the hub's development token endpoint.
#[derive(Debug, Clone)]
pub(crate) struct DevTokens {
    client: reqwest::Client,
    url: reqwest::Url,
}

impl DevTokens {
    /// The endpoint of the hub at `hub` (`ws://` or `http://host:port`), for a token whose
    /// `sub` is `service`.
    pub(crate) fn new(hub: &str, service: &str) -> Result<Self, String> {
        let mut url = http_base(hub)?;
        url.set_path("/api/v1/dev/token");
        url.query_pairs_mut().clear().append_pair("role", "publisher").append_pair("sub", service);
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
        Ok(Self { client, url })
    }

    /// One fresh token, or why there is none (the hub's own message when it answered).
    pub(crate) async fn fetch(&self) -> Result<String, String> {
        let failed = |e: &dyn std::fmt::Display| format!("--dev: no token from {}: {e}", self.url);
        let response = self.client.get(self.url.clone()).send().await.map_err(|e| failed(&e))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| failed(&e))?;
        let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        match body["token"].as_str() {
            Some(token) if status.is_success() => Ok(token.to_owned()),
            _ if status.is_success() => Err(failed(&"the answer holds no token")),
            _ => {
                let message = body["message"].as_str().unwrap_or("");
                Err(failed(&format!("{status} {message} (is the hub running with --dev?)")))
            }
        }
    }
}

/// The hub's HTTP address for `--hub` (`ws://host:port[/path]` or `http://host:port`):
/// `http://host:port/`, for its HTTP endpoints.
pub(crate) fn http_base(hub: &str) -> Result<reqwest::Url, String> {
    let mut url = reqwest::Url::parse(hub).map_err(|e| format!("--hub {hub:?}: {e}"))?;
    let scheme = match url.scheme() {
        "ws" | "http" => "http",
        "wss" | "https" => "https",
        other => return Err(format!("--hub {hub:?}: unsupported scheme {other:?}")),
    };
    url.set_scheme(scheme).map_err(|()| format!("--hub {hub:?}: cannot use {scheme}"))?;
    url.set_path("/");
    url.set_query(None);
    Ok(url)
}

/// Runs `step` at `--rate` (default `default_rate` steps per second) until Ctrl-C or
/// `--count`, then closes the publisher (draining its outbox for at most 10 s).
///
/// # Errors
/// When the publisher stops for good (the hub refused the token and there is no way to
/// get another, a terminal close code, a URL that is not a hub's): the publisher's error,
/// naming the code (`the hub refused the token (invalid_token): …`). `main` prints it on
/// one line and exits non-zero. Also a bad `--dev` setup or hub URL at start.
pub(crate) async fn run(
    service: &str,
    args: &Args,
    default_rate: f64,
    mut step: impl AsyncFnMut(&Publisher) -> Result<(), PublishError>,
) -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let builder = Publisher::builder(&args.hub).source(service);
    let builder = match &args.token {
        Some(token) => builder.token(token.clone()),
        None => {
            // --dev: the first token now (a hub that is not in development mode is an error
            // at start), then a fresh one whenever the hub refuses the current one.
            let tokens = DevTokens::new(&args.hub, service)?;
            let first = tokens.fetch().await?;
            builder.token(first).token_provider(move || {
                let tokens = tokens.clone();
                async move { tokens.fetch().await }
            })
        }
    };
    let publisher = builder.build()?;
    let rate = args.rate.filter(|rate| rate.is_finite() && *rate > 0.0).unwrap_or(default_rate);
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut report = tokio::time::interval(Duration::from_secs(10));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    // Resolves when the publisher gives up for good: then there is no point going on.
    let stopped = publisher.stopped();
    tokio::pin!(stopped);
    let gave_up = |error: PublishError| -> Box<dyn std::error::Error> {
        tracing::error!(%error, stats = ?publisher.stats(), "{service}: the publisher stopped for good");
        match error {
            // It names the URL already.
            PublishError::Endpoint { .. } => error.into(),
            _ => format!("{error} (hub {})", args.hub).into(),
        }
    };
    tracing::info!(hub = %args.hub, rate, "{service} publishing");
    let mut sent = 0u64;
    while args.count.is_none_or(|count| sent < count) {
        tokio::select! {
            error = &mut stopped => return Err(gave_up(error)),
            _ = ticks.tick() => {
                match step(&publisher).await {
                    Ok(()) => sent += 1,
                    Err(error) if error.is_terminal() => return Err(gave_up(error)),
                    Err(error) => tracing::warn!(%error, "event not published"),
                }
            }
            _ = report.tick() => tracing::info!(stats = ?publisher.stats(), "publisher stats"),
            _ = &mut ctrl_c => break,
        }
    }
    if tokio::time::timeout(Duration::from_secs(10), publisher.close()).await.is_err() {
        tracing::warn!("hub unreachable: events still queued were not published");
    } else {
        // Closed: resolved at once, with why (a refusal while draining is still a failure).
        match (&mut stopped).await {
            PublishError::Closed => {}
            error => return Err(gave_up(error)),
        }
    }
    tracing::info!(stats = ?publisher.stats(), "{service} stopped");
    Ok(())
}
