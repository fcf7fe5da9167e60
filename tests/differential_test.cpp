// Differential test over the machine configurations (workload.h's axes: the
// soft and the kvm backend today): identical random operation sequences on
// one machine per configuration, in lockstep. After every operation every
// machine must match the reference model and the others — every byte read,
// every access outcome (done, fault address, hash), every system-call status,
// and, within one equivalence class, every counter and gauge and each
// process's resident page count — and every machine must pass the invariant
// checker. The kvm machine runs its accesses as guest ring-3 code over the
// real page tables, so this is where a missing or wrong invalidation shows
// up. Small memory with swap, so the page daemon (and its use of the
// accessed bits) is part of the run.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/uvm.h"
#include "core/vmspace.h"
#include "fmt/format.h"
#include "helpers.h"
#include "workload.h"
#ifdef UVMSIM_TEST_HAVE_KVM
#include "kvm/kvm_backend.h"
#endif

using namespace uvmsim;
using namespace uvmsim::test;
using namespace uvmsim::workload;

namespace {

struct Run {
  std::uint64_t seed, mem_pages, swap_pages;
  int steps;
};

// What a kvm machine must show after a run: its accesses really ran in the
// guest and the invalidations were done in time.
void check_kvm_machine([[maybe_unused]] Machine& m, [[maybe_unused]] std::uint64_t seed) {
#ifdef UVMSIM_TEST_HAVE_KVM
  kvm::KvmContext* ctx = kvm::kvm_context(m.uvm());
  REQUIRE(ctx != nullptr);
  const auto& gc = ctx->guest->counters();
  const auto& ic = ctx->guest->invalidator().counters();
  INFO(fmt::format("kvm: {} accesses, {} KVM_RUNs, {} #PFs, {} invalidations ({} clean "
                   "downgrades skipped), {} frames zapped, {} late flushes",
                   ctx->c.accesses, gc.runs, gc.page_faults, ctx->c.invalidations,
                   ctx->c.clean_downgrades, ic.frames_zapped, ctx->c.late_flushes));
  CHECK(ctx->c.accesses > 100);
  CHECK(gc.page_faults > 100);
  CHECK(ic.frames_zapped > 0);
  CHECK(ctx->c.late_flushes == 0);
  WARN("seed " << seed << ": " << ctx->c.accesses << " accesses, " << gc.page_faults << " #PFs, "
       << ic.frames_zapped << " frames zapped, " << ctx->c.clean_downgrades << " clean downgrades");
#endif
}

}  // namespace

TEST_CASE("differential: every machine configuration agrees on every operation", "[differential][kvm]") {
  std::string skipped;
  const std::vector<MachineAxis> axes = usable_axes(&skipped);
  if (axes.size() < 2) {
    WARN("skipped: fewer than two machine configurations can run here (" << skipped << ")");
    return;
  }
  std::string names;
  for (const MachineAxis& a : axes) names += " " + a.name();
  INFO("configurations:" << names);
  // Roomy memory; tight memory with swap (page daemon, swap-in faults);
  // tight memory without swap (out-of-memory kills).
  std::vector<Run> runs{Run{1, 1024, 1024, 1500}, Run{2, 96, 512, 1500}, Run{3, 64, 0, 600},
                        Run{4, 160, 256, 1500}};
  // UVMSIM_DIFF_SEEDS=N adds N more seeds over the same three regimes (a
  // longer hunt by hand; CI runs the four above).
  if (const char* env = std::getenv("UVMSIM_DIFF_SEEDS"); env && *env) {
    const std::uint64_t n = std::strtoull(env, nullptr, 10);
    const std::uint64_t first = hunt_first_seed(100);
    for (std::uint64_t i = 0; i < n; i++) {
      const std::uint64_t seed = first + i;
      if (i % 3 == 0) runs.push_back(Run{seed, 1024, 1024, 1500});
      else if (i % 3 == 1) runs.push_back(Run{seed, 96, 512, 1500});
      else runs.push_back(Run{seed, 64, 0, 600});
    }
  }
  // Without swap, a process is killed when memory runs out, and where that
  // happens depends on the anonymous-memory model's footprint (a shadow
  // chain can hold pages an amap would have freed): the models cannot run
  // such a workload in lockstep. There each model's machines are compared
  // among themselves (and with the reference model); the two models side by
  // side are the next test's subject.
  std::vector<std::vector<MachineAxis>> by_model;
  for (AnonModel model : {AnonModel::kAmap, AnonModel::kShadow}) {
    std::vector<MachineAxis> group;
    for (const MachineAxis& a : axes)
      if (a.anon == model) group.push_back(a);
    if (!group.empty()) by_model.push_back(group);
  }
  const Mix mix = differential_mix();
  for (Run r : runs) {
    const std::vector<std::vector<MachineAxis>> groups = r.swap_pages == 0 ? by_model : std::vector<std::vector<MachineAxis>>{axes};
    for (const std::vector<MachineAxis>& group : groups) {
      std::string gname;
      for (const MachineAxis& a : group) gname += " " + a.name();
      DYNAMIC_SECTION("seed " << r.seed << " mem " << r.mem_pages << " swap " << r.swap_pages << ":" << gname) {
        Lockstep ls(group, Regime{r.mem_pages, r.swap_pages, true}, mix);
        Generator gen(r.seed, mix);
        for (int s = 0; s < r.steps && !ls.model().procs().empty(); ++s) {
          ls.step(gen.next(ls.model()));
          for (std::size_t i = 0; i < ls.size(); i++)
            if (ls.machine(i).backend() == Backend::kKvm) CHECK(ls.machine(i).uvm().accessor->error().ok());
          ls.check_invariants();
          ls.compare_machines();
        }
        for (std::size_t i = 0; i < ls.size(); i++)
          if (ls.machine(i).backend() == Backend::kKvm) check_kvm_machine(ls.machine(i), r.seed);
        ls.finish();
        ls.compare_machines();
      }
    }
  }
}

// The two anonymous-memory models side by side (soft backend): the same
// operations, step by step; every outcome, every errno, every byte read
// (also where the reference model does not know them) and every checker
// verdict must agree. Roomy machines compare all bytes until a madvise free
// meets entries whose shapes differ between the models (a backward merge on
// UVM: Lockstep::shapes_differed_, about one roomy run in twelve); small ones
// page to swap and compare what the reference model knows (see
// Lockstep::same_bytes_across_models). UVMSIM_DIFF_SEEDS=N adds N seeds.
TEST_CASE("differential: the shadow model shows processes what the amap model shows", "[differential][shadow]") {
  const std::vector<MachineAxis> axes{MachineAxis{Backend::kSoft, AnonModel::kAmap},
                                      MachineAxis{Backend::kSoft, AnonModel::kShadow}};
  std::vector<Run> runs{Run{11, 2048, 2048, 2500}, Run{12, 2048, 0, 2500}, Run{13, 128, 1024, 1500}};
  if (const char* env = std::getenv("UVMSIM_DIFF_SEEDS"); env && *env) {
    const std::uint64_t n = std::strtoull(env, nullptr, 10);
    const std::uint64_t first = hunt_first_seed(200);
    for (std::uint64_t i = 0; i < n; i++)
      runs.push_back(i % 2 ? Run{first + i, 128, 1024, 1500} : Run{first + i, 2048, 2048, 2500});
  }
  const Mix mix = differential_mix();
  for (Run r : runs) {
    DYNAMIC_SECTION("seed " << r.seed << " mem " << r.mem_pages << " swap " << r.swap_pages) {
      Lockstep ls(axes, Regime{r.mem_pages, r.swap_pages, true}, mix);
      ls.same_bytes_across_models = r.mem_pages >= 1024;
      Generator gen(r.seed, mix);
      for (int s = 0; s < r.steps && !ls.model().procs().empty(); ++s) {
        ls.step(gen.next(ls.model()));
        ls.check_invariants();
      }
      ls.finish();
      const UvmExp shadow = ls.machine(1).stats();
      // Not vacuous: the shadow machine made chains and copied up them.
      CHECK(shadow.object_shadows > 0);
      CHECK(shadow.cow_faults + shadow.cow_optim > 0);
    }
  }
}
