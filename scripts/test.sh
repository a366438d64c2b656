#!/usr/bin/env bash
# Runs every check and test of the repository: the README's test command, and what
# `.ci/run` calls. Installs what it needs first, idempotently (fresh machine or reused).
#
#   ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh

step() { printf '\n==> %s\n' "$*"; }

step "setup"
ensure_wasm_target
ensure_wasm_bindgen_cli
ensure_chromium
ensure_redis_server
ensure_faketime

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

step "cargo test"
cargo test --workspace --all-features --locked

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps --locked --quiet

step "wasm32: clippy and build of the crates that run in browsers"
cargo clippy --locked --target wasm32-unknown-unknown -p herald-event-types -p herald-wasm -- -D warnings
cargo clippy --locked --target wasm32-unknown-unknown -p herald-subscriber --all-targets -- -D warnings
cargo build --locked --target wasm32-unknown-unknown -p herald-event-types -p herald-subscriber -p herald-wasm

step "wasm32 tests (node and headless Chromium)"
./scripts/wasm-tests.sh

step "npm package @herald/client: wasm tests, tsc, vitest hooks against a real hub, packed tarball"
./scripts/npm-tests.sh

step "dashboard: component tests, and the e2e test in Chromium against the real hub and services"
HERALD_PROFILE=dev ./scripts/dashboard-tests.sh

step "Autobahn|Testsuite against the hub's WebSocket layer"
./scripts/autobahn.sh

step "all checks passed"
