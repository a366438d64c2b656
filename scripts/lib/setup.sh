# Idempotent installers shared by the README's two commands. Source, then call.
# Each checks first and installs only what is missing, so reruns cost nothing.

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
  fi
}

# wasm-bindgen-test-runner at exactly the wasm-bindgen version of Cargo.lock (docs/toolchain.md:
# no --locked, which fails on this registry).
ensure_wasm_bindgen_cli() {
  local want
  want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3}' Cargo.lock)
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    cargo install -f wasm-bindgen-cli --version "$want"
  fi
}

# Debian's Chromium and ChromeDriver for the browser tests (never a downloaded browser).
ensure_chromium() {
  if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    return
  fi
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  # --no-install-recommends and retries: the image deletes .debs between dpkg runs
  # (docs/toolchain.md, "System packages").
  for _ in 1 2 3; do
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver && break
  done
  command -v chromium >/dev/null && command -v chromedriver >/dev/null
}

# Debian's redis-server for the Redis broker tests (the tests start their own instances on
# free ports; the binary only has to exist).
ensure_redis_server() {
  command -v redis-server >/dev/null && return
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  for _ in 1 2 3; do
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends redis-server && break
  done
  command -v redis-server >/dev/null
}

# Debian's faketime (libfaketime) for the clock-skew tests (tests/tests/clock_skew.rs run the
# hub binary under `faketime -f '+10s' …`; without it they fail, naming this function).
ensure_faketime() {
  command -v faketime >/dev/null && return
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  for _ in 1 2 3; do
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends faketime && break
  done
  command -v faketime >/dev/null
}

# cargo-fuzz for the fuzz targets in fuzz/ (docs/toolchain.md: 0.13.2, about 1-2 min to build),
# and the nightly toolchain it needs (libFuzzer's sanitizer flags are nightly-only).
ensure_cargo_fuzz() {
  if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
  fi
  if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "0.13.2" ]; then
    cargo install -f cargo-fuzz --version 0.13.2 --locked
  fi
}
