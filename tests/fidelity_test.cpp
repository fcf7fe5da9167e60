// Where the model follows NetBSD's own code (docs/design.md, "Seeds and where
// uvmsim differs"): promotion into a shared amap, wiring with the maximum
// protection, the errors of mlock/munlock, madvise and msync as
// uvm_map_pageable / uvm_map_clean give them, loan errors as uvm_loan gives
// them, and truncation of a lent page. Each test names the NetBSD rule.
#include <catch2/catch.hpp>

#include "core/amap.h"
#include "core/anon.h"
#include "core/page.h"
#include "core/pagedaemon.h"
#include "core/physmem.h"
#include "core/pmap.h"
#include "core/uvm.h"
#include "core/vm_map.h"
#include "core/vmspace.h"
#include "helpers.h"

using namespace uvmsim;
using namespace uvmsim::test;

namespace {
constexpr vaddr_t A = 0x10000000;
constexpr vsize_t P = kPageSize;

Page* mapped_page(Process* p, vaddr_t va) {
  Page* pg = nullptr;
  return p->vmspace().pmap->extract(va, &pg, nullptr) ? pg : nullptr;
}

int err_of(const Status& s) { return errno_of(s); }

std::string kread(Machine& m, LoanHandle h, std::uint64_t off, std::uint64_t len) {
  auto r = m.loan_read(h, off, len);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::string(r->begin(), r->end());
}
}  // namespace

// ---- promotion into a shared amap (uvm_fault_lower_promote)

TEST_CASE("a write promoting a file page into a shared amap is seen by every sharer",
          "[fidelity][fault][promote]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", 2 * P, 'a'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(A, 2 * P, RW, Sharing::kPrivate, "f", 0).ok());
  REQUIRE_OK(p->minherit(A, 2 * P, Inherit::kShare));
  CHECK(read_str(p, A, 1) == "a");  // p maps the file page read-only
  auto c = p->fork("c");
  REQUIRE(c.ok());
  CHECK(read_str(*c, A, 1) == "a");  // so does the child
  CHECK_INVARIANTS(*m);
  write_str(p, A, "P");  // promotes into the amap both share
  CHECK(read_str(*c, A, 1) == "P");
  CHECK(mapped_page(*c, A) == mapped_page(p, A));
  CHECK_INVARIANTS(*m);
  write_str(*c, A + P, "C");  // and the other way round, on the second page
  CHECK(read_str(p, A + P, 1) == "C");
  CHECK_INVARIANTS(*m);
  // The file itself is untouched (the mapping is private).
  auto f = m->read_file("f", 0, 1);
  REQUIRE(f.ok());
  CHECK((*f)[0] == 'a');
}

// ---- wiring with the maximum protection (uvm_fault_wire(..., max_protection))

TEST_CASE("a wiring that promotes into a shared amap is seen by every sharer", "[amap][fidelity][fault][promote][wire]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", P, 'a'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(A, P, R, Sharing::kPrivate, "f", 0).ok());  // maximum protection: all
  REQUIRE_OK(p->minherit(A, P, Inherit::kShare));
  CHECK(read_str(p, A, 1) == "a");
  auto c = p->fork("c");
  REQUIRE(c.ok());
  CHECK(read_str(*c, A, 1) == "a");
  REQUIRE_OK((*c)->mlock(A, P));  // cow_now: promotes the file page into the shared amap
  Page* anonpg = mapped_page(*c, A);
  REQUIRE(anonpg);
  CHECK((anonpg->flags & PG_ANON) != 0);
  CHECK(anonpg->wire_count == 1);
  CHECK(mapped_page(p, A) == nullptr);  // p's mapping of the file page went
  CHECK_INVARIANTS(*m);
  CHECK(read_str(p, A, 1) == "a");
  CHECK(mapped_page(p, A) == anonpg);
  // The file changes: both sharers keep the anon's copy.
  Process* q = spawn(*m, "q");
  REQUIRE(q->mmap_file(A, P, RW, Sharing::kShared, "f", 0).ok());
  write_str(q, A, "Z");
  CHECK(read_str(p, A, 1) == "a");
  CHECK(read_str(*c, A, 1) == "a");
  CHECK_INVARIANTS(*m);
}

TEST_CASE("mlock of a read-only private file mapping copies the pages when writing is allowed later",
          "[amap][fidelity][wire][cow_now]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", 2 * P, 'a'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(A, 2 * P, R, Sharing::kPrivate, "f", 0).ok());  // max protection: all
  REQUIRE_OK(p->mlock(A, 2 * P));
  Page* pg = mapped_page(p, A);
  REQUIRE(pg);
  CHECK(pg->uanon() != nullptr);  // an anon's copy, not the file's page
  CHECK((pg->flags & PG_ANON) != 0);
  CHECK_INVARIANTS(*m);
  // The file changes through another process: the locked copy does not.
  Process* q = spawn(*m, "q");
  REQUIRE(q->mmap_file(A, 2 * P, RW, Sharing::kShared, "f", 0).ok());
  write_str(q, A, "Z");
  CHECK(read_str(p, A, 1) == "a");
  // Writable later: no fault needed on wired memory, and the write stays private.
  REQUIRE_OK(p->mprotect(A, 2 * P, RW));
  write_str(p, A + P, "w");
  CHECK(read_str(q, A + P, 1) == "a");
  CHECK_INVARIANTS(*m);
}

TEST_CASE("mlock of a private file mapping without write in its maximum protection maps the file's pages",
          "[fidelity][wire][cow_now]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", P, 'a'));
  Process* p = spawn(*m, "p");
  MmapFlags fl;
  fl.max_prot = kProtRead;
  REQUIRE(p->mmap_file(A, P, R, Sharing::kPrivate, "f", 0, fl).ok());
  REQUIRE_OK(p->mlock(A, P));
  Page* pg = mapped_page(p, A);
  REQUIRE(pg);
  CHECK(pg->uobject() != nullptr);
  CHECK(pg->wire_count == 1);
  Process* q = spawn(*m, "q");
  REQUIRE(q->mmap_file(A, P, RW, Sharing::kShared, "f", 0).ok());
  write_str(q, A, "Z");
  CHECK(read_str(p, A, 1) == "Z");  // the same page
  CHECK_INVARIANTS(*m);
}

// ---- mlock / munlock errors (sys_mlock, sys_munlock, uvm_map_pageable)

TEST_CASE("a wiring that promotes a file page leaves the page's wired mapping elsewhere alone",
          "[fidelity][fault][promote][wire]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", 4 * P, 'f'));
  Process* p = spawn(*m, "p");
  constexpr vaddr_t S = 0x20000000, C = 0x30000000;
  // The file's page 1, shared and wired.
  REQUIRE(p->mmap_file(S, P, RW, Sharing::kShared, "f", P).ok());
  REQUIRE_OK(p->mlock(S, P));
  // A private mapping of the file whose anonymous layer covers all four
  // pages; wiring its first two clips it, so two entries hold that layer.
  REQUIRE(p->mmap_file(C, 4 * P, RW, Sharing::kPrivate, "f", 0).ok());
  write_str(p, C + 3 * P, "last");
  const auto wired = m->stats().wired;
  REQUIRE_OK(p->mlock(C, 2 * P));  // promotes the file's pages 0 and 1
  CHECK_INVARIANTS(*m);
  CHECK(m->stats().wired == wired + 2);
  // The shared wired mapping of page 1 is still there: no fault.
  const auto faults = m->stats().faults;
  CHECK(read_str(p, S, 1) == "f");
  CHECK(m->stats().faults == faults);
  write_str(p, C + P, "private");
  CHECK(read_str(p, S, 7) == "fffffff");
  CHECK_INVARIANTS(*m);
}

TEST_CASE("mlock and munlock errors follow uvm_map_pageable", "[fidelity][wire][errors]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 2 * P, RW, Sharing::kPrivate).ok());
  REQUIRE(p->mmap(A + 3 * P, P, RW, Sharing::kPrivate).ok());
  REQUIRE(p->mmap(A + 4 * P, P, kProtNone, Sharing::kPrivate).ok());
  // The range begins outside every mapping: EFAULT, reported as ENOMEM
  // (also when it reaches mapped memory later).
  CHECK(err_of(p->mlock(A - P, 2 * P)) == ENOMEM);
  CHECK(err_of(p->mlock(A + 2 * P, 2 * P)) == ENOMEM);
  CHECK(err_of(p->munlock(A - P, 2 * P)) == ENOMEM);
  // A hole after the start: EINVAL.
  CHECK(err_of(p->mlock(A, 4 * P)) == EINVAL);
  // A PROT_NONE entry: EINVAL.
  CHECK(err_of(p->mlock(A + 3 * P, 2 * P)) == EINVAL);
  // Nothing was wired by the failures.
  for (const auto& mi : p->mappings()) CHECK_FALSE(mi.wired);
  // munlock of memory that is not wired: EINVAL.
  CHECK(err_of(p->munlock(A, 2 * P)) == EINVAL);
  REQUIRE_OK(p->mlock(A, P));
  CHECK(err_of(p->munlock(A, 2 * P)) == EINVAL);  // the second page is not wired
  REQUIRE_OK(p->munlock(A, P));
  // Length 0: the address must be mapped; nothing is wired.
  CHECK(err_of(p->mlock(A + 2 * P, 0)) == ENOMEM);
  REQUIRE_OK(p->mlock(A + P, 0));
  for (const auto& mi : p->mappings()) CHECK_FALSE(mi.wired);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("mlock of a file page wholly past end of file fails with EINVAL and wires nothing",
          "[fidelity][wire][errors]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", P, 'a'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(A, 2 * P, RW, Sharing::kShared, "f", 0).ok());
  CHECK(err_of(p->mlock(A, 2 * P)) == EINVAL);  // genfs_getpages: past EOF
  CHECK(m->stats().wired == 0);
  for (const auto& mi : p->mappings()) CHECK_FALSE(mi.wired);
  REQUIRE_OK(p->mlock(A, P));  // the page before end of file is fine
  CHECK(m->stats().wired == 1);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("mlock fails with EAGAIN beyond uvmexp.wiredmax, a third of memory", "[fidelity][wire][errors]") {
  auto m = make_machine(96 * P);  // wiredmax = 32 pages
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 64 * P, RW, Sharing::kPrivate).ok());
  CHECK(err_of(p->mlock(A, 33 * P)) == EAGAIN);
  REQUIRE_OK(p->mlock(A, 20 * P));
  CHECK(err_of(p->mlock(A + 20 * P, 13 * P)) == EAGAIN);  // 20 + 13 > 32
  REQUIRE_OK(p->mlock(A + 20 * P, 12 * P));              // 20 + 12 = 32
  CHECK(m->stats().wired == 32);
  // The limit is checked first, before the range: even an unmapped one.
  CHECK(err_of(p->mlock(0x40000000, P)) == EAGAIN);
  REQUIRE_OK(p->munlock(A, 32 * P));
  CHECK(err_of(p->mlock(0x40000000, P)) == ENOMEM);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("a failed mlock leaves memory that was wired before still wired", "[fidelity][wire][errors]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", P, 'a'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, P, RW, Sharing::kPrivate).ok());
  REQUIRE(p->mmap_file(A + P, 2 * P, RW, Sharing::kShared, "f", 0).ok());
  REQUIRE_OK(p->mlock(A, P));
  CHECK(err_of(p->mlock(A, 3 * P)) == EINVAL);  // the last page is past end of file
  const auto maps = p->mappings();
  REQUIRE(maps.size() >= 2);
  CHECK(maps[0].wired);
  CHECK(mapped_page(p, A)->wire_count == 1);
  CHECK_INVARIANTS(*m);
}

// ---- madvise dontneed / free (uvm_map_clean)

TEST_CASE("madvise free frees anons when the amap has one reference, whatever needs-copy says",
          "[fidelity][madvise]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 2 * P, RW, Sharing::kPrivate).ok());
  write_str(p, A, "x");
  write_str(p, A + P, "y");
  auto c = p->fork("c");
  REQUIRE(c.ok());
  // Shared with the child (amap reference 2): only deactivated.
  REQUIRE_OK(p->madvise(A, 2 * P, Madvise::kFree));
  CHECK(read_str(p, A, 1) == "x");
  // The child writes and gets its own amap; p's amap has one reference left
  // but p's entry is still needs-copy: NetBSD frees by the reference count.
  write_str(*c, A, "c");
  REQUIRE(p->mappings()[0].needs_copy);
  const auto anons = m->stats().anons;
  REQUIRE_OK(p->madvise(A, 2 * P, Madvise::kFree));
  CHECK(read_str(p, A, 1) == std::string(1, '\0'));
  CHECK(read_str(p, A + P, 1) == std::string(1, '\0'));
  CHECK(read_str(*c, A, 1) == "c");
  CHECK(read_str(*c, A + P, 1) == "y");  // the anon the child still refers to lives on
  CHECK(m->stats().anons < anons + 2);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("madvise free of an anon lent to the kernel frees it for the owner; the borrower keeps the page",
          "[fidelity][madvise][loan]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, P, RW, Sharing::kPrivate).ok());
  write_str(p, A, "lent");
  auto h = m->loan(*p, A, P, LoanTo::kKernel);
  REQUIRE(h.ok());
  REQUIRE_OK(p->madvise(A, P, Madvise::kFree));
  CHECK(read_str(p, A, 4) == std::string(4, '\0'));
  CHECK(kread(*m, *h, 0, 4) == "lent");
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(m->unloan(*h));
  CHECK(m->stats().loanedpages == 0);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("madvise free of wired memory is EBUSY; holes are EFAULT", "[fidelity][madvise][errors]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 2 * P, RW, Sharing::kPrivate).ok());
  REQUIRE(p->mmap(A + 3 * P, P, RW, Sharing::kPrivate).ok());
  write_str(p, A, "w");
  REQUIRE_OK(p->mlock(A, P));
  CHECK(err_of(p->madvise(A, P, Madvise::kFree)) == EBUSY);
  CHECK(read_str(p, A, 1) == "w");
  REQUIRE_OK(p->madvise(A, P, Madvise::kDontNeed));  // deactivating wired memory is fine
  CHECK(err_of(p->madvise(A, 4 * P, Madvise::kDontNeed)) == EFAULT);
  CHECK(err_of(p->madvise(A + 2 * P, P, Madvise::kFree)) == EFAULT);
  CHECK(err_of(p->madvise(A + 2 * P, 2 * P, Madvise::kDontNeed)) == EFAULT);
  // The other advice values do not look for holes (uvm_map_advice).
  REQUIRE_OK(p->madvise(A, 4 * P, Madvise::kRandom));
  REQUIRE_OK(p->madvise(A, 4 * P, Madvise::kWillNeed));
  CHECK_INVARIANTS(*m);
}

TEST_CASE("madvise free of shared anonymous memory frees it when one mapping refers to it",
          "[fidelity][madvise][shared]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 2 * P, RW, Sharing::kShared).ok());
  write_str(p, A, "s");
  REQUIRE_OK(p->madvise(A, 2 * P, Madvise::kFree));
  CHECK(read_str(p, A, 1) == std::string(1, '\0'));
  write_str(p, A, "t");
  auto c = p->fork("c");  // shared: now two mappings refer to it
  REQUIRE(c.ok());
  REQUIRE_OK(p->madvise(A, 2 * P, Madvise::kFree));
  CHECK(read_str(p, A, 1) == "t");  // only deactivated
  CHECK(read_str(*c, A, 1) == "t");
  CHECK_INVARIANTS(*m);
}

TEST_CASE("madvise dontneed deactivates and writes dirty file pages back", "[fidelity][madvise][files]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", P, 'a'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(A, P, RW, Sharing::kShared, "f", 0).ok());
  write_str(p, A, "D");
  REQUIRE_OK(p->madvise(A, P, Madvise::kDontNeed));
  auto f = m->read_file("f", 0, 1);
  REQUIRE(f.ok());
  CHECK((*f)[0] == 'D');
  CHECK(read_str(p, A, 1) == "D");
  CHECK_INVARIANTS(*m);
}

// ---- msync (sys___msync13, uvm_map_clean, uao_put)

TEST_CASE("msync of anonymous memory never fails, also without swap", "[fidelity][msync]") {
  auto m = make_machine(16ull << 20, true, 0);
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 2 * P, RW, Sharing::kShared).ok());
  REQUIRE(p->mmap(A + 2 * P, 2 * P, RW, Sharing::kPrivate).ok());
  write_str(p, A, "shared");
  write_str(p, A + 2 * P, "private");
  for (MsyncMode mode : {MsyncMode::kSync, MsyncMode::kAsync, MsyncMode::kInvalidate})
    REQUIRE_OK(p->msync(A, 4 * P, mode));
  CHECK(read_str(p, A, 6) == "shared");  // invalidate only deactivates anonymous memory
  CHECK(read_str(p, A + 2 * P, 7) == "private");
  CHECK_INVARIANTS(*m);
}

TEST_CASE("msync with length 0 flushes the whole entry holding the address", "[fidelity][msync]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", 4 * P, 'a'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(A, 4 * P, RW, Sharing::kShared, "f", 0).ok());
  write_str(p, A + 3 * P, "end");
  REQUIRE_OK(p->msync(A + P, 0, MsyncMode::kSync));
  auto f = m->read_file("f", 3 * P, 3);
  REQUIRE(f.ok());
  CHECK(std::string(f->begin(), f->end()) == "end");
  CHECK(err_of(p->msync(A + 8 * P, 0, MsyncMode::kSync)) == EINVAL);  // no entry there
  CHECK(err_of(p->msync(A, 8 * P, MsyncMode::kSync)) == ENOMEM);     // not all mapped
  CHECK_INVARIANTS(*m);
}

TEST_CASE("msync invalidate checks the wiring of the entry holding the address", "[fidelity][msync][wire]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", 2 * P, 'a'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(A, P, RW, Sharing::kShared, "f", 0).ok());
  REQUIRE(p->mmap_file(A + P, P, RW, Sharing::kShared, "f", P).ok());
  write_str(p, A + P, "W");
  REQUIRE_OK(p->mlock(A + P, P));
  CHECK(err_of(p->msync(A + P, P, MsyncMode::kInvalidate)) == EBUSY);
  // NetBSD tests only the first entry of the range: the wired page later in
  // it is skipped, not an error; it is written back and stays.
  REQUIRE_OK(p->msync(A, 2 * P, MsyncMode::kInvalidate));
  CHECK(read_str(p, A + P, 1) == "W");
  auto f = m->read_file("f", P, 1);
  REQUIRE(f.ok());
  CHECK((*f)[0] == 'W');
  CHECK_INVARIANTS(*m);
}

// ---- loan errors (uvm_loan: ENOENT for a hole, EINVAL for what cannot be lent)

TEST_CASE("loan errors are uvm_loan's: ENOENT for a hole, EINVAL for a wired page or a page past end of file",
          "[amap][fidelity][loan][errors]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", P, 'a'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 2 * P, RW, Sharing::kPrivate).ok());
  REQUIRE(p->mmap_file(A + 4 * P, 2 * P, RW, Sharing::kShared, "f", 0).ok());
  write_str(p, A, "x");
  CHECK(err_of(m->loan(*p, A + 2 * P, P, LoanTo::kKernel).status()) == ENOENT);
  CHECK(err_of(m->loan(*p, A + P, 2 * P, LoanTo::kAnon).status()) == ENOENT);
  REQUIRE_OK(p->mlock(A, P));
  CHECK(err_of(m->loan(*p, A, P, LoanTo::kKernel).status()) == EINVAL);
  CHECK(err_of(m->loan(*p, A, P, LoanTo::kAnon).status()) == EINVAL);
  CHECK(err_of(m->loan(*p, A + 4 * P, 2 * P, LoanTo::kKernel).status()) == EINVAL);  // past EOF
  CHECK(m->stats().loanedpages == 0);
  CHECK(m->loans_outstanding() == 0);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("loans do not check protection: PROT_NONE memory can be lent", "[fidelity][loan]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, P, RW, Sharing::kPrivate).ok());
  write_str(p, A, "hidden");
  REQUIRE_OK(p->mprotect(A, P, kProtNone));
  auto h = m->loan(*p, A, P, LoanTo::kKernel);
  INFO(h.status().ToString());
  REQUIRE(h.ok());
  CHECK(kread(*m, *h, 0, 6) == "hidden");
  CHECK(read_outcome(p, A, 1) == Outcome::kSigsegv);  // the owner still cannot read it
  REQUIRE_OK(m->unloan(*h));
  CHECK_INVARIANTS(*m);
}

// ---- truncation inside a lent page (UBC write -> uvm_loanbreak)

TEST_CASE("truncating inside a lent page breaks the loan: the borrower keeps the bytes",
          "[amap][fidelity][loan][truncate]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", 2 * P, 'a'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(A, 2 * P, RW, Sharing::kShared, "f", 0).ok());
  write_str(p, A + 100, "kept");
  auto k = m->loan(*p, A, P, LoanTo::kKernel);
  auto a = m->loan(*p, A, P, LoanTo::kAnon);
  REQUIRE(k.ok());
  REQUIRE(a.ok());
  const auto breaks = m->stats().loan_break_obj;
  REQUIRE_OK(m->truncate_file("f", 50));
  CHECK(m->stats().loan_break_obj == breaks + 1);
  CHECK(kread(*m, *k, 100, 4) == "kept");
  CHECK(kread(*m, *a, 100, 4) == "kept");
  CHECK(read_str(p, A + 49, 2) == std::string("a\0", 2));  // the file's own copy is cut
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(m->unloan(*k));
  REQUIRE_OK(m->unloan(*a));
  CHECK_INVARIANTS(*m);
}

// ---- kread of a lent page that cannot be brought back

TEST_CASE("loan_read reports a lent page that cannot be paged back in as ENOMEM", "[amap][fidelity][loan][kread]") {
  auto m = make_machine(64 * P, true, 64 * P);
  Uvm& uvm = m->uvm();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, P, RW, Sharing::kPrivate).ok());
  write_str(p, A, "lent");
  Page* pg = mapped_page(p, A);
  REQUIRE(pg);
  auto h = m->loan(*p, A, P, LoanTo::kAnon);  // A->A: the borrower shares the anon
  REQUIRE(h.ok());
  REQUIRE_OK(p->munmap(A, P));  // the borrower's is the only reference left
  REQUIRE(uvm.pagedaemon->evict(uvm.pm->index(pg)));  // out to swap
  // Every free frame taken (held outside the VM, like a driver's): paging
  // the lent page back in finds none, and nothing is left to page out.
  std::vector<Page*> held;
  while (Page* f = uvm.pm->alloc(false)) held.push_back(f);
  auto r = m->loan_read(*h, 0, 4);
  REQUIRE_FALSE(r.ok());
  CHECK(errno_of(r.status()) == ENOMEM);
  CHECK(errno_of(m->loan_read(*h, P, 1).status()) == EINVAL);  // beyond the loan: misuse
  for (Page* f : held) uvm.pm->free(f);
  CHECK(kread(*m, *h, 0, 4) == "lent");  // nothing was lost
  REQUIRE_OK(m->unloan(*h));
  CHECK_INVARIANTS(*m);
}
