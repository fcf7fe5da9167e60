// The kvm side of core/backend.h: machines on a KVM guest.
#include "kvm/kvm_backend.h"

#include <sys/mman.h>

#include <cerrno>
#include <mutex>
#include <optional>

#include <fmt/format.h>

#include "core/uvm.h"
#include "kvm/error.h"
#include "kvm/platform.h"

namespace uvmsim {

namespace {

// One /dev/kvm handle and one invalidation self-test per process: the
// platform does not change under a running program, and the self-test costs
// milliseconds that every machine would otherwise pay.
struct Shared {
  std::mutex mu;
  std::shared_ptr<kvm::KvmSystem> kvm;
  std::optional<kvm::Strategy> strategy;
};
Shared& shared() {
  static Shared* s = new Shared;  // never destroyed: machines may outlive statics
  return *s;
}

Status unusable(const Status& why) {
  return absl::FailedPreconditionError(
      fmt::format("machine: backend=kvm is not usable here: {}", std::string(why.message())));
}

// A guest over `phys_*` with the process-wide strategy. Caller holds sh.mu.
StatusOr<std::unique_ptr<kvm::Guest>> new_guest(Shared& sh, int fd, void* base,
                                                std::uint64_t size) {
  if (!sh.kvm) {
    auto k = kvm::KvmSystem::Open();
    if (!k.ok()) return k.status();
    sh.kvm = *std::move(k);
  }
  kvm::GuestConfig cfg;
  cfg.phys_fd = fd;
  cfg.phys_base = base;
  cfg.phys_size = size;
  cfg.kvm = sh.kvm;
  cfg.self_test = !sh.strategy.has_value();
  auto g = kvm::Guest::Create(cfg);
  if (!g.ok()) return g.status();
  if (sh.strategy) (*g)->invalidator().set_strategy(*sh.strategy);
  else sh.strategy = (*g)->self_test().chosen;
  return g;
}

}  // namespace

bool kvm_backend_built() { return true; }

StatusOr<BackendParts> make_kvm_backend(Uvm& uvm) {
  Shared& sh = shared();
  std::lock_guard<std::mutex> lock(sh.mu);
  auto ctx = std::make_shared<kvm::KvmContext>();
  const std::uint64_t bytes = uvm.pm->bytes();
  void* view = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, uvm.pm->memfd(), 0);
  if (view == MAP_FAILED)
    return unusable(kvm::sys_error("mmap(machine memory, guest view)", errno));
  ctx->guest_view = kvm::Mapping(view, bytes);
  auto g = new_guest(sh, uvm.pm->memfd(), view, bytes);
  if (!g.ok()) return unusable(g.status());
  ctx->guest = *std::move(g);
  BackendParts parts;
  parts.pmaps = std::make_unique<kvm::KvmPmapFactory>(ctx);
  parts.accessor = std::make_unique<kvm::KvmAccessor>(ctx);
  return parts;
}

bool kvm_backend_usable(std::string* why) {
  Shared& sh = shared();
  std::lock_guard<std::mutex> lock(sh.mu);
  static std::optional<std::string> err;
  if (!err) {
    auto g = new_guest(sh, -1, nullptr, 0);
    err = g.ok() ? "" : std::string(g.status().message());
  }
  *why = *err;
  return err->empty();
}

std::string kvm_platform_report(int fault_samples) {
  std::string s = kvm::probe_platform(fault_samples).to_string();
  Shared& sh = shared();
  std::lock_guard<std::mutex> lock(sh.mu);
  if (sh.strategy)
    s += fmt::format("strategy used by this process's kvm machines: PTE {}, PDE {}\n",
                     kvm::to_string(sh.strategy->pte), kvm::to_string(sh.strategy->pde));
  s += "pmap: PTE changes invalidate only entries with A=1 (a clean write downgrade needs "
       "nothing under shadow paging); page-table pages are freed only with their pmap, so a "
       "PDE never changes under a live pmap\n";
  return s;
}

}  // namespace uvmsim
