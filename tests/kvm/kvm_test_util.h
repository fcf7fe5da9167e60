// Shared helpers for the kvm layer tests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kvm/fd.h"
#include "kvm/guest.h"
#include "kvm/page_tables.h"

namespace uvmsim::kvm::testing {

// Whether /dev/kvm can run a guest here; *why says why not.
bool kvm_usable(std::string* why);

// Tests return early, with a visible warning, when KVM is not usable.
#define SKIP_WITHOUT_KVM()                                          \
  do {                                                              \
    std::string why_;                                               \
    if (!::uvmsim::kvm::testing::kvm_usable(&why_)) {               \
      WARN("skipped: /dev/kvm is not usable here: " << why_);       \
      return;                                                       \
    }                                                               \
  } while (0)

// The simulated machine's memory: a MAP_SHARED memfd, as the core owns it.
struct PhysMem {
  Fd fd;
  Mapping map;
  std::uint64_t size = 0;
  std::uint64_t next = 0;  // bump allocator over frames
  std::uint8_t* hva(std::uint64_t gpa) const { return static_cast<std::uint8_t*>(map.get()) + gpa; }
  std::uint64_t alloc_frame() { std::uint64_t f = next; next += 4096; return f; }
};
std::unique_ptr<PhysMem> make_phys(std::uint64_t bytes = 16ull << 20);

// A guest over `phys`. The self-test runs once per process; later guests
// adopt its strategy.
std::unique_ptr<Guest> make_guest(PhysMem& phys);

inline constexpr std::uint64_t kUserRw = x86::kPteP | x86::kPteW | x86::kPteU | x86::kPteNx;
inline constexpr std::uint64_t kUserRo = x86::kPteP | x86::kPteU | x86::kPteNx;

// A fault handler that maps a fresh machine frame (zeroed) for every
// not-present fault in [lo, hi) and fails everything else.
FaultHandler demand_zero(PhysMem& phys, PageTables& pt, std::uint64_t lo, std::uint64_t hi,
                         int* calls = nullptr);

std::uint64_t fnv1a(const std::uint8_t* p, std::uint64_t n);

}  // namespace uvmsim::kvm::testing
