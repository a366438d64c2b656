//! The `herald-hub` binary: configuration → logging → [`herald_hub::Hub`] until SIGINT or
//! SIGTERM, then a graceful shutdown (every client closed with 1001) and exit 0. SIGHUP
//! re-reads the key directory (`HERALD_JWT_KEYS`), if any.

use std::process::ExitCode;

use herald_hub::dev::{self, DevRole};
use herald_hub::{Config, Hub, LogFormat, Settings};

fn main() -> ExitCode {
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(error) => return fail(&error),
    };
    // --dev: a random secret of the hub's own (`Config::from_settings` refuses configured keys).
    let config = match Config::from_settings(&settings, None) {
        Ok(config) => config,
        Err(error) => return fail(&error),
    };
    init_logging(config.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => return fail(&error),
    };
    runtime.block_on(async move {
        let dev_config = config.dev_token_secret.is_some().then(|| config.clone());
        let hub = match Hub::builder().config(config).spawn().await {
            Ok(hub) => hub,
            Err(error) => return fail(&error),
        };
        if let Some(config) = dev_config {
            print_dev_tokens(&config, hub.local_addr());
        }
        #[cfg(unix)]
        tokio::spawn(reload_keys_on_hangup(hub.authenticator().clone()));
        let token = hub.shutdown_token();
        tokio::spawn(async move {
            wait_for_signal().await;
            token.cancel();
        });
        hub.wait().await;
        ExitCode::SUCCESS
    })
}

/// One line on stderr naming the problem and its causes; exit code 2.
fn fail(error: &dyn std::error::Error) -> ExitCode {
    let mut line = format!("herald-hub: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    eprintln!("{line}");
    ExitCode::from(2)
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Human => builder.init(),
    }
}

/// The development hub's address and two 24-hour tokens for tenant `dev`, on stdout (scripts
/// read the `… on http://ADDR ` and `publisher token …: TOKEN` lines).
fn print_dev_tokens(config: &Config, addr: std::net::SocketAddr) {
    let Some(secret) = &config.dev_token_secret else { return };
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    let exp_ms = now_ms + 24 * 3600 * 1000;
    let subscriber = dev::mint(secret, DevRole::Subscriber, DevRole::Subscriber.default_sub(), exp_ms, config);
    let publisher = dev::mint(secret, DevRole::Publisher, DevRole::Publisher.default_sub(), exp_ms, config);
    println!("Herald hub (dev mode) on http://{addr}  — WebSocket: ws://{addr}/ws");
    println!("subscriber token (org dev, 24 h): {subscriber}");
    println!("publisher token  (org dev, 24 h): {publisher}");
    println!("more tokens (org dev, 1 h): GET http://{addr}/api/v1/dev/token?role=subscriber|publisher&sub=NAME");
}

/// On every SIGHUP, re-reads the key directory (`Authenticator::reload_keys` logs the outcome;
/// a failed reload keeps the keys in use).
#[cfg(unix)]
async fn reload_keys_on_hangup(auth: herald_hub::auth::Authenticator) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut hangup) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP: the key directory is re-read only when it changes");
        return;
    };
    while hangup.recv().await.is_some() {
        if auth.key_dir().is_none() {
            tracing::info!("SIGHUP: no key directory (HERALD_JWT_KEYS) to reload");
            continue;
        }
        let auth = auth.clone();
        // Reading files blocks: off the async workers.
        let _ = tokio::task::spawn_blocking(move || auth.reload_keys()).await;
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
