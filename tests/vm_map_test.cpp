// vm_map lookups and walks: the hint (the last entry found and its place in
// the tree) must never change an answer, whatever changed the map since.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "core/vm_map.h"
#include "core/vmspace.h"
#include "helpers.h"

using namespace uvmsim;
using namespace uvmsim::test;

namespace {

struct Span {
  vaddr_t start, end;
};

// The map as the tree's own order shows it (for_each walks the B-tree
// directly; no hint is involved).
std::vector<Span> spans_of(const VmMap& map) {
  std::vector<Span> out;
  map.for_each([&](const MapEntry& e) { out.push_back({e.start, e.end}); });
  return out;
}

// The span containing va, or {0, 0}.
Span containing(const std::vector<Span>& spans, vaddr_t va) {
  for (const Span& s : spans)
    if (s.start <= va && va < s.end) return s;
  return {0, 0};
}

Span span_of(const MapEntry* e) { return e ? Span{e->start, e->end} : Span{0, 0}; }

}  // namespace

TEST_CASE("map lookups and walks give the tree's answer after any change", "[map]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  VmMap& map = *p->vmspace().map;
  const vaddr_t base = 0x10000000;
  const std::uint64_t npages = 256;
  std::mt19937_64 rng(20261130);
  auto page = [&](std::uint64_t n) { return base + (rng() % n) * kPageSize; };
  // A walk with next() from e visits the rest of the map in order, then ends.
  auto check_walk = [&](MapEntry* e, const std::vector<Span>& spans) {
    std::size_t i = 0;
    while (i < spans.size() && spans[i].start != e->start) i++;
    REQUIRE(i < spans.size());
    for (; e != nullptr; e = map.next(e), i++) {
      REQUIRE(i < spans.size());
      REQUIRE(e->start == spans[i].start);
      REQUIRE(e->end == spans[i].end);
      // Stepping back and looking up elsewhere must not disturb the walk.
      if (rng() % 8 == 0) map.prev(e);
      if (rng() % 8 == 0) map.lookup(page(npages));
    }
    REQUIRE(i == spans.size());
  };
  MapEntry* found = nullptr;  // what the last lookup found: the hint

  for (int step = 0; step < 3000; step++) {
    // Change the map: new mappings (alternating protections keep neighbours
    // apart; equal private ones merge, shared ones never do), holes, and
    // clips.
    const vaddr_t va = page(npages);
    const vsize_t len = (1 + rng() % 8) * kPageSize;
    switch (rng() % 4) {
      case 0:
      case 1: {
        const Prot prot = (rng() & 1) ? kProtRead : (kProtRead | kProtWrite);
        const Sharing sharing = rng() % 4 == 0 ? Sharing::kShared : Sharing::kPrivate;
        REQUIRE(p->mmap(va, len, prot, sharing).ok());
        break;
      }
      case 2:
        REQUIRE_OK(p->munmap(va, len));
        break;
      case 3:
        // Only whole mapped ranges can be protected; a hole is ENOMEM.
        if (map.covered(va, va + len)) REQUIRE_OK(p->mprotect(va, len, kProtRead));
        break;
    }
    const std::vector<Span> spans = spans_of(map);
    REQUIRE(map.nentries() == spans.size());

    // The change may have moved the hint entry within the tree: a walk
    // from it (if it is still mapped) must still see the tree's order.
    bool found_mapped = false;
    map.for_each([&](const MapEntry& e) { found_mapped |= &e == found; });
    if (found_mapped) check_walk(found, spans);

    // Lookups in the three shapes the hint serves differently: the same
    // entry again, ascending page by page, and anywhere.
    const vaddr_t from = page(npages);
    for (vaddr_t a = from; a < from + 16 * kPageSize; a += kPageSize / 2) {
      const Span want = containing(spans, a);
      const Span got = span_of(map.lookup(a));
      REQUIRE(got.start == want.start);
      REQUIRE(got.end == want.end);
    }
    for (int i = 0; i < 8; i++) {
      const vaddr_t a = page(npages + 16) + rng() % kPageSize;
      const Span want = containing(spans, a);
      const Span got = span_of(map.lookup(a));
      REQUIRE(got.start == want.start);
      REQUIRE(got.end == want.end);
    }

    // A walk from an entry found by lookup_or_next (which leaves the hint
    // alone), sometimes starting at the hint.
    if (MapEntry* e = map.lookup_or_next(from)) {
      if (rng() & 1) map.lookup(e->start);
      check_walk(e, spans);
    }
    // Leave a hint for the next change to move.
    found = map.lookup(page(npages));
    if (step % 100 == 0) CHECK_INVARIANTS(*m);
  }
  CHECK_INVARIANTS(*m);
}
