#!/usr/bin/env bash
# Builds uvmsim_bench in Release, runs it (uvmsim soft backend and, when
# usable, kvm, side by side with the host kernel) and regenerates
# docs/results.md and docs/img/*.png from its JSON output.
#
#   scripts/bench.sh            full run (about a minute; 2 cores)
#   scripts/bench.sh --quick    small sizes, for checking the pipeline
#   BENCH_REPS=11 scripts/bench.sh
#
# Installs what is missing with apt-get (build deps, python3-matplotlib).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash scripts/deps.sh
. scripts/plot_python.sh

build=${BENCH_BUILD_DIR:-$root/build-bench}
if grep -qE '^[[:space:]]*add_subdirectory\(bench\)' CMakeLists.txt; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DUVMSIM_BUILD_TESTS=OFF >/dev/null
  bench_bin=$build/bench/uvmsim_bench
else
  # Until the top-level CMakeLists.txt adds bench/: a wrapper project.
  wrap=$build/wrapper
  mkdir -p "$wrap"
  cat >"$wrap/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.25)
project(uvmsim_bench_wrapper LANGUAGES C CXX ASM)
add_subdirectory("$root" uvmsim)
add_subdirectory("$root/bench" bench)
CM
  cmake -S "$wrap" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DUVMSIM_BUILD_TESTS=OFF >/dev/null
  bench_bin=$build/bench/uvmsim_bench
fi
cmake --build "$build" --target uvmsim_bench -j "$(nproc)"

mkdir -p docs/img
json=$build/results.json
args=(--json "$json" --reps "${BENCH_REPS:-9}")
if [ "${1:-}" = "--quick" ]; then args+=(--quick); fi
"$bench_bin" "${args[@]}" | tee "$build/results.txt"
# The kvm backend's own benchmark (floor, model overhead, fault-ahead scan,
# warm loops), when the kvm backend is built and /dev/kvm is usable; its
# report goes into docs/results.md next to the soft figures.
rm -f "$build/kvm_bench.txt"
if cmake --build "$build" --target kvm_bench -j "$(nproc)" >/dev/null 2>&1; then
  if "$build/kvm_bench" 1000 7 >"$build/kvm_bench.txt.tmp" 2>&1; then
    mv "$build/kvm_bench.txt.tmp" "$build/kvm_bench.txt"
    cat "$build/kvm_bench.txt"
  else
    echo "uvmsim: kvm_bench did not run: $(tail -1 "$build/kvm_bench.txt.tmp")"
  fi
  rm -f "$build/kvm_bench.txt.tmp"
fi
# The full-swap benchmark through the command (scripts/full_swap_bench.sh):
# its table goes into docs/results.md too.
rm -f "$build/full_swap.md"
if cmake --build "$build" --target uvmsim_cli -j "$(nproc)" >/dev/null 2>&1; then
  cli=$(find "$build" -maxdepth 2 -type f -name uvmsim -perm -u+x | head -1)
  if [ -n "$cli" ]; then bash scripts/full_swap_bench.sh "$cli" | tee "$build/full_swap.md"; fi
fi
# A whole multi-GiB workload against a host process (bench/bigmem_bench.cpp):
# 1, 2 and 4 GiB (64-256 MiB in quick mode), interleaved rounds.
rm -f "$build/bigmem.json"
if cmake --build "$build" --target bigmem_bench -j "$(nproc)" >/dev/null 2>&1; then
  if [ "${1:-}" = "--quick" ]; then big=(--mib 64,128,256 --reps 1); else big=(--sizes 1,2,4 --reps "${BIGMEM_REPS:-3}"); fi
  "$build/bench/bigmem_bench" "${big[@]}" --json "$build/bigmem.json"
fi
"$PY" scripts/plot_results.py "$json" docs/results.md docs/img
echo "wrote docs/results.md and docs/img/"
