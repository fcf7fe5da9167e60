#!/usr/bin/env bash
# The full-swap benchmark: a process fills 3/4 of memory, forks, and the
# child rewrites half of that, on a machine with 8 MiB of swap — swap fills
# early and memory runs out, so the page daemon works with a full swap and
# the out-of-memory killer ends it. Runs mem=64M, 128M, 256M and 1G in one
# go and prints a Markdown table: elapsed and CPU time, the page daemon's
# counters (from `uvmsim run --stats-json`), and each size's CPU time over
# the previous one's (CPU time, user + system, because elapsed time on a
# shared machine measures the other load as much as the run; both are
# shown, with the load average before and after). Each size runs
# FULL_SWAP_REPS times (default 5) and the table gives the medians: a run
# of a tenth of a second varies by 2-3x here with what the host does
# (first touches of the memory backing the machine), which a single run
# would put into the ratios. The counters must be the same in every run.
#
# usage: scripts/full_swap_bench.sh [UVMSIM] [SIZES...]   (default build/uvmsim; 64M 128M 256M 1G)
set -euo pipefail
uvmsim=${1:-build/uvmsim}
shift || true
sizes=("$@")
[[ ${#sizes[@]} -eq 0 ]] && sizes=(64M 128M 256M 1G)
reps=${FULL_SWAP_REPS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mib() {  # 64M -> 64, 1G -> 1024
  local s=$1
  case $s in *G) echo $(( ${s%G} * 1024 ));; *M) echo "${s%M}";; *) echo "bad size $s" >&2; exit 2;; esac
}

load0=$(cut -d' ' -f1 /proc/loadavg)
echo "| mem | elapsed (s), median | CPU (s), median | CPU per doubling | pdscans | pdswapfull | pdwoke | pdskips | oom_kills |"
echo "|---|---|---|---|---|---|---|---|---|"
prev=""; prevm=""
for s in "${sizes[@]}"; do
  m=$(mib "$s")
  fill=$(( m * 3 / 4 )); rewrite=$(( m * 3 / 8 ))
  cat > "$tmp/w.scen" <<SCEN
machine mem=${m}M swap=8M backend=soft
spawn p
p mmap 0x10000000 ${fill}M rw private anon
p fill 0x10000000 ${fill}M 0x5a
p fork c
c fill 0x10000000 ${rewrite}M 0xa5
SCEN
  # Elapsed, user and system time of each whole run (bash's own `time`).
  TIMEFORMAT='%R %U %S'
  : > "$tmp/times"
  for ((r = 0; r < reps; r++)); do
    { time "$uvmsim" run --stats-json "$tmp/s$r.json" "$tmp/w.scen" > /dev/null 2> "$tmp/err"; } 2>> "$tmp/times" \
      || { cat "$tmp/err" >&2; exit 1; }
  done
  python3 - "$tmp" "$reps" "$s" "$prev" "$m" "$prevm" <<'PY'
import json, math, statistics, sys
tmp, reps, size, prev, m, prevm = sys.argv[1:]
reps = int(reps)
times = [tuple(map(float, line.split())) for line in open(f"{tmp}/times")]
el = statistics.median(t[0] for t in times)
cpu = statistics.median(t[1] + t[2] for t in times)
runs = [json.load(open(f"{tmp}/s{r}.json")) for r in range(reps)]
runs = [d.get("machine", d) for d in runs]
if any(u != runs[0] for u in runs[1:]):
    sys.exit(f"full_swap_bench: {size}: the counters differ between runs")
u = runs[0]
# Over the previous size, per doubling of memory (1G after 256M: two).
ratio = f"{(cpu / float(prev)) ** (1 / math.log2(int(m) / int(prevm))):.2f}" if prev else "–"
print(f"| {size} | {el:.2f} | {cpu:.2f} | {ratio} | {u['pdscans']} | {u['pdswapfull']} | {u['pdwoke']} | {u.get('pdskips', '–')} | {u['oom_kills']} |")
open(f"{tmp}/cpu", "w").write(f"{cpu}\n")
PY
  prev=$(cat "$tmp/cpu"); prevm=$m
done
echo
echo "Load average before / after: $load0 / $(cut -d' ' -f1 /proc/loadavg) ($(nproc) CPUs)."
