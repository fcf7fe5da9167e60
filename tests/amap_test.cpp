// Amap unit tests: the seed's behaviours on the data structure itself.
#include <catch2/catch.hpp>

#include "core/amap.h"
#include "core/anon.h"
#include "core/uvm.h"
#include "core/vm_map.h"
#include "helpers.h"

using namespace uvmsim;
using namespace uvmsim::test;

TEST_CASE("ppref codec: the seed's example round-trips", "[amap][ppref]") {
  // actual REFS: 2 2 2 2 3 1 1 0 0 0 4 4 0 1 1 1
  // ppref:      -3 4 x x 4 -2 2 -1 3 x -5 2 1 -2 3 x
  const std::vector<int> refs = {2, 2, 2, 2, 3, 1, 1, 0, 0, 0, 4, 4, 0, 1, 1, 1};
  const std::vector<std::pair<int, int>> runs = {{0, 4}, {4, 1}, {5, 2}, {7, 3}, {10, 2}, {12, 1}, {13, 3}};
  std::vector<int> ppref(16, 12345);
  for (auto [off, len] : runs) pp_setreflen(ppref.data(), off, refs[off], len);
  const int expect[] = {-3, 4, 4, -2, 2, -1, 3, -5, 2, 1, -2, 3};
  const int at[] = {0, 1, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14};
  for (int i = 0; i < 12; i++) CHECK(ppref[at[i]] == expect[i]);
  // Decode every run back.
  int lcv = 0;
  for (auto [off, len] : runs) {
    int ref, l;
    pp_getreflen(ppref.data(), lcv, &ref, &l);
    CHECK(lcv == off);
    CHECK(l == len);
    CHECK(ref == refs[off]);
    lcv += l;
  }
  CHECK(lcv == 16);
}

namespace {

// A standalone entry over a fresh amap, for driving amap functions directly.
struct AmapFixture {
  std::unique_ptr<Machine> m = make_machine();
  Uvm& uvm = m->uvm();
  MapEntry e;

  AmapFixture(int pages, int pageoff = 0, int nslot = -1) {
    e.start = 0x100000;
    e.end = e.start + static_cast<vaddr_t>(pages) * kPageSize;
    e.etype = UVM_ET_COPYONWRITE;
    e.aref.ar_amap = amap_alloc(uvm, static_cast<vsize_t>(nslot < 0 ? pages + pageoff : nslot) * kPageSize, 0);
    e.aref.ar_pageoff = pageoff;
  }
  ~AmapFixture() {
    if (e.aref.ar_amap) amap_unref(e.aref.ar_amap, e.aref.ar_pageoff, e.npages(), true);
  }
  Anon* add(int page) {
    Anon* a = uvm_analloc(uvm);
    amap_add(&e.aref, static_cast<vaddr_t>(page) * kPageSize, a, false);
    return a;
  }
  // am_nused is exact: it counts the non-null slots, all below am_nslot
  // (whole-amap walks scan [0, nslot) and stop after nused anons).
  void check_slots() {
    Amap* a = e.aref.ar_amap;
    int n = 0;
    for (int s = 0; s < a->am_maxslot; s++)
      if (amap_anon_at(a, s)) {
        REQUIRE(s < a->am_nslot);
        n++;
      }
    REQUIRE(n == a->am_nused);
  }
};

}  // namespace

TEST_CASE("amap_extend: every case", "[amap][extend]") {
  const char* which = nullptr;
  SECTION("1f: the amap already spans the added slots") {
    AmapFixture f(2, 0, 4);  // nslot 4, entry maps 2
    Anon* a0 = f.add(0);
    REQUIRE(amap_extend(&f.e, 2 * kPageSize, AMAP_EXTEND_FORWARDS, &which));
    CHECK(std::string(which) == "1f");
    f.e.end += 2 * kPageSize;
    CHECK(amap_lookup(&f.e.aref, 0) == a0);
    f.check_slots();
  }
  SECTION("1b: free slots before the entry") {
    AmapFixture f(2, 3, 5);  // entry at slots 3..4
    Anon* a = f.add(1);      // slot 4
    REQUIRE(amap_extend(&f.e, 3 * kPageSize, AMAP_EXTEND_BACKWARDS, &which));
    CHECK(std::string(which) == "1b");
    CHECK(f.e.aref.ar_pageoff == 0);
    f.e.start -= 3 * kPageSize;
    CHECK(amap_lookup(&f.e.aref, 4 * kPageSize) == a);
    f.check_slots();
  }
  SECTION("2f: spare (rounded-up) slots absorb a forward extension") {
    AmapFixture f(3);  // nslot 3, maxslot rounded to 8
    REQUIRE(f.e.aref.ar_amap->am_maxslot == 8);
    Anon* a = f.add(2);
    REQUIRE(amap_extend(&f.e, 4 * kPageSize, AMAP_EXTEND_FORWARDS, &which));
    CHECK(std::string(which) == "2f");
    CHECK(f.e.aref.ar_amap->am_nslot == 7);
    f.e.end += 4 * kPageSize;
    CHECK(amap_lookup(&f.e.aref, 2 * kPageSize) == a);
    f.check_slots();
  }
  SECTION("2b: spare slots absorb a backward extension by sliding up") {
    AmapFixture f(3);
    Anon* a0 = f.add(0);
    Anon* a2 = f.add(2);
    REQUIRE(amap_extend(&f.e, 2 * kPageSize, AMAP_EXTEND_BACKWARDS, &which));
    CHECK(std::string(which) == "2b");
    f.e.start -= 2 * kPageSize;
    // The old pages keep their anons at their new slot positions.
    CHECK(amap_lookup(&f.e.aref, 2 * kPageSize) == a0);
    CHECK(amap_lookup(&f.e.aref, 4 * kPageSize) == a2);
    CHECK(amap_lookup(&f.e.aref, 0) == nullptr);
    CHECK(f.e.aref.ar_pageoff + f.e.nslots() <= f.e.aref.ar_amap->am_nslot);
    f.check_slots();
  }
  SECTION("3 forwards: reallocation") {
    AmapFixture f(8);  // maxslot 8: no spare
    Anon* a7 = f.add(7);
    REQUIRE(amap_extend(&f.e, 5 * kPageSize, AMAP_EXTEND_FORWARDS, &which));
    CHECK(std::string(which) == "3");
    CHECK(f.e.aref.ar_amap->am_maxslot >= 13);
    f.e.end += 5 * kPageSize;
    CHECK(amap_lookup(&f.e.aref, 7 * kPageSize) == a7);
    f.check_slots();
  }
  SECTION("3 backwards: reallocation with the entry moved up") {
    AmapFixture f(8);
    Anon* a0 = f.add(0);
    Anon* a7 = f.add(7);
    REQUIRE(amap_extend(&f.e, 3 * kPageSize, AMAP_EXTEND_BACKWARDS, &which));
    CHECK(std::string(which) == "3");
    f.e.start -= 3 * kPageSize;
    CHECK(amap_lookup(&f.e.aref, 3 * kPageSize) == a0);
    CHECK(amap_lookup(&f.e.aref, 10 * kPageSize) == a7);
    f.check_slots();
  }
  SECTION("with ppref: per-page counts follow the extension") {
    AmapFixture f(3);
    amap_pp_establish(f.e.aref.ar_amap, 0);
    REQUIRE(amap_has_ppref(f.e.aref.ar_amap));
    REQUIRE(amap_extend(&f.e, 2 * kPageSize, AMAP_EXTEND_BACKWARDS, &which));
    f.e.start -= 2 * kPageSize;
    Amap* a = f.e.aref.ar_amap;
    for (int s = 0; s < a->am_nslot;) {
      int ref, len;
      pp_getreflen(a->am_ppref.get(), s, &ref, &len);
      const bool inside = s >= f.e.aref.ar_pageoff && s < f.e.aref.ar_pageoff + f.e.nslots();
      CHECK(ref == (inside ? 1 : 0));
      s += len;
    }
  }
  SECTION("3 with ppref: arrays and per-page counts follow the reallocation") {
    for (const bool forwards : {true, false}) {
      INFO("forwards " << forwards);
      AmapFixture f(8);  // maxslot 8: no spare
      amap_pp_establish(f.e.aref.ar_amap, 0);
      Anon* a0 = f.add(0);
      Anon* a7 = f.add(7);
      REQUIRE(amap_extend(&f.e, 3 * kPageSize, forwards ? AMAP_EXTEND_FORWARDS : AMAP_EXTEND_BACKWARDS,
                          &which));
      CHECK(std::string(which) == "3");
      if (forwards) f.e.end += 3 * kPageSize;
      else f.e.start -= 3 * kPageSize;
      const vaddr_t shift = forwards ? 0 : 3 * kPageSize;
      CHECK(amap_lookup(&f.e.aref, shift) == a0);
      CHECK(amap_lookup(&f.e.aref, shift + 7 * kPageSize) == a7);
      Amap* a = f.e.aref.ar_amap;
      REQUIRE(amap_has_ppref(a));
      for (int s = 0; s < a->am_nslot;) {
        int ref, len;
        pp_getreflen(a->am_ppref.get(), s, &ref, &len);
        REQUIRE(len > 0);
        for (int i = s; i < s + len; i++) {
          const bool inside = i >= f.e.aref.ar_pageoff && i < f.e.aref.ar_pageoff + f.e.nslots();
          CHECK(ref == (inside ? 1 : 0));
        }
        s += len;
      }
      f.check_slots();
    }
  }
  SECTION("refused: shared amap, or anons outside the entry") {
    AmapFixture f(2, 0, 4);
    f.add(3);  // an anon beyond the entry (stale without ppref)
    CHECK_FALSE(amap_extend(&f.e, kPageSize, AMAP_EXTEND_FORWARDS));
  }
  SECTION("refused: allocation failure leaves the amap intact") {
    AmapFixture f(8);
    Anon* a = f.add(3);
    f.uvm.fail_amap_allocs = 1;
    CHECK_FALSE(amap_extend(&f.e, 9 * kPageSize, AMAP_EXTEND_FORWARDS));
    CHECK(amap_lookup(&f.e.aref, 3 * kPageSize) == a);
    CHECK(f.e.aref.ar_amap->am_nslot == 8);
  }
}

TEST_CASE("amap_wipeout keeps anons shared elsewhere", "[amap][wipeout]") {
  auto m = make_machine();
  Uvm& uvm = m->uvm();
  MapEntry e1, e2;
  e1.start = e2.start = 0;
  e1.end = e2.end = 4 * kPageSize;
  e1.aref.ar_amap = amap_alloc(uvm, 4 * kPageSize, 0);
  e2.aref.ar_amap = amap_alloc(uvm, 4 * kPageSize, 0);
  Anon* shared = uvm_analloc(uvm);
  Anon* only1 = uvm_analloc(uvm);
  amap_add(&e1.aref, 0, shared, false);
  amap_add(&e1.aref, kPageSize, only1, false);
  shared->an_ref++;
  amap_add(&e2.aref, 2 * kPageSize, shared, false);
  const auto before = uvm.nanons;
  amap_unref(e1.aref.ar_amap, 0, 4, true);  // last reference: wipeout
  CHECK(uvm.nanons == before - 1);           // only1 freed
  CHECK(shared->an_ref == 1);                // survived
  CHECK(amap_lookup(&e2.aref, 2 * kPageSize) == shared);
  amap_unref(e2.aref.ar_amap, 0, 4, true);
  CHECK(uvm.nanons == before - 2);
  CHECK(uvm.amaps.empty());
}

TEST_CASE("sparse amap: whole-amap and range walks find every anon", "[amap][wipeout]") {
  // No used-slot list: walks scan am_anon and stop after am_nused anons, so
  // anons at the first and last slots and in between must all be found.
  auto m = make_machine();
  Uvm& uvm = m->uvm();
  MapEntry e;
  e.start = 0;
  e.end = UVM_AMAP_CHUNK * kPageSize;
  e.aref.ar_amap = amap_alloc(uvm, UVM_AMAP_CHUNK * kPageSize, 0);
  Amap* a = e.aref.ar_amap;
  const auto before = uvm.nanons;
  for (int slot : {0, 5, 9, UVM_AMAP_CHUNK - 1})
    amap_add(&e.aref, static_cast<vaddr_t>(slot) * kPageSize, uvm_analloc(uvm), false);
  CHECK(a->am_nused == 4);
  CHECK(uvm.nanons == before + 4);
  amap_wiperange(a, 8, UVM_AMAP_CHUNK - 8);  // slots 9 and 15
  CHECK(a->am_nused == 2);
  CHECK(uvm.nanons == before + 2);
  CHECK(amap_lookup(&e.aref, 5 * kPageSize) != nullptr);
  CHECK(amap_lookup(&e.aref, 9 * kPageSize) == nullptr);
  Anon* a5 = amap_lookup(&e.aref, 5 * kPageSize);
  amap_unadd(&e.aref, 5 * kPageSize);  // the caller owns the anon now
  CHECK(a->am_nused == 1);
  uvm_anon_dropref(uvm, a5);
  CHECK(uvm.nanons == before + 1);
  amap_unref(a, 0, UVM_AMAP_CHUNK, true);  // last reference: wipeout finds slot 0
  CHECK(uvm.nanons == before);
  CHECK(uvm.amaps.empty());
}

TEST_CASE("amap_splitref establishes ppref and adds a reference", "[amap][splitref]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(0x10000000, 8 * kPageSize, RW, Sharing::kPrivate).ok());
  REQUIRE(p->fill(0x10000000, 8 * kPageSize, 0x5a)->ok());
  auto before = m->stats();
  CHECK(before.amaps == 1);
  // mprotect of the middle clips the entry twice: three entries, one amap.
  REQUIRE_OK(p->mprotect(0x10000000 + 2 * kPageSize, 2 * kPageSize, R));
  auto after = m->stats();
  CHECK(after.amap_splitref - before.amap_splitref == 2);
  CHECK(after.amaps == 1);
  CHECK(p->mappings().size() == 3);
  CHECK_INVARIANTS(*m);
  CHECK(read_str(p, 0x10000000 + 3 * kPageSize, 2) == "ZZ");
}
