#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (UVMSIM_FUZZ=ON, in build-fuzz/)
# and runs each for SECONDS (default 60), one after the other, one process.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     TARGET: scenario api trace
#
# Seeds: the examples' and tests' scenarios (fuzz/make_corpus.py),
# fuzz/corpus/TARGET and fuzz/regressions/TARGET. What a run learns stays in
# build-fuzz/corpus/TARGET for the next run. A finding stops that target:
# the script prints the reproducer's path (build-fuzz/findings/TARGET/...),
# goes on with the other targets and exits 1. Replay a reproducer with
#   build-fuzz/fuzz/fuzz_TARGET FILE
# (scenario reproducers are scripts: `uvmsim run --check FILE` too).
# FUZZ_BUILD_DIR and FUZZ_ARGS (extra libFuzzer flags) change the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(scenario api trace); fi
bash scripts/deps.sh --fuzz
build=${FUZZ_BUILD_DIR:-build-fuzz}

start=$(date +%s)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUVMSIM_FUZZ=ON \
  -DUVMSIM_BUILD_TESTS=OFF -DUVMSIM_WERROR=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$build" -j "$(nproc)" --target fuzz_targets
echo "fuzz: targets built in $(($(date +%s) - start)) s"

status=0
for t in "${targets[@]}"; do
  bin=$build/fuzz/fuzz_$t
  if [ ! -x "$bin" ]; then
    echo "fuzz: no target '$t' (scenario, api, trace)" >&2
    exit 2
  fi
  corpus=$build/corpus/$t
  findings=$build/findings/$t
  mkdir -p "$corpus" "$findings"
  seeds=()
  if [ "$t" = scenario ]; then
    python3 fuzz/make_corpus.py "$build/seeds/scenario" >/dev/null
    seeds+=("$build/seeds/scenario")
  fi
  for d in fuzz/corpus/$t fuzz/regressions/$t; do
    if [ -d "$d" ]; then seeds+=("$d"); fi
  done
  log=$build/fuzz-$t.log
  echo "== fuzz $t: $secs s =="
  rc=0
  # -timeout: one input running this long is a hang. -rss_limit_mb: the
  # sanitizers' shadow memory included; a 256M machine with dumps fits.
  # shellcheck disable=SC2086
  "$bin" -max_total_time="$secs" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$findings/" ${FUZZ_ARGS:-} "$corpus" "${seeds[@]}" >"$log" 2>&1 || rc=$?
  grep -E '^#[0-9]+.*DONE|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log" || true
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
  echo "fuzz $t: ${cov:-no coverage line}, corpus $(find "$corpus" -type f | wc -l) files"
  if [ $rc -ne 0 ]; then
    status=1
    tail -60 "$log"
    echo "fuzz $t: FOUND A PROBLEM (exit $rc); reproducer:" >&2
    grep -oE "Test unit written to [^ ]+" "$log" | sed 's/^Test unit written to /  /' >&2 || true
    echo "  replay it: $bin FILE; full log: $log" >&2
  fi
done
exit $status
