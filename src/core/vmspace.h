// struct vmspace: one process's address space — its vm_map and its pmap —
// and the MMU accessor through which the process's loads and stores go.
#pragma once

#include <cstdint>
#include <memory>

#include "core/pmap.h"
#include "core/vm_map.h"
#include "uvmsim/process.h"

namespace uvmsim {

struct Uvm;

struct VmSpace {
  PmapPtr pmap;
  std::unique_ptr<VmMap> map;
};

// How simulated loads and stores reach memory. The soft accessor walks the
// soft pmap's tables with the software MMU; the kvm accessor runs guest
// ring-3 code over the real page tables. Both call uvm_fault on a page fault
// and retry, exactly as a CPU would re-execute the faulting instruction.
enum class AccessOp : std::uint8_t { kRead, kWrite, kFill, kSum };

struct AccessRequest {
  AccessOp op;
  vaddr_t va;
  std::uint64_t len;
  std::uint8_t* out = nullptr;        // kRead
  const std::uint8_t* in = nullptr;   // kWrite
  std::uint8_t byte = 0;              // kFill
  std::uint64_t hash = kFnvOffsetBasis;  // kSum: the FNV-1a state to continue
};

class MmuAccessor {
 public:
  virtual ~MmuAccessor() = default;
  virtual AccessResult access(VmSpace& vm, const AccessRequest& req) = 0;
  // The backend's own first failure (kvm: an unexpected exit, a failed
  // ioctl), OK while there is none. An access that meets such a failure ends
  // with Outcome::kSigbus at the address it reached, the model's state stays
  // consistent, and every later access fails the same way: callers that
  // want to tell this from a simulated SIGBUS check error() after access().
  virtual Status error() const { return absl::OkStatus(); }
};

// FNV-1a 64-bit.
inline constexpr std::uint64_t kFnvOffset = kFnvOffsetBasis;
inline constexpr std::uint64_t kFnvPrime = 0x100000001b3ull;
inline std::uint64_t fnv1a(std::uint64_t h, const std::uint8_t* p, std::uint64_t n) {
  for (std::uint64_t i = 0; i < n; i++) h = (h ^ p[i]) * kFnvPrime;
  return h;
}

}  // namespace uvmsim
