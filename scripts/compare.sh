#!/usr/bin/env bash
# Compares UVM's anonymous memory (amaps) with the BSD VM's (shadow-object
# chains) on one workload kit, the same machines and the same pmap: builds
# bench/compare_models.cpp in Release, runs it (soft backend, and kvm where
# usable) and regenerates docs/comparison.md and docs/img/compare_*.png.
#
#   scripts/compare.sh            the full kit (about a minute)
#   scripts/compare.sh --quick    fewer generations and repetitions
#
# Installs what is missing with apt-get (build deps, python3-matplotlib).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash scripts/deps.sh
. scripts/plot_python.sh
build=${BENCH_BUILD_DIR:-$root/build-bench}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DUVMSIM_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target compare_models -j "$(nproc)"
args=(--json "$build/compare.json")
if [ "${1:-}" = "--quick" ]; then args+=(--quick --reps 3); fi
"$build/bench/compare_models" "${args[@]}" | tee "$build/compare.txt"
"$PY" scripts/compare_report.py "$build/compare.json" docs/comparison.md docs/img
echo "wrote docs/comparison.md and docs/img/compare_*.png"
