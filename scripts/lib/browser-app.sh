# The shared setup of the browser-app test scripts (scripts/dashboard-tests.sh,
# scripts/browser-app-tests.sh). Source from the repository root with `app` set, then call
# `prepare_browser_app "$@"`: it builds @herald/client when missing, the hub and the example
# services when an e2e test follows (a no-op when fresh, so no test runs stale binaries;
# HERALD_PROFILE=dev reuses the test build with the same features), checks Chromium, runs
# `npm ci` in "$app" when its lock changed and builds the app (`tsc -b && vite build`).
# Leaves the shell in "$app". Exports HERALD_BIN_DIR.

prepare_browser_app() {
  local root=$PWD pkg=wasm-bindings/react
  local target=${CARGO_TARGET_DIR:-$root/target}
  local services=(-p example-pipeline-service -p example-security-service -p example-debugger-service -p example-system-service)
  if [ "${HERALD_PROFILE:-release}" = dev ]; then
    export HERALD_BIN_DIR=${HERALD_BIN_DIR:-$target/debug}
  else
    export HERALD_BIN_DIR=${HERALD_BIN_DIR:-$target/release}
  fi
  if [ ! -f "$pkg/dist/index.js" ] || [ ! -f "$pkg/wasm/herald_wasm_bg.wasm" ]; then
    echo "--> @herald/client (./scripts/npm-package.sh)"
    ./scripts/npm-package.sh
  fi
  if [ "${1:-}" != "--no-e2e" ]; then
    if [ "${HERALD_PROFILE:-release}" = dev ]; then
      echo "--> hub and example services (dev build)"
      cargo build --locked -q -p herald-hub --features __echo "${services[@]}"
    else
      echo "--> hub and example services (release build)"
      cargo build --locked -q --release -p herald-hub "${services[@]}"
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
}
