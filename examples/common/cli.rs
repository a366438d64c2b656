//! Shared by the three example services (included with `#[path]`): the command line,
//! `--dev` tokens, and the loop that paces a simulation's events at `--rate`.

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
    /// Mint a token (24 h, `publish: ["*"]`, org `--tenant`) with the HS256 secret in
    /// `HERALD_JWT_SECRET`: the secret the hub was started with.
    #[arg(long)]
    pub(crate) dev: bool,
    /// Events per second, on average.
    #[arg(long, default_value_t = 5.0)]
    pub(crate) rate: f64,
    /// The tenant (`org`) of `--dev` tokens.
    #[arg(long, default_value = "dev")]
    pub(crate) tenant: String,
    /// Stop after this many events (default: run until Ctrl-C).
    #[arg(long)]
    pub(crate) count: Option<u64>,
    /// Seed of the random generator (default: random), to replay a run.
    #[arg(long)]
    pub(crate) seed: Option<u64>,
}

impl Args {
    /// The token: `--token`, or one minted for `--dev`.
    pub(crate) fn token(&self, service: &str) -> Result<String, String> {
        if let Some(token) = &self.token {
            return Ok(token.clone());
        }
        let secret = std::env::var("HERALD_JWT_SECRET")
            .map_err(|_| "--dev needs HERALD_JWT_SECRET: the HS256 secret the hub was started with".to_owned())?;
        let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs()
            + 24 * 3600;
        let claims = serde_json::json!({"sub": service, "org": self.tenant, "exp": exp, "publish": ["*"]});
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .map_err(|e| format!("cannot mint a dev token: {e}"))
    }
}

/// Runs `step` (one event per call) at `--rate` until Ctrl-C or `--count`, then closes the
/// publisher (draining its outbox for at most 10 s).
pub(crate) async fn run(
    service: &str,
    args: &Args,
    mut step: impl FnMut(&Publisher) -> Result<(), PublishError>,
) -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let token = args.token(service)?;
    let publisher = Publisher::builder(&args.hub).token(token).source(service).build()?;
    let rate = if args.rate.is_finite() && args.rate > 0.0 { args.rate } else { 1.0 };
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut report = tokio::time::interval(Duration::from_secs(10));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    tracing::info!(hub = %args.hub, rate, "{service} publishing");
    let mut sent = 0u64;
    while args.count.is_none_or(|count| sent < count) {
        tokio::select! {
            _ = ticks.tick() => {
                match step(&publisher) {
                    Ok(()) => sent += 1,
                    Err(error) => tracing::warn!(%error, "event not published"),
                }
            }
            _ = report.tick() => tracing::info!(stats = ?publisher.stats(), "publisher stats"),
            _ = &mut ctrl_c => break,
        }
    }
    if tokio::time::timeout(Duration::from_secs(10), publisher.close()).await.is_err() {
        tracing::warn!("hub unreachable: events still queued were not published");
    }
    tracing::info!(stats = ?publisher.stats(), "{service} stopped");
    Ok(())
}
