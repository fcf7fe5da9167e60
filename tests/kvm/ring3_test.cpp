// Ring-3 execution over real page tables: faults resolved by the host, the
// access routines' restart correctness, error codes, A/D bits, two roots.
#include <sys/time.h>

#include <csignal>
#include <cstring>
#include <numeric>
#include <vector>

#include <catch2/catch.hpp>

#include "kvm/guest.h"
#include "kvm/guest_code.h"
#include "kvm/page_tables.h"
#include "kvm_test_util.h"

using namespace uvmsim::kvm;
using namespace uvmsim::kvm::testing;
using uvmsim::Status;
using uvmsim::StatusOr;
using x86::kPteA;
using x86::kPteD;

namespace {
constexpr std::uint64_t kBase = 0x10000000;

std::vector<std::uint8_t> pattern(std::size_t n, unsigned seed) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 131 + seed * 7 + (i >> 9));
  return v;
}

StatusOr<FaultAction> fail_all(const PageFault&) { return FaultAction::kFail; }
}  // namespace

TEST_CASE("ring 3: a #PF on a not-present page is resolved by the host and the routine completes",
          "[kvm][ring3][fault]") {
  SKIP_WITHOUT_KVM();
  auto phys = make_phys();
  auto g = make_guest(*phys);
  REQUIRE(g);
  auto pt = PageTables::Create(g->pool(), g->layout());
  REQUIRE(pt.ok());
  int calls = 0;
  auto h = demand_zero(*phys, *pt, kBase, kBase + 0x100000, &calls);

  const auto data = pattern(3 * 4096, 1);
  auto w = g->write(pt->root_gpa(), kBase, data, h);
  REQUIRE(w.ok());
  CHECK(w->ok);
  CHECK(w->done == data.size());
  CHECK(w->faults == 3);  // one write-not-present per page
  CHECK(calls == 3);
  // The bytes are in the machine's memory frames the handler mapped.
  for (int p = 0; p < 3; ++p) {
    auto pte = pt->entry(kBase + p * 4096, 1, false);
    REQUIRE(pte.ok());
    const std::uint64_t frame = **pte & x86::kPteAddrMask;
    CHECK(std::memcmp(phys->hva(frame), data.data() + p * 4096, 4096) == 0);
  }
  std::vector<std::uint8_t> back(data.size());
  auto r = g->read(pt->root_gpa(), kBase, back, h);
  REQUIRE(r.ok());
  CHECK(r->ok);
  CHECK(r->faults == 0);
  CHECK(back == data);
}

TEST_CASE("ring 3: #PF error codes are the hardware ones (4, 6, 7, 5)", "[kvm][ring3][fault]") {
  SKIP_WITHOUT_KVM();
  auto phys = make_phys();
  auto g = make_guest(*phys);
  REQUIRE(g);
  auto pt = PageTables::Create(g->pool(), g->layout());
  REQUIRE(pt.ok());
  const std::uint64_t root = pt->root_gpa();
  std::uint64_t code = 0, cr2 = 0;
  FaultHandler record = [&](const PageFault& pf) -> StatusOr<FaultAction> {
    code = pf.error_code;
    cr2 = pf.cr2;
    return FaultAction::kFail;
  };
  std::uint8_t b = 0;
  auto r = g->read(root, kBase + 5, {&b, 1}, record);
  REQUIRE(r.ok());
  CHECK(!r->ok);
  CHECK(code == 4);
  CHECK(cr2 == kBase + 5);
  r = g->write(root, kBase + 9, {&b, 1}, record);
  REQUIRE(r.ok());
  CHECK(code == 6);

  // A read-only PTE: reads pass, a write faults with 7; the handler makes it
  // writable (an upgrade needs no invalidation) and the write completes.
  const std::uint64_t f = phys->alloc_frame();
  std::memset(phys->hva(f), 0xab, 4096);
  REQUIRE(pt->map(kBase, f, kUserRo).ok());
  r = g->read(root, kBase, {&b, 1}, record);
  REQUIRE(r.ok());
  CHECK(r->ok);
  CHECK(b == 0xab);
  int upgrades = 0;
  FaultHandler upgrade = [&](const PageFault& pf) -> StatusOr<FaultAction> {
    code = pf.error_code;
    if (pf.error_code != 7) return FaultAction::kFail;
    ++upgrades;
    auto pte = pt->entry(pf.cr2, 1, false);
    if (!pte.ok()) return pte.status();
    **pte |= x86::kPteW;
    return FaultAction::kRetry;
  };
  const std::uint8_t v = 0x5a;
  r = g->write(root, kBase + 100, {&v, 1}, upgrade);
  REQUIRE(r.ok());
  CHECK(r->ok);
  CHECK(upgrades == 1);
  CHECK(phys->hva(f)[100] == 0x5a);

  // A supervisor-only page below kUserMax: read gives 5 (present, user).
  const std::uint64_t f2 = phys->alloc_frame();
  REQUIRE(pt->map(kBase + 0x1000, f2, x86::kPteP | x86::kPteW | x86::kPteNx).ok());
  r = g->read(root, kBase + 0x1000, {&b, 1}, record);
  REQUIRE(r.ok());
  CHECK(!r->ok);
  CHECK(code == 5);
}

TEST_CASE("ring 3: read/write/fill/sum restart correctly across faults at page boundaries",
          "[kvm][ring3][routines]") {
  SKIP_WITHOUT_KVM();
  auto phys = make_phys();
  auto g = make_guest(*phys);
  REQUIRE(g);
  auto pt = PageTables::Create(g->pool(), g->layout());
  REQUIRE(pt.ok());
  const std::uint64_t root = pt->root_gpa();
  // 24 pages, none mapped: every routine crosses unmapped boundaries mid-way.
  const std::uint64_t len = 24 * 4096;
  auto h = demand_zero(*phys, *pt, kBase, kBase + len);
  std::vector<std::uint8_t> model(len, 0);

  SECTION("fill then sum") {
    auto r = g->fill(root, kBase + 4000, 9000, 0xee, h);
    REQUIRE(r.ok());
    CHECK(r->ok);
    CHECK(r->done == 9000);
    CHECK(r->faults == 4);  // [4000, 13000) touches pages 0..3
    std::memset(model.data() + 4000, 0xee, 9000);
    auto s = g->sum(root, kBase + 3000, 20000, h);
    REQUIRE(s.ok());
    CHECK(s->ok);
    CHECK(s->faults == 2);  // pages 3 and 4 were still unmapped
    CHECK(s->hash == fnv1a(model.data() + 3000, 20000));
  }
  SECTION("write larger than the bounce buffer, then read back at odd offsets") {
    const auto data = pattern(len - 777, 3);
    auto w = g->write(root, kBase + 777, data, h);
    REQUIRE(w.ok());
    CHECK(w->ok);
    CHECK(w->done == data.size());
    CHECK(w->faults == 24);
    std::memcpy(model.data() + 777, data.data(), data.size());
    for (std::uint64_t off : {0ull, 1ull, 4095ull, 4096ull, 65535ull, 70000ull}) {
      std::vector<std::uint8_t> out(len - off);
      auto r = g->read(root, kBase + off, out, h);
      REQUIRE(r.ok());
      CHECK(r->ok);
      CHECK(std::memcmp(out.data(), model.data() + off, out.size()) == 0);
    }
    auto s = g->sum(root, kBase, len, h);
    REQUIRE(s.ok());
    CHECK(s->hash == fnv1a(model.data(), len));
  }
  SECTION("a failed fault reports the bytes done and the failing address") {
    // Map page 0 only; page 1 fails.
    REQUIRE(pt->map(kBase, phys->alloc_frame(), kUserRw).ok());
    const auto data = pattern(6000, 4);
    auto w = g->write(root, kBase + 100, data, fail_all);
    REQUIRE(w.ok());
    CHECK(!w->ok);
    CHECK(w->done == 4096 - 100);
    CHECK(w->fault_addr == kBase + 4096);
    CHECK(w->error_code == 6);
    std::vector<std::uint8_t> out(6000);
    auto r = g->read(root, kBase + 100, out, fail_all);
    REQUIRE(r.ok());
    CHECK(!r->ok);
    CHECK(r->done == 4096 - 100);
    CHECK(std::memcmp(out.data(), data.data(), 4096 - 100) == 0);
    auto f = g->fill(root, kBase + 4000, 200, 1, fail_all);
    REQUIRE(f.ok());
    CHECK(f->done == 96);
    auto s = g->sum(root, kBase + 4090, 10, fail_all);
    REQUIRE(s.ok());
    CHECK(!s->ok);
    CHECK(s->done == 6);
    CHECK(s->fault_addr == kBase + 4096);
  }
}

TEST_CASE("ring 3: accessed and dirty bits are set by ring-3 accesses", "[kvm][ring3][ad]") {
  SKIP_WITHOUT_KVM();
  auto phys = make_phys();
  auto g = make_guest(*phys);
  REQUIRE(g);
  auto pt = PageTables::Create(g->pool(), g->layout());
  REQUIRE(pt.ok());
  const std::uint64_t root = pt->root_gpa();
  const std::uint64_t f = phys->alloc_frame();
  REQUIRE(pt->map(kBase, f, kUserRw).ok());
  auto pte = pt->entry(kBase, 1, false);
  REQUIRE(pte.ok());
  auto pde = pt->entry(kBase, 2, false);
  REQUIRE(pde.ok());
  CHECK((**pte & (kPteA | kPteD)) == 0);

  std::uint8_t b = 0;
  REQUIRE(g->read(root, kBase, {&b, 1}, fail_all)->ok);
  CHECK((**pte & kPteA) != 0);
  CHECK((**pte & kPteD) == 0);
  CHECK((**pde & kPteA) != 0);
  REQUIRE(g->write(root, kBase, {&b, 1}, fail_all)->ok);
  CHECK((**pte & kPteD) != 0);

  // Clear A/D, invalidate the frame the way the strategy says, access again.
  __atomic_and_fetch(*pte, ~(kPteA | kPteD), __ATOMIC_SEQ_CST);
  g->invalidator().add_page(root, kBase, f);
  REQUIRE(g->invalidator().flush().ok());
  REQUIRE(g->read(root, kBase, {&b, 1}, fail_all)->ok);
  CHECK((**pte & kPteA) != 0);
  CHECK((**pte & kPteD) == 0);
  REQUIRE(g->fill(root, kBase + 10, 5, 1, fail_all)->ok);
  CHECK((**pte & kPteD) != 0);
}

TEST_CASE("ring 3: two address spaces, switched by the host on resume", "[kvm][ring3][roots]") {
  SKIP_WITHOUT_KVM();
  auto phys = make_phys();
  auto g = make_guest(*phys);
  REQUIRE(g);
  auto a = PageTables::Create(g->pool(), g->layout());
  auto b = PageTables::Create(g->pool(), g->layout());
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  const std::uint64_t fa = phys->alloc_frame(), fb = phys->alloc_frame();
  std::memset(phys->hva(fa), 0xaa, 4096);
  std::memset(phys->hva(fb), 0xbb, 4096);
  REQUIRE(a->map(kBase, fa, kUserRw).ok());
  REQUIRE(b->map(kBase, fb, kUserRw).ok());

  for (int i = 0; i < 10; ++i) {
    std::uint8_t x = 0, y = 0;
    REQUIRE(g->read(a->root_gpa(), kBase + i, {&x, 1}, fail_all)->ok);
    REQUIRE(g->read(b->root_gpa(), kBase + i, {&y, 1}, fail_all)->ok);
    CHECK(x == 0xaa);
    CHECK(y == 0xbb);
  }
  // A routine faults in A (kBase + 0x1000 unmapped there) and is resumed in
  // B, where that page exists: the same ring-3 context continues under B.
  REQUIRE(b->map(kBase + 0x1000, fb, kUserRw).ok());
  kvm_regs r{};
  r.rip = layout::kRing3Code + guest_code::r3_fnv1a();
  r.rsp = layout::kUserStackTop;
  r.rflags = x86::kRflagsRing3;
  r.r15 = layout::kDonePage;
  r.rsi = kBase + 0x1000 - 4;  // 4 bytes in A's page, then A's hole
  r.rcx = 8;
  r.rax = 0xcbf29ce484222325ull;
  r.r8 = 0x100000001b3ull;
  auto e = g->run_ring3(a->root_gpa(), r);
  REQUIRE(e.ok());
  auto* pf = std::get_if<PageFault>(&*e);
  REQUIRE(pf != nullptr);
  CHECK(pf->cr2 == kBase + 0x1000);
  CHECK(pf->error_code == 4);
  CHECK(g->regs().rcx == 4);
  // The frame (error code, RIP, CS, RFLAGS, RSP, SS) sits at RSP0 - 48.
  CHECK(g->regs().rsp == layout::kRsp0 - 48);
  CHECK(pf->rsp == layout::kUserStackTop);
  e = g->resume(b->root_gpa());
  REQUIRE(e.ok());
  REQUIRE(std::holds_alternative<Done>(*e));
  std::uint8_t bytes[8] = {0xaa, 0xaa, 0xaa, 0xaa, 0xbb, 0xbb, 0xbb, 0xbb};
  CHECK(g->regs().rax == fnv1a(bytes, 8));
}

TEST_CASE("ring 3: faults in the reserved region and other exceptions are errors, not crashes",
          "[kvm][ring3][input]") {
  SKIP_WITHOUT_KVM();
  auto phys = make_phys();
  auto g = make_guest(*phys);
  REQUIRE(g);
  auto pt = PageTables::Create(g->pool(), g->layout());
  REQUIRE(pt.ok());
  std::uint8_t b = 0;
  int calls = 0;
  FaultHandler count = [&](const PageFault&) -> StatusOr<FaultAction> {
    ++calls;
    return FaultAction::kFail;
  };
  // Slot 254: reserved, nothing mapped: the handler must not see it.
  auto r = g->read(pt->root_gpa(), uvmsim::kUserMax, {&b, 1}, count);
  CHECK(r.status().code() == absl::StatusCode::kInternal);
  CHECK(r.status().message().find("reserved region") != std::string_view::npos);
  CHECK(calls == 0);
  // The kernel half is supervisor-only: a ring-3 read of it faults (error 5).
  r = g->read(pt->root_gpa(), layout::kGdt, {&b, 1}, count);
  CHECK(r.status().code() == absl::StatusCode::kInternal);
  // A non-canonical address is a #GP (vector 13), not a #PF.
  r = g->read(pt->root_gpa(), 0x0000800000000000ull, {&b, 1}, count);
  CHECK(r.status().code() == absl::StatusCode::kInternal);
  CHECK(r.status().message().find("vector 13") != std::string_view::npos);
  // The guest still works afterwards.
  REQUIRE(pt->map(kBase, phys->alloc_frame(), kUserRw).ok());
  r = g->read(pt->root_gpa(), kBase, {&b, 1}, count);
  REQUIRE(r.ok());
  CHECK(r->ok);
  // A handler that "retries" without fixing anything is stopped, not looped.
  FaultHandler lie = [](const PageFault&) -> StatusOr<FaultAction> { return FaultAction::kRetry; };
  r = g->read(pt->root_gpa(), kBase + 0x5000, {&b, 1}, lie);
  CHECK(r.status().code() == absl::StatusCode::kInternal);
  CHECK(r.status().message().find("not resolved") != std::string_view::npos);
  // A handler error propagates.
  FaultHandler broken = [](const PageFault&) -> StatusOr<FaultAction> {
    return absl::DataLossError("model broke");
  };
  r = g->read(pt->root_gpa(), kBase + 0x5000, {&b, 1}, broken);
  CHECK(r.status().code() == absl::StatusCode::kDataLoss);
}

namespace {
void on_alarm(int) {}
}  // namespace

// A signal to the host process while the vCPU runs ends KVM_RUN with EINTR
// (how SIGINT reaches a `uvmsim run` of a kvm machine). The guest's state is
// intact: the routine is entered again and completes with every byte done.
TEST_CASE("ring 3: host signals during KVM_RUN re-enter the guest and the routine completes",
          "[kvm][ring3][signal]") {
  SKIP_WITHOUT_KVM();
  auto phys = make_phys();
  auto g = make_guest(*phys);
  REQUIRE(g);
  auto pt = PageTables::Create(g->pool(), g->layout());
  REQUIRE(pt.ok());
  constexpr std::uint64_t kPages = 2048, kStride = 64, kCount = kPages * 4096 / kStride;
  int calls = 0;
  auto h = demand_zero(*phys, *pt, kBase, kBase + kPages * 4096, &calls);
  auto w = g->touch(pt->root_gpa(), kBase, kPages, 4096, true, h);
  REQUIRE(w.ok());
  REQUIRE(w->ok);

  // SIGALRM every 200 µs, without SA_RESTART, for the length of a ring-3
  // loop of several milliseconds per pass.
  struct sigaction sa {}, old {};
  sa.sa_handler = on_alarm;
  sigemptyset(&sa.sa_mask);
  REQUIRE(::sigaction(SIGALRM, &sa, &old) == 0);
  const itimerval every{{0, 200}, {0, 200}}, off{};
  REQUIRE(::setitimer(ITIMER_REAL, &every, nullptr) == 0);
  const std::uint64_t before = g->counters().signal_reentries;
  constexpr std::uint64_t kPasses = 64;
  auto r = g->touch_passes(pt->root_gpa(), kBase, kCount, kStride, kPasses, fail_all);
  ::setitimer(ITIMER_REAL, &off, nullptr);
  ::sigaction(SIGALRM, &old, nullptr);
  REQUIRE(r.ok());
  CHECK(r->ok);
  CHECK(r->faults == 0);
  CHECK(r->done == kCount * kPasses);
  CHECK(g->counters().signal_reentries > before);
}
