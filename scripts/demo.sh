#!/usr/bin/env bash
# The README's run command: Herald's demo on the embedded in-memory broker. Builds what is
# needed, starts the hub in development mode on loopback (its own random secret, a token
# endpoint for tenant `dev`, serving the live dashboard when it is built), starts the four
# example services with `--dev` (they fetch publisher tokens from that endpoint), and prints
# the URL to open. Ctrl-C stops everything it started; so does any of them exiting (the
# script says which, and why when it can).
#
#   ./scripts/demo.sh                 # http://127.0.0.1:8080/
#   HERALD_DEMO_PORT=9000 ./scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh

port=${HERALD_DEMO_PORT:-8080}
# `--dev` refuses configured keys: a production key in this shell is never used to mint.
unset HERALD_JWT_SECRET HERALD_JWT_PUBLIC_KEY HERALD_JWT_KEYS

port_in_use() {
  echo "port $port is in use by another program: stop it, or pick a free port with HERALD_DEMO_PORT (HERALD_DEMO_PORT=9000 $0)" >&2
  exit 1
}
# Before the (long) build: something already answering on the port would take the
# services' and the browser's connections.
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  port_in_use
fi

ensure_wasm_target
echo "==> building the hub and the example services"
cargo build --release --locked -p herald-hub -p example-pipeline-service -p example-security-service \
  -p example-debugger-service -p example-system-service -p example-tail

static_dir=""
if [ -f examples/dashboard/package.json ]; then
  echo "==> building the npm package and the dashboard"
  ensure_wasm_bindgen_cli
  ./scripts/npm-package.sh
  (cd examples/dashboard && npm ci --no-audit --no-fund && npm run build)
  static_dir=$PWD/examples/dashboard/dist
fi

pids=()
names=()
hub_out=$(mktemp)
hub_err=$(mktemp)
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -f "$hub_out" "$hub_err"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The hub prints its address line once it has bound the port (then the tokens); a bind
# failure makes it exit at once with the reason on stderr. Only the hub started here counts:
# its own address line, then /healthz while it is still alive.
if [ -n "$static_dir" ]; then export HERALD_STATIC_DIR=$static_dir; else unset HERALD_STATIC_DIR; fi
target/release/herald-hub --dev --listen "127.0.0.1:$port" >"$hub_out" 2> >(tee "$hub_err" >&2) &
hub=$!
pids+=("$hub")
names+=(herald-hub)
for _ in $(seq 300); do
  if ! kill -0 "$hub" 2>/dev/null; then
    wait "$hub" || true
    sleep 0.2 # let tee copy the hub's last words
    if grep -qi "address already in use\|cannot listen" "$hub_err"; then
      port_in_use
    fi
    echo "the hub exited before serving: $(tail -n 1 "$hub_err")" >&2
    exit 1
  fi
  grep -q "on http://127.0.0.1:$port " "$hub_out" && break
  sleep 0.1
done
grep -q "on http://127.0.0.1:$port " "$hub_out" || { echo "the hub did not start on port $port within 30 s" >&2; exit 1; }
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && kill -0 "$hub" 2>/dev/null ||
  { echo "the hub started on port $port but does not answer /healthz" >&2; exit 1; }
cat "$hub_out"

for service in pipeline security debugger system; do
  "target/release/$service-service" --dev --hub "ws://127.0.0.1:$port" &
  pids+=($!)
  names+=("$service-service")
done

echo
if [ -n "$static_dir" ]; then
  echo "Herald demo running: open http://127.0.0.1:$port/  (Ctrl-C stops it)"
else
  echo "Herald demo running on ws://127.0.0.1:$port/ws (the dashboard is not built yet). Watch it live:"
  echo "  HERALD_TOKEN=\$(curl -s http://127.0.0.1:$port/api/v1/dev/token | sed 's/.*\"token\":\"\\([^\"]*\\)\".*/\\1/') \\"
  echo "    target/release/herald-tail --hub ws://127.0.0.1:$port/ws pipeline security debug system"
fi

# Any of them exiting ends the demo, saying which (a service that stops for good has
# printed its reason on stderr already).
status=0
wait -n "${pids[@]}" || status=$?
for i in "${!pids[@]}"; do
  if ! kill -0 "${pids[$i]}" 2>/dev/null; then
    echo "${names[$i]} exited (status $status); stopping the demo" >&2
    break
  fi
done
exit 1
