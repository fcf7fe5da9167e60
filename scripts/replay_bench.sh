#!/usr/bin/env bash
# The replay benchmarks of docs/replay.md: a memory trace of a real program
# (gzip compressing 3 MB of the uvmsim binary, recorded by valgrind's
# lackey, its first 30 million lines), then
#   1. textbook mode, lackey text from a file, parsing included;
#   2. uvm mode, memory large enough that every access after the first touch
#      of a page hits a resident page;
#   3. a 64-point miss-ratio curve of a 10^7-access prefix on two threads:
#      LRU (one pass) and FIFO (one replay per point);
#   4. the plot of docs/img/replay_mrc.png.
# Elapsed and CPU seconds are both printed: on a shared machine the CPU time
# is what the replay itself cost.
#   scripts/replay_bench.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
build=${1:-build}
work=${2:-$(mktemp -d)}
uvmsim=$build/uvmsim
mkdir -p "$work"
trace=$work/gzip.lackey
short=$work/gzip10m.lackey

if [ ! -s "$trace" ]; then
  head -c 3000000 "$uvmsim" > "$work/input.txt"  # 3 MB of a binary to compress
  # 30 million lines of trace; head closes the pipe and valgrind stops.
  (valgrind --tool=lackey --trace-mem=yes --log-fd=3 gzip -c "$work/input.txt" 3>&1 >/dev/null 2>/dev/null \
    | head -n 30000000 > "$trace") || true
fi
head -n 10000000 "$trace" > "$short"
echo "trace: $(wc -l < "$trace") lines, $(du -h "$trace" | cut -f1); load: $(cut -d' ' -f1-3 /proc/loadavg)"

run() {  # label, accesses-line-source, command...
  local label=$1
  shift
  /usr/bin/time -f "$label: elapsed %e s, cpu %U+%S s" "$@" > "$work/out.txt" 2> "$work/time.txt"
  grep -E '^(accesses|faults|hits) ' "$work/out.txt" | tr '\n' ' ' || true
  tail -1 "$work/time.txt"
}

run "textbook lru 256 frames" "$uvmsim" replay --policy lru --frames 256 "$trace"
run "textbook fifo 256 frames" "$uvmsim" replay --policy fifo --frames 256 "$trace"
run "uvm clock 64M (resident hits)" "$uvmsim" replay --mode uvm --mem 64M --policy clock "$trace"
run "mrc lru 64 points (stack)" "$uvmsim" replay --policy lru --mrc 4:256:4 --threads 2 "$short"
head -1 "$work/out.txt"
run "mrc fifo 64 points (2 threads)" "$uvmsim" replay --policy fifo --mrc 4:256:4 --threads 2 "$short"
run "mrc arc 64 points (2 threads)" "$uvmsim" replay --policy arc --mrc 4:256:4 --threads 2 "$short"
run "mrc opt 64 points (2 threads)" "$uvmsim" replay --policy opt --mrc 4:256:4 --threads 2 "$short"
run "plot" "$uvmsim" replay --policy opt,lru,arc,clock,fifo,random --mrc 4:64:2 --threads 2 \
  --plot docs/img/replay_mrc.png "$short"
cat "$work/out.txt" | head -20
