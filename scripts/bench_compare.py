#!/usr/bin/env python3
"""Compares uvmsim_bench JSON outputs of two revisions (scripts/bench_compare.sh).

usage: bench_compare.py [--tolerance T] --old A.json [B.json ...] --new C.json [D.json ...]

Each run gives one value per figure (for timed figures, the run's median over
its repetitions). The table shows, per figure, the median over the runs of
each side, new/old, and each side's spread over its runs ((max - min) /
median, in percent): a ratio outside [1-T, 1+T] is flagged "!". The last
column compares the fastest sample of each side (the minimum over all runs
and repetitions): on a machine shared with other work, preemption only ever
adds time, so the minima are often steadier than the medians.

Figures: times (ns; per page for dz and cow, per call for fork, per lookup
or fault for lookup) and metadata bytes per resident page (meta, sizes).
Host figures measure the host kernel, which neither revision changes: they
show how much the machine itself moved during the comparison. Counts (uvmexp
counters, resident pages, map entries ...) are listed only where they differ.
Figures found on one side only are listed as such.
"""
import argparse
import json
import statistics
import sys

# Sections that describe the run, not the code under test.
SKIP_TOP = {"platform", "config"}


def label_of(item, index):
    """A list element's name: fork rows by their n, meta rows by their name."""
    if isinstance(item, dict):
        for key in ("name", "n"):
            if key in item:
                return f"{key}={item[key]}" if key == "n" else str(item[key])
    return str(index)


def flatten(node, path, out):
    """Fills out[path] = (kind, value, fastest); kind is 'time', 'bytes' or 'count'."""
    if isinstance(node, dict):
        if "median" in node and "samples" in node:
            out[path] = ("time", float(node["median"]), float(node.get("min", node["median"])))
            return
        for key, value in node.items():
            flatten(value, f"{path}.{key}" if path else key, out)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            flatten(item, f"{path}[{label_of(item, i)}]", out)
    elif isinstance(node, bool) or not isinstance(node, (int, float)):
        return  # strings (kvm's reason), flags
    else:
        leaf = path.rsplit(".", 1)[-1]
        if leaf.endswith("_ns"):
            kind = "time"
        elif leaf.endswith("_b") or path.startswith("sizes.") or leaf == "mappings_per_page":
            kind = "bytes"
        else:
            kind = "count"
        out[path] = (kind, float(node), float(node))


def load(paths):
    """figure -> (kind, [one value per run], fastest sample over all runs)."""
    runs = {}
    for p in paths:
        try:
            with open(p) as f:
                data = json.load(f)
        except (OSError, ValueError) as e:
            sys.exit(f"bench_compare: cannot read {p}: {e}")
        flat = {}
        for key, value in data.items():
            if key not in SKIP_TOP:
                flatten(value, key, flat)
        for fig, (kind, v, fastest) in flat.items():
            entry = runs.setdefault(fig, [kind, [], fastest])
            entry[1].append(v)
            entry[2] = min(entry[2], fastest)
    return runs


def spread(values):
    m = statistics.median(values)
    if m == 0:
        return 0.0
    return 100.0 * (max(values) - min(values)) / m


def is_host(fig):
    return ".host" in fig or fig.startswith("host")


def fmt_value(v):
    return f"{v:,.1f}" if abs(v) < 1e7 else f"{v:.4g}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tolerance", type=float, default=0.05)
    ap.add_argument("--old", nargs="+", required=True)
    ap.add_argument("--new", nargs="+", required=True)
    a = ap.parse_args()
    old, new = load(a.old), load(a.new)
    lo, hi = 1 - a.tolerance, 1 + a.tolerance

    figures = [f for f in old if f in new]
    only_old = [f for f in old if f not in new]
    only_new = [f for f in new if f not in old]

    groups = [
        ("uvmsim times (ns)", lambda f, k: k == "time" and not is_host(f)),
        ("metadata (bytes per resident page)", lambda f, k: k == "bytes"),
        ("host kernel times (ns), the machine's own drift", lambda f, k: k == "time" and is_host(f)),
    ]
    width = max([len(f) for f in figures] + [20])
    header = (f"{'figure':<{width}} {'old':>12} {'new':>12} {'new/old':>8} "
              f"{'old±%':>6} {'new±%':>6} {'min n/o':>8}")
    flagged = []
    for title, pick in groups:
        rows = [f for f in figures if pick(f, old[f][0])]
        if not rows:
            continue
        print(f"== {title}")
        print(header)
        for f in rows:
            ov, nv = old[f][1], new[f][1]
            om, nm = statistics.median(ov), statistics.median(nv)
            if om == 0:
                ratio_s, out_of_band = ("   same" if nm == 0 else "    n/a"), nm != 0
            else:
                ratio = nm / om
                ratio_s, out_of_band = f"{ratio:8.3f}", not lo <= ratio <= hi
            flag = "  !" if out_of_band else ""
            if out_of_band:
                flagged.append(f)
            ofast, nfast = old[f][2], new[f][2]
            fast_s = f"{nfast / ofast:8.3f}" if ofast else "     n/a"
            print(f"{f:<{width}} {fmt_value(om):>12} {fmt_value(nm):>12} {ratio_s:>8} "
                  f"{spread(ov):6.1f} {spread(nv):6.1f} {fast_s}{flag}")
        print()

    counts = [f for f in figures if old[f][0] == "count"]
    differing = [f for f in counts
                 if statistics.median(old[f][1]) != statistics.median(new[f][1])]
    print(f"== counts: {len(counts) - len(differing)} of {len(counts)} identical on both sides")
    for f in differing:
        print(f"  {f}: old {fmt_value(statistics.median(old[f][1]))}, "
              f"new {fmt_value(statistics.median(new[f][1]))}")
    if only_old or only_new:
        print()
        print("== figures on one side only")
        for f in only_old:
            print(f"  old only: {f} = {fmt_value(statistics.median(old[f][1]))}")
        for f in only_new:
            print(f"  new only: {f} = {fmt_value(statistics.median(new[f][1]))}")
    print()
    print(f"old±% / new±%: spread over each side's runs, (max-min)/median. "
          f"min n/o: fastest sample, new/old. ! = new/old outside [{lo:.2f}, {hi:.2f}].")
    timed = [f for f in flagged if not is_host(f)]
    print(f"flagged: {len(timed)} uvmsim figure(s), "
          f"{len(flagged) - len(timed)} host figure(s)")


if __name__ == "__main__":
    main()
