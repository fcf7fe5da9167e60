#!/usr/bin/env bash
# Compares what each operation costs at two revisions: instructions exactly,
# or host time in many short interleaved runs.
#
#   scripts/instr_compare.sh OLD_REV NEW_REV
#   scripts/instr_compare.sh --wall ROUNDS OLD_REV NEW_REV
#
# Builds bench/instr_count.cpp of this checkout against each revision's
# library in Release (in a temporary git worktree, removed again).
#
# Default: runs each operation under callgrind (valgrind --tool=callgrind)
# collecting only around the operations, and prints instructions per
# operation for both and new/old. The counts do not vary between runs, so
# they tell whether two revisions do the same work even where timing cannot;
# they do not see memory behaviour (cache misses, host page faults).
#
# --wall: runs each operation natively ROUNDS times per side, on a machine
# first brought to a steady state (instr_count's "warm"), old and new back
# to back in every round (which goes first alternates), and prints the
# median nanoseconds per operation of each side, the median of the rounds'
# new/old ratios and their middle half (25th-75th percentile). A pair runs
# within about a second, so slow drifts of a noisy host cancel in its ratio,
# which whole-benchmark runs minutes apart (bench_compare.sh) cannot do.
#
# Binaries are kept in build-benchcmp/bin/instr_count-SHA-DRIVER (DRIVER:
# a hash of instr_count.cpp; INSTRCMP_REBUILD=1 rebuilds them); the table
# goes to build-benchcmp/instr_compare.txt (--wall: wall_compare.txt, and
# each run's line in wall_samples.txt) too.
# Both revisions need the public API instr_count uses (Machine::Create,
# spawn, mmap, fill, read, fork, exit).
set -euo pipefail
usage() {
  awk 'NR > 1 && !/^#/ {exit} NR > 1' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}
wall_rounds=0
if [ "${1:-}" = --wall ]; then
  wall_rounds=${2:-}
  if ! [[ "$wall_rounds" =~ ^[1-9][0-9]*$ ]]; then
    echo "instr_compare: --wall needs a positive number of rounds, not '$wall_rounds'" >&2
    exit 2
  fi
  shift 2
fi
[ $# -eq 2 ] || usage
cd "$(dirname "$0")/.."
root=$PWD
. scripts/revisions.sh
old_sha=$(rev_sha instr_compare "$1")
new_sha=$(rev_sha instr_compare "$2")
out=$root/build-benchcmp
mkdir -p "$out/bin"

# The driver's source is part of the binary's name: a changed driver is
# built again for every revision.
driver=$(sha1sum bench/instr_count.cpp | cut -c1-8)
bin_of() { echo "$out/bin/instr_count-$1-$driver"; }

# build SHA: leaves bin_of SHA, this checkout's driver linked with that
# revision's library (a wrapper project adds both).
build() {
  local sha=$1 bin
  bin=$(bin_of "$1")
  if reusable instr_compare "$bin" "${INSTRCMP_REBUILD:-0}"; then return; fi
  local src=$out/src-$sha
  add_worktree "$src" "$sha"
  local build=$src/build-instr
  configure_wrapper "$build" "$src" "add_executable(instr_count_driver \"$root/bench/instr_count.cpp\")" \
    "target_link_libraries(instr_count_driver PRIVATE uvmsim)"
  build_into instr_compare "$sha" "$build" instr_count_driver instr_count_driver "$bin"
}

bash scripts/deps.sh
build "$old_sha"
build "$new_sha"

# --wall: ROUNDS rounds of every operation, old and new back to back.
if [ "$wall_rounds" -gt 0 ]; then
  PY=python3
  if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; fi
  samples=$out/wall_samples.txt  # every run: round side op n ops ns
  : >"$samples"
  load_start=$(cut -d' ' -f1-3 /proc/loadavg)
  for ((r = 1; r <= wall_rounds; r++)); do
    while read -r op n; do
      if ((r % 2)); then sides="old new"; else sides="new old"; fi
      for side in $sides; do
        if [ "$side" = old ]; then sha=$old_sha; else sha=$new_sha; fi
        line=$("$(bin_of "$sha")" "$op" "$n" warm) || { echo "instr_compare: $op $n failed at ${sha:0:12}" >&2; exit 1; }
        echo "$r $side $line" >>"$samples"
      done
    done <<'OPS'
dz 65536
cow 65536
read 65536
fork 0
fork 1024
fork 8192
fork 65536
OPS
    printf 'instr_compare: round %d/%d done\r' "$r" "$wall_rounds" >&2
  done
  echo >&2
  load_end=$(cut -d' ' -f1-3 /proc/loadavg)
  {
    echo "old ${old_sha:0:12} ($1), new ${new_sha:0:12} ($2): host time per operation, $wall_rounds interleaved rounds"
    echo "load average: $load_start at start, $load_end at end"
    echo
    "$PY" - "$samples" <<'PYEOF'
import statistics, sys
from collections import defaultdict
ns = defaultdict(dict)  # (op, n) -> {(round, side): ns per op}
for line in open(sys.argv[1]):
    r, side, op, n, ops, total = line.split()
    ns[(op, int(n))][(int(r), side)] = int(total) / int(ops)
def q(v, f):
    v = sorted(v)
    return v[min(len(v) - 1, int(f * len(v)))]
print("| operation | old ns | new ns | new / old (median of rounds) | middle half |")
print("|---|---|---|---|---|")
for (op, n), d in ns.items():
    rounds = sorted({r for r, _ in d})
    ratios = [d[(r, "new")] / d[(r, "old")] for r in rounds]
    old = statistics.median(d[(r, "old")] for r in rounds)
    new = statistics.median(d[(r, "new")] for r in rounds)
    print(f"| {op} {n} | {old:,.1f} | {new:,.1f} | {statistics.median(ratios):.3f} | {q(ratios, 0.25):.3f}-{q(ratios, 0.75):.3f} |")
PYEOF
  } | tee "$out/wall_compare.txt"
  exit 0
fi

# per_op SHA OP N: instructions per operation (callgrind's total over the
# count of operations the driver reports).
per_op() {
  local f
  f=$(mktemp)
  local ops
  ops=$(valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$f" \
    "$(bin_of "$1")" "$2" "$3" 2>/dev/null | awk '{print $3}')
  local total
  total=$(awk '/^totals:/ {print $2}' "$f")
  rm -f "$f"
  if [ -z "$ops" ] || [ -z "$total" ] || [ "$ops" -eq 0 ]; then
    echo "instr_compare: $2 $3 failed at ${1:0:12}" >&2
    exit 1
  fi
  echo $((total / ops))
}

{
  echo "old ${old_sha:0:12} ($1), new ${new_sha:0:12} ($2): instructions per operation (callgrind)"
  echo
  echo "| operation | old | new | new / old |"
  echo "|---|---|---|---|"
  while read -r op n label; do
    o=$(per_op "$old_sha" "$op" "$n")
    w=$(per_op "$new_sha" "$op" "$n")
    printf '| %s | %d | %d | %s |\n' "$label" "$o" "$w" "$(awk -v a="$o" -v b="$w" 'BEGIN {printf "%.3f", b / a}')"
  done <<'OPS'
dz 8192 demand-zero fault
cow 8192 copy-on-write fault after fork
read 8192 read of a resident page
fork 0 fork + exit, no pages
fork 1024 fork + exit, 1024 touched pages
fork 8192 fork + exit, 8192 touched pages
OPS
} | tee "$out/instr_compare.txt"
