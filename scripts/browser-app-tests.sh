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
app=examples/api-doc-app
source scripts/lib/browser-app.sh
prepare_browser_app "$@"

if [ "${1:-}" != "--no-e2e" ]; then
  echo "--> end-to-end (production-mode hub + chromium)"
  node e2e/api-doc-app.e2e.mjs
fi
echo "api-doc-app browser tests: OK"
