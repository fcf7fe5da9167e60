#!/usr/bin/env python3
"""Writes the scenario fuzz target's seed corpus into a directory.

Seeds: every examples/*.scen and docs/examples/*.scen, and every scenario
the tests hold as a C++ string literal (tests/cli/*.cpp: literals, adjacent
ones joined, whose text has a line break and starts like a script). The
corpus follows the examples and tests as they change; the api and trace
targets' seeds are checked in under fuzz/corpus/.

    fuzz/make_corpus.py OUT_DIR
"""
import hashlib
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIRST_WORDS = ("machine", "spawn", "file", "#", "stats", "check")
LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "'": "'", "0": "\0"}


def decode(body):
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            out.append(ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def test_scripts(path):
    """Scenario texts held in string literals; adjacent literals are one string."""
    text = path.read_text(errors="replace")
    pieces, last_end = [], None
    for m in LITERAL.finditer(text):
        between = text[last_end:m.start()] if last_end is not None else None
        if between is not None and between.strip() == "" and pieces:
            pieces[-1] += decode(m.group(1))
        else:
            pieces.append(decode(m.group(1)))
        last_end = m.end()
    for s in pieces:
        if "\n" in s and s.lstrip().startswith(FIRST_WORDS):
            yield s


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_corpus.py OUT_DIR")
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    seeds = [p.read_text() for p in sorted(ROOT.glob("examples/*.scen"))]
    seeds += [p.read_text() for p in sorted(ROOT.glob("docs/examples/*.scen"))]
    for p in sorted(ROOT.glob("tests/cli/*.cpp")):
        seeds.extend(test_scripts(p))
    # The output paths: one seed per "#!" option line on the first example.
    if seeds:
        for flags in ("json", "dump", "dump=json", "dump=dot", "trace", "series", "series=csv"):
            seeds.append(f"#! {flags}\n" + seeds[0])
    written = 0
    for s in seeds:
        name = hashlib.sha1(s.encode()).hexdigest()[:16]
        path = out / name
        if not path.exists():
            path.write_text(s)
            written += 1
    print(f"make_corpus: {written} scenario seeds in {out}")


if __name__ == "__main__":
    main()
