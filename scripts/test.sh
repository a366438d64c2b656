#!/usr/bin/env bash
# Runs every check and test of the repository: the README's test command, and what
# `.ci/run` calls. Installs what it needs first, idempotently (fresh machine or reused).
#
#   ./scripts/test.sh           the fast default (what CI runs)
#   ./scripts/test.sh --long    the default, then the minutes-long reliability scenarios
#                               (docs/reliability.md): the 2,000-client herd, flood latency,
#                               500 turmoil seeds per scenario, a bigger churn, 60 s per fuzz target
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh

long=0
case "${1:-}" in
  "") ;;
  --long) long=1 ;;
  *) echo "usage: $0 [--long]" >&2; exit 2 ;;
esac

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

step "the API document's example app: a fresh Vite app in Chromium against a production-mode hub"
HERALD_PROFILE=dev ./scripts/browser-app-tests.sh

step "Autobahn|Testsuite against the hub's WebSocket layer"
./scripts/autobahn.sh

step "fuzz: every cargo-fuzz target for 5 s (no sanitizer: a short smoke run)"
FUZZ_SANITIZER=none ./scripts/fuzz.sh 5

if [ "$long" = 1 ]; then
  step "long: the herd — 2,000 SDK clients, hub kill -9 and restart"
  cargo test --locked -p herald-e2e --release --test herd -- --ignored --nocapture
  step "long: other tenants' p99 under floods (release build)"
  cargo test --locked -p herald-e2e --release --test floods_long -- --ignored --nocapture
  step "long: 500 turmoil seeds per fault scenario"
  HERALD_SEEDS=500 cargo test --locked -p herald-e2e --release --test turmoil_faults -- --nocapture
  step "long: churn, 20,000 cycles"
  HERALD_CHURN_CYCLES=20000 cargo test --locked -p herald-e2e --release --test churn -- --nocapture
  step "long: fuzz every target for 60 s with AddressSanitizer"
  ./scripts/fuzz.sh 60
fi

step "all checks passed"
