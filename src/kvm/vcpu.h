// uvmsim::kvm: a virtual CPU: its fd, the shared kvm_run area and the
// sync-regs protocol.
//
// Register traffic on hot paths goes through the sync-regs area of kvm_run
// (KVM_CAP_SYNC_REGS): kvm_valid_regs = REGS|SREGS makes KVM store the
// registers there on every exit; the host edits them in place and marks them
// dirty, and KVM loads them on the next KVM_RUN. KVM_GET/SET_(S)REGS cost
// ~5.6 us each on PVM and are used only at set-up.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <memory>

#include "kvm/fd.h"
#include "kvm/vm.h"
#include "uvmsim/status.h"

namespace uvmsim::kvm {

class Vcpu {
 public:
  // KVM_CREATE_VCPU, mmap of kvm_run, KVM_SET_CPUID2 with the supported CPUID
  // (APIC id `id` in leaf 1 EBX[31:24] and the x2APIC leaves).
  static StatusOr<std::unique_ptr<Vcpu>> Create(Vm& vm, std::uint32_t id);
  ~Vcpu() = default;
  Vcpu(const Vcpu&) = delete;
  Vcpu& operator=(const Vcpu&) = delete;

  std::uint32_t id() const { return id_; }
  int fd() const { return fd_.get(); }
  kvm_run* run_area() const { return static_cast<kvm_run*>(run_.get()); }

  // Slow, ioctl-based access (set-up only). set_* also refresh the sync area
  // and clear its dirty bits, so a stale dirty bit can never override them.
  StatusOr<kvm_regs> get_regs() const;
  StatusOr<kvm_sregs> get_sregs() const;
  Status set_regs(const kvm_regs& r);
  Status set_sregs(const kvm_sregs& s);

  // The sync-regs copies: valid after any KVM_RUN return (and after set_*).
  // Edit them, then mark_dirty() the parts you changed.
  kvm_regs& regs() { return run_area()->s.regs.regs; }
  kvm_sregs& sregs() { return run_area()->s.regs.sregs; }
  void mark_dirty(std::uint64_t bits) { run_area()->kvm_dirty_regs |= bits; }

  // One KVM_RUN. Returns the exit reason; EINTR (a signal or immediate_exit)
  // is returned as KVM_EXIT_INTR, other errors as a Status naming KVM_RUN.
  StatusOr<std::uint32_t> run();

 private:
  Vcpu(std::uint32_t id, Fd fd, Mapping run) : id_(id), fd_(std::move(fd)), run_(std::move(run)) {}
  std::uint32_t id_;
  Fd fd_;
  Mapping run_;
};

}  // namespace uvmsim::kvm
