#!/usr/bin/env bash
# The subscriber SDK on wasm32: the script tests of the sans-IO core in node, and the wasm
# driver in headless Chromium against a real hub (started here on a free port, stopped by
# PID). Called by scripts/test.sh after setup (wasm-bindgen-cli, chromium, chromedriver).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "--> core script tests on wasm32 (node)"
cargo test --locked --target wasm32-unknown-unknown -p herald-subscriber --test proto

echo "--> wasm driver in headless Chromium against a real hub"
cargo build --locked -q -p herald-hub --features __echo
source scripts/lib/dev-hub.sh
trap 'kill ${DEV_HUB_PID:-}  2>/dev/null || true; rm -f "${DEV_HUB_LOG:-}"' EXIT
start_dev_hub "${CARGO_TARGET_DIR:-target}/debug/herald-hub"
HERALD_TEST_HUB="$DEV_HUB_ADDR" HERALD_TEST_TOKEN="$DEV_HUB_TOKEN" WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=/usr/bin/chromedriver \
  cargo test --locked --target wasm32-unknown-unknown -p herald-subscriber --test web
