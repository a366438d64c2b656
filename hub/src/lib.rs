//! # herald-hub
//!
//! Herald's reference hub: WebSocket and HTTP endpoints that authenticate clients with JWTs,
//! keep tenants apart, give every (tenant, channel) an ordered stream with offsets and
//! history, and fan events out to subscribers. It is a library (embed it with
//! [`Hub::builder`]) and the `herald-hub` binary. The wire contract is `docs/protocol.md`;
//! the options are in `docs/operations.md`.
//!
//! | module | responsibility |
//! |---|---|
//! | [`config`] | flags, environment, TOML file; every default |
//! | [`auth`] | JWT verification, permission patterns |
//! | [`broker`] | offsets, history, dedup (`trait Broker`, memory broker) |
//! | [`dev`] | development mode: its own random secret, tokens for tenant `dev` only |
//! | `channels` | subscription registry and fan-out |
//! | `connection` | one WebSocket: session, bounded writer, heartbeats |
//! | `http` | routes: `/ws`, publish, history, health, metrics, static files |
//! | [`metrics`] | Prometheus counters |
//!
//! Feature `sim` (unstable, for tests): [`HubBuilder::spawn_on`] serves the hub on any
//! [`axum::serve::Listener`], e.g. a turmoil simulated listener.

// Unstable, test-only (feature `__fuzz`): a listener-less hub for the fuzz targets.
#[cfg(feature = "__fuzz")]
#[doc(hidden)]
#[path = "__fuzz.rs"]
pub mod __fuzz;
pub mod auth;
pub mod broker;
mod channels;
pub mod config;
mod connection;
pub mod dev;
mod http;
mod limits;
pub mod metrics;
#[cfg(feature = "redis")]
mod relay;
mod server;
#[cfg(feature = "sim")]
mod sim;
mod state;

pub use config::{Config, ConfigError, ForwardedHeader, LogFormat, Settings};
pub use server::{Hub, HubBuilder, HubError, HubHandle, PublishOutcome, PublishRejected, RunningHub};
