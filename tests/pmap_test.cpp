// The soft pmap and MMU: hardware-like walks, error codes, A/D bits, the
// reverse map.
#include <catch2/catch.hpp>

#include <algorithm>

#include "core/page.h"
#include "core/pmap.h"
#include "core/soft_pmap.h"
#include "core/uvm.h"
#include "core/vmspace.h"
#include "helpers.h"

using namespace uvmsim;
using namespace uvmsim::test;

TEST_CASE("soft MMU: error codes as the CPU pushes them", "[pmap][mmu][soft]") {
  auto m = make_machine();
  Uvm& uvm = m->uvm();
  auto pm = uvm.pmaps->create(uvm);
  REQUIRE(pm.ok());
  Pmap& pmap = **pm;
  Page* pg = uvm.pagealloc(true);
  REQUIRE(pg);
  const vaddr_t va = 0x7000000;
  // Not present: read 4, write 6.
  CHECK(soft_mmu_translate(pmap, va, Access::kRead).error == 4);
  CHECK(soft_mmu_translate(pmap, va, Access::kWrite).error == 6);
  REQUIRE(pmap.enter(va, pg, kProtRead, 0) == 0);
  auto w = soft_mmu_translate(pmap, va + 5, Access::kRead);
  REQUIRE(w.ok);
  CHECK(w.pa == uvm.pm->phys(pg) + 5);
  // Write to read-only: 7. Exec of a no-exec page: protection + I/D.
  CHECK(soft_mmu_translate(pmap, va, Access::kWrite).error == 7);
  CHECK(soft_mmu_translate(pmap, va, Access::kExec).error == (0x10 | 4 | 1));
  // A and D: read sets A only; a write (after upgrade) sets D.
  CHECK(Pmap::is_referenced(pg));
  CHECK_FALSE(Pmap::is_modified(pg));
  REQUIRE(pmap.enter(va, pg, RW, 0) == 0);
  REQUIRE(soft_mmu_translate(pmap, va, Access::kWrite).ok);
  CHECK(Pmap::is_modified(pg));
  CHECK(Pmap::clear_modified(pg));
  CHECK_FALSE(Pmap::is_modified(pg));
  CHECK(Pmap::clear_referenced(pg));
  CHECK_FALSE(Pmap::is_referenced(pg));
  // Remove harvests the bits into the page.
  REQUIRE(soft_mmu_translate(pmap, va, Access::kWrite).ok);
  pmap.remove(va, va + kPageSize);
  CHECK(Pmap::mapping_count(pg) == 0);
  CHECK(Pmap::is_modified(pg));
  CHECK(pmap.resident_count() == 0);
  uvm.pm->free(pg);
}

TEST_CASE("page_protect reaches every mapping through the reverse map", "[pmap][pv][soft]") {
  auto m = make_machine();
  Uvm& uvm = m->uvm();
  auto a = uvm.pmaps->create(uvm);
  auto b = uvm.pmaps->create(uvm);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  Page* pg = uvm.pagealloc(true);
  REQUIRE((*a)->enter(0x1000, pg, RW, 0) == 0);
  REQUIRE((*a)->enter(0x5000, pg, RW, 0) == 0);
  REQUIRE((*b)->enter(0x9000, pg, RW, 0) == 0);
  CHECK(Pmap::mapping_count(pg) == 3);
  Pmap::page_protect(pg, kProtRead);
  for (auto [pm, va] : {std::pair{a->get(), 0x1000ul}, {a->get(), 0x5000ul}, {b->get(), 0x9000ul}}) {
    CHECK_FALSE(soft_mmu_translate(*pm, va, Access::kWrite).ok);
    CHECK(soft_mmu_translate(*pm, va, Access::kRead).ok);
  }
  Pmap::page_protect(pg, kProtNone);
  CHECK(Pmap::mapping_count(pg) == 0);
  CHECK((*a)->resident_count() == 0);
  CHECK((*b)->resident_count() == 0);
  CHECK_FALSE(soft_mmu_translate(**b, 0x9000, Access::kRead).ok);
  uvm.pm->free(pg);
}

TEST_CASE("fault-ahead maps resident neighbours by advice", "[fault][ahead]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  const vaddr_t A = 0x20000000;
  REQUIRE(p->mmap(A, 32 * kPageSize, RW, Sharing::kShared).ok());
  REQUIRE(p->fill(A, 32 * kPageSize, 3)->ok());  // all pages resident in the aobj
  auto c = p->fork("c");
  REQUIRE(c.ok());
  const auto s0 = m->stats();
  CHECK(read_str(*c, A + 10 * kPageSize, 1) == "\x03");
  const auto s1 = m->stats();
  CHECK(s1.faults - s0.faults == 1);
  CHECK(s1.fltnamap - s0.fltnamap == 7);  // normal: 3 behind, 4 ahead
  CHECK((*c)->resident_pages() == 8);
  // Random advice: no neighbours.
  REQUIRE_OK((*c)->madvise(A, 32 * kPageSize, Madvise::kRandom));
  CHECK(read_str(*c, A + 20 * kPageSize, 1) == "\x03");
  CHECK(m->stats().fltnamap == s1.fltnamap);
  // Sequential: 7 ahead, none behind; a scan faults once per 8 pages.
  REQUIRE_OK((*c)->madvise(A, 32 * kPageSize, Madvise::kSequential));
  Process* d = *p->fork("d");
  REQUIRE_OK(d->madvise(A, 32 * kPageSize, Madvise::kSequential));
  const auto s2 = m->stats();
  auto r = d->sum(A, 32 * kPageSize);
  REQUIRE(r->ok());
  CHECK(m->stats().faults - s2.faults == 4);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("fault-ahead: neighbours mapped with full rights count as referenced", "[amap][fault][ahead]") {
  // The fault-ahead enters a neighbour with A=1 when it maps it with the
  // entry's full rights (kvm: lets KVM prefetch it into the shadow table),
  // and with A=0 when a later write will replace it (copy-on-write).
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  const vaddr_t A = 0x20000000, B = A + 64 * kPageSize;
  REQUIRE(p->mmap(A, 16 * kPageSize, RW, Sharing::kShared).ok());
  REQUIRE(p->mmap(B, 16 * kPageSize, RW, Sharing::kPrivate).ok());
  REQUIRE(p->fill(A, 16 * kPageSize, 3)->ok());
  REQUIRE(p->fill(B, 16 * kPageSize, 4)->ok());
  Process* c = *p->fork("c");
  CHECK(read_str(c, A + 8 * kPageSize, 1) == "\x03");
  CHECK(read_str(c, B + 8 * kPageSize, 1) == "\x04");
  Pmap& pm = *c->vmspace().pmap;
  for (int i : {5, 6, 7, 9, 10, 11, 12}) {
    const std::uint64_t* a = pm.pte(A + static_cast<vaddr_t>(i) * kPageSize);
    const std::uint64_t* b = pm.pte(B + static_cast<vaddr_t>(i) * kPageSize);
    REQUIRE(a);
    REQUIRE(b);
    CHECK((*a & (PTE_P | PTE_W | PTE_A)) == (PTE_P | PTE_W | PTE_A));  // shared: full rights
    CHECK((*b & (PTE_P | PTE_W | PTE_A)) == PTE_P);                      // COW: read-only, A=0
  }
  // The child's write replaces a COW neighbour's mapping.
  write_str(c, B + 9 * kPageSize, "x");
  CHECK(read_str(p, B + 9 * kPageSize, 1) == "\x04");
  CHECK_INVARIANTS(*m);
}

TEST_CASE("map entries merge and lookups stay logarithmic", "[amap][map]") {
  auto m = make_machine(64ull << 20);
  Process* p = spawn(*m, "p");
  const vaddr_t A = 0x30000000;
  for (int i = 0; i < 16; i++) REQUIRE(p->mmap(A + i * kPageSize, kPageSize, RW, Sharing::kPrivate).ok());
  CHECK(p->mappings().size() == 1);  // adjacent anonymous entries merged
  CHECK(m->stats().map_entries_merged == 15);
  // Merging keeps working after the amap exists (amap_extend).
  write_str(p, A, "a");
  REQUIRE(p->mmap(A + 16 * kPageSize, kPageSize, RW, Sharing::kPrivate).ok());
  CHECK(p->mappings().size() == 1);
  CHECK(m->stats().amap_extend == 1);
  write_str(p, A + 16 * kPageSize, "b");
  CHECK(read_str(p, A, 1) == "a");
  CHECK_INVARIANTS(*m);
  // 10^4 distinct entries (alternating protections prevent merging).
  for (int i = 0; i < 10000; i++)
    REQUIRE(p->mmap(0x100000000ull + i * kPageSize, kPageSize, (i & 1) ? R : RW, Sharing::kPrivate).ok());
  CHECK(p->mappings().size() == 10001);
  write_str(p, 0x100000000ull + 5000 * kPageSize, "x");
  CHECK(read_str(p, 0x100000000ull + 5000 * kPageSize, 1) == "x");
  CHECK_INVARIANTS(*m);
}

TEST_CASE("reverse map: the first mapping is embedded, more go to the pool and fold back", "[pmap][pv]") {
  auto m = make_machine();
  Uvm& uvm = m->uvm();
  auto a = uvm.pmaps->create(uvm);
  auto b = uvm.pmaps->create(uvm);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  Pmap& pa = **a;
  Pmap& pb = **b;
  CHECK(pa.id() != 0);
  CHECK(pb.id() != 0);
  CHECK(pa.id() != pb.id());
  CHECK(pmap_by_id(pa.id()) == &pa);
  Page* pg = uvm.pagealloc(true);
  REQUIRE(pg);
  const std::uint64_t live0 = uvm.pv.live();
  const vaddr_t v1 = 0x1000, v2 = 0x7e0000000000ull, v3 = 0x200000;  // v2: a high va (bit 46)
  REQUIRE(pa.enter(v1, pg, kProtRead, 0) == 0);
  CHECK(Pmap::mapping_count(pg) == 1);
  CHECK(pg->pv_chain == 0);
  CHECK(uvm.pv.live() == live0);
  REQUIRE(pb.enter(v2, pg, kProtRead, 0) == 0);
  REQUIRE(pa.enter(v3, pg, kProtRead | kProtWrite, 0) == 0);
  CHECK(Pmap::mapping_count(pg) == 3);
  CHECK(pg->pv_chain == 1);
  CHECK(uvm.pv.live() == live0 + 3);
  std::vector<std::pair<Pmap*, vaddr_t>> seen;
  pv_foreach(pg, [&](Pmap* pm, vaddr_t va) { seen.emplace_back(pm, va); });
  std::sort(seen.begin(), seen.end());
  std::vector<std::pair<Pmap*, vaddr_t>> want{{&pa, v1}, {&pa, v3}, {&pb, v2}};
  std::sort(want.begin(), want.end());
  CHECK(seen == want);
  // Write-protect through the reverse map reaches every mapping.
  Pmap::page_protect(pg, kProtRead);
  Prot prot = kProtNone;
  REQUIRE(pa.extract(v3, nullptr, &prot));
  CHECK(!(prot & kProtWrite));
  // Removing the head and a middle entry folds the chain back into the page.
  pb.remove(v2, v2 + kPageSize);
  CHECK(Pmap::mapping_count(pg) == 2);
  pa.remove(v1, v1 + kPageSize);
  CHECK(Pmap::mapping_count(pg) == 1);
  CHECK(pg->pv_chain == 0);
  CHECK(uvm.pv.live() == live0);
  Pmap* pm = nullptr;
  vaddr_t va = 0;
  REQUIRE(pv_first(pg, &pm, &va));
  CHECK(pm == &pa);
  CHECK(va == v3);
  Pmap::page_protect(pg, kProtNone);
  CHECK(Pmap::mapping_count(pg) == 0);
  CHECK(pg->pv_pmap == 0);
  uvm.pagefree(pg);
  // Ids are reused after a pmap goes away.
  const std::uint16_t bid = pb.id();
  b->reset();
  CHECK(pmap_by_id(bid) == nullptr);
}

TEST_CASE("the checker reports a pv entry naming a dead pmap instead of crashing", "[pmap][pv][check]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  const vaddr_t va = 0x10000000;
  REQUIRE(p->mmap(va, kPageSize, RW, Sharing::kPrivate).ok());
  write_str(p, va, "x");
  CHECK_INVARIANTS(*m);
  Page* pg = nullptr;
  REQUIRE(p->vmspace().pmap->extract(va, &pg, nullptr));
  const auto saved = pg->pv_pmap;
  // An id no live pmap holds: allocate one and give it back.
  Pmap* dummy = reinterpret_cast<Pmap*>(alignof(Pmap));
  const std::uint16_t dead = pmap_id_alloc(dummy);
  REQUIRE(dead != 0);
  pmap_id_free(dead);
  pg->pv_pmap = dead;
  Status s = m->check();
  CHECK_FALSE(s.ok());
  CHECK(std::string(s.message()).find("not a live pmap") != std::string::npos);
  pg->pv_pmap = saved;
  CHECK_INVARIANTS(*m);
}

TEST_CASE("sum continues a hash: pieces hash as the whole range", "[access][sum]") {
  // A long range is hashed in pieces (the command does, to stay
  // interruptible): each piece continues the state of the one before. The
  // pieces here cross page boundaries, fault pages in, and meet pages that
  // are in swap.
  auto m = make_machine(1ull << 20);  // 256 pages: the 512-page range must page
  Process* p = spawn(*m, "p");
  const vaddr_t A = 0x20000000;
  const vsize_t len = 512 * kPageSize;
  REQUIRE(p->mmap(A, len, RW, Sharing::kPrivate).ok());
  std::vector<std::uint8_t> bytes(len);
  for (std::size_t i = 0; i < len; i++) bytes[i] = static_cast<std::uint8_t>(i * 7 + i / kPageSize);
  REQUIRE(p->write(A, bytes)->ok());
  std::uint64_t expect = kFnvOffsetBasis;
  for (std::uint8_t b : bytes) expect = (expect ^ b) * 0x100000001b3ull;

  auto whole = p->sum(A, len);
  REQUIRE(whole->ok());
  CHECK(whole->hash == expect);
  std::uint64_t h = kFnvOffsetBasis;
  for (vsize_t at = 0; at < len;) {
    const vsize_t n = std::min<vsize_t>(len - at, 3 * kPageSize + 123);
    auto r = p->sum(A + at, n, h);
    REQUIRE(r->ok());
    h = r->hash;
    at += n;
  }
  CHECK(h == expect);
  CHECK(m->stats().pgswapin > 0);  // the pieces met swapped-out pages
  // An empty piece leaves the state as it was.
  CHECK(p->sum(A, 0, 12345)->hash == 12345);
  CHECK_INVARIANTS(*m);
}
