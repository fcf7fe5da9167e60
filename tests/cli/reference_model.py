#!/usr/bin/env python3
"""An independent, deliberately naive model of the scenario language (v1).

Kept on purpose beside tests/workload.{h,cpp}, the C++ reference model the
test suite runs (random test, differential test, random scenarios through
`uvmsim run`). That model is fed operations by its own generator and cannot
read hand-written scenarios (free names, quoted data, size suffixes, `stats`,
`truncate`, `fileread`), so it cannot derive the examples' expected outputs.
This script can, for the anonymous-memory examples: it reads a .scen file and
prints what the spec says it must print. It is written from the spec alone, in
another language, sharing no code with uvmsim or the C++ model, so a
misreading of the spec has to be made twice to go unnoticed. Run it by hand
when writing or changing an example (no test runs it).

Memory is a dict of pages per process, private pages are copied eagerly at
fork (which copy-on-write must be indistinguishable from), shared pages are
one Python object referenced by every sharer. It covers anonymous memory only
(no files, loans or swap); `stats` prints a placeholder, since its format is
the implementation's. Where a range is partly mapped, mprotect/mlock/munlock
here fail only when nothing is mapped (the spec's wording); the simulator and
the C++ model fail on any hole (ENOMEM).

usage: reference_model.py SCRIPT.scen   (prints the expected stdout)
"""
import sys

PAGE = 4096
USER_MIN, USER_MAX = 0x1000, 0x00007F0000000000
PROTS = {"none": "", "r": "r", "rw": "rw", "rx": "rx", "rwx": "rwx"}


class Page:
    def __init__(self, prot, shared, inherit, cell):
        self.prot, self.shared, self.inherit, self.cell = prot, shared, inherit, cell


def fnv1a(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def number(tok):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(tok[-1], 1)
    if mult != 1:
        tok = tok[:-1]
    return (int(tok[2:], 16) if tok.startswith("0x") else int(tok, 10)) * mult


def tokens(line):
    out, i = [], 0
    while i < len(line):
        c = line[i]
        if c in " \t\r":
            i += 1
        elif c == "#":
            break
        elif c == '"':
            j = line.index('"', i + 1)
            out.append(("s", line[i + 1:j]))
            i = j + 1
        else:
            j = i
            while j < len(line) and line[j] not in ' \t\r#':
                j += 1
            out.append(("w", line[i:j]))
            i = j
    return out


def data(tok):
    kind, text = tok
    return text.encode() if kind == "s" else bytes.fromhex(text[4:])


def range_pages(addr, length):
    end = addr + ((length + PAGE - 1) // PAGE) * PAGE
    return range(addr // PAGE, end // PAGE)


def bad_range(addr, length):
    if addr % PAGE:
        return True
    end = addr + ((length + PAGE - 1) // PAGE) * PAGE
    return length > 0 and (addr < USER_MIN or end > USER_MAX)


class Model:
    def __init__(self):
        self.procs = {}
        self.out = []

    def access(self, p, addr, length, want, store=None):
        """Touches bytes ascending; returns (bytes, outcome)."""
        got = bytearray()
        for i in range(length):
            va = addr + i
            pg = self.procs[p].get(va // PAGE)
            if pg is None or want not in pg.prot:
                return bytes(got), "SIGSEGV"
            if store is not None:
                pg.cell[va % PAGE] = store[i]
            else:
                got.append(pg.cell[va % PAGE])
        return bytes(got), None

    def line(self, p, cmd, a, n, rest):
        self.out.append(f"{p} {cmd} {a:#x} {n} = {rest}")

    def run(self, text):
        for raw in text.splitlines():
            t = tokens(raw)
            if not t:
                continue
            w = [x[1] for x in t]
            if w[0] == "machine":
                continue
            if w[0] == "spawn":
                self.procs[w[1]] = {}
                continue
            if w[0] == "check":
                self.out.append("check ok")
                continue
            if w[0] == "stats":
                self.out.append("<stats>")
                continue
            p, cmd, args = w[0], w[1], w[2:]
            m = self.procs[p]
            if cmd in ("mmap", "munmap", "mprotect", "minherit", "madvise", "mlock", "munlock"):
                a, n = number(args[0]), number(args[1])
                chk_a, chk_n = a, n
                if cmd in ("mlock", "munlock"):
                    chk_a, chk_n = a - a % PAGE, n + a % PAGE
                err = None
                if bad_range(chk_a, chk_n) or (cmd == "mmap" and n == 0):
                    err = "EINVAL"
                pages = range_pages(chk_a, chk_n)
                if not err and cmd in ("mprotect", "mlock", "munlock") and n and \
                        not any(v in m for v in pages):
                    err = "ENOMEM"
                if err:
                    self.line(p, cmd, a, n, "error " + err)
                    continue
                for v in pages:
                    if cmd == "mmap":
                        shared = args[3] == "shared"
                        m[v] = Page(PROTS[args[2]], shared, "share" if shared else "copy",
                                    bytearray(PAGE))
                    elif cmd == "munmap":
                        m.pop(v, None)
                    elif v in m and cmd == "mprotect":
                        m[v].prot = PROTS[args[2]]
                    elif v in m and cmd == "minherit":
                        m[v].inherit = args[2]
            elif cmd in ("write", "fill"):
                a = number(args[0])
                d = data(t[3]) if cmd == "write" else bytes([number(args[2])]) * number(args[1])
                _, bad = self.access(p, a, len(d), "w", d)
                if bad:
                    self.line(p, cmd, a, len(d), bad)
            elif cmd in ("read", "sum"):
                a, n = number(args[0]), number(args[1])
                got, bad = self.access(p, a, n, "r")
                if bad:
                    self.line(p, cmd, a, n, bad)
                elif cmd == "read":
                    self.line(p, cmd, a, n, got.hex())
                else:
                    self.line(p, cmd, a, n, f"{fnv1a(got):#018x}")
            elif cmd == "fork":
                child = {}
                for v, pg in m.items():
                    if pg.inherit == "share":
                        child[v] = Page(pg.prot, pg.shared, pg.inherit, pg.cell)
                    elif pg.inherit == "copy":
                        child[v] = Page(pg.prot, False, pg.inherit, bytearray(pg.cell))
                    elif pg.inherit == "zero":
                        child[v] = Page(pg.prot, False, pg.inherit, bytearray(PAGE))
                self.procs[args[0]] = child
            elif cmd == "exit":
                del self.procs[p]
            else:
                raise SystemExit(f"reference_model: {cmd} is not modelled")
        return self.out


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        print("\n".join(Model().run(f.read())))
