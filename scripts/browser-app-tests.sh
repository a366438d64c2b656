#!/usr/bin/env bash
# The API document's example as a fresh Vite + React app (examples/api-doc-app), in headless
# Chromium against a production-mode hub (issue 14, "Done means"), idempotent:
#   1. the npm package @herald/client (./scripts/npm-package.sh) when it is not built yet;
#   2. the hub (release, or the test build with HERALD_PROFILE=dev) when it is stale;
#   3. `npm ci` of the app when its lock changed, then `tsc -b && vite build` (the "compiles"
#      check: the example's hooks, EventCategory.SECURITY, typos in event types as type errors);
#   4. the end-to-end test (examples/api-doc-app/e2e/api-doc-app.e2e.mjs): every event kind with
#      a plain user token, a hub restart with a fixed token and with getToken, a garbage token,
#      a refused subscription.
#
#   ./scripts/browser-app-tests.sh [--no-e2e]
# Env: CARGO_TARGET_DIR (default ./target), HERALD_PROFILE (release, or dev as scripts/test.sh
#      sets it), HERALD_BIN_DIR (default $CARGO_TARGET_DIR/release or /debug),
#      CHROMIUM (default /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
if [ "${HERALD_PROFILE:-release}" = dev ]; then
  export HERALD_BIN_DIR=${HERALD_BIN_DIR:-$target/debug}
else
  export HERALD_BIN_DIR=${HERALD_BIN_DIR:-$target/release}
fi
app=examples/api-doc-app
pkg=wasm-bindings/react

if [ ! -f "$pkg/dist/index.js" ] || [ ! -f "$pkg/wasm/herald_wasm_bg.wasm" ]; then
  echo "--> @herald/client (./scripts/npm-package.sh)"
  ./scripts/npm-package.sh
fi

if [ "${1:-}" != "--no-e2e" ]; then
  # Always build (a no-op when fresh) so the test never runs a stale hub. The same packages
  # and features as scripts/dashboard-tests.sh, so after it this is a no-op.
  if [ "${HERALD_PROFILE:-release}" = dev ]; then
    echo "--> hub (dev build)"
    cargo build --locked -q -p herald-hub --features __echo -p example-pipeline-service -p example-security-service -p example-debugger-service
  else
    echo "--> hub (release build)"
    cargo build --locked -q --release -p herald-hub -p example-pipeline-service -p example-security-service -p example-debugger-service
  fi
  command -v "${CHROMIUM:-/usr/bin/chromium}" >/dev/null || {
    echo "Chromium not found: apt-get install -y --no-install-recommends chromium (see docs/toolchain.md)" >&2
    exit 1
  }
fi

cd "$app"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "--> npm ci ($app)"
  npm ci --no-audit --no-fund
fi

echo "--> build ($app: tsc -b && vite build)"
npm run build

if [ "${1:-}" != "--no-e2e" ]; then
  echo "--> end-to-end (production-mode hub + chromium)"
  node e2e/api-doc-app.e2e.mjs
fi
echo "api-doc-app browser tests: OK"
