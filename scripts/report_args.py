"""The report scripts' command line: the benchmark's JSON, the Markdown page
to write and the folder for its PNG plots (created if missing)."""
import json
import os
import sys


def report_args(usage):
    """(data, JSON path, page path, image folder, image folder relative to the page)."""
    if len(sys.argv) != 4:
        sys.exit(usage)
    src, out_md, img = sys.argv[1:]
    with open(src) as f:
        data = json.load(f)
    os.makedirs(img, exist_ok=True)
    rel = os.path.relpath(img, os.path.dirname(os.path.abspath(out_md)) or ".")
    return data, src, out_md, img, rel
