// A full swap: the page daemon's work stays proportional to what happens
// (core/pagedaemon.h — the dirty-reactivation limit and the futile-pass
// memory), and the out-of-memory decision is still made by a whole pass.
#include <catch2/catch.hpp>

#include "core/uvm.h"
#include "helpers.h"

using namespace uvmsim;
using namespace uvmsim::test;

namespace {
constexpr vaddr_t A = 0x10000000;
constexpr std::uint64_t P = kPageSize;

// The workload of the full-swap benchmark (scripts/full_swap_bench.sh): a process
// fills 3/4 of memory, forks, and the child rewrites half of it; swap is
// small, so it fills and the rest must fit in memory. Returns the counters.
UvmExp fill_fork_rewrite(std::uint64_t mem_pages, std::uint64_t swap_pages) {
  auto m = make_machine(mem_pages * P, true, swap_pages * P);
  Process* p = spawn(*m, "p");
  const std::uint64_t fill = mem_pages * 3 / 4 * P;
  REQUIRE(p->mmap(A, fill, RW, Sharing::kPrivate).ok());
  auto r = p->fill(A, fill, 0x5a);
  REQUIRE(r.ok());
  REQUIRE(r->outcome == Outcome::kOk);
  auto c = p->fork("c");
  REQUIRE(c.ok());
  r = (*c)->fill(A, fill / 2, 0xa5);
  REQUIRE(r.ok());
  CHECK_INVARIANTS(*m);
  // Whoever survived has its bytes.
  for (Process* q : {p, *c}) {
    if (!q->alive()) continue;
    std::vector<std::uint8_t> buf(64);
    auto rr = q->read(A + fill - P, buf);  // a page the child did not rewrite
    REQUIRE(rr.ok());
    if (rr->outcome == Outcome::kOk) CHECK(buf[0] == 0x5a);
  }
  return m->stats();
}
}  // namespace

TEST_CASE("full swap: the page daemon's scans grow linearly with memory, not per allocation", "[pagedaemon][swapfull]") {
  // 128 swap pages at every size: swap fills early, memory runs low after.
  const UvmExp small = fill_fork_rewrite(1024, 128);
  const UvmExp large = fill_fork_rewrite(4096, 128);
  for (const UvmExp* s : {&small, &large}) {
    CHECK(s->pdswapfull > 0);
    CHECK(s->pdskips > 0);  // futile passes were remembered
  }
  INFO("pdscans " << small.pdscans << " -> " << large.pdscans);
  // 4x the memory: at most ~4x the scans (quadratic behaviour gave ~16x).
  CHECK(large.pdscans <= 5 * small.pdscans);
  // And far fewer than a rescan of memory at each allocation below freemin.
  CHECK(large.pdscans < 4096 * 4096 / 32);
}

TEST_CASE("full swap: a futile pass is forgotten when a swap slot frees", "[pagedaemon][swapfull]") {
  auto m = make_machine(256 * P, true, 64 * P);
  Process* hog = spawn(*m, "hog");
  REQUIRE(hog->mmap(A, 96 * P, RW, Sharing::kPrivate).ok());
  REQUIRE(hog->fill(A, 96 * P, 1)->outcome == Outcome::kOk);
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 400 * P, RW, Sharing::kPrivate).ok());
  // Fill until the daemon starts skipping: swap is full, memory low.
  std::uint64_t page = 0;
  while (m->stats().pdskips == 0 && page < 400) REQUIRE(p->fill(A + page++ * P, P, 2)->outcome == Outcome::kOk);
  REQUIRE(m->stats().pdskips > 0);
  // Nothing changed: the next low-memory allocation skips the daemon too.
  UvmExp before = m->stats();
  REQUIRE(before.free > 0);
  REQUIRE(p->fill(A + page++ * P, P, 2)->outcome == Outcome::kOk);
  CHECK(m->stats().pdskips == before.pdskips + 1);
  CHECK(m->stats().pdwoke == before.pdwoke);
  // Unmapping the hog's first pages (paged out first: in swap only) frees
  // swap slots and no memory: the next low-memory allocation runs the
  // daemon again.
  before = m->stats();
  REQUIRE(hog->munmap(A, 4 * P).ok());
  const UvmExp freed = m->stats();
  REQUIRE(freed.swpginuse < before.swpginuse);
  REQUIRE(freed.free <= freed.freemin);
  REQUIRE(p->fill(A + page * P, P, 2)->outcome == Outcome::kOk);
  CHECK(m->stats().pdskips == freed.pdskips);
  CHECK(m->stats().pdwoke > freed.pdwoke);
  CHECK_INVARIANTS(*m);
}
