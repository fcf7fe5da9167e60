#!/usr/bin/env python3
"""Plots a `uvmsim run --stats-every N --series FILE` time series as SVG.

usage: plot_series.py SERIES [OUT.svg] [COLUMN ...]

SERIES is the JSON-lines or CSV file the run wrote. Without COLUMNs the
page gauges are drawn (free, active, inactive, wired, swapped) against the
number of commands run; name other columns (e.g. pgswapout flt_acow) to
draw those instead. Writes OUT.svg (default: SERIES with .svg). Needs only
Python 3's standard library, so it runs wherever uvmsim builds.
"""
import csv
import json
import sys

COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
DEFAULT = ["free", "active", "inactive", "wired", "swapped"]


def read_series(path):
    with open(path) as f:
        first = f.readline()
        f.seek(0)
        if first.lstrip().startswith("{"):
            return [json.loads(line) for line in f if line.strip()]
        return [{k: int(v) for k, v in row.items()} for row in csv.DictReader(f)]


def plot(rows, columns, title):
    w, h, left, right, top, bottom = 720, 400, 70, 150, 30, 50
    xs = [r["commands"] for r in rows]
    ymax = max([1] + [r[c] for r in rows for c in columns])
    xmin, xmax = min(xs), max(xs)
    xspan = max(1, xmax - xmin)

    def px(x):
        return left + (x - xmin) * (w - left - right) / xspan

    def py(y):
        return h - bottom - y * (h - top - bottom) / ymax

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="18" text-anchor="middle" font-size="13">{title}</text>',
           f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" stroke="black"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="black"/>',
           f'<text x="{(left + w - right) / 2}" y="{h - 12}" text-anchor="middle">commands run</text>']
    for i in range(5):
        yv = ymax * i / 4
        out.append(f'<text x="{left - 6}" y="{py(yv) + 4:.1f}" text-anchor="end">{yv:.0f}</text>')
        out.append(f'<line x1="{left}" y1="{py(yv):.1f}" x2="{w - right}" y2="{py(yv):.1f}" stroke="#ddd"/>')
    for i in range(5):
        xv = xmin + xspan * i / 4
        out.append(f'<text x="{px(xv):.1f}" y="{h - bottom + 16}" text-anchor="middle">{xv:.0f}</text>')
    for i, c in enumerate(columns):
        colour = COLOURS[i % len(COLOURS)]
        pts = " ".join(f"{px(r['commands']):.1f},{py(r[c]):.1f}" for r in rows)
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{pts}"/>')
        out.append(f'<text x="{w - right + 10}" y="{top + 16 * i + 10}" fill="{colour}">{c}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    rows = read_series(argv[1])
    if not rows:
        print(f"plot_series: {argv[1]}: no samples", file=sys.stderr)
        return 1
    out = argv[2] if len(argv) > 2 else argv[1].rsplit(".", 1)[0] + ".svg"
    columns = argv[3:] or DEFAULT
    for c in columns:
        if c not in rows[0]:
            print(f"plot_series: no column '{c}' (there are: {', '.join(rows[0])})", file=sys.stderr)
            return 1
    with open(out, "w") as f:
        f.write(plot(rows, columns, f"uvmsim: {', '.join(columns)}"))
    print(f"plot_series: wrote {out} ({len(rows)} samples)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
