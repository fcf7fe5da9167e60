#include "kvm/platform.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cpuid.h>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "kvm/guest.h"
#include "kvm/guest_code.h"
#include "kvm/page_tables.h"

namespace uvmsim::kvm {

using namespace x86;

namespace {

bool exists(const char* p) { return ::access(p, F_OK) == 0; }

std::string read_line(const char* p) {
  std::ifstream f(p);
  std::string s;
  std::getline(f, s);
  return s;
}

double now_us() {
  using namespace std::chrono;
  return duration<double, std::micro>(steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

std::string detect_flavour(std::string* evidence, std::string* mmu) {
  const std::string tdp = read_line("/sys/module/kvm/parameters/tdp_mmu");
  if (exists("/sys/module/kvm_pvm")) {
    *evidence = "/sys/module/kvm_pvm exists";
    *mmu = "shadow paging (PVM has no EPT/NPT)";
    return "PVM";
  }
  if (exists("/sys/module/kvm_intel")) {
    *evidence = "/sys/module/kvm_intel exists";
    const std::string ept = read_line("/sys/module/kvm_intel/parameters/ept");
    *mmu = (ept == "Y" || ept == "1") ? "EPT" : "shadow paging (ept=N)";
    return "VMX";
  }
  if (exists("/sys/module/kvm_amd")) {
    *evidence = "/sys/module/kvm_amd exists";
    const std::string npt = read_line("/sys/module/kvm_amd/parameters/npt");
    *mmu = (npt == "Y" || npt == "1") ? "NPT" : "shadow paging (npt=N)";
    return "SVM";
  }
  unsigned a, b, c, d;
  __cpuid(0, a, b, c, d);
  char v[13];
  std::memcpy(v, &b, 4);
  std::memcpy(v + 4, &d, 4);
  std::memcpy(v + 8, &c, 4);
  v[12] = 0;
  *evidence = fmt::format("no KVM vendor module in /sys/module; host CPUID vendor {}", v);
  *mmu = "unknown";
  if (std::strcmp(v, "GenuineIntel") == 0) return "VMX";
  if (std::strcmp(v, "AuthenticAMD") == 0) return "SVM";
  return "unknown";
}

StatusOr<double> measure_fault_round_trip(Guest& g, int n, std::vector<double>* samples) {
  if (n < 2) return absl::InvalidArgumentError("measure_fault_round_trip: n < 2");
  auto pt = PageTables::Create(g.pool(), g.layout());
  if (!pt.ok()) return pt.status();
  std::vector<Frame> frames;
  for (int i = 0; i < n; ++i) {
    auto f = g.pool().alloc(FrameUse::kScratch);
    if (!f.ok()) return f.status();
    std::memset(f->hva, 0, 4096);  // pre-zeroed and resident in the host
    frames.push_back(*f);
  }
  constexpr std::uint64_t kBase = 0x10000000;
  std::vector<double> stamps;
  stamps.reserve(n);
  std::size_t next = 0;
  Status map_error;
  auto handler = [&](const PageFault& pf) -> StatusOr<FaultAction> {
    stamps.push_back(now_us());
    if (next >= frames.size()) return FaultAction::kFail;
    if (Status s = pt->map(pf.cr2 & ~0xfffull, frames[next++].gpa, kPteP | kPteW | kPteU | kPteNx);
        !s.ok())
      return s;
    return FaultAction::kRetry;
  };
  auto r = g.touch(pt->root_gpa(), kBase, n, 4096, true, handler);
  for (const Frame& f : frames) g.pool().free(f, FrameUse::kScratch);
  if (!r.ok()) return r.status();
  if (!r->ok || stamps.size() != static_cast<std::size_t>(n))
    return absl::InternalError("measure_fault_round_trip: unexpected faults");
  std::vector<double> d;
  for (std::size_t i = 1; i < stamps.size(); ++i) d.push_back(stamps[i] - stamps[i - 1]);
  if (samples) *samples = d;
  return median(d);
}

PlatformReport probe_platform(int fault_samples) {
  PlatformReport rep;
  rep.dev_kvm_present = exists("/dev/kvm");
  rep.flavour = detect_flavour(&rep.flavour_evidence, &rep.mmu);
  if (!rep.dev_kvm_present) {
    rep.error = "/dev/kvm does not exist";
    return rep;
  }
  auto kvm = KvmSystem::Open();
  if (!kvm.ok()) {
    rep.error = std::string(kvm.status().message());
    return rep;
  }
  rep.api_version = (*kvm)->api_version();
  rep.caps = (*kvm)->caps();
  rep.cpu = (*kvm)->cpu();
  GuestConfig cfg;
  cfg.kvm = *kvm;
  cfg.pool_bytes = 64ull << 20;
  auto g = Guest::Create(cfg);
  if (!g.ok()) {
    rep.error = std::string(g.status().message());
    return rep;
  }
  rep.self_test = (*g)->self_test();
  if (fault_samples >= 2) {
    auto rt = measure_fault_round_trip(**g, fault_samples);
    if (!rt.ok()) {
      rep.error = std::string(rt.status().message());
      return rep;
    }
    rep.fault_samples = fault_samples;
    rep.fault_round_trip_us = *rt;
  }
  // An empty routine and a ring-0 helper, 50 times each.
  auto pt = PageTables::Create((*g)->pool(), (*g)->layout());
  if (pt.ok()) {
    std::vector<double> d0, d1;
    for (int i = 0; i < 50; ++i) {
      double t0 = now_us();
      if (!(*g)->spin(pt->root_gpa(), 1).ok()) break;
      double t1 = now_us();
      if (!(*g)->invalidator().guest_cr3_reload(pt->root_gpa()).ok()) break;
      double t2 = now_us();
      d0.push_back(t1 - t0);
      d1.push_back(t2 - t1);
    }
    rep.done_exit_us = median(d0);
    rep.ring0_helper_us = median(d1);
  }
  rep.usable = true;
  return rep;
}

std::string PlatformReport::to_string() const {
  std::string s;
  s += fmt::format("/dev/kvm: {}\n", dev_kvm_present ? "present" : "absent");
  s += fmt::format("usable: {}{}\n", usable ? "yes" : "no", usable ? "" : " (" + error + ")");
  s += fmt::format("flavour: {} ({}); MMU: {}\n", flavour, flavour_evidence, mmu);
  if (api_version == 0) return s;
  s += fmt::format("KVM API {}; memslots {}; sync_regs {:#x}; immediate_exit {}; readonly_mem {}; "
                   "user_memory2 {}; guest_memfd {}\n",
                   api_version, caps.nr_memslots, caps.sync_regs, caps.immediate_exit,
                   caps.readonly_mem, caps.user_memory2, caps.guest_memfd);
  s += fmt::format("guest CPU: {} MAXPHYADDR {}; pse {} pae {} pge {} nx {} lm {} pdpe1gb {} "
                   "smep {} smap {} pcid {} invpcid {}\n",
                   cpu.vendor, cpu.max_phys_bits, cpu.pse, cpu.pae, cpu.pge, cpu.nx, cpu.lm,
                   cpu.pdpe1gb, cpu.smep, cpu.smap, cpu.pcid, cpu.invpcid);
  s += "invalidation self-test:\n" + self_test.to_string();
  if (fault_samples > 0)
    s += fmt::format("fault round trip: {:.1f} us (median of {})\n", fault_round_trip_us,
                     fault_samples);
  if (done_exit_us > 0)
    s += fmt::format("empty ring-3 routine (run + MMIO exit): {:.1f} us; ring-0 helper: {:.1f} us\n",
                     done_exit_us, ring0_helper_us);
  return s;
}

}  // namespace uvmsim::kvm
