// What the fuzzers found (fuzz/, docs/fuzzing.md), each as a test of the
// behaviour that was wrong. The inputs themselves are replayed too, by the
// fuzz_replay:* tests (fuzz/regressions/).
#include "helpers.h"

using namespace uvmsim;
using namespace uvmsim::test;

namespace {
constexpr vaddr_t kVa = 0x10000000;
}

// api fuzzer: mprotect to execute-only over resident pages made the checker
// report "mapped under protection none". An x86 page table cannot express
// execute-only (a present page is readable), so the pmap keeps the pages
// mapped read-only, as NetBSD's x86 pmap does; the checker must accept that
// and still refuse translations under protection none.
TEST_CASE("execute-only protection keeps resident pages mapped read-only", "[fuzz][mprotect]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(kVa, 4 * kPageSize, kProtAll, Sharing::kPrivate).ok());
  write_str(p, kVa, "resident");
  write_str(p, kVa + kPageSize, "resident too");
  const std::uint64_t resident = p->resident_pages();
  REQUIRE(resident >= 2);

  REQUIRE_OK(p->mprotect(kVa, 4 * kPageSize, kProtExec));
  CHECK_INVARIANTS(*m);
  CHECK(p->resident_pages() == resident);  // still translated, read-only
  CHECK(write_outcome(p, kVa, "x") == Outcome::kSigsegv);
  CHECK_INVARIANTS(*m);

  REQUIRE_OK(p->mprotect(kVa, 4 * kPageSize, kProtNone));
  CHECK(p->resident_pages() == 0);  // none: no translation left
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(p->mprotect(kVa, 4 * kPageSize, kProtRead | kProtWrite));
  CHECK(read_str(p, kVa, 8) == "resident");
  CHECK_INVARIANTS(*m);
}
