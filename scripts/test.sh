#!/usr/bin/env bash
# Builds uvmsim and runs the whole test suite (ctest). Installs missing
# packages first. With CI=true (or UVMSIM_SANITIZE=1) it also builds and runs
# the suite under AddressSanitizer + UndefinedBehaviorSanitizer; with CI=true
# (or UVMSIM_FUZZ_SECONDS=N) it also runs each fuzz target for
# UVMSIM_FUZZ_SECONDS (default 60) with scripts/fuzz.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc)

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUVMSIM_WERROR=ON
cmake --build build -j "$jobs"
status=0
(cd build && ctest --output-on-failure -j "$jobs") || status=$?

# Before the sanitizer build, so that ctest's summary stays the last lines.
if [ "${CI:-}" = "true" ] || [ -n "${UVMSIM_FUZZ_SECONDS:-}" ]; then
  echo "== fuzzing =="
  bash scripts/fuzz.sh "${UVMSIM_FUZZ_SECONDS:-60}" || status=$?
fi

if [ "${CI:-}" = "true" ] || [ "${UVMSIM_SANITIZE:-0}" = "1" ]; then
  echo "== ASan+UBSan build =="
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DUVMSIM_SANITIZE=ON
  cmake --build build-asan -j "$jobs"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure -j "$jobs") || status=$?
fi

exit $status
