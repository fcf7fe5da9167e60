// Copy-on-write across fork and the inheritance values: the seed behaviours
// driven through the process API, with the invariant checker after each step.
#include <catch2/catch.hpp>

#include "core/amap.h"
#include "core/uvm.h"
#include "helpers.h"

using namespace uvmsim;
using namespace uvmsim::test;

namespace {
constexpr vaddr_t A = 0x10000000;
}

TEST_CASE("fork COW: child write is private to the child", "[fork][cow]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 4 * kPageSize, RW, Sharing::kPrivate).ok());
  write_str(p, A, "parent");
  auto c = p->fork("c");
  REQUIRE(c.ok());
  CHECK_INVARIANTS(*m);
  const auto before = m->stats();
  write_str(*c, A, "child!");
  const auto after = m->stats();
  CHECK(after.flt_acow - before.flt_acow == 1);  // anon copy-on-write
  CHECK(read_str(p, A, 6) == "parent");
  CHECK(read_str(*c, A, 6) == "child!");
  CHECK_INVARIANTS(*m);
}

TEST_CASE("fork COW: parent write is private to the parent", "[fork][cow]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 4 * kPageSize, RW, Sharing::kPrivate).ok());
  write_str(p, A + 100, "before");
  auto c = p->fork("c");
  REQUIRE(c.ok());
  write_str(p, A + 100, "after!");
  CHECK(read_str(*c, A + 100, 6) == "before");
  CHECK(read_str(p, A + 100, 6) == "after!");
  // Untouched pages of the mapping read as zeros on both sides.
  CHECK(read_str(*c, A + 3 * kPageSize, 4) == std::string(4, '\0'));
  CHECK_INVARIANTS(*m);
}

TEST_CASE("amap takeover after the peer exits", "[amap][fork][takeover]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 2 * kPageSize, RW, Sharing::kPrivate).ok());
  write_str(p, A, "x");
  auto c = p->fork("c");
  REQUIRE(c.ok());
  REQUIRE_OK((*c)->exit());
  CHECK_INVARIANTS(*m);
  const auto before = m->stats();
  write_str(p, A, "y");  // needs-copy, but the amap has one reference now
  const auto after = m->stats();
  CHECK(after.amap_takeover - before.amap_takeover == 1);
  CHECK(after.amap_copy == before.amap_copy);
  CHECK(after.flt_acow == before.flt_acow);  // the anon is ours alone: no copy
  CHECK(after.pagecopies == before.pagecopies);
  CHECK(read_str(p, A, 1) == "y");
  CHECK_INVARIANTS(*m);
}

TEST_CASE("amap chunking of a 512-page entry", "[amap][chunk]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 512 * kPageSize, RW, Sharing::kPrivate).ok());
  const vaddr_t va = A + 100 * kPageSize + 17;
  write_str(p, va, "z");
  const auto s = m->stats();
  CHECK(s.amap_chunk == 1);
  // The entry was clipped to the 16-page chunk around the fault.
  auto maps = p->mappings();
  REQUIRE(maps.size() == 3);
  CHECK(maps[1].start == A + 96 * kPageSize);
  CHECK(maps[1].end == A + 112 * kPageSize);
  CHECK(maps[1].has_amap);
  CHECK_FALSE(maps[0].has_amap);
  CHECK_FALSE(maps[2].has_amap);
  CHECK(m->uvm().amaps.size() == 1);
  CHECK((*m->uvm().amaps.begin())->am_nslot == UVM_AMAP_CHUNK);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("partial unmap frees exactly the unmapped anons", "[amap][ppref][unmap]") {
  SECTION("with ppref") {
    auto m = make_machine();
    Process* p = spawn(*m, "p");
    REQUIRE(p->mmap(A, 8 * kPageSize, RW, Sharing::kPrivate).ok());
    REQUIRE(p->fill(A, 8 * kPageSize, 1)->ok());
    CHECK(m->stats().anons == 8);
    REQUIRE_OK(p->munmap(A + 2 * kPageSize, 3 * kPageSize));
    CHECK(m->stats().anons == 5);
    CHECK(m->stats().ppref_establish == 1);
    CHECK_INVARIANTS(*m);
    REQUIRE_OK(p->munmap(A, kPageSize));
    CHECK(m->stats().anons == 4);
    CHECK(read_str(p, A + 5 * kPageSize, 1) == "\x01");
    CHECK_INVARIANTS(*m);
  }
  SECTION("without ppref nothing is freed until the last reference") {
    auto m = make_machine(16ull << 20, /*ppref=*/false);
    Process* p = spawn(*m, "p");
    REQUIRE(p->mmap(A, 8 * kPageSize, RW, Sharing::kPrivate).ok());
    REQUIRE(p->fill(A, 8 * kPageSize, 1)->ok());
    const auto free_before = m->stats().free;
    REQUIRE_OK(p->munmap(A + 2 * kPageSize, 3 * kPageSize));
    CHECK(m->stats().anons == 8);
    CHECK(m->stats().free == free_before);
    CHECK(m->stats().ppref_none == 0);
    CHECK_INVARIANTS(*m);
    REQUIRE_OK(p->munmap(A, 8 * kPageSize));
    CHECK(m->stats().anons == 0);
    CHECK(m->stats().amaps == 0);
    CHECK_INVARIANTS(*m);
  }
}

TEST_CASE("cow_now: fork of a wired parent entry copies at fork", "[amap][fork][wired][cownow]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 4 * kPageSize, RW, Sharing::kPrivate).ok());
  write_str(p, A, "wired");
  REQUIRE_OK(p->mlock(A, 4 * kPageSize));
  CHECK(m->stats().wired == 4);
  const auto before = m->stats();
  auto c = p->fork("c");
  REQUIRE(c.ok());
  const auto after = m->stats();
  CHECK(after.amap_cownow - before.amap_cownow == 4);
  CHECK(after.forks_sharewired - before.forks_sharewired == 1);
  CHECK_INVARIANTS(*m);
  // The parent takes no fault writing its wired memory; the child's copy
  // is already private.
  const auto f0 = m->stats().faults;
  write_str(p, A, "PARNT");
  CHECK(m->stats().faults == f0);
  CHECK(read_str(*c, A, 5) == "wired");
  write_str(*c, A, "child");
  CHECK(read_str(p, A, 5) == "PARNT");
  CHECK(m->stats().flt_acow == before.flt_acow);
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(p->munlock(A, 4 * kPageSize));
  CHECK(m->stats().wired == 0);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("share_protect reaches every sharer", "[amap][share]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 2 * kPageSize, RW, Sharing::kPrivate).ok());
  REQUIRE_OK(p->minherit(A, 2 * kPageSize, Inherit::kShare));
  write_str(p, A, "shared");
  auto s1 = p->fork("s1");
  REQUIRE(s1.ok());
  auto s2 = p->fork("s2");
  REQUIRE(s2.ok());
  // Sharers see each other's writes (one amap, same anons).
  write_str(*s1, A, "SHARED");
  CHECK(read_str(p, A, 6) == "SHARED");
  CHECK(read_str(*s2, A, 6) == "SHARED");
  // Now p forks a COPY child of the shared region: every sharer's mapping
  // must become read-only, so no sharer writes the page the child keeps.
  REQUIRE_OK(p->minherit(A, 2 * kPageSize, Inherit::kCopy));
  auto c = p->fork("c");
  REQUIRE(c.ok());
  CHECK_INVARIANTS(*m);
  write_str(*s2, A, "after!");
  CHECK(read_str(*c, A, 6) == "SHARED");  // the copy child kept its snapshot
  CHECK(read_str(p, A, 6) == "after!");   // sharing among p, s1, s2 survives
  CHECK(read_str(*s1, A, 6) == "after!");
  write_str(p, A, "third!");
  CHECK(read_str(*s1, A, 6) == "third!");
  CHECK(read_str(*s2, A, 6) == "third!");
  CHECK(read_str(*c, A, 6) == "SHARED");
  CHECK_INVARIANTS(*m);
}

TEST_CASE("a copy fork of shared memory the parent cannot access keeps other sharers' wired mappings",
          "[fork][minherit][wire]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 3 * kPageSize, RW, Sharing::kPrivate).ok());
  REQUIRE_OK(p->minherit(A, 3 * kPageSize, Inherit::kShare));
  write_str(p, A + kPageSize, "wired");
  auto s = p->fork("s");
  REQUIRE(s.ok());
  // The sharer wires the memory; the parent turns its own access off and
  // forks a child that gets a copy.
  REQUIRE_OK((*s)->mlock(A, 3 * kPageSize));
  REQUIRE_OK(p->minherit(A, 3 * kPageSize, Inherit::kCopy));
  REQUIRE_OK(p->mprotect(A, 3 * kPageSize, kProtNone));
  const auto wired = m->stats().wired;
  auto c = p->fork("c");
  REQUIRE(c.ok());
  // The sharer's wired mappings stay (and with them their wirings).
  CHECK_INVARIANTS(*m);
  CHECK(m->stats().wired == wired);
  const auto faults = m->stats().faults;
  CHECK(read_str(*s, A + kPageSize, 5) == "wired");
  CHECK(m->stats().faults == faults);
  REQUIRE_OK((*c)->mprotect(A, 3 * kPageSize, kProtRead));  // the child inherited no access
  CHECK(read_str(*c, A + kPageSize, 5) == "wired");
  write_str(*s, A + kPageSize, "again");
  CHECK(read_str(*c, A + kPageSize, 5) == "wired");  // the copy child kept its snapshot
  CHECK_INVARIANTS(*m);
}

TEST_CASE("minherit share/copy/none/zero", "[fork][minherit]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 4 * kPageSize, RW, Sharing::kPrivate).ok());
  for (int i = 0; i < 4; i++) write_str(p, A + i * kPageSize, std::string(1, char('a' + i)));
  REQUIRE_OK(p->minherit(A + 0 * kPageSize, kPageSize, Inherit::kShare));
  REQUIRE_OK(p->minherit(A + 1 * kPageSize, kPageSize, Inherit::kCopy));
  REQUIRE_OK(p->minherit(A + 2 * kPageSize, kPageSize, Inherit::kNone));
  REQUIRE_OK(p->minherit(A + 3 * kPageSize, kPageSize, Inherit::kZero));
  auto c = p->fork("c");
  REQUIRE(c.ok());
  Process* ch = *c;
  CHECK_INVARIANTS(*m);
  // share: both directions visible
  write_str(ch, A, "S");
  CHECK(read_str(p, A, 1) == "S");
  // copy: private on both sides
  CHECK(read_str(ch, A + kPageSize, 1) == "b");
  write_str(ch, A + kPageSize, "C");
  CHECK(read_str(p, A + kPageSize, 1) == "b");
  // none: no mapping in the child
  CHECK(read_outcome(ch, A + 2 * kPageSize, 1) == Outcome::kSigsegv);
  CHECK(read_str(p, A + 2 * kPageSize, 1) == "c");
  // zero: fresh zero-filled memory in the child, parent unchanged
  CHECK(read_str(ch, A + 3 * kPageSize, 1) == std::string(1, '\0'));
  CHECK(read_str(p, A + 3 * kPageSize, 1) == "d");
  write_str(ch, A + 3 * kPageSize, "Z");
  CHECK(read_str(p, A + 3 * kPageSize, 1) == "d");
  CHECK_INVARIANTS(*m);
}

TEST_CASE("minherit on shared anonymous memory", "[fork][minherit][aobj]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 2 * kPageSize, RW, Sharing::kShared).ok());
  write_str(p, A, "obj");
  auto c = p->fork("c");  // default for shared: share
  REQUIRE(c.ok());
  write_str(*c, A, "OBJ");
  CHECK(read_str(p, A, 3) == "OBJ");
  REQUIRE_OK(p->minherit(A, 2 * kPageSize, Inherit::kZero));
  auto z = p->fork("z");
  REQUIRE(z.ok());
  CHECK(read_str(*z, A, 3) == std::string(3, '\0'));
  write_str(*z, A, "zzz");
  CHECK(read_str(p, A, 3) == "OBJ");
  CHECK_INVARIANTS(*m);
}

TEST_CASE("mprotect downgrade then write gives SIGSEGV in parent and child", "[mprotect][fork]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 2 * kPageSize, RW, Sharing::kPrivate).ok());
  write_str(p, A, "data");
  auto c = p->fork("c");
  REQUIRE(c.ok());
  REQUIRE_OK(p->mprotect(A, 2 * kPageSize, R));
  REQUIRE_OK((*c)->mprotect(A, kPageSize, R));
  CHECK(write_outcome(p, A, "x") == Outcome::kSigsegv);
  CHECK(write_outcome(*c, A, "x") == Outcome::kSigsegv);
  CHECK(write_outcome(*c, A + kPageSize, "ok") == Outcome::kOk);  // still rw there
  CHECK(read_str(p, A, 4) == "data");
  CHECK(read_str(*c, A, 4) == "data");
  CHECK_INVARIANTS(*m);
  // Upgrade again: the write goes through a COW fault, not in place.
  REQUIRE_OK(p->mprotect(A, 2 * kPageSize, RW));
  write_str(p, A, "PPPP");
  CHECK(read_str(*c, A, 4) == "data");
  CHECK_INVARIANTS(*m);
}

TEST_CASE("a write that crosses into an unmapped page stores the bytes before it", "[access]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, kPageSize, RW, Sharing::kPrivate).ok());
  std::string s(10, 'q');
  auto r = p->write(A + kPageSize - 4, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  REQUIRE(r.ok());
  CHECK(r->outcome == Outcome::kSigsegv);
  CHECK(r->done == 4);
  CHECK(r->fault_addr == A + kPageSize);
  CHECK(read_str(p, A + kPageSize - 4, 4) == "qqqq");
}

TEST_CASE("exit releases everything", "[exit]") {
  auto m = make_machine();
  const auto base = m->stats();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 64 * kPageSize, RW, Sharing::kPrivate).ok());
  REQUIRE(p->mmap(A + 0x1000000, 8 * kPageSize, RW, Sharing::kShared).ok());
  REQUIRE(p->fill(A, 64 * kPageSize, 7)->ok());
  REQUIRE(p->fill(A + 0x1000000, 8 * kPageSize, 7)->ok());
  auto c = p->fork("c");
  REQUIRE(c.ok());
  write_str(*c, A, "c");
  REQUIRE_OK(p->exit());
  REQUIRE_OK((*c)->exit());
  const auto s = m->stats();
  CHECK(s.free == base.free);
  CHECK(s.anons == 0);
  CHECK(s.amaps == 0);
  CHECK(s.ptpages == 0);
  CHECK(m->uvm().objects.empty());
  CHECK_INVARIANTS(*m);
}

TEST_CASE("minherit copy of shared anonymous memory gives the child a snapshot", "[amap][fork][minherit][aobj][loan]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 4 * kPageSize, RW, Sharing::kShared).ok());
  write_str(p, A, "before");
  write_str(p, A + kPageSize, "second");
  REQUIRE_OK(p->minherit(A, 4 * kPageSize, Inherit::kCopy));
  const auto copies = m->stats().pagecopies;
  auto c = p->fork("c");
  REQUIRE(c.ok());
  CHECK(m->stats().pagecopies == copies);  // lent, not copied
  CHECK(m->stats().loan_oa == 2);
  CHECK_INVARIANTS(*m);
  write_str(p, A, "AFTER!");          // breaks the loan: the object gets a copy
  write_str(p, A + 2 * kPageSize, "new page");
  CHECK(read_str(*c, A, 6) == "before");
  CHECK(read_str(*c, A + 2 * kPageSize, 8) == std::string(8, '\0'));
  write_str(*c, A + kPageSize, "CHILD!");  // the child's write breaks its side
  CHECK(read_str(p, A + kPageSize, 6) == "second");
  CHECK(read_str(*c, A + kPageSize, 6) == "CHILD!");
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(p->exit());
  CHECK(read_str(*c, A, 6) == "before");
  REQUIRE_OK((*c)->exit());
  CHECK(m->stats().free + m->stats().objpages == m->stats().npages);
  CHECK_INVARIANTS(*m);
}
