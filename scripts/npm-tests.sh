#!/usr/bin/env bash
# Tests of the npm package @herald/client (herald-wasm + React hooks). Called by
# scripts/test.sh after setup (wasm-bindgen CLI, chromium, chromedriver); runs alone too:
#
#   ./scripts/npm-tests.sh
#
# 1. herald-wasm's wasm-bindgen tests in node, then in headless Chromium against a real hub;
# 2. the package build (scripts/npm-package.sh --pack);
# 3. `tsc --noEmit` of the package, its type tests and the fixture constants;
# 4. vitest (happy-dom + Testing Library) against a real hub started by the test setup;
# 5. the packed tarball installed into a scratch project and imported from node.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}

echo "--> hub for the tests (feature __echo: test-only drop route)"
cargo build --locked -q -p herald-hub --features __echo
hub_bin="$target/debug/herald-hub"

echo "--> herald-wasm: wasm-bindgen tests in node"
cargo test --locked --target wasm32-unknown-unknown -p herald-wasm --test web

echo "--> herald-wasm: wasm-bindgen tests in headless Chromium against a real hub"
scratch=$(mktemp -d)
source scripts/lib/dev-hub.sh
trap 'kill ${DEV_HUB_PID:-}  2>/dev/null || true; rm -rf "${DEV_HUB_LOG:-}" "$scratch"' EXIT
start_dev_hub "$hub_bin"
HERALD_TEST_HUB="$DEV_HUB_ADDR" HERALD_TEST_TOKEN="$DEV_HUB_TOKEN" WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=/usr/bin/chromedriver \
  cargo test --locked --target wasm32-unknown-unknown -p herald-wasm --test web
kill "$DEV_HUB_PID" 2>/dev/null || true

echo "--> package build"
tarball=$(./scripts/npm-package.sh --pack | tail -1)

cd wasm-bindings/react
echo "--> tsc --noEmit (package, type tests, fixtures)"
npx tsc --noEmit -p tsconfig.json

echo "--> vitest against a real hub"
HERALD_HUB_BIN="$hub_bin" npx vitest run

echo "--> the packed tarball, installed and imported"
mkdir -p "$scratch/node_modules/@herald/client"
tar -xzf "$tarball" -C "$scratch/node_modules/@herald/client" --strip-components=1
ln -s "$PWD/node_modules/react" "$scratch/node_modules/react"
cat >"$scratch/smoke.mjs" <<'JS'
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EventCategory, HeraldClient, HeraldProvider, initSync, useWebSocketEvents, EVENT_TYPES } from '@herald/client';
import { createMockHub, makeEvent } from '@herald/client/testing';
const require = createRequire(import.meta.url);
initSync({ module: readFileSync(require.resolve('@herald/client/herald_wasm_bg.wasm')) });
const client = new HeraldClient({ url: 'ws://127.0.0.1:1/ws', token: 't' });
if (client.state.status !== 'idle' || typeof HeraldProvider !== 'function' || typeof useWebSocketEvents !== 'function'
    || EVENT_TYPES.pipeline_created !== 'PIPELINE' || EventCategory.SECURITY !== 'SECURITY') throw new Error('smoke test failed');
client.free();
// The mock hub in plain node (no WebSocket of its own): the wasm client connects to it.
const hub = createMockHub({ waitTimeoutMs: 10000 });
const mocked = new HeraldClient({ url: hub.url, token: 't' });
const delivered = new Promise((resolve) => mocked.subscribe('pipeline', {}, resolve));
mocked.connect();
await hub.waitForSubscription('pipeline');
const event = makeEvent('pipeline_deleted', { pipelineId: 'p-1' }, { subject: 'p-1' });
hub.publish('pipeline', event);
if ((await delivered).event.id !== event.id) throw new Error('mock hub smoke test failed');
mocked.free();
hub.uninstall();
console.log('tarball import ok');
JS
(cd "$scratch" && node smoke.mjs)
ls -l "$tarball"
