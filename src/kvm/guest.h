// uvmsim::kvm: a guest machine — the VM, one vCPU, the pmap pool, the
// layout — and the run loop that executes ring-3 code for the host kernel.
//
// Guest-physical map:
//   [0, phys_size)            the simulated machine's memory (the core's memfd)
//   pool_gpa - 4 MiB          the done page's GPA: no memslot (MMIO exit)
//   pool_gpa - 2 MiB          a one-page memslot deleted and re-added for a global zap
//   [pool_gpa, +pool_bytes)   the pmap pool (page tables, layout)
//
//   auto g = *Guest::Create({.phys_fd = fd, .phys_base = base, .phys_size = n});
//   uint64_t* pml4 = ...;  // a pool frame, FrameUse::kPageTable
//   g->install_reserved(pml4);
//   auto r = g->read(root_gpa, va, buf, [&](const PageFault& pf) { ... });
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "kvm/exit.h"
#include "kvm/frame_pool.h"
#include "kvm/guest_layout.h"
#include "kvm/invalidator.h"
#include "kvm/kvm_system.h"
#include "kvm/self_test.h"
#include "kvm/vcpu.h"
#include "kvm/vm.h"
#include "uvmsim/status.h"

namespace uvmsim::kvm {

struct GuestConfig {
  // The machine's physical memory: a memfd mapped MAP_SHARED at phys_base,
  // phys_size bytes (page multiples), registered as the memslot at GPA 0.
  // phys_size 0: no machine memory (tests that only use the pool).
  int phys_fd = -1;
  void* phys_base = nullptr;
  std::uint64_t phys_size = 0;
  // Where the pool starts (2 MiB aligned); 0 picks 1 TiB when MAXPHYADDR
  // allows, else the first 1 GiB boundary 1 GiB above the machine's memory.
  std::uint64_t pool_gpa = 0;
  std::uint64_t pool_bytes = 256ull << 20;
  unsigned bounce_pages = 16;
  // Run the invalidation self-test now and adopt its strategy. Without it the
  // strategy is the PVM one (zap old frames, global zap for upper levels).
  bool self_test = true;
  // Shared /dev/kvm handle; opened when null.
  std::shared_ptr<KvmSystem> kvm;
};

// What the host fault handler decides. The handler runs between exits: it
// may edit page tables, use the Invalidator (flush, ring-0 helpers) and the
// pool, but must not start another access on the same Guest (not reentrant).
enum class FaultAction : std::uint8_t {
  kRetry,  // the mapping was fixed: resume at the faulting instruction
  kFail,   // the access fails here (SIGSEGV/SIGBUS/no memory in the model)
};
using FaultHandler = std::function<StatusOr<FaultAction>(const PageFault&)>;

// The result of a ring-3 access routine.
struct AccessOutcome {
  bool ok = true;                // false: the handler failed a fault
  std::uint64_t done = 0;        // bytes completed before the failing byte
  std::uint64_t fault_addr = 0;  // CR2 of the failed fault
  std::uint64_t error_code = 0;  // its #PF error code
  std::uint64_t hash = 0;        // sum(): FNV-1a 64 (when ok)
  std::uint64_t faults = 0;      // #PFs taken (retried ones included)
};

class Guest {
 public:
  static StatusOr<std::unique_ptr<Guest>> Create(GuestConfig config);
  ~Guest();
  Guest(const Guest&) = delete;
  Guest& operator=(const Guest&) = delete;

  const KvmSystem& system() const { return *kvm_; }
  Vm& vm() { return *vm_; }
  Vcpu& vcpu() { return *vcpu_; }
  FramePool& pool() { return *pool_; }
  const GuestLayout& layout() const { return *layout_; }
  Invalidator& invalidator() { return *inval_; }
  // Empty when the config skipped it.
  const SelfTestResult& self_test() const { return self_test_; }

  // Makes a fresh PML4 (a zeroed pool frame) share the reserved user region
  // and the kernel layout. Call once per new root.
  Status install_reserved(std::uint64_t* pml4) const { return layout_->install(pml4); }
  // Host address of a guest-physical address in any slot (machine memory or
  // pool), nullptr elsewhere.
  std::uint8_t* hva(std::uint64_t gpa) const { return vm_->hva(gpa); }
  std::uint64_t phys_size() const { return phys_size_; }

  // ---- running ------------------------------------------------------------
  // Enters ring 3 at regs.rip (RSP, RFLAGS and all GPRs from `regs`) in the
  // address space rooted at `cr3` and runs until an exit.
  StatusOr<Exit> run_ring3(std::uint64_t cr3, const kvm_regs& regs);
  // Continues the ring-3 context that last exited: after a PageFault or a
  // ring-3 Exception, at the frame's RIP/RSP/RFLAGS (the faulting instruction
  // runs again); after any other exit, where it stopped. `cr3` may differ
  // from the last run (address-space switch on resume).
  StatusOr<Exit> resume(std::uint64_t cr3);
  // Runs a ring-0 helper (offset in guest_code::ring0()) with rdi/rsi under
  // root `cr3` and returns when it halts; the ring-3 context (registers,
  // pending frame) is preserved. Internal error if it ends any other way.
  Status run_ring0(std::uint64_t cr3, std::uint64_t entry, std::uint64_t rdi, std::uint64_t rsi);
  // The registers at the last exit (the sync-regs copy).
  const kvm_regs& regs() { return vcpu_->regs(); }

  // ---- process accesses: ring-3 routines over the real page tables ---------
  // Each runs the routine in the address space `cr3`; every #PF below
  // uvmsim::kUserMax goes to `handler`. A fault inside the reserved region or
  // any other exception is an Internal error status.
  StatusOr<AccessOutcome> read(std::uint64_t cr3, std::uint64_t va, std::span<std::uint8_t> out,
                               const FaultHandler& handler);
  StatusOr<AccessOutcome> write(std::uint64_t cr3, std::uint64_t va,
                                std::span<const std::uint8_t> data, const FaultHandler& handler);
  StatusOr<AccessOutcome> fill(std::uint64_t cr3, std::uint64_t va, std::uint64_t len,
                               std::uint8_t byte, const FaultHandler& handler);
  // from: the FNV-1a state to continue (the offset basis: a fresh hash).
  StatusOr<AccessOutcome> sum(std::uint64_t cr3, std::uint64_t va, std::uint64_t len,
                              const FaultHandler& handler, std::uint64_t from = 0xcbf29ce484222325ull);
  // One byte read (or written) per `stride` bytes, `count` times.
  StatusOr<AccessOutcome> touch(std::uint64_t cr3, std::uint64_t va, std::uint64_t count,
                                std::uint64_t stride, bool write, const FaultHandler& handler);
  // The read form of touch, `passes` times over the same range in one ring-3
  // run (timing warm memory: one guest entry for all passes). `done` counts
  // reads over all passes.
  StatusOr<AccessOutcome> touch_passes(std::uint64_t cr3, std::uint64_t va, std::uint64_t count,
                                       std::uint64_t stride, std::uint64_t passes,
                                       const FaultHandler& handler);
  // A register-only ring-3 loop of `iterations` (timing).
  Status spin(std::uint64_t cr3, std::uint64_t iterations);

  struct Counters {
    std::uint64_t runs = 0;          // KVM_RUN calls
    std::uint64_t page_faults = 0;   // PageFault exits
    std::uint64_t ring0_runs = 0;
    std::uint64_t signal_reentries = 0;  // KVM_RUN ended by a host signal (EINTR), entered again
  };
  const Counters& counters() const { return c_; }

 private:
  Guest() = default;
  StatusOr<Exit> run_and_decode();
  Exit decode_exit(std::uint32_t reason);
  // Runs `start` to Done; a failed fault returns false with *failed set.
  void settle(AccessOutcome& res, bool finished, std::uint64_t total, const PageFault& pf);
  StatusOr<AccessOutcome> bounce_copy(std::uint64_t cr3, std::uint64_t va, std::uint8_t* host,
                                      std::uint64_t len, bool to_process, const FaultHandler& h);
  StatusOr<bool> drive(std::uint64_t cr3, const kvm_regs& start, const FaultHandler& h,
                       AccessOutcome& out, PageFault* failed);
  kvm_regs routine_regs(std::uint64_t entry) const;

  std::shared_ptr<KvmSystem> kvm_;
  std::unique_ptr<Vm> vm_;
  std::unique_ptr<FramePool> pool_;
  std::unique_ptr<GuestLayout> layout_;
  std::unique_ptr<Vcpu> vcpu_;
  std::unique_ptr<Invalidator> inval_;
  std::uint32_t zap_slot_ = 0;
  Mapping zap_page_;
  std::uint64_t phys_size_ = 0;
  SelfTestResult self_test_;
  // The interrupted ring-3 context after an exception exit.
  struct Frame3 {
    bool valid = false;
    std::uint64_t rip = 0, rsp = 0, rflags = 0;
  } frame3_;
  Counters c_;

  friend class Invalidator;
};

}  // namespace uvmsim::kvm
