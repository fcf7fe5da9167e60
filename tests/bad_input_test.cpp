// Bad input gets an error value and leaves the state intact.
#include <catch2/catch.hpp>

#include <cerrno>

#include "helpers.h"
#include "pagers/aobj.h"
#include "uvmsim/platform.h"

using namespace uvmsim;
using namespace uvmsim::test;

namespace {
constexpr vaddr_t A = 0x10000000;

// A process with one written mapping, to show that failures change nothing.
struct Fixture {
  std::unique_ptr<Machine> m = make_machine();
  Process* p = spawn(*m, "p");
  Fixture() {
    REQUIRE(p->mmap(A, 4 * kPageSize, RW, Sharing::kPrivate).ok());
    write_str(p, A, "keep me");
  }
  void intact() {
    CHECK(read_str(p, A, 7) == "keep me");
    auto maps = p->mappings();
    REQUIRE(maps.size() == 1);
    CHECK(maps[0].start == A);
    CHECK(maps[0].end == A + 4 * kPageSize);
    CHECK(maps[0].prot == RW);
    CHECK_INVARIANTS(*m);
  }
};
}  // namespace

TEST_CASE("machine config errors", "[bad-input]") {
  MachineConfig cfg;
  cfg.mem_bytes = 4096;
  auto m = Machine::Create(cfg);
  REQUIRE_FALSE(m.ok());
  CHECK(errno_of(m.status()) == EINVAL);
  cfg.mem_bytes = 1ull << 50;
  CHECK(errno_of(Machine::Create(cfg).status()) == EINVAL);
  cfg.mem_bytes = 16 << 20;
  // An explicit kvm that cannot run is an error naming the cause; where it
  // can, the machine is a kvm machine.
  cfg.backend = Backend::kKvm;
  auto k = Machine::Create(cfg);
  if (kvm_usable()) {
    REQUIRE_OK(k.status());
    CHECK((*k)->backend() == Backend::kKvm);
  } else {
    REQUIRE_FALSE(k.ok());
    CHECK(k.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK(k.status().message().find("kvm") != std::string_view::npos);
  }
}

TEST_CASE("unaligned addresses and zero lengths", "[bad-input]") {
  Fixture f;
  CHECK(errno_of(f.p->mmap(A + 1, kPageSize, RW, Sharing::kPrivate).status()) == EINVAL);
  CHECK(errno_of(f.p->mmap(A, 0, RW, Sharing::kPrivate).status()) == EINVAL);
  CHECK(errno_of(f.p->munmap(A + 10, kPageSize)) == EINVAL);
  CHECK(errno_of(f.p->mprotect(A + 10, kPageSize, R)) == EINVAL);
  CHECK(errno_of(f.p->minherit(A + 10, kPageSize, Inherit::kNone)) == EINVAL);
  CHECK(errno_of(f.p->madvise(A + 10, kPageSize, Madvise::kFree)) == EINVAL);
  CHECK(errno_of(f.p->mmap(A, kPageSize, 0x40, Sharing::kPrivate).status()) == EINVAL);
  // Zero-length operations other than mmap do nothing and succeed.
  REQUIRE_OK(f.p->munmap(A, 0));
  REQUIRE_OK(f.p->mprotect(A, 0, kProtNone));
  f.intact();
}

TEST_CASE("address + length overflow and ranges outside user space", "[bad-input]") {
  Fixture f;
  const vaddr_t top = ~0ull & ~kPageMask;
  CHECK(errno_of(f.p->mmap(top, 2 * kPageSize, RW, Sharing::kPrivate).status()) == EINVAL);
  CHECK(errno_of(f.p->munmap(top, 2 * kPageSize)) == EINVAL);
  CHECK(errno_of(f.p->mprotect(A, ~0ull - 5, R)) == EINVAL);
  CHECK(errno_of(f.p->mlock(A, ~0ull - 5)) == EINVAL);
  CHECK(errno_of(f.p->mmap(kUserMax, kPageSize, RW, Sharing::kPrivate).status()) == EINVAL);
  CHECK(errno_of(f.p->mmap(kUserMax - kPageSize, 2 * kPageSize, RW, Sharing::kPrivate).status()) == EINVAL);
  CHECK(errno_of(f.p->mmap(0, kPageSize, RW, Sharing::kPrivate).status()) == EINVAL);
  std::vector<std::uint8_t> buf(16);
  CHECK(errno_of(f.p->read(~0ull - 4, buf).status()) == EINVAL);
  CHECK(errno_of(f.p->fill(A, ~0ull, 1).status()) == EINVAL);
  // A read of a kernel-half address is a SIGSEGV for the process, not an error.
  auto r = f.p->read(0xffff800000000000ull, buf);
  REQUIRE(r.ok());
  CHECK(r->outcome == Outcome::kSigsegv);
  f.intact();
}

TEST_CASE("holes and protection limits are errors that change nothing", "[bad-input]") {
  Fixture f;
  // mprotect spanning a hole: ENOMEM, and the mapped part is not changed.
  CHECK(errno_of(f.p->mprotect(A, 8 * kPageSize, R)) == ENOMEM);
  CHECK(errno_of(f.p->mprotect(A + 0x100000, kPageSize, R)) == ENOMEM);
  // mlock spanning a hole after a mapped start: EINVAL (uvm_map_pageable);
  // one that begins unmapped: ENOMEM.
  CHECK(errno_of(f.p->mlock(A, 8 * kPageSize)) == EINVAL);
  CHECK(errno_of(f.p->mlock(A + 0x100000, kPageSize)) == ENOMEM);
  CHECK(errno_of(f.p->munlock(A + 0x100000, kPageSize)) == ENOMEM);
  CHECK(f.m->stats().wired == 0);
  // munmap of nothing succeeds.
  REQUIRE_OK(f.p->munmap(A + 0x100000, kPageSize));
  f.intact();
}

TEST_CASE("non-fixed mmap finds space, and no room is ENOMEM", "[bad-input][mmap]") {
  Fixture f;
  auto a = f.p->mmap(A, kPageSize, RW, Sharing::kPrivate, MmapFlags{.fixed = false});
  REQUIRE(a.ok());
  CHECK(*a == A + 4 * kPageSize);  // first gap at or above the hint
  auto big = f.p->mmap(A, kUserMax, RW, Sharing::kPrivate, MmapFlags{.fixed = false});
  CHECK(errno_of(big.status()) == ENOMEM);
  // Fits in user space, but not around the existing mapping.
  auto big2 = f.p->mmap(A, kUserMax - kUserMin - kPageSize, RW, Sharing::kPrivate, MmapFlags{.fixed = false});
  CHECK(errno_of(big2.status()) == ENOMEM);
  CHECK_INVARIANTS(*f.m);
}

TEST_CASE("operations on an exited process", "[bad-input][exit]") {
  Fixture f;
  REQUIRE_OK(f.p->exit());
  CHECK(f.p->exit().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(f.p->mmap(A, kPageSize, RW, Sharing::kPrivate).status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(f.p->munmap(A, kPageSize).code() == absl::StatusCode::kFailedPrecondition);
  CHECK(f.p->mprotect(A, kPageSize, R).code() == absl::StatusCode::kFailedPrecondition);
  CHECK(f.p->fork().status().code() == absl::StatusCode::kFailedPrecondition);
  std::vector<std::uint8_t> buf(4);
  CHECK(f.p->read(A, buf).status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(f.p->mappings().empty());
  CHECK_INVARIANTS(*f.m);
}

TEST_CASE("out of memory and swap kills the faulting process only", "[bad-input][oom]") {
  auto m = make_machine(64 * kPageSize, true, /*swap=*/0);
  Process* bystander = spawn(*m, "bystander");
  REQUIRE(bystander->mmap(A, 4 * kPageSize, RW, Sharing::kPrivate).ok());
  write_str(bystander, A, "unharmed");
  const auto base = m->stats();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 256 * kPageSize, RW, Sharing::kPrivate).ok());
  auto r = p->fill(A, 256 * kPageSize, 0xab);
  REQUIRE(r.ok());
  CHECK(r->outcome == Outcome::kKilled);
  CHECK(r->done > 0);
  CHECK(r->done < 256 * kPageSize);
  CHECK_FALSE(p->alive());
  CHECK(p->killed_reason() == "out of memory and swap");
  CHECK(m->stats().oom_kills == 1);
  CHECK(m->stats().free == base.free);  // everything it had is released
  CHECK_INVARIANTS(*m);
  CHECK(read_str(bystander, A, 8) == "unharmed");
  // Syscalls that need memory fail with ENOMEM instead: a fork that must
  // copy a wired region.
  REQUIRE_OK(bystander->mlock(A, 4 * kPageSize));
  Process* hog = spawn(*m, "hog");
  REQUIRE(hog->mmap(A, 64 * kPageSize, RW, Sharing::kPrivate).ok());
  (void)hog->fill(A, 64 * kPageSize, 1);  // the hog is killed when memory runs out
  Process* hog2 = spawn(*m, "hog2");
  REQUIRE(hog2->mmap(A, 64 * kPageSize, RW, Sharing::kPrivate).ok());
  (void)hog2->fill(A, 58 * kPageSize, 1);
  const auto procs = m->stats().processes;
  auto c = bystander->fork("c");  // needs 4 pages for the wired copy; 2 are free
  REQUIRE_FALSE(c.ok());
  CHECK(errno_of(c.status()) == ENOMEM);
  CHECK(m->stats().processes == procs);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("max protection limits mmap and mprotect", "[bad-input][mprotect]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  CHECK(errno_of(p->mmap(A, kPageSize, RW, Sharing::kPrivate, MmapFlags{.max_prot = R}).status()) == EACCES);
  REQUIRE(p->mmap(A, 2 * kPageSize, R, Sharing::kPrivate, MmapFlags{.max_prot = R}).ok());
  REQUIRE(p->mmap(A + 2 * kPageSize, 2 * kPageSize, R, Sharing::kPrivate).ok());
  // Nothing changes when any entry in the range forbids the new protection.
  CHECK(errno_of(p->mprotect(A, 4 * kPageSize, RW)) == EACCES);
  CHECK(write_outcome(p, A + 2 * kPageSize, "x") == Outcome::kSigsegv);
  REQUIRE_OK(p->mprotect(A + 2 * kPageSize, 2 * kPageSize, RW));
  CHECK(write_outcome(p, A + 2 * kPageSize, "x") == Outcome::kOk);
  CHECK(write_outcome(p, A, "x") == Outcome::kSigsegv);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("a shared anonymous mapping above the aobj limit is ENOMEM and replaces nothing", "[bad-input][mmap]") {
  Fixture f;
  // 8 TiB + 1 page over the existing mapping, MAP_FIXED: refused before
  // anything is unmapped.
  const vsize_t over = (static_cast<vsize_t>(Aobj::kMaxPages) + 1) << kPageShift;
  auto r = f.p->mmap(A, over, RW, Sharing::kShared);
  REQUIRE_FALSE(r.ok());
  CHECK(errno_of(r.status()) == ENOMEM);
  f.intact();
  // The largest allowed one works and can be touched at its last page.
  const vsize_t max = static_cast<vsize_t>(Aobj::kMaxPages) << kPageShift;
  auto ok = f.p->mmap(0, max, RW, Sharing::kShared, MmapFlags{.fixed = false});
  REQUIRE(ok.ok());
  write_str(f.p, *ok + max - kPageSize, "end");
  CHECK(read_str(f.p, *ok + max - kPageSize, 3) == "end");
  CHECK(read_str(f.p, A, 7) == "keep me");
  CHECK_INVARIANTS(*f.m);
}
