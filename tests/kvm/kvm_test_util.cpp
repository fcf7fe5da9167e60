#include "kvm_test_util.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <optional>

namespace uvmsim::kvm::testing {

bool kvm_usable(std::string* why) {
  static std::optional<std::string> err;
  if (!err) {
    auto k = KvmSystem::Open();
    err = k.ok() ? "" : std::string(k.status().message());
  }
  *why = *err;
  return err->empty();
}

std::unique_ptr<PhysMem> make_phys(std::uint64_t bytes) {
  auto p = std::make_unique<PhysMem>();
  p->fd = Fd(::memfd_create("uvmsim-test-phys", MFD_CLOEXEC));
  if (!p->fd.valid() || ::ftruncate(p->fd.get(), static_cast<off_t>(bytes)) != 0) return nullptr;
  void* m = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd.get(), 0);
  if (m == MAP_FAILED) return nullptr;
  p->map = Mapping(m, bytes);
  p->size = bytes;
  p->next = 0x100000;  // leave the first MiB alone
  return p;
}

std::unique_ptr<Guest> make_guest(PhysMem& phys) {
  static std::optional<Strategy> strategy;
  GuestConfig cfg;
  cfg.phys_fd = phys.fd.get();
  cfg.phys_base = phys.map.get();
  cfg.phys_size = phys.size;
  cfg.pool_bytes = 64ull << 20;
  cfg.self_test = !strategy.has_value();
  auto g = Guest::Create(cfg);
  if (!g.ok()) return nullptr;
  if (strategy)
    (*g)->invalidator().set_strategy(*strategy);
  else
    strategy = (*g)->self_test().chosen;
  return *std::move(g);
}

FaultHandler demand_zero(PhysMem& phys, PageTables& pt, std::uint64_t lo, std::uint64_t hi,
                         int* calls) {
  return [&phys, &pt, lo, hi, calls](const PageFault& pf) -> StatusOr<FaultAction> {
    if (calls) ++*calls;
    if (pf.cr2 < lo || pf.cr2 >= hi || (pf.error_code & x86::kPfPresent))
      return FaultAction::kFail;
    const std::uint64_t f = phys.alloc_frame();
    std::memset(phys.hva(f), 0, 4096);
    if (Status s = pt.map(pf.cr2 & ~0xfffull, f, kUserRw); !s.ok()) return s;
    return FaultAction::kRetry;
  };
}

std::uint64_t fnv1a(const std::uint8_t* p, std::uint64_t n) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::uint64_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace uvmsim::kvm::testing
