//! `system-service`: publishes the host's and the hub's real status, metrics and alerts to
//! a Herald hub (the dashboard's System panel). See `docs/publisher.md` (example services)
//! for the options.

#[path = "../../common/cli.rs"]
mod cli;
mod probe;

use clap::Parser;
use example_system_service::Monitor;

const SERVICE: &str = "system-service";

/// Publishes the host's CPU and memory use and the hub's health, connections and
/// subscriptions as SYSTEM events: a metrics snapshot every step, the status when it
/// changes, alerts when memory use crosses a threshold or the hub stops being ready.
#[derive(Debug, Parser)]
#[command(version)]
struct Options {
    #[command(flatten)]
    common: cli::Args,
    /// Raise a `system_alert` when memory use reaches this percentage; it is resolved once
    /// memory use is 5 points below.
    #[arg(long, default_value_t = 90.0)]
    memory_alert_percent: f64,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Options::parse();
    let mut monitor = Monitor::new(args.memory_alert_percent);
    let result = match probe::Probe::new(&args.common, SERVICE) {
        Ok(mut probe) => {
            // One snapshot every 2 s unless --rate says otherwise.
            cli::run(SERVICE, &args.common, 0.5, async |publisher| {
                let sample = probe.sample().await;
                monitor.step(&sample, publisher)
            })
            .await
        }
        Err(error) => Err(error.into()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{SERVICE}: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
