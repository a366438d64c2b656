//! `pipeline-service`: publishes a realistic, randomised stream of events to a Herald hub.
//! See `docs/publisher.md` (example services) for the options.

#[path = "../../common/cli.rs"]
mod cli;

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = cli::Args::parse();
    let mut simulation = example_pipeline_service::Simulation::new(args.seed.unwrap_or_else(rand::random));
    match cli::run("pipeline-service", &args, 5.0, async |publisher| simulation.step(publisher)).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pipeline-service: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
