//! The `herald-hub` binary: configuration → logging → [`herald_hub::Hub`] until SIGINT or
//! SIGTERM, then a graceful shutdown (every client closed with 1001) and exit 0.

use std::process::ExitCode;

use herald_hub::auth::mint_hs256;
use herald_hub::{Config, Hub, LogFormat, Settings};

fn main() -> ExitCode {
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(error) => return fail(&error),
    };
    // --dev: the configured secret if any (so example services can share it), else a random one.
    let dev_secret = settings.dev.then(|| match &settings.jwt_secret {
        Some(secret) if !secret.expose().is_empty() => secret.expose().as_bytes().to_vec(),
        _ => rand::random::<[u8; 32]>().to_vec(),
    });
    let config = match Config::from_settings(&settings, dev_secret.clone()) {
        Ok(config) => config,
        Err(error) => return fail(&error),
    };
    init_logging(config.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => return fail(&error),
    };
    runtime.block_on(async move {
        let hub = match Hub::builder().config(config).spawn().await {
            Ok(hub) => hub,
            Err(error) => return fail(&error),
        };
        if let Some(secret) = dev_secret {
            print_dev_tokens(&secret, hub.local_addr());
        }
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

fn print_dev_tokens(secret: &[u8], addr: std::net::SocketAddr) {
    let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
        + 24 * 3600;
    let subscriber =
        mint_hs256(secret, &serde_json::json!({"sub": "dev-user", "org": "dev", "name": "Dev User", "exp": exp}));
    let publisher = mint_hs256(
        secret,
        &serde_json::json!({"sub": "dev-publisher", "org": "dev", "exp": exp, "publish": ["*"], "subscribe": ["*"]}),
    );
    println!("Herald hub (dev mode) on http://{addr}  — WebSocket: ws://{addr}/ws");
    println!("subscriber token (org dev, 24 h): {subscriber}");
    println!("publisher token  (org dev, 24 h): {publisher}");
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
