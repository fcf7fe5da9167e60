"""The big-machine section of docs/results.md (bench/bigmem_bench.cpp's JSON)
and its plot, docs/img/bigmem.png. Used by plot_results.py."""
import json
import os
import statistics

PHASES = [("fill", "fill 3/4"), ("fork", "fork"), ("cow", "child writes 1/4"),
          ("sums", "both sums"), ("whole", "whole")]

INTRO = """A machine of M bytes (swap M/4, soft backend) runs the workload
`p mmap 3M/4 rw private anon`, `p fill 3M/4 0x5a`, `p fork c`,
`c fill M/4 0x33`, `p sum 3M/4`, `c sum 3M/4` through the library; a real
host process does the same work (mmap, memset, fork, the child's memset, both
FNV-1a sums with the same function, the parent waiting for the child). Each
run is its own process, after one unrecorded run of each side at the
largest size; the two sides alternate in every round and must compute the
same sums. Before every run the benchmark touches and frees as much host
memory as the run will use: on a virtualised host, memory the host kernel
has left idle for a while goes back to the hypervisor, and touching it again
costs 20-40x more (2.4-4.7 s per GiB here, against 0.06-0.5 s for memory
just freed), so without this the cost of a run depended on what had run
before it rather than on the run. The simulated machine's memory is exactly full after
the child's writes, so it pages: the page daemon writes part of memory to
swap and the sums read it back (the same counters whatever the speed; a test
checks them on a 16 MiB machine). "host memory" is uvmsim's peak resident
set (`ru_maxrss`) against the simulated memory. Targets: the 4 GiB
workload at most 1.0x the host's time; host memory within 5 % of the
simulated memory; each doubling of memory at most 2.2x the time."""


def _col(side, key):
    if key == "sums":
        return [a + b for a, b in zip(side["sum_parent"], side["sum_child"])]
    return side[key]


def _plot(runs, path):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=120)
    keys = [k for k, _ in PHASES if k != "whole"]
    width = 0.38
    colors = ["#4c72b0", "#dd8452", "#55a868", "#c44e52"]
    for i, r in enumerate(runs):
        for j, (side, label) in enumerate([("host", "host"), ("uvmsim", "uvmsim")]):
            x = i + (j - 0.5) * width
            bottom = 0.0
            for k, key in enumerate(keys):
                v = statistics.median(_col(r[side], key))
                ax.bar(x, v, width * 0.95, bottom=bottom, color=colors[k],
                       hatch="" if side == "host" else "//", edgecolor="white",
                       label=f"{dict(PHASES)[key]}" if i == 0 and j == 0 else None)
                bottom += v
            ax.text(x, bottom, label, ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(runs)))
    ax.set_xticklabels([f"{r['mem_mib'] // 1024} GiB" if r["mem_mib"] >= 1024 else f"{r['mem_mib']} MiB"
                        for r in runs])
    ax.set_ylabel("seconds (median per phase)")
    ax.set_title("A whole workload: host process (plain) vs uvmsim soft backend (hatched)")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def bigmem_section(w, path, img_dir, rel):
    w("## 7. A big machine against the host")
    w("")
    w(INTRO)
    w("")
    if not os.path.exists(path):
        w("Not run (`bigmem_bench` was not built).")
        w("")
        return
    with open(path) as f:
        runs = json.load(f)["runs"]
    _plot(runs, os.path.join(img_dir, "bigmem.png"))
    w("| memory | phase | host | uvmsim | uvmsim / host |")
    w("|---|---|---|---|---|")
    for r in runs:
        for key, label in PHASES:
            h = statistics.median(_col(r["host"], key))
            u = statistics.median(_col(r["uvmsim"], key))
            ratios = [b / a for a, b in zip(_col(r["host"], key), _col(r["uvmsim"], key)) if a > 0]
            w(f"| {r['mem_mib']} MiB | {label} | {h:.3f} s | {u:.3f} s | "
              f"{statistics.median(ratios):.2f} |")
    w("")
    w("| memory | uvmsim host memory | / simulated | whole, uvmsim / host (per round) "
      "| time / previous size (median) | same, per round |")
    w("|---|---|---|---|---|---|")
    prev = None
    for r in runs:
        rss = statistics.median(r["uvmsim"]["maxrss_mib"])
        whole = statistics.median(r["uvmsim"]["whole"])
        per = ", ".join(f"{b / a:.2f}" for a, b in zip(r["host"]["whole"], r["uvmsim"]["whole"]))
        growth = f"{whole / prev[1]:.2f}x for {r['mem_mib'] / prev[0]:.0f}x memory" if prev else ""
        rounds = ", ".join(f"{b / a:.2f}" for a, b in zip(prev[2], r["uvmsim"]["whole"])) if prev else ""
        w(f"| {r['mem_mib']} MiB | {rss:.0f} MiB | {rss / r['mem_mib']:.3f} | {per} | {growth} | {rounds} |")
        prev = (r["mem_mib"], whole, r["uvmsim"]["whole"])
    w("")
    w(f"![phases of the big-machine workload]({rel}/bigmem.png)")
    w("")
