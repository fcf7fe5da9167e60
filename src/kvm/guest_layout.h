// uvmsim::kvm: the fixed part of every guest address space.
//
//   upper half, supervisor only (shared by every root through its PML4 entries)
//     slot 511  0xffffff8000000000  kernel: ring-0 code (hlt stubs + helpers),
//                                   GDT, IDT, TSS, helper-argument page,
//                                   ring-0 stack (RSP0) with a guard page below
//     slot 510  0xffffff0000000000  direct map of the pmap pool (2 MiB pages),
//                                   so ring-0 helpers can store to page tables
//   lower half, user accessible — above uvmsim::kUserMax, never mappable by a
//   simulated process
//     slot 255  0x00007f8000000000  ring-3 access routines (RX), the "done"
//                                   page (PTE -> a GPA with no memslot), a
//                                   user stack, the bounce buffer (RW, NX)
//     slot 254  0x00007f0000000000  empty PDPT, reserved for later use
//
// install() copies those four PML4 entries into a new root, so all roots share
// one copy of the tables below them.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <memory>
#include <string>  // uvmsim/types.h uses std::string without including it
#include <vector>

#include "kvm/frame_pool.h"
#include "kvm/x86.h"
#include "uvmsim/status.h"
#include "uvmsim/types.h"

namespace uvmsim::kvm {

namespace layout {
inline constexpr unsigned kSlotReservedLo = 254, kSlotReservedHi = 255;
inline constexpr unsigned kSlotPoolMap = 510, kSlotKernel = 511;

inline constexpr std::uint64_t kKernelBase = x86::pml4_slot_base(kSlotKernel);
inline constexpr std::uint64_t kRing0Code = kKernelBase + 0x0000;
inline constexpr std::uint64_t kGdt = kKernelBase + 0x1000;
inline constexpr std::uint64_t kIdt = kKernelBase + 0x2000;
inline constexpr std::uint64_t kTss = kKernelBase + 0x3000;
inline constexpr std::uint64_t kArgs = kKernelBase + 0x4000;  // ring-0 helper arguments
inline constexpr std::uint64_t kRing0StackBottom = kKernelBase + 0x6000;  // 0x5000: guard
inline constexpr std::uint64_t kRsp0 = kKernelBase + 0x8000;
inline constexpr std::uint64_t kPoolMapBase = x86::pml4_slot_base(kSlotPoolMap);

inline constexpr std::uint64_t kReservedBase = x86::pml4_slot_base(kSlotReservedLo);
inline constexpr std::uint64_t kRing3Base = x86::pml4_slot_base(kSlotReservedHi);
inline constexpr std::uint64_t kRing3Code = kRing3Base + 0x0000;
inline constexpr std::uint64_t kDonePage = kRing3Base + 0x1000;
inline constexpr std::uint64_t kUserStackBottom = kRing3Base + 0x10000;
inline constexpr std::uint64_t kUserStackTop = kRing3Base + 0x11000;
inline constexpr std::uint64_t kBounce = kRing3Base + 0x100000;
inline constexpr unsigned kMaxBouncePages = 256;
static_assert(kReservedBase == uvmsim::kUserMax,
              "the reserved region must start where simulated user space ends");
}  // namespace layout

class GuestLayout {
 public:
  // Builds the tables and pages above in frames from `pool` (FrameUse::kLayout).
  // `done_gpa` must be a GPA outside every memslot. `bounce_pages` in
  // [1, layout::kMaxBouncePages].
  static StatusOr<std::unique_ptr<GuestLayout>> Create(FramePool& pool, std::uint64_t done_gpa,
                                                       unsigned bounce_pages);
  ~GuestLayout();

  // Makes the root `pml4` (a 512-entry table) share the reserved user region
  // and the kernel layout by copying the four PML4 entries. Entries 0..253 are
  // untouched. Fails if the pointer is null or misaligned.
  Status install(std::uint64_t* pml4) const;
  // A root with nothing but the layout (used for ring-0 helper runs).
  const Frame& template_root() const { return template_root_; }

  // Initial segment state for a vCPU: ring 3, long mode, this layout's GDT,
  // IDT and TR, CR3 = cr3. Start from KVM_GET_SREGS (apic_base etc.).
  void init_sregs(kvm_sregs& s, std::uint64_t cr3) const;
  static kvm_segment user_cs();
  static kvm_segment user_ss();
  static kvm_segment kernel_cs();
  static kvm_segment kernel_ss();

  // Host view of guest pages of the layout.
  std::uint8_t* bounce() const { return bounce_; }
  std::uint64_t bounce_size() const { return bounce_pages_ * 4096ull; }
  std::uint8_t* args() const { return args_.hva; }
  // Host address of a ring-0 stack VA in [kRing0StackBottom, kRsp0), or null.
  std::uint8_t* ring0_stack(std::uint64_t va, std::uint64_t len) const;
  // VA through which ring 0 reaches pool frame `gpa` (the slot-510 direct map).
  std::uint64_t pool_va(std::uint64_t gpa) const { return layout::kPoolMapBase + (gpa - pool_gpa_); }
  std::uint64_t done_gpa() const { return done_gpa_; }

 private:
  GuestLayout(FramePool& pool) : pool_(pool) {}
  StatusOr<Frame> alloc();
  // Maps 4 KiB page `va` -> gpa in the layout's tables (allocating tables).
  Status map(std::uint64_t va, std::uint64_t gpa, std::uint64_t flags);

  FramePool& pool_;
  std::vector<Frame> frames_;  // every frame we allocated, freed in the destructor
  Frame template_root_, args_, stack_;
  std::uint8_t* bounce_ = nullptr;
  unsigned bounce_pages_ = 0;
  std::uint64_t done_gpa_ = 0, pool_gpa_ = 0;
};

}  // namespace uvmsim::kvm
