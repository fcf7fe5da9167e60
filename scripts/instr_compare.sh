#!/usr/bin/env bash
# Compares the instructions each operation costs at two revisions, exactly.
# Wall-clock comparisons (bench_compare.sh) need a quiet machine; these
# counts do not vary between runs, so they tell whether two revisions do the
# same work per operation even where timing cannot. They do not see memory
# behaviour (cache misses, host page faults): a change in wall clock with
# equal counts is memory, not work.
#
#   scripts/instr_compare.sh OLD_REV NEW_REV
#
# Builds bench/instr_count.cpp of this checkout against each revision's
# library in Release (in a temporary git worktree, removed again), runs each
# operation under callgrind (valgrind --tool=callgrind) collecting only
# around the operations, and prints instructions per operation for both and
# new/old. Binaries are kept in build-benchcmp/bin/instr_count-SHA
# (INSTRCMP_REBUILD=1 rebuilds them); the table goes to
# build-benchcmp/instr_compare.txt too. Both revisions need the public API
# instr_count uses (Machine::Create, spawn, mmap, fill, read, fork, exit).
set -euo pipefail
if [ $# -ne 2 ]; then
  sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
cd "$(dirname "$0")/.."
root=$PWD
. scripts/revisions.sh
old_sha=$(rev_sha instr_compare "$1")
new_sha=$(rev_sha instr_compare "$2")
out=$root/build-benchcmp
mkdir -p "$out/bin"

# build SHA: leaves build-benchcmp/bin/instr_count-SHA, this checkout's
# driver linked with that revision's library (a wrapper project adds both).
build() {
  local sha=$1 bin=$out/bin/instr_count-$1
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

# per_op SHA OP N: instructions per operation (callgrind's total over the
# count of operations the driver reports).
per_op() {
  local f
  f=$(mktemp)
  local ops
  ops=$(valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$f" \
    "$out/bin/instr_count-$1" "$2" "$3" 2>/dev/null | awk '{print $3}')
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
