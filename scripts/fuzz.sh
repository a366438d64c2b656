#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS each (default 10): docs/fuzzing.md.
#
#   ./scripts/fuzz.sh [SECONDS]
#
# Installs cargo-fuzz (and nightly) if missing, builds all targets once (release, with debug
# assertions and overflow checks: `-a`), then runs each on a working corpus in
# fuzz/corpus/<target>/ (gitignored; created from the committed seeds in fuzz/seeds/<target>/,
# and kept between runs so later runs start from what earlier ones found). Prints one line
# per target: execs, execs/s, coverage (cov:), corpus size and crashes. A crash leaves its
# input in fuzz/artifacts/<target>/ and makes the script exit non-zero after all targets ran.
#
# Environment:
#   CARGO_TARGET_DIR   build directory (default: fuzz/target)
#   FUZZ_TARGETS       space-separated subset of targets (default: all five)
#   FUZZ_JOBS          parallel targets (default 1; each uses one core)
#   FUZZ_SANITIZER     address (default) or none: the short CI run uses none, which builds
#                      in a fraction of the time; our crates forbid `unsafe`, so AddressSanitizer
#                      mostly watches dependencies — long runs keep it on
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh

seconds=${1:-10}
case $seconds in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
targets=${FUZZ_TARGETS:-"frame_decode envelope_decode jwt_claims channel_subject ws_read_loop"}

# Longest input per target: enough for any frame or token the protocol allows and small
# enough to keep executions fast. ws_read_loop needs room for several frames; the 64 KiB
# limit (1009) is reached through frame headers that claim large lengths.
max_len() {
  case $1 in
    frame_decode | envelope_decode) echo 16384 ;;
    jwt_claims) echo 4096 ;;
    channel_subject) echo 2048 ;;
    ws_read_loop) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
started=$(now)

ensure_cargo_fuzz
target_dir=${CARGO_TARGET_DIR:-$PWD/fuzz/target}
case $target_dir in /*) ;; *) target_dir=$PWD/$target_dir ;; esac
export CARGO_TARGET_DIR=$target_dir

echo "fuzz: building the targets"
build_started=$(now)
(cd fuzz && cargo +nightly fuzz build -a -s "${FUZZ_SANITIZER:-address}")
echo "fuzz: built in $(since "$build_started") s"
bin_dir=$target_dir/$(rustc +nightly -vV | awk '/^host:/ {print $2}')/release

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
failed=0
for target in $targets; do
  corpus=fuzz/corpus/$target
  artifacts=fuzz/artifacts/$target
  mkdir -p "$corpus" "$artifacts"
  cp -n fuzz/seeds/"$target"/* "$corpus"/ 2>/dev/null || true
  log=$logs/$target.log
  status=0
  "$bin_dir/$target" "$corpus" fuzz/seeds/"$target" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len="$(max_len "$target")" \
    -timeout=10 -artifact_prefix="$artifacts/" -print_final_stats=1 > "$log" 2>&1 || status=$?
  execs=$(awk '/stat::number_of_executed_units:/ {print $2}' "$log")
  rate=$(awk '/stat::average_exec_per_sec:/ {print $2}' "$log")
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
  corp=$(grep -oE 'corp: [0-9]+' "$log" | tail -1 | awk '{print $2}')
  crashes=$(grep -c 'Test unit written to' "$log" || true)
  if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
  printf 'fuzz %-16s %10s execs %8s execs/s  cov: %-6s corpus: %-5s %s crashes\n' \
    "$target" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${corp:-?}" "$crashes"
  if [ "$crashes" -ne 0 ]; then
    failed=1
    grep -E 'panicked|ERROR|SUMMARY|Test unit written|assert' "$log" | head -20 | sed 's/^/    /'
  fi
done
echo "fuzz: total $(since "$started") s"
if [ "$failed" -ne 0 ]; then
  echo "fuzz: FAILED: crash inputs are in fuzz/artifacts/ (docs/fuzzing.md: reproduce and minimise)" >&2
  exit 1
fi
