// Invalidation: the self-test's choice, and that the chosen strategy really
// makes host edits visible to ring 3 when used the way the pmap uses it.
#include <cstring>

#include <catch2/catch.hpp>

#include "kvm/guest.h"
#include "kvm/page_tables.h"
#include "kvm/self_test.h"
#include "kvm_test_util.h"

using namespace uvmsim::kvm;
using namespace uvmsim::kvm::testing;
using uvmsim::Status;
using uvmsim::StatusOr;

namespace {
constexpr std::uint64_t kBase = 0x20000000;

StatusOr<FaultAction> fail_all(const PageFault&) { return FaultAction::kFail; }

std::uint64_t peek(Guest& g, std::uint64_t root, std::uint64_t va) {
  std::uint64_t v = 0;
  auto r = g.read(root, va, {reinterpret_cast<std::uint8_t*>(&v), 8}, fail_all);
  REQUIRE(r.ok());
  REQUIRE(r->ok);
  return v;
}

std::uint64_t frame_with(PhysMem& phys, std::uint64_t marker) {
  const std::uint64_t f = phys.alloc_frame();
  std::memcpy(phys.hva(f), &marker, 8);
  return f;
}
}  // namespace

TEST_CASE("self-test: picks a strategy from measured behaviour and says why", "[kvm][inval]") {
  SKIP_WITHOUT_KVM();
  auto phys = make_phys();
  GuestConfig cfg;
  cfg.phys_fd = phys->fd.get();
  cfg.phys_base = phys->map.get();
  cfg.phys_size = phys->size;
  cfg.pool_bytes = 16 << 20;
  auto g = Guest::Create(cfg);
  REQUIRE(g.ok());
  const SelfTestResult& st = (*g)->self_test();
  INFO(st.to_string());
  REQUIRE(st.ran);
  CHECK(st.accessed_bit_set);
  CHECK(st.chosen.pte != Method::kNone);
  CHECK(st.chosen.pde != Method::kNone);
  CHECK(!st.chosen.why.empty());
  for (const Probe& p : st.pte)
    if (p.method == st.chosen.pte) CHECK(p.works());
  // Nothing is left behind: probes' frames are back in the pool.
  CHECK((*g)->pool().page_table_pages() == 0);
  CHECK((*g)->pool().scratch_pages() == 0);
  CHECK((*g)->pool().quarantined_pages() == 0);
  WARN("self-test (informational):\n" << st.to_string());
}

TEST_CASE("invalidation: a remapped PTE becomes visible through the chosen strategy",
          "[kvm][inval]") {
  SKIP_WITHOUT_KVM();
  auto phys = make_phys();
  auto g = make_guest(*phys);
  REQUIRE(g);
  auto pt = PageTables::Create(g->pool(), g->layout());
  REQUIRE(pt.ok());
  const std::uint64_t root = pt->root_gpa();
  // 16 pages, all touched, then all remapped in one batch.
  std::uint64_t old_f[16];
  for (int i = 0; i < 16; ++i) {
    old_f[i] = frame_with(*phys, 0x1000 + i);
    REQUIRE(pt->map(kBase + i * 4096, old_f[i], kUserRw).ok());
    CHECK(peek(*g, root, kBase + i * 4096) == 0x1000u + i);
  }
  for (int i = 0; i < 16; ++i) {
    auto pte = pt->entry(kBase + i * 4096, 1, false);
    REQUIRE(pte.ok());
    const std::uint64_t old = __atomic_exchange_n(*pte, frame_with(*phys, 0x2000 + i) | kUserRw,
                                                  __ATOMIC_SEQ_CST);
    if (old & x86::kPteA) g->invalidator().add_page(root, kBase + i * 4096, old_f[i]);
  }
  CHECK(g->invalidator().pending());
  REQUIRE(g->invalidator().flush().ok());
  CHECK(!g->invalidator().pending());
  for (int i = 0; i < 16; ++i) CHECK(peek(*g, root, kBase + i * 4096) == 0x2000u + i);

  // Removal: an invalidated PTE cleared to 0 faults again.
  auto pte = pt->entry(kBase, 1, false);
  REQUIRE(pte.ok());
  const std::uint64_t old = __atomic_exchange_n(*pte, 0, __ATOMIC_SEQ_CST);
  g->invalidator().add_page(root, kBase, old & x86::kPteAddrMask);
  REQUIRE(g->invalidator().flush().ok());
  std::uint8_t b;
  auto r = g->read(root, kBase, {&b, 1}, fail_all);
  REQUIRE(r.ok());
  CHECK(!r->ok);
  CHECK(r->error_code == 4);

  // Write-protect: a PTE downgraded to read-only faults with 7 on write.
  auto pte1 = pt->entry(kBase + 4096, 1, false);
  REQUIRE(pte1.ok());
  const std::uint8_t v = 1;
  REQUIRE(g->write(root, kBase + 4096, {&v, 1}, fail_all)->ok);
  const std::uint64_t was = __atomic_fetch_and(*pte1, ~x86::kPteW, __ATOMIC_SEQ_CST);
  REQUIRE((was & x86::kPteD) != 0);
  g->invalidator().add_page(root, kBase + 4096, was & x86::kPteAddrMask);
  REQUIRE(g->invalidator().flush().ok());
  r = g->write(root, kBase + 4096, {&v, 1}, fail_all);
  REQUIRE(r.ok());
  CHECK(!r->ok);
  CHECK(r->error_code == 7);
}

TEST_CASE("invalidation: a frame zap reaches every address space mapping the frame",
          "[kvm][inval][roots]") {
  SKIP_WITHOUT_KVM();
  auto phys = make_phys();
  auto g = make_guest(*phys);
  REQUIRE(g);
  auto a = PageTables::Create(g->pool(), g->layout());
  auto b = PageTables::Create(g->pool(), g->layout());
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  // A shared page (as after fork): both roots map F; both are then moved to
  // G (as COW resolution would do one at a time); one flush covers both.
  const std::uint64_t f = frame_with(*phys, 0xf), gf = frame_with(*phys, 0x9);
  REQUIRE(a->map(kBase, f, kUserRw).ok());
  REQUIRE(b->map(kBase, f, kUserRw).ok());
  CHECK(peek(*g, a->root_gpa(), kBase) == 0xf);
  CHECK(peek(*g, b->root_gpa(), kBase) == 0xf);
  for (PageTables* pt : {&*a, &*b}) {
    auto pte = pt->entry(kBase, 1, false);
    REQUIRE(pte.ok());
    **pte = gf | kUserRw;
    g->invalidator().add_page(pt->root_gpa(), kBase, f);
  }
  REQUIRE(g->invalidator().flush().ok());
  CHECK(peek(*g, a->root_gpa(), kBase) == 0x9);
  CHECK(peek(*g, b->root_gpa(), kBase) == 0x9);
}

TEST_CASE("invalidation: a replaced page table (PDE change) becomes visible", "[kvm][inval][pde]") {
  SKIP_WITHOUT_KVM();
  auto phys = make_phys();
  auto g = make_guest(*phys);
  REQUIRE(g);
  auto pt = PageTables::Create(g->pool(), g->layout());
  REQUIRE(pt.ok());
  const std::uint64_t root = pt->root_gpa();
  std::uint64_t old_f[4];
  for (int i = 0; i < 4; ++i) {
    old_f[i] = frame_with(*phys, 0x100 + i);
    REQUIRE(pt->map(kBase + i * 4096, old_f[i], kUserRw).ok());
    CHECK(peek(*g, root, kBase + i * 4096) == 0x100u + i);
  }
  // As the pmap does it: empty the old table (reporting touched leaves),
  // flush, then point the PDE at a new table.
  auto x = pt->table_of(kBase, 1);
  REQUIRE(x.ok());
  for (int i = 0; i < 4; ++i) {
    std::uint64_t& e = x->table()[x86::pt_index(kBase + i * 4096, 1)];
    const std::uint64_t old = __atomic_exchange_n(&e, 0, __ATOMIC_SEQ_CST);
    if (old & x86::kPteA) g->invalidator().add_page(root, kBase + i * 4096, old_f[i]);
  }
  REQUIRE(g->invalidator().flush().ok());
  auto y = pt->new_table();
  REQUIRE(y.ok());
  for (int i = 0; i < 4; ++i)
    y->table()[x86::pt_index(kBase + i * 4096, 1)] = frame_with(*phys, 0x200 + i) | kUserRw;
  auto pd = pt->table_of(kBase, 2);
  REQUIRE(pd.ok());
  REQUIRE(g->invalidator()
              .set_table_entry(root, kBase, *pd, x86::pt_index(kBase, 2),
                               y->gpa | x86::kPteP | x86::kPteW | x86::kPteU)
              .ok());
  REQUIRE(g->invalidator().flush().ok());
  CHECK((pd->table()[x86::pt_index(kBase, 2)] & x86::kPteAddrMask) == y->gpa);
  for (int i = 0; i < 4; ++i) CHECK(peek(*g, root, kBase + i * 4096) == 0x200u + i);
}

TEST_CASE("invalidation: every PDE method the self-test found working works via set_table_entry",
          "[kvm][inval][pde]") {
  SKIP_WITHOUT_KVM();
  auto phys = make_phys();
  auto g = make_guest(*phys);
  REQUIRE(g);
  for (Method m : {Method::kRing0Store, Method::kGlobalZap}) {
    Strategy s = g->invalidator().strategy();
    s.pde = m;
    g->invalidator().set_strategy(s);
    auto pt = PageTables::Create(g->pool(), g->layout());
    REQUIRE(pt.ok());
    const std::uint64_t root = pt->root_gpa();
    REQUIRE(pt->map(kBase, frame_with(*phys, 1), kUserRw).ok());
    CHECK(peek(*g, root, kBase) == 1);
    // No leaf invalidation this time: the PDE method alone must do it.
    auto y = pt->new_table();
    REQUIRE(y.ok());
    y->table()[x86::pt_index(kBase, 1)] = frame_with(*phys, 2) | kUserRw;
    auto pd = pt->table_of(kBase, 2);
    REQUIRE(pd.ok());
    REQUIRE(g->invalidator()
                .set_table_entry(root, kBase, *pd, x86::pt_index(kBase, 2),
                                 y->gpa | x86::kPteP | x86::kPteW | x86::kPteU)
                .ok());
    REQUIRE(g->invalidator().flush().ok());
    INFO("method " << to_string(m));
    CHECK(peek(*g, root, kBase) == 2);
  }
}

TEST_CASE("invalidation: without it, a host PTE edit stays invisible on this platform",
          "[kvm][inval][platform]") {
  SKIP_WITHOUT_KVM();
  auto phys = make_phys();
  GuestConfig cfg;
  cfg.phys_fd = phys->fd.get();
  cfg.phys_base = phys->map.get();
  cfg.phys_size = phys->size;
  cfg.pool_bytes = 16 << 20;
  auto g = Guest::Create(cfg);
  REQUIRE(g.ok());
  bool none_works = false;
  for (const Probe& p : (*g)->self_test().pte)
    if (p.method == Method::kNone) none_works = p.works();
  auto pt = PageTables::Create((*g)->pool(), (*g)->layout());
  REQUIRE(pt.ok());
  const std::uint64_t root = pt->root_gpa();
  REQUIRE(pt->map(kBase, frame_with(*phys, 1), kUserRw).ok());
  CHECK(peek(**g, root, kBase) == 1);
  auto pte = pt->entry(kBase, 1, false);
  REQUIRE(pte.ok());
  **pte = frame_with(*phys, 2) | kUserRw;
  // The direct test agrees with what the self-test measured.
  CHECK((peek(**g, root, kBase) == 2) == none_works);
}

TEST_CASE("pool: freed page tables are quarantined until a global zap", "[kvm][inval][pool]") {
  SKIP_WITHOUT_KVM();
  auto phys = make_phys();
  auto g = make_guest(*phys);
  REQUIRE(g);
  const auto base_pt = g->pool().page_table_pages();
  {
    auto pt = PageTables::Create(g->pool(), g->layout());
    REQUIRE(pt.ok());
    REQUIRE(pt->map(kBase, phys->alloc_frame(), kUserRw).ok());
    CHECK(g->pool().page_table_pages() == base_pt + 4);  // PML4, PDPT, PD, PT
  }
  CHECK(g->pool().page_table_pages() == base_pt);
  CHECK(g->pool().quarantined_pages() == 4);
  const auto zaps = g->invalidator().counters().global_zaps;
  REQUIRE(g->invalidator().global_zap().ok());
  CHECK(g->invalidator().counters().global_zaps == zaps + 1);
  CHECK(g->pool().quarantined_pages() == 0);
}

TEST_CASE("invalidation: ring-0 helpers run inside a fault handler keep the ring-3 context",
          "[kvm][inval][ring0]") {
  SKIP_WITHOUT_KVM();
  auto phys = make_phys();
  auto g = make_guest(*phys);
  REQUIRE(g);
  auto pt = PageTables::Create(g->pool(), g->layout());
  REQUIRE(pt.ok());
  const std::uint64_t root = pt->root_gpa();
  std::vector<std::uint8_t> data(3 * 4096);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7);
  int faults = 0;
  FaultHandler h = [&](const PageFault& pf) -> StatusOr<FaultAction> {
    ++faults;
    if (Status s = pt->map(pf.cr2 & ~0xfffull, phys->alloc_frame(), kUserRw); !s.ok()) return s;
    // Both kinds of ring-0 run, as a flush in pmap_update() would do.
    if (Status s = g->invalidator().guest_cr3_reload(root); !s.ok()) return s;
    auto pd = pt->table_of(pf.cr2, 2);
    if (!pd.ok()) return pd.status();
    const unsigned idx = x86::pt_index(pf.cr2, 2);
    if (Status s = g->invalidator().ring0_store(*pd, idx, pd->table()[idx]); !s.ok()) return s;
    return FaultAction::kRetry;
  };
  auto w = g->write(root, kBase + 10, data, h);
  REQUIRE(w.ok());
  CHECK(w->ok);
  CHECK(faults == 4);
  auto s = g->sum(root, kBase + 10, data.size(), fail_all);
  REQUIRE(s.ok());
  CHECK(s->hash == fnv1a(data.data(), data.size()));
}
