// Measurements (hidden: run with `uvmsim_kvm_tests "[.measure]"`). They print
// numbers and check only that the operations work.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include <catch2/catch.hpp>

#include "kvm/guest.h"
#include "kvm/page_tables.h"
#include "kvm/platform.h"
#include "kvm_test_util.h"

using namespace uvmsim::kvm;
using namespace uvmsim::kvm::testing;
using uvmsim::StatusOr;

namespace {
double now_us() {
  using namespace std::chrono;
  return duration<double, std::micro>(steady_clock::now().time_since_epoch()).count();
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}
StatusOr<FaultAction> fail_all(const PageFault&) { return FaultAction::kFail; }
}  // namespace

TEST_CASE("measure: costs of the layer's operations", "[.measure]") {
  SKIP_WITHOUT_KVM();
  auto phys = make_phys(64 << 20);
  auto g = make_guest(*phys);
  REQUIRE(g);
  auto a = PageTables::Create(g->pool(), g->layout());
  auto b = PageTables::Create(g->pool(), g->layout());
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  constexpr std::uint64_t kBase = 0x10000000;
  constexpr int kPages = 1024;
  std::vector<std::uint64_t> frames;
  for (int i = 0; i < kPages; ++i) {
    frames.push_back(phys->alloc_frame());
    std::memset(phys->hva(frames.back()), 0, 4096);
    REQUIRE(a->map(kBase + i * 4096ull, frames.back(), kUserRw).ok());
    REQUIRE(b->map(kBase + i * 4096ull, frames.back(), kUserRw).ok());
  }
  std::uint8_t byte = 0;
  // Warm: touch everything once in both.
  REQUIRE(g->touch(a->root_gpa(), kBase, kPages, 4096, false, fail_all)->ok);
  REQUIRE(g->touch(b->root_gpa(), kBase, kPages, 4096, false, fail_all)->ok);

  std::vector<double> same, sw;
  for (int i = 0; i < 100; ++i) {
    double t0 = now_us();
    REQUIRE(g->read(a->root_gpa(), kBase, {&byte, 1}, fail_all)->ok);
    double t1 = now_us();
    REQUIRE(g->read(b->root_gpa(), kBase, {&byte, 1}, fail_all)->ok);
    double t2 = now_us();
    same.push_back(t1 - t0);
    sw.push_back(t2 - t1);
  }
  // Warm ring-3 loop over 1024 mapped pages, and a pure register loop.
  double t0 = now_us();
  REQUIRE(g->touch(a->root_gpa(), kBase, kPages, 4096, false, fail_all)->ok);
  const double warm = now_us() - t0;
  t0 = now_us();
  REQUIRE(g->spin(a->root_gpa(), 100000000).ok());
  const double spin = now_us() - t0;
  // Refill cost after a zap: zap all frames, touch again.
  t0 = now_us();
  REQUIRE(g->invalidator().zap_frames(frames).ok());
  const double zap = now_us() - t0;
  t0 = now_us();
  REQUIRE(g->touch(a->root_gpa(), kBase, kPages, 4096, false, fail_all)->ok);
  const double refill = now_us() - t0;
  t0 = now_us();
  REQUIRE(g->invalidator().global_zap().ok());
  const double gz = now_us() - t0;
  // A bit after clearing it without invalidation.
  auto pte = a->entry(kBase, 1, false);
  REQUIRE(pte.ok());
  REQUIRE(g->read(a->root_gpa(), kBase, {&byte, 1}, fail_all)->ok);
  **pte &= ~x86::kPteA;
  REQUIRE(g->read(a->root_gpa(), kBase, {&byte, 1}, fail_all)->ok);
  const bool a_reset_without_inval = (**pte & x86::kPteA) != 0;

  std::vector<double> rt;
  auto m = measure_fault_round_trip(*g, 500, &rt);
  REQUIRE(m.ok());
  WARN("read of 1 byte (run + MMIO exit), same root: " << median(same) << " us; switching root: "
       << median(sw) << " us\nwarm touch of " << kPages << " pages: " << warm / kPages
       << " us/page (includes one run)\nspin 1e8 iterations: " << spin * 10 / 1e9 * 1e3
       << " ns/iter\nmadvise zap of " << kPages << " frames: " << zap / kPages
       << " us/page; refill on next touch: " << refill / kPages << " us/page\nglobal zap: " << gz
       << " us\nA set again after host clear without invalidation: " << a_reset_without_inval
       << "\nfault round trip median of 500: " << *m << " us");
}
