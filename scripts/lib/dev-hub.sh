# Starts `herald-hub --dev` on a free loopback port and reads its address and publisher
# token from its stdout. Source, then: start_dev_hub BIN → sets DEV_HUB_PID, DEV_HUB_ADDR,
# DEV_HUB_TOKEN (stop it with `kill "$DEV_HUB_PID"`). Polls the log (bounded), no fixed sleep.
start_dev_hub() {
  local bin=$1
  DEV_HUB_LOG=$(mktemp)
  # `--dev` refuses configured keys: keep any from this shell away from it.
  env -u HERALD_JWT_SECRET -u HERALD_JWT_PUBLIC_KEY -u HERALD_JWT_KEYS \
    "$bin" --dev --listen 127.0.0.1:0 >"$DEV_HUB_LOG" 2>/dev/null &
  DEV_HUB_PID=$!
  for _ in $(seq 200); do grep -q "publisher token" "$DEV_HUB_LOG" && break; sleep 0.05; done
  DEV_HUB_ADDR=$(sed -n 's#.*on http://\([0-9.:]*\) .*#\1#p' "$DEV_HUB_LOG" | head -1)
  DEV_HUB_TOKEN=$(sed -n 's/^publisher token .*: //p' "$DEV_HUB_LOG" | head -1)
  if [ -z "$DEV_HUB_ADDR" ] || [ -z "$DEV_HUB_TOKEN" ]; then
    echo "the dev hub did not start:" >&2
    cat "$DEV_HUB_LOG" >&2
    return 1
  fi
}
