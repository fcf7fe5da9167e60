#!/usr/bin/env bash
# Compares uvmsim_bench between two revisions in one run on one machine.
# Builds each revision's uvmsim_bench in Release (in a temporary git worktree
# that is removed again), runs the two binaries interleaved ROUNDS times
# (old, new, old, new, ...) so that both see the same changes in machine load,
# and prints every figure's median over the rounds, new/old, and a flag when
# new/old falls outside [0.95, 1.05].
#
#   scripts/bench_compare.sh OLD_REV NEW_REV [ROUNDS]    ROUNDS defaults to 5
#
#   BENCH_REPS=9           repetitions inside each run (uvmsim_bench --reps)
#   BENCH_QUICK=1          small sizes (uvmsim_bench --quick), to check the pipeline
#   BENCHCMP_JOBS=N        build parallelism (default: number of CPUs)
#   BENCHCMP_TOLERANCE=T   the band is [1-T, 1+T] (default 0.05)
#   BENCHCMP_REBUILD=1     rebuild binaries already built for a commit
#
# Everything goes to build-benchcmp/: bin/ (one binary per commit, reused by
# later comparisons), runs/ (each run's JSON and text output) and compare.txt
# (the table). Uses ccache when it is installed.
set -euo pipefail
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
cd "$(dirname "$0")/.."
root=$PWD
old_rev=$1
new_rev=$2
rounds=${3:-5}
if ! [[ "$rounds" =~ ^[1-9][0-9]*$ ]]; then
  echo "bench_compare: ROUNDS must be a positive number, not '$rounds'" >&2
  exit 2
fi
. scripts/revisions.sh
old_sha=$(rev_sha bench_compare "$old_rev")
new_sha=$(rev_sha bench_compare "$new_rev")
PY=python3
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; fi

out=$root/build-benchcmp
mkdir -p "$out/bin" "$out/runs"

# build SHA: leaves build-benchcmp/bin/uvmsim_bench-SHA.
build() {
  local sha=$1 bin=$out/bin/uvmsim_bench-$1
  if reusable bench_compare "$bin" "${BENCHCMP_REBUILD:-0}"; then return; fi
  local src=$out/src-$sha
  add_worktree "$src" "$sha"
  if [ ! -f "$src/bench/CMakeLists.txt" ]; then
    echo "bench_compare: revision ${sha:0:12} has no bench/CMakeLists.txt" >&2
    exit 1
  fi
  # The build directory sits inside the worktree (the same layout as a
  # plain checkout's build directory, so a compiler cache finds its objects).
  local build=$src/build-bench
  if grep -qE '^[[:space:]]*add_subdirectory\(bench\)' "$src/CMakeLists.txt"; then
    cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DUVMSIM_BUILD_TESTS=OFF "${launcher[@]}" >/dev/null
  else
    # Revisions whose top-level CMakeLists.txt does not add bench/ yet: the
    # wrapper project scripts/bench.sh uses.
    configure_wrapper "$build" "$src" "add_subdirectory(\"$src/bench\" bench)"
  fi
  build_into bench_compare "$sha" "$build" uvmsim_bench bench/uvmsim_bench "$bin"
}

bash scripts/deps.sh
build "$old_sha"
build "$new_sha"

args=(--reps "${BENCH_REPS:-9}")
if [ "${BENCH_QUICK:-0}" = 1 ]; then args+=(--quick); fi
stamp=$(date -u +%Y%m%dT%H%M%SZ)
runs=$out/runs/$stamp
mkdir -p "$runs"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench_compare: old ${old_sha:0:12}, new ${new_sha:0:12}, $rounds rounds, ${args[*]}"
echo "bench_compare: load average at start: $load_start"
old_json=()
new_json=()
for ((r = 1; r <= rounds; r++)); do
  for side in old new; do
    if [ $side = old ]; then sha=$old_sha; else sha=$new_sha; fi
    json=$runs/$side-$r.json
    printf 'bench_compare: round %d/%d, %s ... ' "$r" "$rounds" "$side"
    start=$(date +%s)
    # A failed run is reported and left out; the table is made from the rest.
    if "$out/bin/uvmsim_bench-$sha" --json "$json" "${args[@]}" >"$runs/$side-$r.txt" 2>&1; then
      echo "$(($(date +%s) - start)) s"
      if [ $side = old ]; then old_json+=("$json"); else new_json+=("$json"); fi
    else
      echo "FAILED (see $runs/$side-$r.txt)"
    fi
  done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench_compare: load average at end: $load_end"
if [ ${#old_json[@]} -eq 0 ] || [ ${#new_json[@]} -eq 0 ]; then
  echo "bench_compare: no successful run on one side; nothing to compare" >&2
  exit 1
fi

{
  echo "old ${old_sha:0:12} ($old_rev), new ${new_sha:0:12} ($new_rev)"
  echo "rounds: $rounds interleaved (old ${#old_json[@]} ok, new ${#new_json[@]} ok), ${args[*]}"
  echo "load average: $load_start at start, $load_end at end"
  echo
  "$PY" scripts/bench_compare.py --tolerance "${BENCHCMP_TOLERANCE:-0.05}" \
    --old "${old_json[@]}" --new "${new_json[@]}"
} | tee "$runs/compare.txt"
cp "$runs/compare.txt" "$out/compare.txt"
