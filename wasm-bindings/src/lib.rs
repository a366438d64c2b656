//! # herald-wasm
//!
//! Herald's JavaScript client: a [`wasm-bindgen`](https://docs.rs/wasm-bindgen) facade over
//! the subscriber SDK's wasm driver, exported to JavaScript as `HeraldClient`. Together with
//! the React hooks in `wasm-bindings/react` it builds into one npm package,
//! `@herald/client` (`scripts/npm-package.sh`); see `docs/react.md`.
//!
//! ```js
//! import init, { HeraldClient } from '@herald/client/wasm';
//! await init();
//! const client = new HeraldClient({ url: 'ws://127.0.0.1:8080/ws', getToken: async () => token });
//! const off = client.onEvent('pipeline_created', (delivery) => console.log(delivery.event.data));
//! client.connect();
//! ```
//!
//! The JavaScript API lives in `client` (wasm32 only). [`typescript`] renders the
//! TypeScript types of the event catalogue from the Rust catalogue metadata; a test keeps
//! `react/src/events.generated.ts` in step with it.
//!
//! | feature | effect |
//! |---|---|
//! | `console-panic-hook` | forwards Rust panics to `console.error` with a stack trace |

pub mod typescript;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod client;
#[cfg(target_arch = "wasm32")]
mod convert;
#[cfg(target_arch = "wasm32")]
mod error;
#[cfg(target_arch = "wasm32")]
mod options;

#[cfg(target_arch = "wasm32")]
pub use client::JsClient;
pub use herald_event_types::CloseCode;
