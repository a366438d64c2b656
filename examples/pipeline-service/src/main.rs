//! `pipeline-service`: publishes a realistic, randomised stream of events to a Herald hub.
//! See `docs/publisher.md` (example services) for the options.

#[path = "../../common/cli.rs"]
mod cli;

use clap::Parser;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = cli::Args::parse();
    let mut simulation = example_pipeline_service::Simulation::new(args.seed.unwrap_or_else(rand::random));
    cli::run("pipeline-service", &args, |publisher| simulation.step(publisher)).await
}
