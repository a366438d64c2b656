#!/usr/bin/env bash
# Redis cells for docs/benchmarks.md (issue 8), a benchmark (not a test): ./scripts/bench-redis.sh
# Fan-out through two hubs on one Redis vs one
# hub on the memory broker, and the publish rate one hub sustains on each broker.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/target/release/herald-hub
LG=${PEERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/herald-bench-peers}/target/release/wsfanout-loadgen
[ -x "$LG" ] || { echo "build the loadgen first: ../shared/bench-peers/run.sh --setup-only herald" >&2; exit 1; }
cargo build -q --release --locked -p herald-hub --features redis
export HERALD_JWT_SECRET=bench-secret-$$-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RPORT=$(free_port); RDIR=$(mktemp -d)
taskset -c 0 redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$RDIR" >"$RDIR/log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do redis-cli -p "$RPORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
start_hub() { # extra args... ; sets HUB_PID HUB_ADDR
  local log; log=$(mktemp)
  taskset -c 0 "$BIN" --listen 127.0.0.1:0 --publish-rate 100000000 --max-connections-per-user 100000 "$@" 2>"$log" >/dev/null &
  HUB_PID=$!; pids+=($HUB_PID)
  for _ in $(seq 100); do HUB_ADDR=$(grep -o 'addr=127.0.0.1:[0-9]*' "$log" | head -1 | cut -d= -f2 || true); [ -n "$HUB_ADDR" ] && break; sleep 0.1; done
}
run() { # label subs rate sub_addr pub_addr server_pid [duration]
  taskset -c 1 "$LG" --proto herald --url "ws://$4/ws" --pub-url "ws://$5/ws" --subs "$2" --rate "$3" \
    --duration "${7:-10}" --server-pid "$6" --label "$1" 2>&1 | grep -E "delivered|published|server rss" | sed "s/^/[$1 $2:$3] /" || true
}
echo "== memory broker, one hub"
start_hub; MEM_PID=$HUB_PID; MEM=$HUB_ADDR
run memory 1000 100 "$MEM" "$MEM" "$MEM_PID"
run memory 1000 200 "$MEM" "$MEM" "$MEM_PID"
echo "== Redis broker, subscribers on hub A, publishers on hub B"
start_hub --broker "redis://127.0.0.1:$RPORT"; A_PID=$HUB_PID; A=$HUB_ADDR
start_hub --broker "redis://127.0.0.1:$RPORT"; B=$HUB_ADDR
run redis-2hubs 1000 100 "$A" "$B" "$A_PID"
run redis-2hubs 1000 200 "$A" "$B" "$A_PID"
echo "== publish rate (10 subscribers, offered 40k/s for 5 s, 4 publisher connections)"
run memory-pub 10 40000 "$MEM" "$MEM" "$MEM_PID" 5
run redis-pub 10 40000 "$A" "$A" "$A_PID" 5
