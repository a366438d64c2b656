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
app=examples/dashboard
source scripts/lib/browser-app.sh
prepare_browser_app "$@"

echo "--> component tests (vitest)"
./node_modules/.bin/vitest run

if [ "${1:-}" != "--no-e2e" ]; then
  echo "--> end-to-end (real hub + example services + chromium)"
  node e2e/dashboard.e2e.mjs
fi
echo "dashboard tests: OK"
