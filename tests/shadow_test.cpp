// The shadow-object model (anon=shadow): FreeBSD's
// tests/sys/vm/shared_shadow_inval_test.c shapes on both models, and the
// shadow model's own behaviour — chains grow with forks and shrink again
// (collapse, bypass), no page is hidden or leaked when processes exit,
// anon loans are refused, the checker sees the chains, dumps show them.
#include <catch2/catch.hpp>

#include <cerrno>
#include <string>

#include "core/shadow_object.h"
#include "core/uvm.h"
#include "core/vm_map.h"
#include "core/vmspace.h"
#include "fmt/format.h"
#include "helpers.h"
#include "uvmsim/dump.h"
#include "uvmsim/loan.h"

using namespace uvmsim;
using namespace uvmsim::test;

namespace {

constexpr vaddr_t A = 0x10000000;
constexpr vsize_t P = kPageSize;

std::unique_ptr<Machine> machine_with(AnonModel model, std::uint64_t mem = 16ull << 20) {
  MachineConfig cfg;
  cfg.mem_bytes = mem;
  cfg.swap_bytes = 64ull << 20;
  cfg.backend = test_backend();
  cfg.anon_model = model;
  auto m = Machine::Create(cfg);
  INFO(m.status().ToString());
  REQUIRE(m.ok());
  return std::move(*m);
}

// A shadow machine whose process p filled npages of private memory at A
// with 'a' and forked c: the start of most shapes below.
struct Forked {
  std::unique_ptr<Machine> m;
  Process* p;
  Process* c;
};
Forked filled_then_forked(std::uint64_t npages) {
  Forked f{machine_with(AnonModel::kShadow), nullptr, nullptr};
  f.p = spawn(*f.m, "p");
  REQUIRE(f.p->mmap(A, npages * P, RW, Sharing::kPrivate).ok());
  REQUIRE(f.p->fill(A, npages * P, 'a')->outcome == Outcome::kOk);
  auto c = f.p->fork("c");
  REQUIRE(c.ok());
  f.c = *c;
  return f;
}

std::string page_text(char c, int page) { return std::string(1, c) + std::to_string(page) + "-page"; }

// shared_shadow_inval_test.c: a private mapping is written, the process
// forks (the child shares the pages copy-on-write), the child marks the
// range inherit-share and forks a grandchild (the child's needs-copy range
// gets a shadow that both then share), then the first process exits, so
// that the chain under the shared shadow collapses. Writes by either sharer
// must be seen by the other — a stale mapping of a page the collapse moved
// or a copy-up replaced would show old bytes.
void shared_shadow_inval(AnonModel model, int npages, bool wire) {
  auto m = machine_with(model);
  Process* p = spawn(*m, "p");
  const vsize_t len = static_cast<vsize_t>(npages) * P;
  REQUIRE(p->mmap(A, len, RW, Sharing::kPrivate).ok());
  for (int i = 0; i < npages; i++) write_str(p, A + i * P, page_text('a', i));
  if (wire) REQUIRE_OK(p->mlock(A, len));
  auto c = p->fork("c");
  REQUIRE(c.ok());
  // The child maps the pages read-only through the shared object.
  for (int i = 0; i < npages; i++) CHECK(read_str(*c, A + i * P, 7) == page_text('a', i).substr(0, 7));
  REQUIRE_OK((*c)->minherit(A, len, Inherit::kShare));
  auto g = (*c)->fork("g");
  REQUIRE(g.ok());
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(p->exit());  // the object under the shared shadow loses a reference
  CHECK_INVARIANTS(*m);
  for (int i = 0; i < npages; i++) {
    write_str(*g, A + i * P, page_text('g', i));
    CHECK(read_str(*c, A + i * P, 7) == page_text('g', i).substr(0, 7));
  }
  for (int i = 0; i < npages; i++) {
    write_str(*c, A + i * P, page_text('c', i));
    CHECK(read_str(*g, A + i * P, 7) == page_text('c', i).substr(0, 7));
  }
  CHECK_INVARIANTS(*m);
  REQUIRE_OK((*c)->exit());
  CHECK(read_str(*g, A, 7) == page_text('c', 0).substr(0, 7));
  REQUIRE_OK((*g)->exit());
  CHECK_INVARIANTS(*m);
  const UvmExp s = m->stats();
  CHECK(s.anons == 0);
  CHECK(s.objects == 0);
  CHECK(s.free == s.npages);
}

}  // namespace

TEST_CASE("shared shadow invalidation: one page", "[shadow][fork][minherit]") {
  for (AnonModel model : {AnonModel::kAmap, AnonModel::kShadow}) {
    DYNAMIC_SECTION(to_string(model)) { shared_shadow_inval(model, 1, false); }
  }
}

TEST_CASE("shared shadow invalidation: two pages", "[shadow][fork][minherit]") {
  for (AnonModel model : {AnonModel::kAmap, AnonModel::kShadow}) {
    DYNAMIC_SECTION(to_string(model)) { shared_shadow_inval(model, 2, false); }
  }
}

TEST_CASE("shared shadow invalidation: several pages", "[shadow][fork][minherit]") {
  for (AnonModel model : {AnonModel::kAmap, AnonModel::kShadow}) {
    DYNAMIC_SECTION(to_string(model)) { shared_shadow_inval(model, 17, false); }
  }
}

TEST_CASE("shared shadow invalidation with mlock: one page", "[shadow][fork][minherit][wire]") {
  for (AnonModel model : {AnonModel::kAmap, AnonModel::kShadow}) {
    DYNAMIC_SECTION(to_string(model)) { shared_shadow_inval(model, 1, true); }
  }
}

TEST_CASE("shared shadow invalidation with mlock: two pages", "[shadow][fork][minherit][wire]") {
  for (AnonModel model : {AnonModel::kAmap, AnonModel::kShadow}) {
    DYNAMIC_SECTION(to_string(model)) { shared_shadow_inval(model, 2, true); }
  }
}

TEST_CASE("shared shadow invalidation with mlock: several pages", "[shadow][fork][minherit][wire]") {
  for (AnonModel model : {AnonModel::kAmap, AnonModel::kShadow}) {
    DYNAMIC_SECTION(to_string(model)) { shared_shadow_inval(model, 17, true); }
  }
}

TEST_CASE("shadow: fork-write generations grow a chain that collapses as processes exit", "[shadow][collapse]") {
  auto m = machine_with(AnonModel::kShadow);
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 8 * P, RW, Sharing::kPrivate).ok());
  REQUIRE(p->fill(A, 8 * P, 'a')->outcome == Outcome::kOk);
  // Each generation forks and the child writes one page: the child's chain
  // is one object longer than its parent's while the parent lives.
  Process* cur = p;
  std::vector<Process*> gens{p};
  for (int gen = 1; gen <= 4; gen++) {
    auto c = cur->fork("g" + std::to_string(gen));
    REQUIRE(c.ok());
    write_str(*c, A + static_cast<vaddr_t>(gen) * P, "gen" + std::to_string(gen));
    cur = *c;
    gens.push_back(cur);
  }
  CHECK_INVARIANTS(*m);
  UvmExp s = m->stats();
  CHECK(s.chain_max >= 5);
  // The histogram: p sees its own object (1), each generation one more.
  CHECK(s.chains_1 == 1);
  CHECK(s.chains_2 == 1);
  CHECK(s.chains_3_4 == 2);
  CHECK(s.chains_5_8 == 1);
  CHECK(s.chains_9_16 + s.chains_17up == 0);
  CHECK(s.chain_mean_x100 == (1 + 2 + 3 + 4 + 5) * 100 / 5);
  CHECK(s.object_shadows >= 4);
  // The ancestors exit: the objects under the last child collapse into it.
  for (std::size_t i = 0; i + 1 < gens.size(); i++) {
    REQUIRE_OK(gens[i]->exit());
    CHECK_INVARIANTS(*m);
  }
  s = m->stats();
  CHECK(s.object_collapses > 0);
  CHECK(s.chain_max == 1);
  CHECK(s.hidden_pages == 0);
  CHECK(s.objects == 1);
  CHECK(read_str(cur, A, 1) == "a");
  for (int gen = 1; gen <= 4; gen++)
    CHECK(read_str(cur, A + static_cast<vaddr_t>(gen) * P, 4) == "gen" + std::to_string(gen));
  REQUIRE_OK(cur->exit());
  CHECK(m->stats().objects == 0);
  CHECK(m->stats().free == m->stats().npages);
}

TEST_CASE("shadow: pages a child overwrote are hidden in the parent's object until the parent exits",
          "[shadow][hidden]") {
  auto [m, p, c] = filled_then_forked(4);
  REQUIRE(c->fill(A, 4 * P, 'c')->outcome == Outcome::kOk);  // the child copied every page up
  REQUIRE(p->fill(A, 4 * P, 'p')->outcome == Outcome::kOk);     // and so did the parent
  // The object both shadow still holds the four original pages: nobody can
  // reach them (each side sees its own copies).
  CHECK(m->stats().hidden_pages == 4);
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(c->exit());
  // One shadow left: it collapses the shared object into itself, dropping
  // the pages it shadows.
  CHECK(m->stats().hidden_pages == 0);
  CHECK(m->stats().object_collapses >= 1);
  CHECK(read_str(p, A, 1) == "p");
  CHECK_INVARIANTS(*m);
}

TEST_CASE("shadow: a write to a page only its first object's backing object holds renames it", "[shadow][cow]") {
  auto [m, p, c] = filled_then_forked(2);
  write_str(c, A, "c");  // the child shadows the object
  write_str(p, A, "p");   // the parent too: the object now backs two shadows
  REQUIRE_OK(c->exit());
  // The parent's shadow is the object's only user: collapse ran at the
  // child's exit, so the next write finds its page in the first object.
  const UvmExp before = m->stats();
  write_str(p, A + P, "q");
  const UvmExp after = m->stats();
  CHECK(after.cow_faults == before.cow_faults);
  CHECK(read_str(p, A, 1) == "p");
  CHECK(read_str(p, A + P, 1) == "q");
  CHECK_INVARIANTS(*m);
}

TEST_CASE("shadow: anon loans are EOPNOTSUPP, kernel loans work on object pages", "[shadow][loan]") {
  auto m = machine_with(AnonModel::kShadow);
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 2 * P, RW, Sharing::kPrivate).ok());
  write_str(p, A, "lent");
  auto a = m->loan(*p, A, P, LoanTo::kAnon);
  CHECK(errno_of(a.status()) == EOPNOTSUPP);
  auto k = m->loan(*p, A, 2 * P, LoanTo::kKernel);
  REQUIRE(k.ok());
  write_str(p, A, "owner");  // breaks the loan: the borrower keeps the old bytes
  auto r = m->loan_read(*k, 0, 4);
  REQUIRE(r.ok());
  CHECK(std::string(r->begin(), r->end()) == "lent");
  CHECK(read_str(p, A, 5) == "owner");
  CHECK(m->stats().loan_break_obj == 1);
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(m->unloan(*k));
  CHECK_INVARIANTS(*m);
}

TEST_CASE("shadow: the checker catches a wrong reference count and a chain loop", "[shadow][check]") {
  auto m = machine_with(AnonModel::kShadow);
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 2 * P, RW, Sharing::kPrivate).ok());
  write_str(p, A, "x");
  auto c = p->fork("c");
  REQUIRE(c.ok());
  write_str(*c, A, "y");
  CHECK_INVARIANTS(*m);
  const MapEntry* e = (*c)->vmspace().map->lookup(A);
  REQUIRE(e != nullptr);
  ShadowObject* first = e->sref.obj;
  REQUIRE(first != nullptr);
  REQUIRE(first->backing_object != nullptr);
  first->uo_refs++;
  CHECK_FALSE(m->check().ok());
  first->uo_refs--;
  CHECK_INVARIANTS(*m);
  ShadowObject* b = first->backing_object;
  b->backing_object = first;  // a loop
  CHECK_FALSE(m->check().ok());
  b->backing_object = nullptr;
  CHECK_INVARIANTS(*m);
}

TEST_CASE("shadow: dump shows each entry's chain", "[shadow][dump]") {
  auto [m, p, c] = filled_then_forked(4);
  write_str(c, A, "c");
  auto d = dump_process(*c);
  REQUIRE(d.ok());
  CHECK(d->anon_model == "shadow");
  REQUIRE(d->entries.size() == 1);
  const auto& chain = d->entries[0].chain;
  REQUIRE(chain.size() == 2);
  CHECK(chain[0].depth == 0);
  CHECK(chain[0].resident == 1);
  CHECK(chain[0].refs == 1);
  CHECK(chain[1].shadow_count == 1);
  CHECK(chain[1].refs == 2);  // the parent's entry and the child's shadow
  CHECK(chain[1].resident == 4);
  // What the child sees: its copy of page 0 above, pages 1-3 below; the
  // parent's chain holds the lower object too.
  CHECK(chain[0].seen == 1);
  CHECK(chain[1].seen == 3);
  CHECK(chain[0].shared_with.empty());
  REQUIRE(chain[1].shared_with.size() == 1);
  CHECK(chain[1].shared_with[0].process == "p");
  // The queue summary counts the pages the child sees through its chain.
  CHECK(d->queues.proc_active + d->queues.proc_inactive + d->queues.proc_none == 4);
  const std::string text = dump_text(*d);
  CHECK(text.find("backing object S") != std::string::npos);
  CHECK(text.find("this entry sees 3 resident, 0 in swap, also in p") != std::string::npos);
  CHECK(dump_json(*d).find("\"chain\":") != std::string::npos);
  CHECK(dump_json(*d).find("\"shadow_count\":") != std::string::npos);
  CHECK(dump_json(*d).find("\"seen\": 3") != std::string::npos);
  const std::string dot = dump_dot(*d);
  CHECK(dot.find(fmt::format("S{} -> S{}", chain[0].object, chain[1].object)) != std::string::npos);
  CHECK(dot.find(fmt::format("S{} -> \"proc_p\"", chain[1].object)) != std::string::npos);

  // The parent sees all four pages of the lower object; after the child
  // exits, its object is gone and the parent's chain is one object.
  auto dp = dump_process(*p);
  REQUIRE(dp.ok());
  REQUIRE(dp->entries[0].chain.size() == 1);
  CHECK(dp->entries[0].chain[0].seen == 4);
  REQUIRE_OK(c->exit());
  dp = dump_process(*p);
  REQUIRE(dp.ok());
  REQUIRE(dp->entries[0].chain.size() == 1);
  CHECK(dp->entries[0].chain[0].shared_with.empty());
}

TEST_CASE("shadow: a dump tells hidden pages from the ones an entry sees", "[shadow][dump][hidden]") {
  auto [m, p, c] = filled_then_forked(4);
  // Both sides rewrite everything: the shared object's four pages are seen
  // by neither entry (hidden), until one side exits.
  REQUIRE(p->fill(A, 4 * P, 'b')->outcome == Outcome::kOk);
  REQUIRE(c->fill(A, 4 * P, 'c')->outcome == Outcome::kOk);
  CHECK_INVARIANTS(*m);
  const UvmExp s = m->stats();
  CHECK(s.hidden_pages == 4);
  CHECK(s.chains_2 == 2);
  for (Process* q : {p, c}) {
    auto d = dump_process(*q);
    REQUIRE(d.ok());
    const auto& chain = d->entries[0].chain;
    REQUIRE(chain.size() == 2);
    CHECK(chain[0].seen == 4);
    CHECK(chain[1].resident == 4);
    CHECK(chain[1].seen == 0);
  }
}

TEST_CASE("shadow: growing an object downwards keeps each swap slot with its page", "[shadow][coalesce][swap]") {
  auto m = machine_with(AnonModel::kShadow);
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A + P, 2 * P, RW, Sharing::kPrivate).ok());
  write_str(p, A + P, "low");
  write_str(p, A + 2 * P, "high");
  // The lower page goes to swap, the upper one stays resident: the object
  // holds a swap-only index below a resident one.
  const MapEntry* e = p->vmspace().map->lookup(A + P);
  REQUIRE(e != nullptr);
  ShadowObject* obj = e->sref.obj;
  REQUIRE(obj != nullptr);
  const std::uint64_t base = e->sref.off;
  REQUIRE(obj->put(ptoa(base), ptoa(base + 1), PGO_CLEANIT | PGO_FREE) == 0);
  REQUIRE(obj->swslot(base) != 0);
  REQUIRE(obj->page_at(base) == nullptr);
  REQUIRE(obj->page_at(base + 1) != nullptr);
  CHECK_INVARIANTS(*m);
  // A mapping just below joins the entry; the object has no room below its
  // index 0, so it is renumbered upwards.
  const auto merged = m->stats().map_entries_merged;
  const auto coalesces = m->stats().object_coalesces;
  REQUIRE(p->mmap(A, P, RW, Sharing::kPrivate).ok());
  CHECK(m->stats().map_entries_merged == merged + 1);
  CHECK(m->stats().object_coalesces == coalesces + 1);
  CHECK_INVARIANTS(*m);
  CHECK(read_str(p, A, 1) == std::string(1, '\0'));
  CHECK(read_str(p, A + P, 3) == "low");
  CHECK(read_str(p, A + 2 * P, 4) == "high");
  CHECK_INVARIANTS(*m);
}

// A mapping next to an entry whose object shadows another joins the entry
// (as on the amap model: madvise free decides per entry), and every new
// index is marked free: the backing object can still gain pages there later
// (here from the parent, which maps it in place), and the new mapping must
// read zeros. (A random sweep found the leak when only the indices the
// backing object held at coalesce time were marked.)
TEST_CASE("shadow: a mapping coalesced onto an object that shadows another never shows what comes below",
          "[shadow][coalesce]") {
  auto m = machine_with(AnonModel::kShadow);
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 12 * P, RW, Sharing::kPrivate).ok());
  write_str(p, A, "first");  // the object for all 12 pages
  write_str(p, A + P, "second");
  // The top three pages are not inherited: the parent keeps writing into the
  // object there, in place, after the fork.
  REQUIRE_OK(p->minherit(A + 9 * P, 3 * P, Inherit::kZero));
  Process* c = *p->fork("c");
  write_str(c, A, "child");  // c's first object now shadows p's (which
                             // still shows c "second": no collapse, no bypass)
  const MapEntry* ce = c->vmspace().map->lookup(A);
  REQUIRE(ce != nullptr);
  REQUIRE(ce->sref.obj != nullptr);
  REQUIRE(ce->sref.obj->backing_object != nullptr);
  // A fresh mapping over the child's top pages joins its entry.
  const auto coalesces = m->stats().object_coalesces;
  REQUIRE(c->mmap(A + 8 * P, 8 * P, RW, Sharing::kPrivate).ok());
  CHECK(m->stats().object_coalesces == coalesces + 1);
  CHECK(c->vmspace().map->lookup(A + 8 * P) == c->vmspace().map->lookup(A));
  CHECK_INVARIANTS(*m);
  write_str(p, A + 9 * P, "parent's");
  write_str(p, A + 8 * P, "parent's too");
  CHECK(read_str(c, A + 9 * P, 8) == std::string(8, '\0'));
  CHECK(read_str(c, A + 8 * P, 12) == std::string(12, '\0'));
  CHECK(read_str(c, A, 5) == "child");
  CHECK(read_str(c, A + P, 6) == "second");
  CHECK(read_str(p, A, 5) == "first");
  CHECK_INVARIANTS(*m);
  // The marked range works as any other: written, it holds the data.
  write_str(c, A + 9 * P, "mine");
  CHECK(read_str(c, A + 9 * P, 4) == "mine");
  CHECK(read_str(p, A + 9 * P, 8) == "parent's");
  CHECK_INVARIANTS(*m);
}

// madvise free on an entry whose object backs other entries' shadows gives
// the entry a private shadow first (core/shadow_layer.cpp); the entry's
// pages are then below its first object and must lose write permission, or
// a write would land in the shared object in place. (Found by the
// amap-vs-shadow differential: the checker saw writable mappings of pages
// in a backing object.)
TEST_CASE("shadow: madvise free that shadows an entry's object write-protects the entry's pages",
          "[shadow][madvise]") {
  auto m = machine_with(AnonModel::kShadow);
  Process* p = spawn(*m, "p");
  constexpr vaddr_t B = 0x40019000;
  REQUIRE(p->mmap(B, 8 * P, RW, Sharing::kPrivate).ok());
  for (int i = 2; i < 6; i++) write_str(p, B + i * P, "old");
  // The first six pages stay the parent's alone (not inherited); the last
  // two are copied, so both processes' shadows of them sit on the object.
  REQUIRE_OK(p->minherit(B, 6 * P, Inherit::kZero));
  Process* c = *p->fork("c");
  write_str(p, B + 7 * P, "p7");
  write_str(c, B + 6 * P, "c6");
  CHECK_INVARIANTS(*m);
  const auto cow_before = m->stats().cow_faults;
  REQUIRE_OK(p->madvise(B + 5 * P, P, Madvise::kFree));
  CHECK_INVARIANTS(*m);
  // A write to a page the entry still sees now copies it up.
  write_str(p, B + 2 * P, "new");
  CHECK(m->stats().cow_faults == cow_before + 1);
  CHECK(read_str(p, B + 2 * P, 3) == "new");
  CHECK(read_str(p, B + 3 * P, 3) == "old");
  CHECK(read_str(p, B + 5 * P, 3) == std::string(3, '\0'));
  CHECK(read_str(c, B + 6 * P, 2) == "c6");
  CHECK(read_str(c, B + 2 * P, 3) == std::string(3, '\0'));
  CHECK_INVARIANTS(*m);
}

// The entry-shape difference the design notes describe ("large entries"):
// a new anonymous mapping just below an entry whose memory was copied on
// write after a fork. UVM merges it into that entry by growing the amap
// backwards; the shadow model cannot grow that entry's object backwards
// (it shadows the fork's object from offset 0, and offsets into a backing
// object cannot go below zero), so the mapping keeps an entry of its own.
// A clip of the merged UVM entry then makes its amap shared by two
// entries, and madvise free, which decides per entry, keeps the page on
// UVM (deactivates it) and frees it on the shadow model.
TEST_CASE("a backward merge: madvise free follows the entry shape, which differs between the models",
          "[shadow][amap][madvise]") {
  constexpr vaddr_t B = 0x40009000;  // 4 pages; the new mapping ends at B + 2P
  constexpr vaddr_t N = 0x40005000;  // 6 pages
  for (AnonModel model : {AnonModel::kAmap, AnonModel::kShadow}) {
    INFO((model == AnonModel::kAmap ? "amap" : "shadow"));
    auto m = machine_with(model);
    Process* p = spawn(*m, "p");
    REQUIRE(p->mmap(B, 4 * P, kProtRead | kProtWrite, Sharing::kPrivate).ok());
    write_str(p, B + 2 * P, "b");
    write_str(p, B + 3 * P, "c");  // a page the fork's object keeps showing
    auto forked = p->fork("c");
    REQUIRE(forked.ok());
    Process* c = *forked;
    write_str(p, B + 2 * P, "B");  // copy on write: the shadow model makes a shadow
    REQUIRE(p->mmap(N, 6 * P, kProtRead | kProtWrite, Sharing::kPrivate).ok());  // replaces B..B+2P
    write_str(p, N, "n");
    REQUIRE_OK(p->madvise(B + 3 * P, P, Madvise::kRandom));  // clips the last page off
    REQUIRE_OK(p->madvise(N, P, Madvise::kFree));
    const VmMap& map = *p->vmspace().map;
    if (model == AnonModel::kAmap) {
      CHECK(map.nentries() == 2);  // [N, B+3P) and the clipped page
      CHECK(read_str(p, N, 1) == "n");
    } else {
      CHECK(map.nentries() == 3);  // [N, B+2P), [B+2P, B+3P), the clipped page
      CHECK(read_str(p, N, 1) == std::string(1, '\0'));
    }
    // Everything else reads the same on both.
    CHECK(read_str(p, B + 2 * P, 1) == "B");
    CHECK(read_str(p, B + 3 * P, 1) == "c");
    CHECK(read_str(c, B + 2 * P, 1) == "b");
    CHECK_INVARIANTS(*m);
  }
}

// A shared anonymous mapping inherited as a copy is copied at fork. Of a
// 2^30-page mapping with one page touched, the shadow model copies that one
// page into a sparse object (a walk of the whole window took seconds); the
// amap model refuses an amap of more than 2^24 slots with ENOMEM and makes
// no child (docs/user-guide.md, the limits table).
TEST_CASE("a fork copies a huge shared anonymous mapping's touched pages only", "[shadow][amap][fork][size]") {
  constexpr vsize_t kLen = vsize_t{1} << 42;  // 2^30 pages
  for (AnonModel model : {AnonModel::kAmap, AnonModel::kShadow}) {
    INFO((model == AnonModel::kAmap ? "amap" : "shadow"));
    auto m = machine_with(model);
    Process* p = spawn(*m, "p");
    REQUIRE(p->mmap(A, kLen, RW, Sharing::kShared).ok());
    REQUIRE_OK(p->minherit(A, kLen, Inherit::kCopy));
    write_str(p, A + 12345 * P, "x");
    const UvmExp before = m->stats();
    auto forked = p->fork("c");
    if (model == AnonModel::kAmap) {
      REQUIRE_FALSE(forked.ok());
      CHECK(errno_of(forked.status()) == ENOMEM);
      CHECK(m->stats().processes == before.processes);
      CHECK(m->stats().amap_toolarge == before.amap_toolarge + 1);
    } else {
      REQUIRE(forked.ok());
      Process* c = *forked;
      CHECK(m->stats().object_fork_copies == before.object_fork_copies + 1);
      CHECK(read_str(c, A + 12345 * P, 1) == "x");
      write_str(c, A + 12345 * P, "y");  // a private copy: the parent keeps its byte
      CHECK(read_str(p, A + 12345 * P, 1) == "x");
      CHECK(read_str(c, A + 54321 * P, 1) == std::string(1, '\0'));
    }
    CHECK(read_str(p, A + 12345 * P, 1) == "x");
    CHECK_INVARIANTS(*m);
  }
}

// madvise on an entry of 2^30 pages, one object for all of it: only the
// pages the chain holds are visited (a walk of the window took seconds).
// Deactivate moves exactly the resident pages; free drops the child's own
// copy and hides the page it sees from its parent's object behind a mark.
TEST_CASE("shadow: madvise over a huge entry acts on the pages its chain holds", "[shadow][madvise][size]") {
  constexpr vsize_t kLen = vsize_t{1} << 42;  // 2^30 pages
  constexpr vaddr_t kFar = A + (vsize_t{1} << 41);
  auto m = machine_with(AnonModel::kShadow);
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, kLen, RW, Sharing::kPrivate).ok());
  write_str(p, A + 5 * P, "a");
  write_str(p, kFar, "b");
  REQUIRE(p->vmspace().map->nentries() == 1);
  const std::uint64_t inactive_before = m->stats().inactive;
  REQUIRE_OK(p->madvise(A, kLen, Madvise::kDontNeed));
  CHECK(m->stats().inactive == inactive_before + 2);
  auto forked = p->fork("c");
  REQUIRE(forked.ok());
  Process* c = *forked;
  write_str(c, A + 5 * P, "c");  // the child's own copy, in its shadow
  const UvmExp before = m->stats();
  REQUIRE_OK(c->madvise(A, kLen, Madvise::kFree));
  // Both pages are now marked in the child's object: its own copy was
  // freed (the mark keeps the parent's page below from showing through),
  // and kFar, seen from below, is hidden.
  CHECK(m->stats().object_free_marks == before.object_free_marks + 2);
  CHECK(read_str(c, A + 5 * P, 1) == std::string(1, '\0'));
  CHECK(read_str(c, kFar, 1) == std::string(1, '\0'));
  CHECK(read_str(p, A + 5 * P, 1) == "a");
  CHECK(read_str(p, kFar, 1) == "b");
  CHECK_INVARIANTS(*m);
}
