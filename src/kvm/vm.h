// uvmsim::kvm: a KVM virtual machine (its fd, TSS address and memory slots).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "kvm/fd.h"
#include "kvm/kvm_system.h"
#include "uvmsim/status.h"

namespace uvmsim::kvm {

// One KVM_SET_USER_MEMORY_REGION slot: [gpa, gpa + size) backed by the host
// range [hva, hva + size).
struct MemSlot {
  std::uint32_t id = 0;
  std::uint64_t gpa = 0;
  std::uint64_t size = 0;
  std::uint8_t* hva = nullptr;
  std::uint32_t flags = 0;  // KVM_MEM_READONLY, ...
};

class Vm {
 public:
  // KVM_CREATE_VM, KVM_SET_TSS_ADDR (at 0xfffbd000, the conventional spot just
  // below 4 GiB; slots must not overlap its 3 pages on hosts that use it).
  static StatusOr<std::unique_ptr<Vm>> Create(std::shared_ptr<const KvmSystem> kvm);
  ~Vm() = default;
  Vm(const Vm&) = delete;
  Vm& operator=(const Vm&) = delete;

  int fd() const { return fd_.get(); }
  const KvmSystem& system() const { return *kvm_; }

  // Registers an existing host mapping at `gpa`. gpa, size and hva must be
  // page aligned, size > 0, and the range must not overlap another slot
  // (InvalidArgument / AlreadyExists, checked before the ioctl). Returns the
  // slot id.
  StatusOr<std::uint32_t> add_slot(std::uint64_t gpa, std::uint64_t size, void* hva,
                                   std::uint32_t flags = 0);
  // Deletes a slot (KVM_SET_USER_MEMORY_REGION with size 0).
  Status remove_slot(std::uint32_t id);
  // Deletes and re-adds a slot. On KVM x86 deleting any slot zaps every
  // shadow/EPT entry of the VM (the "global zap"); the self-test checks it.
  Status readd_slot(std::uint32_t id);

  // The slot holding `gpa`, or nullptr.
  const MemSlot* slot_at(std::uint64_t gpa) const;
  // The host address of guest-physical `gpa`, or nullptr outside every slot.
  std::uint8_t* hva(std::uint64_t gpa) const;
  const std::map<std::uint32_t, MemSlot>& slots() const { return slots_; }

  static constexpr std::uint64_t kTssAddr = 0xfffbd000;

 private:
  Vm(std::shared_ptr<const KvmSystem> kvm, Fd fd) : kvm_(std::move(kvm)), fd_(std::move(fd)) {}
  Status set_region(const MemSlot& s, std::uint64_t size);

  std::shared_ptr<const KvmSystem> kvm_;
  Fd fd_;
  std::map<std::uint32_t, MemSlot> slots_;
};

}  // namespace uvmsim::kvm
