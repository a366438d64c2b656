#!/usr/bin/env bash
# The README's run command: builds and starts Herald's demo. Today that is the hub in
# `--dev` mode (it prints a subscriber and a publisher token); later issues add the
# example services and the live dashboard. Ctrl-C stops everything it started.
#
#   ./scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
ensure_wasm_target
cargo build --release --locked -p herald-hub
exec target/release/herald-hub --dev "$@"
