// The replay engine in textbook mode against known answers and against
// small reference implementations of every policy written here, apart
// from the library's (they share no code with src/policies); the miss-ratio
// curve; the trace parsers and their errors. The uvm mode's own tests are
// in policy_hooks_test.cpp (policies on the model) and the CLI tests.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "helpers.h"
#include "uvmsim/replay.h"

namespace uvmsim::test {
namespace {

struct Ref {
  std::uint64_t page;
  bool write;
};

struct Counts {
  std::uint64_t faults = 0, evictions = 0, writebacks = 0;
};

std::string pages_text(const std::vector<Ref>& refs) {
  std::string s;
  for (const Ref& r : refs) s += std::to_string(r.page) + (r.write ? " W\n" : "\n");
  return s;
}

ReplayResult run_textbook(const std::vector<Ref>& refs, const std::string& policy, std::uint64_t frames,
                          PolicyOptions opts = {}) {
  auto trace = TraceReader::FromString(pages_text(refs), "t", TraceFormat::kPages);
  ReplayConfig c;
  c.policy = policy;
  c.frames = frames;
  c.policy_options = opts;
  auto r = replay(*trace, c);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  CHECK(r->hits + r->faults == refs.size());
  return *r;
}

std::vector<Ref> pages_of(std::initializer_list<int> l) {
  std::vector<Ref> v;
  for (int p : l) v.push_back({static_cast<std::uint64_t>(p), false});
  return v;
}

// ---- reference implementations (textbook semantics, written plainly) ----

// A resident page as the references keep it.
struct Frame {
  std::uint64_t page;
  bool ref, dirty;
  std::uint64_t aux;  // policy-specific: load order, last use, counter
};

using Resident = std::vector<Frame>;

Frame* find(Resident& m, std::uint64_t page) {
  for (Frame& f : m)
    if (f.page == page) return &f;
  return nullptr;
}

void drop(Resident& m, std::size_t i, Counts& c) {
  c.evictions++;
  if (m[i].dirty) c.writebacks++;
  m.erase(m.begin() + static_cast<std::ptrdiff_t>(i));
}

Counts ref_fifo(const std::vector<Ref>& refs, std::size_t frames) {
  Counts c;
  Resident m;  // in load order
  for (const Ref& r : refs) {
    if (Frame* f = find(m, r.page)) {
      f->dirty |= r.write;
      continue;
    }
    c.faults++;
    if (m.size() == frames) drop(m, 0, c);
    m.push_back({r.page, true, r.write, 0});
  }
  return c;
}

Counts ref_lru(const std::vector<Ref>& refs, std::size_t frames) {
  Counts c;
  Resident m;  // least recent first
  for (const Ref& r : refs) {
    if (Frame* f = find(m, r.page)) {
      Frame moved = *f;
      moved.dirty |= r.write;
      m.erase(m.begin() + (f - m.data()));
      m.push_back(moved);
      continue;
    }
    c.faults++;
    if (m.size() == frames) drop(m, 0, c);
    m.push_back({r.page, true, r.write, 0});
  }
  return c;
}

std::uint64_t ref_opt_faults(const std::vector<Ref>& refs, std::size_t frames) {
  std::uint64_t faults = 0;
  std::vector<std::uint64_t> m;
  for (std::size_t i = 0; i < refs.size(); i++) {
    if (std::find(m.begin(), m.end(), refs[i].page) != m.end()) continue;
    faults++;
    if (m.size() == frames) {
      std::size_t victim = 0, farthest = 0;
      for (std::size_t k = 0; k < m.size(); k++) {
        std::size_t next = refs.size() + 1;
        for (std::size_t j = i + 1; j < refs.size(); j++)
          if (refs[j].page == m[k]) {
            next = j;
            break;
          }
        if (next > farthest) farthest = next, victim = k;
      }
      m.erase(m.begin() + static_cast<std::ptrdiff_t>(victim));
    }
    m.push_back(refs[i].page);
  }
  return faults;
}

// Second chance: a queue; the head, if referenced, loses its bit and goes
// to the tail; else it is the victim. Loading or using a page sets its bit.
Counts ref_second_chance(const std::vector<Ref>& refs, std::size_t frames) {
  Counts c;
  Resident m;  // m[0] under the hand
  for (const Ref& r : refs) {
    if (Frame* f = find(m, r.page)) {
      f->ref = true;
      f->dirty |= r.write;
      continue;
    }
    c.faults++;
    if (m.size() == frames) {
      while (m[0].ref) {
        Frame f = m[0];
        f.ref = false;
        m.erase(m.begin());
        m.push_back(f);
      }
      drop(m, 0, c);
    }
    m.push_back({r.page, true, r.write, 0});
  }
  return c;
}

// Random: resident pages in an array (the last one fills a hole), victim
// slots[splitmix64() % n].
Counts ref_random(const std::vector<Ref>& refs, std::size_t frames, std::uint64_t seed) {
  std::uint64_t state = seed;
  auto next = [&] {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  Counts c;
  Resident m;
  for (const Ref& r : refs) {
    if (Frame* f = find(m, r.page)) {
      f->dirty |= r.write;
      continue;
    }
    c.faults++;
    if (m.size() == frames) {
      const std::size_t v = next() % m.size();
      c.evictions++;
      if (m[v].dirty) c.writebacks++;
      m[v] = m.back();
      m.pop_back();
    }
    m.push_back({r.page, true, r.write, 0});
  }
  return c;
}

// Aging: 8-bit counters shifted every `interval` accesses with the
// reference bit entering at the top; victim: smallest (bit, counter), the
// earliest loaded among equals.
Counts ref_aging(const std::vector<Ref>& refs, std::size_t frames, std::uint64_t interval) {
  Counts c;
  struct A {
    std::uint64_t page;
    bool ref, dirty;
    unsigned counter;
    std::uint64_t loaded;
  };
  std::vector<A> m;
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < refs.size(); i++) {
    const Ref& r = refs[i];
    auto it = std::find_if(m.begin(), m.end(), [&](const A& a) { return a.page == r.page; });
    if (it != m.end()) {
      it->ref = true;
      it->dirty |= r.write;
    } else {
      c.faults++;
      if (m.size() == frames) {
        auto victim = std::min_element(m.begin(), m.end(), [](const A& a, const A& b) {
          const unsigned ra = (a.ref ? 0x100u : 0u) | a.counter, rb = (b.ref ? 0x100u : 0u) | b.counter;
          return ra != rb ? ra < rb : a.loaded < b.loaded;
        });
        c.evictions++;
        if (victim->dirty) c.writebacks++;
        m.erase(victim);
      }
      m.push_back({r.page, true, r.write, 0, seq++});
    }
    if ((i + 1) % interval == 0)
      for (A& a : m) {
        a.counter = (a.counter >> 1) | (a.ref ? 0x80u : 0u);
        a.ref = false;
      }
  }
  return c;
}

// WSClock with tau = frames, time = the access's index: the hand clears
// referenced pages (last use = now), takes an old clean page, cleans an old
// dirty one (a write-back) and passes on; after two turns, the page under
// the hand.
Counts ref_wsclock(const std::vector<Ref>& refs, std::size_t frames) {
  Counts c;
  Resident m;  // aux: last use
  const std::uint64_t tau = frames;
  for (std::size_t now = 0; now < refs.size(); now++) {
    const Ref& r = refs[now];
    if (Frame* f = find(m, r.page)) {
      f->ref = true;
      f->dirty |= r.write;
      continue;
    }
    c.faults++;
    if (m.size() == frames) {
      bool found = false;
      for (std::size_t i = 0; i < 2 * m.size() && !found; i++) {
        Frame& h = m[0];
        if (h.ref) {
          h.ref = false;
          h.aux = now;
        } else if (now - h.aux > tau) {
          if (!h.dirty) {
            found = true;
            break;
          }
          h.dirty = false;
          c.writebacks++;
        }
        Frame f = m[0];
        m.erase(m.begin());
        m.push_back(f);
      }
      drop(m, 0, c);
    }
    m.push_back({r.page, true, r.write, now});
  }
  return c;
}

// ARC as in Megiddo and Modha's figure (integer adaptation steps).
Counts ref_arc(const std::vector<Ref>& refs, std::size_t frames) {
  Counts c;
  const std::uint64_t cap = frames;
  std::list<std::uint64_t> t1, t2, b1, b2;  // front: LRU
  std::map<std::uint64_t, bool> dirty;
  std::uint64_t p = 0;
  auto has = [](std::list<std::uint64_t>& l, std::uint64_t x) { return std::find(l.begin(), l.end(), x) != l.end(); };
  auto evict = [&](std::list<std::uint64_t>& from, std::list<std::uint64_t>* ghost) {
    const std::uint64_t v = from.front();
    from.pop_front();
    c.evictions++;
    if (dirty[v]) c.writebacks++;
    dirty.erase(v);
    if (ghost) ghost->push_back(v);
  };
  auto replace = [&](bool x_in_b2) {
    if (!t1.empty() && ((x_in_b2 && t1.size() == p) || t1.size() > p || t2.empty())) evict(t1, &b1);
    else evict(t2, &b2);
  };
  for (const Ref& r : refs) {
    const std::uint64_t x = r.page;
    if (has(t1, x) || has(t2, x)) {
      t1.remove(x);
      t2.remove(x);
      t2.push_back(x);
      dirty[x] = dirty[x] || r.write;
      continue;
    }
    c.faults++;
    const bool full = t1.size() + t2.size() == cap;
    if (has(b1, x)) {
      p = std::min<std::uint64_t>(cap, p + std::max<std::uint64_t>(1, b2.size() / b1.size()));
      if (full) replace(false);
      b1.remove(x);
      t2.push_back(x);
    } else if (has(b2, x)) {
      const std::uint64_t d = std::max<std::uint64_t>(1, b1.size() / b2.size());
      p = p > d ? p - d : 0;
      if (full) replace(true);
      b2.remove(x);
      t2.push_back(x);
    } else {
      if (full) {
        if (t1.size() + b1.size() >= cap) {
          if (t1.size() < cap) {
            b1.pop_front();
            replace(false);
          } else {
            evict(t1, nullptr);
          }
        } else {
          if (t1.size() + t2.size() + b1.size() + b2.size() >= 2 * cap) b2.pop_front();
          replace(false);
        }
      }
      t1.push_back(x);
    }
    dirty[x] = r.write;
  }
  return c;
}

std::vector<Ref> random_refs(std::mt19937_64& rng, std::size_t n, std::uint64_t universe) {
  // A mix of locality (a drifting hot set) and uniform noise.
  std::vector<Ref> refs;
  std::uint64_t base = 0;
  for (std::size_t i = 0; i < n; i++) {
    if (rng() % 50 == 0) base = rng() % universe;
    const std::uint64_t page = rng() % 4 == 0 ? rng() % universe : (base + rng() % 6) % universe;
    refs.push_back({page * 7 + 3, rng() % 3 == 0});  // sparse page numbers
  }
  return refs;
}

TEST_CASE("textbook known answers: Belady's anomaly and the 20-reference string", "[replay][soft]") {
  const auto belady = pages_of({1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5});
  CHECK(run_textbook(belady, "fifo", 3).faults == 9);
  CHECK(run_textbook(belady, "fifo", 4).faults == 10);  // more frames, more faults
  const auto s20 = pages_of({7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1});
  CHECK(run_textbook(s20, "fifo", 3).faults == 15);
  CHECK(run_textbook(s20, "lru", 3).faults == 12);
  CHECK(run_textbook(s20, "opt", 3).faults == 9);
}

TEST_CASE("textbook replay: every policy equals its reference implementation on random strings",
          "[replay][soft]") {
  std::mt19937_64 rng(12345);
  for (int round = 0; round < 40; round++) {
    const std::size_t n = 200 + rng() % 1500;
    const std::uint64_t universe = 4 + rng() % 60;
    const std::size_t frames = 1 + rng() % 24;
    const std::uint64_t seed = rng();
    const std::uint64_t interval = 1 + rng() % 20;
    const std::vector<Ref> refs = random_refs(rng, n, universe);
    INFO("round " << round << ": " << n << " refs over " << universe << " pages, " << frames << " frames");
    auto same = [&](const char* name, const ReplayResult& got, const Counts& want) {
      INFO(name);
      CHECK(got.faults == want.faults);
      CHECK(got.evictions == want.evictions);
      CHECK(got.writebacks == want.writebacks);
    };
    same("fifo", run_textbook(refs, "fifo", frames), ref_fifo(refs, frames));
    same("lru", run_textbook(refs, "lru", frames), ref_lru(refs, frames));
    same("clock", run_textbook(refs, "clock", frames), ref_second_chance(refs, frames));
    same("second-chance", run_textbook(refs, "second-chance", frames), ref_second_chance(refs, frames));
    same("random", run_textbook(refs, "random", frames, {.seed = seed}), ref_random(refs, frames, seed));
    same("aging", run_textbook(refs, "aging", frames, {.aging_interval = interval}),
         ref_aging(refs, frames, interval));
    same("wsclock", run_textbook(refs, "wsclock", frames), ref_wsclock(refs, frames));
    same("arc", run_textbook(refs, "arc", frames), ref_arc(refs, frames));
    const std::uint64_t opt = run_textbook(refs, "opt", frames).faults;
    CHECK(opt == ref_opt_faults(refs, frames));
    // OPT is never beaten.
    for (const char* p : {"fifo", "lru", "clock", "random", "aging", "wsclock", "arc"}) {
      INFO(p);
      CHECK(opt <= run_textbook(refs, p, frames, {.seed = seed}).faults);
    }
  }
}

TEST_CASE("random policy: the seed decides, and the same seed repeats", "[replay][soft]") {
  std::mt19937_64 rng(7);
  const std::vector<Ref> refs = random_refs(rng, 3000, 80);
  std::set<std::uint64_t> faults;
  for (std::uint64_t seed = 1; seed <= 6; seed++) {
    const auto a = run_textbook(refs, "random", 10, {.seed = seed});
    const auto b = run_textbook(refs, "random", 10, {.seed = seed});
    CHECK(a.faults == b.faults);
    CHECK(a.writebacks == b.writebacks);
    faults.insert(a.faults);
  }
  CHECK(faults.size() > 1);
}

LoadedTrace load(const std::vector<Ref>& refs) {
  auto t = TraceReader::FromString(pages_text(refs), "t", TraceFormat::kPages);
  auto l = load_trace(*t);
  REQUIRE(l.ok());
  return *l;
}

TEST_CASE("LRU's stack-algorithm curve equals one replay per point", "[replay][mrc][soft]") {
  std::mt19937_64 rng(99);
  for (int round = 0; round < 8; round++) {
    const std::vector<Ref> refs = random_refs(rng, 500 + rng() % 3000, 10 + rng() % 100);
    const LoadedTrace t = load(refs);
    const std::uint64_t hi = 40;
    const std::vector<std::uint64_t> stack = lru_stack_faults(t, hi);
    auto curve = miss_ratio_curve(t, ReplayConfig{.policy = "lru"}, {1, hi, 1});
    REQUIRE(curve.ok());
    for (std::uint64_t c = 1; c <= hi; c++) {
      INFO("frames " << c);
      const std::uint64_t replayed = run_textbook(refs, "lru", c).faults;
      CHECK(stack[c] == replayed);
      CHECK((*curve)[c - 1].result.faults == replayed);
      CHECK((*curve)[c - 1].frames == c);
    }
    // LRU is a stack algorithm: more frames never mean more faults.
    for (std::uint64_t c = 2; c <= hi; c++) CHECK(stack[c] <= stack[c - 1]);
  }
}

TEST_CASE("miss-ratio curve: parallel points equal sequential replays", "[replay][mrc][soft]") {
  std::mt19937_64 rng(5);
  const std::vector<Ref> refs = random_refs(rng, 4000, 120);
  const LoadedTrace t = load(refs);
  for (const char* p : {"fifo", "arc", "opt", "random"}) {
    INFO(p);
    ReplayConfig c{.policy = p};
    c.policy_options.seed = 3;
    auto par = miss_ratio_curve(t, c, {2, 50, 4}, 4);
    auto seq = miss_ratio_curve(t, c, {2, 50, 4}, 1);
    REQUIRE(par.ok());
    REQUIRE(seq.ok());
    REQUIRE(par->size() == 13);
    for (std::size_t i = 0; i < par->size(); i++) {
      CHECK((*par)[i].result.faults == (*seq)[i].result.faults);
      CHECK((*par)[i].result.faults == run_textbook(refs, p, (*par)[i].frames, {.seed = 3}).faults);
    }
  }
  CHECK_FALSE(miss_ratio_curve(t, ReplayConfig{}, {0, 10, 1}).ok());
  CHECK_FALSE(miss_ratio_curve(t, ReplayConfig{}, {10, 5, 1}).ok());
}

// ---- the parsers ----

std::vector<TraceAccess> parse(const std::string& text, TraceFormat f, TraceOptions o = {}) {
  auto t = TraceReader::FromString(text, "t.trace", f, o);
  std::vector<TraceAccess> out, buf(256);
  for (;;) {
    auto n = t->read(buf.data(), buf.size());
    INFO(n.status().ToString());
    REQUIRE(n.ok());
    if (*n == 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  return out;
}

std::string parse_error(const std::string& text, TraceFormat f) {
  auto t = TraceReader::FromString(text, "t.trace", f);
  std::vector<TraceAccess> buf(256);
  for (;;) {
    auto n = t->read(buf.data(), buf.size());
    if (!n.ok()) {
      CHECK(errno_of(n.status()) == EINVAL);
      return std::string(n.status().message());
    }
    if (*n == 0) return "";
  }
}

TEST_CASE("lackey traces: records, page-crossing accesses, M, skipped lines, --no-ifetch", "[replay][trace][soft]") {
  const std::string text =
      "==123== Lackey, an example Valgrind tool\n"
      "==123== Command: ./prog\n"
      "I  04010a30,3\n"
      " L 04222cac,8\n"
      " S 1ffefffff8,8\n"
      " M 0421fffe,4\n"  // crosses 0x4220000: both pages, each a load and a store
      "hello from the program\n"
      "I  04010a33,5\r\n"
      "==123== \n";
  const auto a = parse(text, TraceFormat::kLackey);
  REQUIRE(a.size() == 8);
  CHECK(a[0].page() == 0x4010);
  CHECK(a[0].ifetch());
  CHECK_FALSE(a[0].write());
  CHECK(a[1].page() == 0x4222);
  CHECK_FALSE(a[1].write());
  CHECK(a[2].page() == 0x1ffefff);
  CHECK(a[2].write());
  CHECK(a[3].page() == 0x421f);
  CHECK_FALSE(a[3].write());
  CHECK(a[4].page() == 0x421f);
  CHECK(a[4].write());
  CHECK(a[5].page() == 0x4220);
  CHECK_FALSE(a[5].write());
  CHECK(a[6].page() == 0x4220);
  CHECK(a[6].write());
  CHECK(a[7].page() == 0x4010);
  const auto no_i = parse(text, TraceFormat::kLackey, {.ifetch = false});
  CHECK(no_i.size() == 6);
  for (const TraceAccess& x : no_i) CHECK_FALSE(x.ifetch());

  auto t = TraceReader::FromString(text, "t", TraceFormat::kLackey);
  auto r = replay(*t, ReplayConfig{.policy = "fifo", .frames = 2});
  REQUIRE(r.ok());
  CHECK(r->accesses == 8);
  CHECK(r->skipped_lines == 4);
  CHECK(r->pages == 5);
}

TEST_CASE("vmsim and pages traces", "[replay][trace][soft]") {
  const auto v = parse("# a comment\n0x1000 R\n2fff w\n\n7fffffffffff000 W\n", TraceFormat::kVmsim);
  REQUIRE(v.size() == 3);
  CHECK(v[0].page() == 1);
  CHECK_FALSE(v[0].write());
  CHECK(v[1].page() == 2);
  CHECK(v[1].write());
  CHECK(v[2].page() == 0x7fffffffffffull);
  const auto p = parse("1\n0x10 W\n  42 r \n", TraceFormat::kPages);
  REQUIRE(p.size() == 3);
  CHECK(p[0].page() == 1);
  CHECK(p[1].page() == 16);
  CHECK(p[1].write());
  CHECK(p[2].page() == 42);
}

TEST_CASE("bad traces are clear errors with the line", "[replay][trace][soft]") {
  CHECK(parse_error("", TraceFormat::kLackey) == "t.trace: empty trace");
  CHECK(parse_error("", TraceFormat::kPages) == "t.trace: empty trace");
  CHECK(parse_error("garbage\nmore garbage\n", TraceFormat::kLackey) ==
        "t.trace: no lackey record in 2 lines (wrong --format?)");
  CHECK(parse_error("I  04010a30,3\n L 0422\n", TraceFormat::kLackey) ==
        "t.trace:2: truncated record: expected ',SIZE' after the address");
  CHECK(parse_error(" L 04222cac,\n", TraceFormat::kLackey) == "t.trace:1: expected a decimal size");
  CHECK(parse_error(" S zz,4\n", TraceFormat::kLackey) == "t.trace:1: expected a hexadecimal address");
  CHECK(parse_error("I  1ffffffffffffffff,4\n", TraceFormat::kLackey) ==
        "t.trace:1: address does not fit in 64 bits");
  CHECK(parse_error("I  ffffffffffffffff,4\n", TraceFormat::kLackey) ==
        "t.trace:1: access runs past the end of the 64-bit address space");
  CHECK(parse_error(" L 1000,4 junk\n", TraceFormat::kLackey) ==
        "t.trace:1: unexpected text after the record: 'junk'");
  CHECK(parse_error("1000 R\n1000\n", TraceFormat::kVmsim) ==
        "t.trace:2: truncated record: expected R or W after the address");
  CHECK(parse_error("1000 X\n", TraceFormat::kVmsim) == "t.trace:1: expected R or W, found 'X'");
  CHECK(parse_error("10000000000000000000 R\n", TraceFormat::kVmsim) ==
        "t.trace:1: address does not fit in 64 bits");
  CHECK(parse_error("1\n2\nhello\n", TraceFormat::kPages) == "t.trace:3: expected a decimal page number");
  CHECK(parse_error("99999999999999999999\n", TraceFormat::kPages) ==
        "t.trace:1: page number does not fit in 64 bits");
  CHECK(parse_error("0x10000000000000\n", TraceFormat::kPages) ==
        "t.trace:1: page number above 2^52 (its address does not fit in 64 bits)");
  CHECK(parse_error("12x\n", TraceFormat::kPages) == "t.trace:1: bad character 'x' in the page number");
  CHECK(parse_error(std::string(3 << 20, 'a'), TraceFormat::kPages) ==
        "t.trace:1: line longer than 1 MiB (not a text trace?)");
  // A replay stops at the error too.
  auto t = TraceReader::FromString("1\n2\nbad\n", "t", TraceFormat::kPages);
  auto r = replay(*t, ReplayConfig{});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "t:3: expected a decimal page number");
  CHECK_FALSE(TraceReader::Open("/nonexistent/trace", TraceFormat::kLackey).ok());
  CHECK_FALSE(trace_format_named("csv").ok());
}

TEST_CASE("replay configuration errors", "[replay][soft]") {
  const std::string text = "1\n2\n3\n";
  auto bad = [&](ReplayConfig c) {
    auto t = TraceReader::FromString(text, "t", TraceFormat::kPages);
    auto r = replay(*t, c);
    CHECK(errno_of(r.status()) == EINVAL);
    return r.ok() ? std::string() : std::string(r.status().message());
  };
  CHECK(bad(ReplayConfig{.policy = "lru-2"}).find("unknown replacement policy \"lru-2\"") != std::string::npos);
  CHECK(bad(ReplayConfig{.mode = ReplayMode::kUvm, .policy = "opt"}).find("textbook only") != std::string::npos);
  CHECK(bad(ReplayConfig{.frames = 0}).find("frames") != std::string::npos);
}

// A policy written against the public interface only, handed to the replay
// as an object: most recently used (evicts the page used last).
class MruPolicy final : public ReplacementPolicy {
 public:
  std::string_view name() const override { return "mru"; }
  PolicyNeeds needs() const override { return {.references = true}; }
  void page_inserted(const PageIdentity& pg) override { last_ = pg.frame; }
  void page_referenced(const PageIdentity& pg) override { last_ = pg.frame; }
  void run(PagedaemonOps& ops) override { ops.evict(last_); }

 private:
  std::uint32_t last_ = PagedaemonOps::kNone;
};

TEST_CASE("a policy object of one's own runs in the textbook replay", "[replay][soft]") {
  // A cyclic scan over frames + 1 pages: LRU misses every time, MRU far
  // less (the reference below: evict the page used last).
  std::vector<Ref> refs;
  for (int cycle = 0; cycle < 10; cycle++)
    for (int p = 0; p < 5; p++) refs.push_back({static_cast<std::uint64_t>(p), false});
  std::uint64_t want = 0;
  {
    std::vector<std::uint64_t> m;
    std::uint64_t last = 0;
    for (const Ref& r : refs) {
      if (std::find(m.begin(), m.end(), r.page) == m.end()) {
        want++;
        if (m.size() == 4) std::erase(m, last);
        m.push_back(r.page);
      }
      last = r.page;
    }
  }
  auto t = TraceReader::FromString(pages_text(refs), "t", TraceFormat::kPages);
  ReplayConfig c{.frames = 4};
  c.make_policy = [] { return std::make_unique<MruPolicy>(); };
  auto r = replay(*t, c);
  REQUIRE(r.ok());
  CHECK(r->policy == "mru");
  CHECK(r->faults == want);
  CHECK(want < 30);
  CHECK(run_textbook(refs, "lru", 4).faults == 50);
}

}  // namespace
}  // namespace uvmsim::test
