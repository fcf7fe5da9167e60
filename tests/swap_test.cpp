// Swap, aobj swap slots, the page daemon and its replacement policies.
#include <catch2/catch.hpp>

#include <random>
#include <utility>
#include <vector>

#include "core/page.h"
#include "core/pagedaemon.h"
#include "core/uvm.h"
#include "core/vmspace.h"
#include "core/pmap.h"
#include "helpers.h"
#include "pagers/aobj.h"

using namespace uvmsim;
using namespace uvmsim::test;

namespace {
constexpr vaddr_t A = 0x10000000;

// A per-page pattern that differs by process tag, page and byte.
std::uint8_t pattern(int tag, int page, int byte) {
  return static_cast<std::uint8_t>(tag * 31 + page * 7 + (byte % 251));
}

void write_pages(Process* p, vaddr_t base, int pages, int tag) {
  std::vector<std::uint8_t> buf(kPageSize);
  for (int i = 0; i < pages; i++) {
    for (int b = 0; b < static_cast<int>(kPageSize); b++) buf[b] = pattern(tag, i, b);
    auto r = p->write(base + static_cast<vaddr_t>(i) * kPageSize, buf);
    REQUIRE(r.ok());
    REQUIRE(r->outcome == Outcome::kOk);
  }
}

void verify_pages(Process* p, vaddr_t base, int pages, int tag) {
  std::vector<std::uint8_t> buf(kPageSize);
  for (int i = 0; i < pages; i++) {
    auto r = p->read(base + static_cast<vaddr_t>(i) * kPageSize, buf);
    REQUIRE(r.ok());
    REQUIRE(r->outcome == Outcome::kOk);
    for (int b = 0; b < static_cast<int>(kPageSize); b++)
      if (buf[b] != pattern(tag, i, b)) FAIL("page " << i << " byte " << b << " wrong");
  }
}
}  // namespace

TEST_CASE("swap round trip: anon pages page out and come back intact", "[amap][swap]") {
  auto m = make_machine(128 * kPageSize);
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 512 * kPageSize, RW, Sharing::kPrivate).ok());
  write_pages(p, A, 512, 1);
  auto s = m->stats();
  CHECK(s.pgswapout > 0);
  CHECK(s.pdwoke > 0);
  // Dirty anon pages go out in clusters: fewer writes than pages.
  CHECK(s.pdpageouts * 4 <= s.pgswapout);
  CHECK(s.swpginuse > 0);
  CHECK(s.swpgonly > 0);
  CHECK_INVARIANTS(*m);
  verify_pages(p, A, 512, 1);
  s = m->stats();
  CHECK(s.pgswapin > 0);
  CHECK(s.fltanget > 0);
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(p->exit());
  s = m->stats();
  CHECK(s.swpginuse == 0);
  CHECK(s.swpgonly == 0);
  CHECK(s.free == s.npages);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("aobj first touch: zero-filled, dirty, shared by all mappers", "[aobj]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 8 * kPageSize, RW, Sharing::kShared).ok());
  CHECK(read_str(p, A + 3 * kPageSize, 4) == std::string(4, '\0'));
  Aobj* ao = nullptr;
  for (UvmObject* o : m->uvm().objects) ao = dynamic_cast<Aobj*>(o);
  REQUIRE(ao);
  Page* pg = ao->find_page(3 * kPageSize);
  REQUIRE(pg);
  CHECK_FALSE(pg->flags & PG_CLEAN);  // no backing store: dirty from the start
  CHECK(ao->memq.size() == 1);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("aobj swap round trip under memory pressure", "[aobj][swap]") {
  auto m = make_machine(96 * kPageSize);
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 300 * kPageSize, RW, Sharing::kShared).ok());
  write_pages(p, A, 300, 2);
  auto c = p->fork("c");  // shares the object
  REQUIRE(c.ok());
  CHECK(m->stats().pgswapout > 0);
  CHECK_INVARIANTS(*m);
  verify_pages(*c, A, 300, 2);
  CHECK(m->stats().pgswapin > 0);
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(p->exit());
  REQUIRE_OK((*c)->exit());
  CHECK(m->stats().swpginuse == 0);
  CHECK_INVARIANTS(*m);
}

// The page daemon's swap cluster takes every swap-backed page with no slot
// yet: anons' pages, and the pages of anonymous objects (shared memory's
// aobj; on the shadow model private memory too), so each kind goes out
// several pages to a write.
TEST_CASE("swap clusters: private and shared anonymous memory go out several pages to a write", "[swap][aobj]") {
  for (Sharing sharing : {Sharing::kPrivate, Sharing::kShared}) {
    INFO((sharing == Sharing::kPrivate ? "private" : "shared"));
    auto m = make_machine(128 * kPageSize);
    Process* p = spawn(*m, "p");
    REQUIRE(p->mmap(A, 512 * kPageSize, RW, sharing).ok());
    write_pages(p, A, 512, 3);
    const UvmExp s = m->stats();
    CHECK(s.pgswapout >= 256);
    CHECK(s.pdpageouts * 4 <= s.pgswapout);
    CHECK_INVARIANTS(*m);
    verify_pages(p, A, 512, 3);
    CHECK(m->stats().pgswapin > 0);
    CHECK_INVARIANTS(*m);
    REQUIRE_OK(p->exit());
    CHECK(m->stats().swpginuse == 0);
    CHECK(m->stats().swpgonly == 0);
    CHECK_INVARIANTS(*m);
  }
}

// Private and shared pages written in turn sit side by side on the queues:
// one cluster takes both kinds, each owner records its own slot.
TEST_CASE("swap clusters: anon and aobj pages in one cluster keep their own slots", "[swap][aobj]") {
  constexpr vaddr_t B = 0x20000000;
  auto m = make_machine(128 * kPageSize);
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 256 * kPageSize, RW, Sharing::kPrivate).ok());
  REQUIRE(p->mmap(B, 256 * kPageSize, RW, Sharing::kShared).ok());
  std::vector<std::uint8_t> buf(kPageSize);
  for (int i = 0; i < 256; i++)
    for (auto [base, tag] : {std::pair{A, 4}, std::pair{B, 5}}) {
      for (int b = 0; b < static_cast<int>(kPageSize); b++) buf[b] = pattern(tag, i, b);
      REQUIRE(p->write(base + static_cast<vaddr_t>(i) * kPageSize, buf)->outcome == Outcome::kOk);
    }
  const UvmExp s = m->stats();
  CHECK(s.pgswapout >= 256);
  CHECK(s.pdpageouts * 4 <= s.pgswapout);
  CHECK_INVARIANTS(*m);
  verify_pages(p, A, 256, 4);
  verify_pages(p, B, 256, 5);
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(p->exit());
  CHECK(m->stats().swpginuse == 0);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("aobj swap slots: array up to 64 pages, hash of 16-slot clusters above", "[aobj][swslot]") {
  auto m = make_machine();
  Uvm& uvm = m->uvm();
  Aobj* small = Aobj::create(uvm, 64 * kPageSize);
  Aobj* large = Aobj::create(uvm, 65 * kPageSize);
  CHECK_FALSE(small->uses_swhash());
  CHECK(large->uses_swhash());
  CHECK(large->swhash_buckets() == 4);  // min(65 >> 4, 256) = 4
  SECTION("set_swslot returns the old slot") {
    CHECK(small->set_swslot(10, 5) == 0);
    CHECK(small->set_swslot(10, 7) == 5);
    CHECK(small->find_swslot(10) == 7);
    CHECK(small->set_swslot(10, 0) == 7);
    CHECK(small->find_swslot(10) == 0);
    CHECK(large->set_swslot(64, 9) == 0);
    CHECK(large->set_swslot(64, 11) == 9);
    CHECK(large->find_swslot(64) == 11);
  }
  SECTION("cluster elements live while any of their 16 slots is set") {
    CHECK(large->swhash_elements() == 0);
    large->set_swslot(16, 3);
    large->set_swslot(31, 4);  // same cluster (16..31)
    CHECK(large->swhash_elements() == 1);
    large->set_swslot(32, 5);
    CHECK(large->swhash_elements() == 2);
    large->set_swslot(16, 0);
    CHECK(large->swhash_elements() == 2);
    large->set_swslot(31, 0);
    CHECK(large->swhash_elements() == 1);
    CHECK(large->set_swslot(40, 0) == 0);  // clearing an unset slot creates nothing
    CHECK(large->swhash_elements() == 1);
    large->set_swslot(32, 0);
    CHECK(large->swhash_elements() == 0);
  }
  // Slots set by hand were never allocated on the device: clear them.
  for (int i = 0; i < 64; i++) small->set_swslot(i, 0);
  for (int i = 0; i < 65; i++) large->set_swslot(i, 0);
  small->detach();
  large->detach();
  CHECK(uvm.objects.empty());
}

TEST_CASE("aobj 64/65-page boundary under real paging", "[aobj][swslot][swap]") {
  for (int pages : {64, 65}) {
    DYNAMIC_SECTION(pages << " pages") {
      auto m = make_machine(48 * kPageSize);
      Process* p = spawn(*m, "p");
      REQUIRE(p->mmap(A, static_cast<vsize_t>(pages) * kPageSize, RW, Sharing::kShared).ok());
      write_pages(p, A, pages, 3);
      Aobj* ao = nullptr;
      for (UvmObject* o : m->uvm().objects) ao = dynamic_cast<Aobj*>(o);
      REQUIRE(ao);
      CHECK(ao->uses_swhash() == (pages > 64));
      int slots = 0;
      ao->for_each_swslot([&](std::uint64_t, int) { slots++; });
      CHECK(slots > 0);
      CHECK_INVARIANTS(*m);
      verify_pages(p, A, pages, 3);
      REQUIRE_OK(p->exit());
      CHECK(m->stats().swpginuse == 0);
    }
  }
}

TEST_CASE("aobj detach with a busy page defers the free", "[aobj][busy]") {
  auto m = make_machine();
  Uvm& uvm = m->uvm();
  Aobj* ao = Aobj::create(uvm, 4 * kPageSize);
  Page* pg = nullptr;
  REQUIRE(ao->get(kPageSize, &pg, 0) == 0);
  Page* other = nullptr;
  REQUIRE(ao->get(2 * kPageSize, &other, 0) == 0);
  const auto free0 = uvm.pm->free_count();
  pg->flags |= PG_BUSY;  // e.g. under I/O
  ao->detach();          // last reference
  REQUIRE(uvm.objects.contains(ao));  // still alive: a page is busy
  CHECK(ao->dying());
  CHECK(pg->flags & PG_RELEASED);
  CHECK(uvm.pm->free_count() == free0 + 1);  // the idle page went at once
  CHECK_FALSE(ao->releasepg(pg));             // last page: the object dies
  CHECK(uvm.objects.empty());
  CHECK(uvm.pm->free_count() == free0 + 2);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("memory pressure: several processes and forks, every byte verified", "[swap][pressure]") {
  // Working set about 6x physical memory.
  auto m = make_machine(128 * kPageSize, true, 8ull << 20);
  std::mt19937_64 rng(42);
  struct P {
    Process* p;
    int tag;
  };
  std::vector<P> procs;
  Process* root = spawn(*m, "root");
  REQUIRE(root->mmap(A, 256 * kPageSize, RW, Sharing::kPrivate).ok());
  write_pages(root, A, 256, 10);
  procs.push_back({root, 10});
  const auto base_swap = m->stats().swpginuse;
  (void)base_swap;
  for (int phase = 0; phase < 4; phase++) {
    // fork from a random process, then rewrite the child's whole region
    P parent = procs[rng() % procs.size()];
    auto c = parent.p->fork();
    REQUIRE(c.ok());
    CHECK_INVARIANTS(*m);
    verify_pages(*c, A, 256, parent.tag);  // the child sees the parent's data
    const int tag = 20 + phase;
    write_pages(*c, A, 256, tag);
    procs.push_back({*c, tag});
    CHECK_INVARIANTS(*m);
    // random single-page rewrites across processes
    for (int k = 0; k < 64; k++) {
      P& q = procs[rng() % procs.size()];
      const int page = static_cast<int>(rng() % 256);
      std::vector<std::uint8_t> buf(kPageSize);
      for (int b = 0; b < static_cast<int>(kPageSize); b++) buf[b] = pattern(q.tag, page, b);
      REQUIRE(q.p->write(A + static_cast<vaddr_t>(page) * kPageSize, buf)->ok());  // same data: COW/pagein
    }
    for (auto& q : procs) verify_pages(q.p, A, 256, q.tag);
    CHECK_INVARIANTS(*m);
  }
  const auto s = m->stats();
  CHECK(s.pgswapout > 500);
  CHECK(s.pgswapin > 500);
  for (auto& q : procs) REQUIRE_OK(q.p->exit());
  const auto e = m->stats();
  CHECK(e.swpginuse == 0);  // swap accounting back to its baseline
  CHECK(e.swpgonly == 0);
  CHECK(e.free == e.npages);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("swap-off brings every page back", "[swap][swapoff]") {
  auto m = make_machine(256 * kPageSize);
  Process* keep = spawn(*m, "keep");
  REQUIRE(keep->mmap(A, 64 * kPageSize, RW, Sharing::kPrivate).ok());
  REQUIRE(keep->mmap(A + 0x1000000, 64 * kPageSize, RW, Sharing::kShared).ok());
  write_pages(keep, A, 64, 5);
  write_pages(keep, A + 0x1000000, 64, 6);
  // A hog pushes keep's pages out, then goes away.
  Process* hog = spawn(*m, "hog");
  REQUIRE(hog->mmap(A, 400 * kPageSize, RW, Sharing::kPrivate).ok());
  write_pages(hog, A, 400, 7);
  REQUIRE_OK(hog->exit());
  auto s = m->stats();
  REQUIRE(s.swpgonly > 0);
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(m->swapoff());
  s = m->stats();
  CHECK(s.swpginuse == 0);
  CHECK(s.swpgonly == 0);
  CHECK(s.swapoff_pages > 0);
  CHECK_INVARIANTS(*m);
  verify_pages(keep, A, 64, 5);
  verify_pages(keep, A + 0x1000000, 64, 6);
  CHECK(m->stats().pgswapin == s.pgswapin);  // nothing came from swap after swap-off
  // With swap off, pressure cannot page anon memory out.
  Process* hog2 = spawn(*m, "hog2");
  REQUIRE(hog2->mmap(A, 400 * kPageSize, RW, Sharing::kPrivate).ok());
  auto r = hog2->fill(A, 400 * kPageSize, 1);
  REQUIRE(r.ok());
  CHECK(r->outcome == Outcome::kKilled);
  CHECK(m->stats().swpginuse == 0);
  CHECK_INVARIANTS(*m);
  verify_pages(keep, A, 64, 5);
  REQUIRE_OK(m->swapon());
  CHECK_INVARIANTS(*m);
}

TEST_CASE("swap-off without room fails and leaves swap on", "[swap][swapoff]") {
  auto m = make_machine(64 * kPageSize);
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 200 * kPageSize, RW, Sharing::kPrivate).ok());
  write_pages(p, A, 200, 8);
  Status s = m->swapoff();
  CHECK(errno_of(s) == ENOMEM);
  CHECK_INVARIANTS(*m);
  verify_pages(p, A, 200, 8);  // swap still works
  auto nm = make_machine(64 * kPageSize, true, 0);
  CHECK(errno_of(nm->swapoff()) == EINVAL);
}

TEST_CASE("out of swap: the faulting process is killed, others unharmed", "[swap][oom]") {
  auto m = make_machine(64 * kPageSize, true, 64 * kPageSize);
  Process* small = spawn(*m, "small");
  REQUIRE(small->mmap(A, 8 * kPageSize, RW, Sharing::kPrivate).ok());
  write_pages(small, A, 8, 9);
  Process* big = spawn(*m, "big");
  REQUIRE(big->mmap(A, 400 * kPageSize, RW, Sharing::kPrivate).ok());
  auto r = big->fill(A, 400 * kPageSize, 0x11);
  REQUIRE(r.ok());
  CHECK(r->outcome == Outcome::kKilled);
  CHECK_FALSE(big->alive());
  CHECK(m->stats().pdswapfull > 0);
  CHECK_INVARIANTS(*m);
  verify_pages(small, A, 8, 9);
  CHECK_INVARIANTS(*m);
}

namespace {
// A policy that counts its runs and delegates to FIFO: proves the seam.
class CountingPolicy final : public ReplacementPolicy {
 public:
  explicit CountingPolicy(int* runs) : runs_(runs), inner_(make_fifo_policy()) {}
  std::string_view name() const override { return "counting-fifo"; }
  void run(PagedaemonOps& ops) override {
    ++*runs_;
    inner_->run(ops);
  }

 private:
  int* runs_;
  std::unique_ptr<ReplacementPolicy> inner_;
};
}  // namespace

TEST_CASE("replacement policies: clock, fifo and a plugged-in one", "[pagedaemon][policy]") {
  for (const char* policy : {"clock", "fifo", "custom"}) {
    DYNAMIC_SECTION(policy) {
      MachineConfig cfg;
      cfg.mem_bytes = 96 * kPageSize;
      cfg.swap_bytes = 16ull << 20;
      cfg.backend = Backend::kSoft;
      if (std::string(policy) != "custom") cfg.replacement = policy;
      auto mr = Machine::Create(cfg);
      REQUIRE(mr.ok());
      Machine& m = **mr;
      int runs = 0;
      if (std::string(policy) == "custom") m.set_replacement_policy(std::make_unique<CountingPolicy>(&runs));
      CHECK(m.replacement_policy() == (std::string(policy) == "custom" ? "counting-fifo" : policy));
      Process* p = spawn(m, "p");
      REQUIRE(p->mmap(A, 300 * kPageSize, RW, Sharing::kPrivate).ok());
      write_pages(p, A, 300, 4);
      verify_pages(p, A, 300, 4);
      CHECK(m.stats().pgswapout > 0);
      CHECK_INVARIANTS(m);
      if (std::string(policy) == "custom") CHECK(runs > 0);
    }
  }
  MachineConfig bad;
  bad.replacement = "lru-2";
  CHECK(errno_of(Machine::Create(bad).status()) == EINVAL);
}

TEST_CASE("clock gives referenced pages a second chance", "[pagedaemon][clock]") {
  auto m = make_machine(120 * kPageSize);  // freemin 16, freetarg 22
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 100 * kPageSize, RW, Sharing::kPrivate).ok());
  write_pages(p, A, 100, 1);
  REQUIRE(m->stats().free < m->stats().freetarg);
  REQUIRE(m->stats().pdwoke == 0);
  // Put everything on the inactive queue with reference bits cleared, then
  // touch a hot set: the daemon must keep the hot pages.
  PhysMem& pm = *m->uvm().pm;
  std::vector<Page*> act;
  for (Page* pg = pm.first(PageQueue::kActive); pg; pg = pm.next(pg)) act.push_back(pg);
  for (Page* pg : act) {
    Pmap::clear_referenced(pg);
    pm.deactivate(pg);
  }
  for (int i = 0; i < 10; i++) (void)read_str(p, A + static_cast<vaddr_t>(i) * kPageSize, 1);
  const auto before = m->stats();
  m->run_pagedaemon();
  const auto after = m->stats();
  CHECK(after.pdreact - before.pdreact >= 10);
  CHECK(after.pgswapout > before.pgswapout);
  // The hot pages are still mapped: reading them takes no fault.
  const auto f0 = m->stats().faults;
  for (int i = 0; i < 10; i++) (void)read_str(p, A + static_cast<vaddr_t>(i) * kPageSize, 1);
  CHECK(m->stats().faults == f0);
  CHECK_INVARIANTS(*m);
  verify_pages(p, A, 100, 1);
}

TEST_CASE("the daemon's O->A adoption of a clean aobj page leaves its swap slot as the only copy", "[amap][swap][loan]") {
  // Found by review with many random seeds: swpgonly was not raised, and went
  // below zero when the aobj later paged the data back in.
  auto m = make_machine(16ull << 20, true, 16ull << 20);
  Uvm& uvm = m->uvm();
  Process* p = spawn(*m, "p");
  const vaddr_t A = 0x20000000;
  REQUIRE(p->mmap(A, kPageSize, RW, Sharing::kShared).ok());
  write_str(p, A, "swapme");
  auto page_at = [&](Process* q) {
    Page* pg = nullptr;
    REQUIRE(q->vmspace().pmap->extract(A, &pg, nullptr));
    return pg;
  };
  Page* pg = page_at(p);
  // Out to swap and back: the page is clean and the aobj keeps its slot.
  REQUIRE(uvm.pagedaemon->evict(uvm.pm->index(pg)));
  CHECK(uvm.swap->swpgonly == 1);
  CHECK(read_str(p, A, 6) == "swapme");
  pg = page_at(p);
  REQUIRE((pg->flags & PG_CLEAN));
  CHECK(uvm.swap->swpgonly == 0);
  // A copy fork lends the page to the child's anon (O->A).
  REQUIRE_OK(p->minherit(A, kPageSize, Inherit::kCopy));
  auto c = p->fork("c");
  REQUIRE(c.ok());
  REQUIRE(pg->uanon());
  CHECK_INVARIANTS(*m);
  // The daemon makes the anon adopt the page: the slot is the aobj's only copy.
  CHECK_FALSE(uvm.pagedaemon->evict(uvm.pm->index(pg)));
  CHECK(pg->uobject() == nullptr);
  CHECK(uvm.swap->swpgonly == 1);
  CHECK_INVARIANTS(*m);
  // Both sides still read the data; the aobj pages it back in from swap.
  CHECK(read_str(*c, A, 6) == "swapme");
  CHECK(read_str(p, A, 6) == "swapme");
  CHECK(uvm.swap->swpgonly == 0);
  CHECK_INVARIANTS(*m);
}
