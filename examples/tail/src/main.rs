//! `herald-tail`: prints live Herald events in a terminal.
//!
//! ```text
//! herald-tail --hub ws://127.0.0.1:8080/ws --token "$TOKEN" pipeline security/scan-1 \
//!     --types security_vulnerability_detected --json
//! ```
//!
//! Each target is `channel` or `channel/subject-prefix`. Events go to stdout (pretty, or
//! JSON lines with `--json`); connection changes and resyncs go to stderr. A terminal
//! error (a refused token, a refused subscription, a close that forbids reconnecting)
//! exits non-zero with a one-line message.

use std::process::ExitCode;

use clap::Parser;
use futures_util::StreamExt;
use herald_event_types::{ChannelName, Subject};
use herald_subscriber::{Client, ConnectionState, Error, SubscriptionEvent};

#[derive(Debug, Parser)]
#[command(name = "herald-tail", version, about = "Print live Herald events")]
struct Args {
    /// The hub's WebSocket URL.
    #[arg(long, env = "HERALD_URL", default_value = "ws://127.0.0.1:8080/ws")]
    hub: String,
    /// A JWT for the hub (`herald-hub --dev` prints one).
    #[arg(long, env = "HERALD_TOKEN", hide_env_values = true)]
    token: String,
    /// What to follow: `channel` or `channel/subject-prefix` (e.g. `security/scan-1`).
    #[arg(required = true)]
    targets: Vec<String>,
    /// Only these event types (comma-separated).
    #[arg(long, value_delimiter = ',')]
    types: Vec<String>,
    /// Print JSON lines: `{"channel","offset","event"}`.
    #[arg(long)]
    json: bool,
    /// Replay the last N events of each target first.
    #[arg(long)]
    history: Option<u32>,
}

fn parse_target(target: &str) -> Result<(ChannelName, Subject), String> {
    let (channel, subject) = target.split_once('/').unwrap_or((target, ""));
    let channel = channel.parse().map_err(|e| format!("{target:?}: {e}"))?;
    let subject = subject.parse().map_err(|e| format!("{target:?}: {e}"))?;
    Ok((channel, subject))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let targets: Result<Vec<_>, _> = args.targets.iter().map(|t| parse_target(t)).collect();
    let targets = match targets {
        Ok(targets) => targets,
        Err(error) => {
            eprintln!("herald-tail: invalid target {error}");
            return ExitCode::from(2);
        }
    };
    let client = Client::builder(&args.hub).token(&args.token).connect();
    let (fatal_tx, mut fatal) = tokio::sync::mpsc::unbounded_channel::<String>();
    let on_error = fatal_tx.clone();
    client
        .on_error(move |error| match error {
            // A fixed token that the hub refuses will never work: stop.
            Error::Auth { .. } | Error::Closed { .. } => {
                let _ = on_error.send(error.to_string());
            }
            other => eprintln!("herald-tail: {other}"),
        })
        .forget();
    client
        .on_resync(|r| eprintln!("herald-tail: resync on {}/{}: events may have been missed", r.channel, r.subject))
        .forget();
    let mut states = client.state_changes();
    tokio::spawn(async move {
        while states.changed().await.is_ok() {
            let line = match &*states.borrow_and_update() {
                ConnectionState::Connecting { attempt: 0 } => "connecting".to_owned(),
                ConnectionState::Connecting { attempt } => format!("connecting (attempt {attempt})"),
                ConnectionState::Connected => "connected".to_owned(),
                ConnectionState::Reconnecting { next_in, .. } => {
                    format!("reconnecting in {:.1}s", next_in.as_secs_f64())
                }
                ConnectionState::Closed { reason, .. } => format!("closed: {reason}"),
                _ => continue,
            };
            eprintln!("herald-tail: {line}");
        }
    });

    let streams = targets.into_iter().map(|(channel, subject)| {
        let label = format!("{channel}/{subject}");
        client.subscribe(channel, subject, args.history).map(move |item| (label.clone(), item))
    });
    let mut merged = futures_util::stream::select_all(streams);
    loop {
        tokio::select! {
            item = merged.next() => match item {
                Some((_, SubscriptionEvent::Event(delivery))) => {
                    if !args.types.is_empty() && !args.types.contains(&delivery.event.event_type) {
                        continue;
                    }
                    print(&delivery, args.json);
                }
                Some((label, SubscriptionEvent::Resync)) => eprintln!("herald-tail: {label}: resync"),
                Some((label, SubscriptionEvent::Ended)) => eprintln!("herald-tail: {label}: subject ended"),
                Some((label, SubscriptionEvent::Failed(error))) => {
                    eprintln!("herald-tail: {label}: {error}");
                    return ExitCode::FAILURE;
                }
                Some(_) => {}
                None => return ExitCode::SUCCESS,
            },
            Some(message) = fatal.recv() => {
                eprintln!("herald-tail: {message}");
                client.close();
                return ExitCode::FAILURE;
            }
            _ = tokio::signal::ctrl_c() => {
                client.close();
                return ExitCode::SUCCESS;
            }
        }
    }
}

fn print(delivery: &herald_subscriber::Delivery, json: bool) {
    let event = &delivery.event;
    if json {
        let line = serde_json::json!({
            "channel": delivery.channel,
            "offset": delivery.offset,
            "event": serde_json::from_str::<serde_json::Value>(&event.to_json()).unwrap_or_default(),
        });
        println!("{line}");
    } else {
        println!(
            "{} {}#{} {:<6} {} [{}] {}",
            event.timestamp,
            delivery.channel,
            delivery.offset,
            event.priority,
            event.event_type,
            event.subject,
            event.data.get()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_channel_and_optional_subject() {
        assert_eq!(parse_target("pipeline").unwrap(), ("pipeline".parse().unwrap(), Subject::default()));
        assert_eq!(parse_target("security/scan-1/v-2").unwrap().1.as_str(), "scan-1/v-2");
        assert!(parse_target("Bad").is_err());
        assert!(parse_target("pipeline//x").is_err());
    }
}
