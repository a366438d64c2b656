#!/usr/bin/env bash
# The README's run command: Herald's demo on the embedded in-memory broker. Builds what is
# needed, starts the hub in development mode on loopback (its own random secret, a token
# endpoint for tenant `dev`, serving the live dashboard when it is built), starts the three
# example services with `--dev` (they fetch publisher tokens from that endpoint), and prints
# the URL to open. Ctrl-C stops everything it started.
#
#   ./scripts/demo.sh                 # http://127.0.0.1:8080/
#   HERALD_DEMO_PORT=9000 ./scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
ensure_wasm_target

port=${HERALD_DEMO_PORT:-8080}
# `--dev` refuses configured keys: a production key in this shell is never used to mint.
unset HERALD_JWT_SECRET HERALD_JWT_PUBLIC_KEY HERALD_JWT_KEYS

echo "==> building the hub and the example services"
cargo build --release --locked -p herald-hub -p example-pipeline-service -p example-security-service \
  -p example-debugger-service -p example-tail

static_dir=""
if [ -f examples/dashboard/package.json ]; then
  echo "==> building the npm package and the dashboard"
  ensure_wasm_bindgen_cli
  ./scripts/npm-package.sh
  (cd examples/dashboard && npm ci --no-audit --no-fund && npm run build)
  static_dir=$PWD/examples/dashboard/dist
fi

pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

HERALD_STATIC_DIR=$static_dir target/release/herald-hub --dev --listen "127.0.0.1:$port" &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { echo "the hub did not start on port $port" >&2; exit 1; }

for service in pipeline security debugger; do
  "target/release/$service-service" --dev --hub "ws://127.0.0.1:$port" &
  pids+=($!)
done

echo
if [ -n "$static_dir" ]; then
  echo "Herald demo running: open http://127.0.0.1:$port/  (Ctrl-C stops it)"
else
  echo "Herald demo running on ws://127.0.0.1:$port/ws (the dashboard is not built yet). Watch it live:"
  echo "  HERALD_TOKEN=\$(curl -s http://127.0.0.1:$port/api/v1/dev/token | sed 's/.*\"token\":\"\\([^\"]*\\)\".*/\\1/') \\"
  echo "    target/release/herald-tail --hub ws://127.0.0.1:$port/ws pipeline security debug system"
fi
wait
