#!/usr/bin/env python3
"""Turns compare_models' JSON into docs/comparison.md and docs/img/compare_*.png.

usage: compare_report.py COMPARE.json OUT.md IMG_DIR
"""
import datetime
import os
import platform
import statistics

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from report_args import report_args  # noqa: E402

MODELS = ("amap", "shadow")


def held(step):
    """Pages of memory held by the model (anonymous and object pages)."""
    return step["anonpages"] + step["objpages"]


def runs_of(d, name, backend="soft"):
    return {w["model"]: w for w in d["workloads"] if w["name"] == name and w["backend"] == backend}


def plot_generations(d, names, path):
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), dpi=120)
    for name, style in zip(names, ("-", "--")):
        runs = runs_of(d, name)
        for model, color in (("amap", "#4c72b0"), ("shadow", "#dd8452")):
            steps = runs[model]["steps"][1:-1]
            x = list(range(1, len(steps) + 1))
            axes[0].plot(x, [held(s) for s in steps], style, color=color, label=f"{name}, {model}")
            if model == "shadow":
                axes[1].plot(x, [s.get("chain_max", 0) for s in steps], style, color="#c44e52",
                             label=f"{name}: longest chain")
                axes[1].plot(x, [s.get("hidden_pages", 0) for s in steps], style, color="#8172b2",
                             label=f"{name}: hidden pages")
    axes[0].set_xlabel("generation")
    axes[0].set_ylabel("pages held (anonymous + object)")
    axes[0].set_title("memory held")
    axes[1].set_xlabel("generation")
    axes[1].set_title("shadow model: chains and hidden pages")
    for ax in axes:
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_steps(d, name, path, title):
    runs = runs_of(d, name)
    fig, ax = plt.subplots(figsize=(7.5, 4), dpi=120)
    labels = [s["label"] for s in runs["amap"]["steps"]]
    for model, color in (("amap", "#4c72b0"), ("shadow", "#dd8452")):
        ax.plot(range(len(labels)), [held(s) for s in runs[model]["steps"]], "o-", color=color, label=model)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=20, ha="right", fontsize=7)
    ax.set_ylabel("pages held (anonymous + object)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def cost_ratios(c):
    return [s / a for a, s in zip(c["amap_ns"], c["shadow_ns"])]


def plot_costs(d, path):
    costs = d["costs"]
    several = len({c["backend"] for c in costs}) > 1
    fig, ax = plt.subplots(figsize=(7.5 if not several else 11, 3.8), dpi=120)
    names = [f"{c['figure']}\n{c['pages']} pages" + (f"\n{c['backend']}" if several else "") for c in costs]
    ratios = [statistics.median(cost_ratios(c)) for c in costs]
    ax.bar(range(len(costs)), ratios, color="#dd8452")
    ax.axhline(1.0, color="#4c72b0", linewidth=1, label="amap = 1")
    ax.axhline(1.5, color="#c44e52", linewidth=1, linestyle="--", label="target: 1.5")
    ax.set_xticks(range(len(costs)))
    ax.set_xticklabels(names, fontsize=8)
    ax.set_ylabel("shadow / amap time")
    ax.set_title("cost of the shadow model relative to amaps (one run" + ("; each backend" if several else "") + ")")
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def verdict(ok):
    return "met" if ok else "not met"


HISTOGRAM = ["chains_1", "chains_2", "chains_3_4", "chains_5_8", "chains_9_16", "chains_17up"]

FINAL_FIELDS = [
    ("faults", "faults"), ("flt_anon", "upper layer (case 1)"), ("flt_acow", "of which copies"),
    ("flt_przero", "zero-fill"), ("flt_prcopy", "promote from file"), ("pagecopies", "pages copied"),
    ("pgswapout", "swap-outs"), ("pgswapin", "swap-ins"),
    ("amap_copy", "amap copies"), ("ppref_establish", "ppref made"), ("amap_extend", "amap extends"),
    ("object_shadows", "shadows made"), ("object_collapses", "collapses"), ("object_bypasses", "bypasses"),
    ("object_splits", "splits"), ("object_coalesces", "coalesces"), ("cow_faults", "copy-ups"),
    ("cow_optim", "renames"),
]


def workload_section(w, d, name, n):
    runs = runs_of(d, name)
    a, s = runs["amap"], runs["shadow"]
    w(f"### {n}. {name}: {a['what']}")
    w("")
    w(f"Machine: {a['mem_mib']} MiB. Time is the whole workload's (includes the setup), one run each.")
    w("")
    w("| figure | amap | shadow |")
    w("|---|---|---|")
    w(f"| wall time | {a['seconds'] * 1e3:.1f} ms | {s['seconds'] * 1e3:.1f} ms |")
    # The other backends run the same workload: their times, and whether
    # every counter after every step is the same as on the soft backend.
    for b in sorted({x["backend"] for x in d["workloads"]} - {"soft"}):
        other = runs_of(d, name, b)
        if set(other) != {"amap", "shadow"}:
            continue
        w(f"| wall time, {b} | {other['amap']['seconds'] * 1e3:.1f} ms | {other['shadow']['seconds'] * 1e3:.1f} ms |")
        same = [other[m]["steps"] == runs[m]["steps"] for m in ("amap", "shadow")]
        w(f"| every counter after every step the same on {b} as on soft | {'yes' if same[0] else 'no'} | "
          f"{'yes' if same[1] else 'no'} |")
    w(f"| peak pages held | {max(held(x) for x in a['steps'])} | {max(held(x) for x in s['steps'])} |")
    w(f"| pages held at the end | {held(a['steps'][-1])} | {held(s['steps'][-1])} |")
    w(f"| peak swap slots in use | {max(x['swpginuse'] for x in a['steps'])} | "
      f"{max(x['swpginuse'] for x in s['steps'])} |")
    w(f"| longest chain (peak) | — | {max(x.get('chain_max', 0) for x in s['steps'])} |")
    peak = max(s["steps"], key=lambda x: (x.get("chain_max", 0), x.get("chain_mean_x100", 0)))
    w(f"| chain lengths when longest (entries with 1 / 2 / 3-4 / 5-8 / 9-16 / 17+ objects) | — | "
      + " / ".join(str(peak.get(k, 0)) for k in HISTOGRAM) + " |")
    w(f"| hidden pages (peak) / swap slots (peak) | — | {max(x.get('hidden_pages', 0) for x in s['steps'])} / "
      f"{max(x.get('hidden_swslots', 0) for x in s['steps'])} |")
    w(f"| structures (peak) | {max(x['amaps'] for x in a['steps'])} amaps, "
      f"{max(x['anons'] for x in a['steps'])} anons | {max(x.get('objects', 0) for x in s['steps'])} objects |")
    fa, fs = a["steps"][-1], s["steps"][-1]
    for key, label in FINAL_FIELDS:
        if fa.get(key, 0) or fs.get(key, 0):
            w(f"| {label} (`{key}`) | {fa.get(key, 0)} | {fs.get(key, 0)} |")
    w("")
    w("| step | pages held, amap | pages held, shadow | swap slots, amap | swap slots, shadow | "
      "chain (max) | hidden pages / swap slots |")
    w("|---|---|---|---|---|---|---|")
    for xa, xs in zip(a["steps"], s["steps"]):
        w(f"| {xa['label']} | {held(xa)} | {held(xs)} | {xa['swpginuse']} | {xs['swpginuse']} | "
          f"{xs.get('chain_max', 0)} | {xs.get('hidden_pages', 0)} / {xs.get('hidden_swslots', 0)} |")
    w("")


def main():
    d, _, out_md, img, rel = report_args(__doc__)
    plot_generations(d, ["fork_chain", "fork_tree"], os.path.join(img, "compare_generations.png"))
    plot_steps(d, "partial_unmap", os.path.join(img, "compare_unmap.png"),
               "partial unmap of copy-on-write memory: pages held")
    plot_costs(d, os.path.join(img, "compare_costs.png"))

    L = []
    w = L.append
    w("# UVM's amaps against the BSD VM's shadow chains")
    w("")
    w("Generated by `scripts/compare.sh` (program `bench/compare_models.cpp`, report by")
    w("`scripts/compare_report.py`); do not edit by hand. Both models run on the same")
    w("machine configuration, the same pmap and the same page daemon; only the")
    w("anonymous-memory layer differs (`MachineConfig::anon_model`, `machine anon=`).")
    w(f"Host: {platform.machine()}, Linux {platform.release()}, "
      f"{datetime.date.today().isoformat()}. Backends run: "
      f"{', '.join(sorted({x['backend'] for x in d['workloads']}))}.")
    w("")
    # --- targets
    costs = d["costs"]
    w("## Targets")
    w("")
    w("| figure | shadow / amap (median of per-round ratios; rounds) | target | |")
    w("|---|---|---|---|")
    for c in costs:
        r = cost_ratios(c)
        w(f"| {c['figure']}, {c['pages']} pages, {c['backend']} | {statistics.median(r):.2f} "
          f"({', '.join(f'{x:.2f}' for x in r)}) | ≤ 1.5 | {verdict(statistics.median(r) <= 1.5)} |")
    ends_clean = all(
        held(x["steps"][-1]) == (512 if x["name"] == "file_and_growth" else 0)
        and x["steps"][-1]["swpginuse"] == 0 and x["steps"][-1].get("hidden_pages", 0) == 0
        for x in d["workloads"])
    w(f"| after every workload: no pages, swap slots or hidden pages left (the file's 512 cached pages "
      f"excepted) | {'yes' if ends_clean else 'no'} | nothing leaked | {verdict(ends_clean)} |")
    w("")
    w(f"![shadow/amap cost ratios]({rel}/compare_costs.png)")
    w("")
    w("## Workloads")
    w("")
    w("Pages held = anonymous pages (amap model) plus object pages (shadow model;")
    w("file pages count on both sides). Hidden pages: pages of anonymous objects that")
    w("no mapping can reach (shadowed in every chain that still uses the object) —")
    w("the memory the BSD VM holds until a collapse, and UVM's design does not have.")
    w("")
    names = []
    for x in d["workloads"]:
        if x["name"] not in names:
            names.append(x["name"])
    for i, name in enumerate(names, 1):
        workload_section(w, d, name, i)
        if name == "fork_tree":
            w(f"![memory, chains and hidden pages over generations]({rel}/compare_generations.png)")
            w("")
        if name == "partial_unmap":
            w(f"![pages held while unmapping]({rel}/compare_unmap.png)")
            w("")
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compare_notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            for ln in f.read().rstrip().splitlines():
                w(ln)
        w("")
    with open(out_md, "w") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    main()
