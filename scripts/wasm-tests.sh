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
log=$(mktemp)
target/debug/herald-hub --dev --listen 127.0.0.1:0 >"$log" 2>/dev/null &
hub=$!
trap 'kill $hub 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 200); do grep -q "publisher token" "$log" && break; sleep 0.05; done
addr=$(sed -n 's#.*on http://\([0-9.:]*\) .*#\1#p' "$log" | head -1)
token=$(sed -n 's/^publisher token .*: //p' "$log" | head -1)
[ -n "$addr" ] && [ -n "$token" ] || { echo "hub did not start"; cat "$log"; exit 1; }
HERALD_TEST_HUB="$addr" HERALD_TEST_TOKEN="$token" WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=/usr/bin/chromedriver \
  cargo test --locked --target wasm32-unknown-unknown -p herald-subscriber --test web
