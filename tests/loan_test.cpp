// Page loan-out: the seed's behaviours (uvm_loan.c) as named tests.
#include <catch2/catch.hpp>

#include "core/anon.h"
#include "core/page.h"
#include "core/pmap.h"
#include "core/uvm.h"
#include "core/uvm_object.h"
#include "core/vmspace.h"
#include "helpers.h"

using namespace uvmsim;
using namespace uvmsim::test;

namespace {
constexpr vaddr_t A = 0x10000000;

std::string kread(Machine& m, LoanHandle h, std::uint64_t off, std::uint64_t len) {
  auto r = m.loan_read(h, off, len);
  REQUIRE(r.ok());
  return std::string(r->begin(), r->end());
}

LoanHandle must_loan(Machine& m, Process* p, vaddr_t va, vsize_t len, LoanTo to) {
  auto h = m.loan(*p, va, len, to);
  INFO(h.status().ToString());
  REQUIRE(h.ok());
  return *h;
}

Page* page_of(Process* p, vaddr_t va) {
  Page* pg = nullptr;
  REQUIRE(p->vmspace().pmap->extract(va, &pg, nullptr));
  return pg;
}
}  // namespace

TEST_CASE("loan object->kernel of a file page, then an owner write", "[loan][ok]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", 2 * kPageSize, 'a'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(A, 2 * kPageSize, RW, Sharing::kShared, "f", 0).ok());
  write_str(p, A, "original");
  const auto base_free = m->stats().free;
  LoanHandle h = must_loan(*m, p, A, kPageSize, LoanTo::kKernel);
  CHECK(m->stats().loan_ok == 1);
  CHECK(m->stats().loanedpages == 1);
  CHECK_INVARIANTS(*m);
  Page* lent = page_of(p, A);
  // The owner writes: the loan breaks; the object gets a new page.
  write_str(p, A, "OWNER!!!");
  CHECK(m->stats().loan_break_obj == 1);
  CHECK(page_of(p, A) != lent);
  CHECK(lent->uobject() == nullptr);  // an orphan held by the kernel
  CHECK(kread(*m, h, 0, 8) == "original");
  CHECK(read_str(p, A, 8) == "OWNER!!!");
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(m->unloan(h));
  CHECK(m->stats().loan_orphans_freed == 1);
  CHECK(m->stats().free == base_free);  // back to baseline: the orphan is freed
  REQUIRE_OK(p->msync(A, kPageSize));
  auto f = m->read_file("f", 0, 8);
  REQUIRE(f.ok());
  CHECK(std::string(f->begin(), f->end()) == "OWNER!!!");
  CHECK_INVARIANTS(*m);
}

TEST_CASE("loan anon->kernel", "[amap][loan][ak]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 2 * kPageSize, RW, Sharing::kPrivate).ok());
  write_str(p, A, "anon data");
  LoanHandle h = must_loan(*m, p, A, kPageSize, LoanTo::kKernel);
  CHECK(m->stats().loan_ak == 1);
  Prot prot;
  REQUIRE(p->vmspace().pmap->extract(A, nullptr, &prot));
  CHECK_FALSE(prot & kProtWrite);  // mapped read-only while lent
  write_str(p, A, "new data!");
  CHECK(m->stats().loan_break_anon == 1);
  CHECK(kread(*m, h, 0, 9) == "anon data");
  CHECK_INVARIANTS(*m);
  // The owner exits while the kernel holds nothing of its own now; unloan
  // frees the orphaned old page.
  REQUIRE_OK(p->exit());
  CHECK(kread(*m, h, 0, 9) == "anon data");
  REQUIRE_OK(m->unloan(h));
  CHECK(m->stats().free == m->stats().npages);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("owner frees a page on loan: the orphan lives on for the borrower", "[loan][orphan]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, kPageSize, RW, Sharing::kPrivate).ok());
  write_str(p, A, "keep");
  LoanHandle h = must_loan(*m, p, A, kPageSize, LoanTo::kKernel);
  REQUIRE_OK(p->munmap(A, kPageSize));  // the anon dies; its page is lent
  CHECK(m->stats().loan_orphans == 1);
  CHECK(m->stats().anons == 0);
  CHECK(kread(*m, h, 0, 4) == "keep");
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(m->unloan(h));
  CHECK(m->stats().free == m->stats().npages);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("loan object->anon: two loans share one anon; orphan and adoption", "[loan][oa]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", kPageSize, 'x'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(A, kPageSize, RW, Sharing::kShared, "f", 0).ok());
  CHECK(read_str(p, A, 3) == "xxx");
  LoanHandle h1 = must_loan(*m, p, A, kPageSize, LoanTo::kAnon);
  LoanHandle h2 = must_loan(*m, p, A, kPageSize, LoanTo::kAnon);
  CHECK(m->stats().loan_oa == 2);
  CHECK(m->stats().anons == 1);  // one anon, referenced by both loans
  Page* pg = page_of(p, A);
  REQUIRE(pg->uanon());
  CHECK(pg->uanon()->an_ref == 2);
  CHECK(pg->loan_count == 1);
  CHECK_INVARIANTS(*m);
  // The owner writes: the object gets a copy; the anon adopts the old page.
  write_str(p, A, "yyy");
  CHECK(m->stats().loan_adopted == 1);
  CHECK(pg->uobject() == nullptr);
  CHECK(pg->flags & PG_ANON);
  CHECK(kread(*m, h1, 0, 3) == "xxx");
  CHECK(kread(*m, h2, 0, 3) == "xxx");
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(m->unloan(h1));
  CHECK(m->stats().anons == 1);
  REQUIRE_OK(m->unloan(h2));
  CHECK(m->stats().anons == 0);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("zero loans share one page", "[amap][loan][zero]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 4 * kPageSize, RW, Sharing::kPrivate).ok());  // untouched
  const auto free0 = m->stats().free;
  LoanHandle k = must_loan(*m, p, A, 4 * kPageSize, LoanTo::kKernel);
  LoanHandle a = must_loan(*m, p, A, 2 * kPageSize, LoanTo::kAnon);
  CHECK(m->stats().loan_zk == 4);
  CHECK(m->stats().loan_za == 2);
  CHECK(m->stats().free == free0 - 1);  // one zero page for all of them
  CHECK(m->stats().anons == 1);         // one anon on the zero page
  CHECK(kread(*m, k, 100, 8) == std::string(8, '\0'));
  CHECK(kread(*m, a, 5000, 8) == std::string(8, '\0'));
  // The process's own memory is untouched by the loan.
  write_str(p, A, "mine");
  CHECK(kread(*m, k, 0, 4) == std::string(4, '\0'));
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(m->unloan(k));
  REQUIRE_OK(m->unloan(a));
  CHECK(m->stats().anons == 1);  // p's own anon
  CHECK_INVARIANTS(*m);
}

TEST_CASE("loan rollback on a wired page", "[amap][loan][rollback]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 4 * kPageSize, RW, Sharing::kPrivate).ok());
  REQUIRE(p->fill(A, 4 * kPageSize, 7)->ok());
  REQUIRE_OK(p->mlock(A + 2 * kPageSize, kPageSize));
  auto h = m->loan(*p, A, 4 * kPageSize, LoanTo::kKernel);
  REQUIRE_FALSE(h.ok());
  CHECK(errno_of(h.status()) == EINVAL);  // uvm_loan: a page that cannot be lent
  CHECK(m->stats().loan_rollback == 1);
  CHECK(m->stats().loanedpages == 0);  // pages 0 and 1 were returned
  CHECK(m->loans_outstanding() == 0);
  CHECK_INVARIANTS(*m);
  // A hole is an error too (ENOENT), with nothing left behind.
  CHECK(errno_of(m->loan(*p, A + 3 * kPageSize, 2 * kPageSize, LoanTo::kAnon).status()) == ENOENT);
  CHECK(errno_of(m->loan(*p, A + 1, kPageSize, LoanTo::kKernel).status()) == EINVAL);
  CHECK(errno_of(m->unloan(LoanHandle{999})) == ENOENT);
  CHECK(m->stats().loanedpages == 0);
  CHECK(m->stats().anons == 4);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("anon loan with an_ref 1, then an owner write goes through anon COW", "[amap][loan][aa]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, kPageSize, RW, Sharing::kPrivate).ok());
  write_str(p, A, "before");
  Page* pg = page_of(p, A);
  REQUIRE(pg->uanon()->an_ref == 1);
  LoanHandle h = must_loan(*m, p, A, kPageSize, LoanTo::kAnon);
  CHECK(pg->uanon()->an_ref == 2);
  CHECK(pg->loan_count == 0);  // A->A shares the anon, it does not lend the page
  const auto acow = m->stats().flt_acow;
  write_str(p, A, "after!");
  CHECK(m->stats().flt_acow == acow + 1);
  CHECK(kread(*m, h, 0, 6) == "before");
  CHECK(read_str(p, A, 6) == "after!");
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(m->unloan(h));
  CHECK_INVARIANTS(*m);
}

TEST_CASE("protection is changed only on the first loan", "[loan][protect]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, kPageSize, RW, Sharing::kShared).ok());
  write_str(p, A, "s");
  const auto pp0 = m->stats().pmap_page_protect;
  LoanHandle h1 = must_loan(*m, p, A, kPageSize, LoanTo::kKernel);
  const auto pp1 = m->stats().pmap_page_protect;
  CHECK(pp1 == pp0 + 1);
  LoanHandle h2 = must_loan(*m, p, A, kPageSize, LoanTo::kKernel);
  CHECK(m->stats().pmap_page_protect == pp1);  // second loan: no protection change
  CHECK(page_of(p, A)->loan_count == 2);
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(m->unloan(h1));
  REQUIRE_OK(m->unloan(h2));
  CHECK(page_of(p, A)->loan_count == 0);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("the page daemon respects loans", "[loan][pagedaemon]") {
  auto m = make_machine(96 * kPageSize);
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 8 * kPageSize, RW, Sharing::kPrivate).ok());
  REQUIRE(p->fill(A, 8 * kPageSize, 0x33)->ok());
  LoanHandle h = must_loan(*m, p, A, 8 * kPageSize, LoanTo::kKernel);
  Process* hog = spawn(*m, "hog");
  REQUIRE(hog->mmap(A, 300 * kPageSize, RW, Sharing::kPrivate).ok());
  REQUIRE(hog->fill(A, 300 * kPageSize, 1)->ok());
  CHECK(m->stats().pgswapout > 0);
  CHECK(m->stats().loanedpages == 8);  // none of the lent pages went out
  CHECK(kread(*m, h, 5 * kPageSize, 4) == std::string(4, '\x33'));
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(m->unloan(h));
  CHECK_INVARIANTS(*m);
}

TEST_CASE("loan_count is 16-bit: the loan past the limit fails with EBUSY and loses nothing", "[loan][limits]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, kPageSize, RW, Sharing::kPrivate).ok());
  write_str(p, A, "kept");
  std::vector<LoanHandle> hs;
  for (int i = 0; i < kMaxPageCount; i++) {
    auto h = m->loan(*p, A, kPageSize, LoanTo::kKernel);
    REQUIRE(h.ok());
    hs.push_back(*h);
  }
  CHECK(page_of(p, A)->loan_count == kMaxPageCount);
  auto over = m->loan(*p, A, kPageSize, LoanTo::kKernel);
  REQUIRE_FALSE(over.ok());
  CHECK(errno_of(over.status()) == EBUSY);
  CHECK(page_of(p, A)->loan_count == kMaxPageCount);
  CHECK(m->loans_outstanding() == hs.size());
  CHECK_INVARIANTS(*m);
  CHECK(kread(*m, hs.back(), 0, 4) == "kept");
  for (LoanHandle h : hs) REQUIRE_OK(m->unloan(h));
  CHECK(page_of(p, A)->loan_count == 0);
  write_str(p, A, "more");  // no loan left to break
  CHECK(read_str(p, A, 4) == "more");
  CHECK_INVARIANTS(*m);
}
