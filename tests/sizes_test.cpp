// Huge sizes: mappings of 2^31, 2^32 and 2^35 pages (the last is more than
// the whole user address space). Page counts are 64-bit throughout; a
// mapping up to the whole user address space works lazily (only what is
// touched costs anything), and an operation that would need a structure
// too large to allocate at once (an amap of more than UVM_AMAP_MAXSLOTS
// slots: fork of such a region inherited `share`, wiring it) fails with an
// errno before anything changes. The checker runs after every step.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdint>

#include "core/amap.h"
#include "helpers.h"

using namespace uvmsim;
using namespace uvmsim::test;

namespace {

constexpr vaddr_t A = 0x10000000;
constexpr std::uint64_t kPages31 = 1ull << 31, kPages32 = 1ull << 32, kPages35 = 1ull << 35;
constexpr vsize_t bytes(std::uint64_t pages) { return pages * kPageSize; }


void lazy_anon_region(std::uint64_t pages) {
  auto m = make_machine(16ull << 20, true, 16ull << 20);
  Process* p = spawn(*m, "p");
  const vsize_t len = bytes(pages);
  auto at = p->mmap(A, len, RW, Sharing::kPrivate);
  REQUIRE(at.ok());
  const vaddr_t last = A + len - kPageSize;
  CHECK(read_str(p, A, 2) == std::string(2, '\0'));
  write_str(p, A, "lo");
  write_str(p, last, "hi");
  CHECK_INVARIANTS(*m);
  // Only what was touched costs memory: two pages, two small amaps.
  UvmExp s = m->stats();
  CHECK(s.anons == 2);
  CHECK(s.amap_toolarge == 0);

  // fork (copy) and copy-on-write at both ends.
  auto c = p->fork("c");
  REQUIRE(c.ok());
  write_str(*c, last, "cc");
  CHECK(read_str(*c, A, 2) == "lo");
  CHECK(read_str(*c, last, 2) == "cc");
  CHECK(read_str(p, last, 2) == "hi");
  CHECK_INVARIANTS(*m);

  // Whole-region operations walk what exists, not every page.
  REQUIRE_OK(p->mprotect(A, len, R));
  CHECK(write_outcome(p, A, "x") == Outcome::kSigsegv);
  REQUIRE_OK(p->mprotect(A, len, RW));
  REQUIRE_OK(p->madvise(A, len, Madvise::kDontNeed));
  REQUIRE_OK(p->msync(A, len));
  CHECK(read_str(p, last, 2) == "hi");
  CHECK_INVARIANTS(*m);

  // Wiring it all is refused up front (more than uvmexp.wiredmax pages).
  CHECK(errno_of(p->mlock(A, len)) == EAGAIN);
  CHECK(read_str(p, A, 2) == "lo");

  // Inherited `share`: the region needs one amap for all of it at fork,
  // larger than an amap may be: the fork fails with ENOMEM, nothing changed.
  REQUIRE_OK(p->minherit(A, len, Inherit::kShare));
  const UvmExp before = m->stats();
  auto d = p->fork("d");
  REQUIRE(!d.ok());
  CHECK(errno_of(d.status()) == ENOMEM);
  CHECK(m->stats().amap_toolarge > before.amap_toolarge);
  CHECK(m->stats().processes == before.processes);
  CHECK(read_str(p, A, 2) == "lo");
  CHECK(read_str(p, last, 2) == "hi");
  CHECK_INVARIANTS(*m);

  // Unmapping frees everything.
  REQUIRE_OK((*c)->exit());
  REQUIRE_OK(p->munmap(A, len));
  CHECK_INVARIANTS(*m);
  CHECK(m->stats().anons == 0);
  CHECK(m->stats().amaps == 0);
}

}  // namespace

TEST_CASE("a private anonymous mapping of 2^31 pages works lazily", "[amap][sizes]") { lazy_anon_region(kPages31); }

TEST_CASE("a private anonymous mapping of 2^32 pages works lazily", "[amap][sizes]") { lazy_anon_region(kPages32); }

TEST_CASE("the whole user address space maps lazily; 2^35 pages is more than there is", "[sizes]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  // 2^35 pages is 2^47 bytes, more than the user part of an address space:
  // refused, nothing mapped.
  CHECK(!p->mmap(A, bytes(kPages35), RW, Sharing::kPrivate).ok());
  CHECK(!p->mmap(0, bytes(kPages35), RW, Sharing::kPrivate).ok());
  CHECK(p->mappings().empty());
  // Everything from the lowest to the highest user page.
  const vsize_t len = kUserMax - kUserMin;
  REQUIRE(p->mmap(kUserMin, len, RW, Sharing::kPrivate).ok());
  write_str(p, kUserMin, "a");
  write_str(p, kUserMax - kPageSize, "z");
  auto c = p->fork("c");
  REQUIRE(c.ok());
  write_str(*c, kUserMax - kPageSize, "y");
  CHECK(read_str(p, kUserMax - kPageSize, 1) == "z");
  CHECK(read_str(*c, kUserMin, 1) == "a");
  CHECK(errno_of(p->mlock(kUserMin, len)) == EAGAIN);
  CHECK_INVARIANTS(*m);
  // Nothing more fits.
  CHECK(!p->mmap(0, kPageSize, RW, Sharing::kPrivate).ok());
  REQUIRE_OK(p->munmap(kUserMin, len));
  CHECK_INVARIANTS(*m);
}

TEST_CASE("huge shared and file mappings: refused with ENOMEM or SIGBUS past the end, never a crash", "[sizes]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", 16 * kPageSize, 'a'));
  Process* p = spawn(*m, "p");
  for (std::uint64_t pages : {kPages31, kPages32}) {
    INFO("pages " << pages);
    // Shared anonymous memory is an object of at most 2^31 - 1 pages.
    auto s = p->mmap(A, bytes(pages), RW, Sharing::kShared);
    REQUIRE(!s.ok());
    CHECK(errno_of(s.status()) == ENOMEM);
    CHECK(p->mappings().empty());
    // A file mapping larger than the file: pages past its end are SIGBUS.
    for (Sharing sh : {Sharing::kPrivate, Sharing::kShared}) {
      REQUIRE(p->mmap_file(A, bytes(pages), RW, sh, "f", 0).ok());
      CHECK(read_str(p, A, 1) == "a");
      CHECK(read_outcome(p, A + bytes(pages) - kPageSize, 1) == Outcome::kSigbus);
      CHECK(write_outcome(p, A + bytes(16), "x") == Outcome::kSigbus);
      if (sh == Sharing::kPrivate) {
        write_str(p, A, "p");
        auto c = p->fork("c");
        REQUIRE(c.ok());
        CHECK(read_str(*c, A, 1) == "p");
        REQUIRE_OK((*c)->exit());
      }
      CHECK(errno_of(p->mlock(A, bytes(pages))) == EAGAIN);
      CHECK_INVARIANTS(*m);
      REQUIRE_OK(p->munmap(A, bytes(pages)));
    }
  }
  // A file offset beyond what a file can be.
  CHECK(!p->mmap_file(A, kPageSize, RW, Sharing::kShared, "f", ~std::uint64_t{0} & ~kPageMask).ok());
  CHECK(p->mappings().empty());
  CHECK_INVARIANTS(*m);
}
