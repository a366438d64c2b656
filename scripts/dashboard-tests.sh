#!/usr/bin/env bash
# Tests of the live dashboard (examples/dashboard), idempotent:
#   1. the npm package @herald/client (./scripts/npm-package.sh) when it is not built yet;
#   2. the hub and the example services (release) when HERALD_BIN_DIR has none;
#   3. `npm ci` of the dashboard when its lock changed, then `tsc -b && vite build`;
#   4. the component tests (Vitest + Testing Library + happy-dom, @herald/client/testing's
#      mock hub);
#   5. the end-to-end test: the real hub serving the built dashboard, the real example
#      services (pipeline, security, debugger, system), Debian's Chromium through
#      playwright-core; nothing injected, hub restart, resync, no duplicates. It never
#      rewrites a committed file: the docs screenshot is a separate command,
#      SCREENSHOT=docs/dashboard.png ./scripts/dashboard-tests.sh.
#
#   ./scripts/dashboard-tests.sh [--no-e2e]
# Env: CARGO_TARGET_DIR (default ./target), HERALD_BIN_DIR (default $CARGO_TARGET_DIR/release),
#      CHROMIUM (default /usr/bin/chromium), E2E_RATE (events/s per service, default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
if [ "${HERALD_PROFILE:-release}" = dev ]; then
  export HERALD_BIN_DIR=${HERALD_BIN_DIR:-$target/debug}
else
  export HERALD_BIN_DIR=${HERALD_BIN_DIR:-$target/release}
fi
app=examples/dashboard
pkg=wasm-bindings/react

if [ ! -f "$pkg/dist/index.js" ] || [ ! -f "$pkg/wasm/herald_wasm_bg.wasm" ]; then
  echo "--> @herald/client (./scripts/npm-package.sh)"
  ./scripts/npm-package.sh
fi

if [ "${1:-}" != "--no-e2e" ]; then
  # Always build (a no-op when fresh) so the e2e test never runs stale binaries.
  # HERALD_PROFILE=dev (scripts/test.sh) reuses the test build, with the same features.
  if [ "${HERALD_PROFILE:-release}" = dev ]; then
    echo "--> hub and example services (dev build)"
    cargo build --locked -q -p herald-hub --features __echo -p example-pipeline-service -p example-security-service -p example-debugger-service -p example-system-service
  else
    echo "--> hub and example services (release build)"
    cargo build --locked -q --release -p herald-hub -p example-pipeline-service -p example-security-service -p example-debugger-service -p example-system-service
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

echo "--> component tests (vitest)"
./node_modules/.bin/vitest run

if [ "${1:-}" != "--no-e2e" ]; then
  echo "--> end-to-end (real hub + example services + chromium)"
  node e2e/dashboard.e2e.mjs
fi
echo "dashboard tests: OK"
