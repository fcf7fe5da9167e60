// uvmsim::kvm: the KVM system device (/dev/kvm) and what it offers.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kvm/fd.h"
#include "uvmsim/status.h"

namespace uvmsim::kvm {

// struct kvm_cpuid2 without its flexible array: the uapi header declares the
// array with __DECLARE_FLEX_ARRAY, which in C++ adds a one-byte empty member,
// so sizeof(kvm_cpuid2) is 12 there (not 8) and the ioctl numbers derived from
// it are wrong (EINVAL). These are the numbers for the kernel's 8-byte header.
struct CpuidHeader {
  std::uint32_t nent;
  std::uint32_t padding;
};
static_assert(sizeof(CpuidHeader) == 8);
inline constexpr unsigned long kIoctlGetSupportedCpuid = _IOWR(KVMIO, 0x05, CpuidHeader);
inline constexpr unsigned long kIoctlSetCpuid2 = _IOW(KVMIO, 0x90, CpuidHeader);

// Capabilities the layer uses or reports (KVM_CHECK_EXTENSION values; 0 =
// absent).
struct KvmCaps {
  int user_memory = 0;     // KVM_CAP_USER_MEMORY (required)
  int nr_memslots = 0;     // KVM_CAP_NR_MEMSLOTS
  int set_tss_addr = 0;    // KVM_CAP_SET_TSS_ADDR
  int ext_cpuid = 0;       // KVM_CAP_EXT_CPUID (required: KVM_GET_SUPPORTED_CPUID)
  int sync_regs = 0;       // KVM_CAP_SYNC_REGS: bitmask of KVM_SYNC_X86_* (REGS|SREGS required)
  int immediate_exit = 0;  // KVM_CAP_IMMEDIATE_EXIT
  int readonly_mem = 0;    // KVM_CAP_READONLY_MEM
  int dirty_log = 0;       // KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2
  int user_memory2 = 0;    // KVM_CAP_USER_MEMORY2 (231; not in older headers)
  int guest_memfd = 0;     // KVM_CAP_GUEST_MEMFD (234)
};

// What the CPUID KVM supports says about paging.
struct GuestCpuFeatures {
  std::string vendor;          // "AuthenticAMD", "GenuineIntel", ...
  bool pse = false, pae = false, pge = false, nx = false, lm = false;
  bool pdpe1gb = false, smep = false, smap = false, pcid = false, invpcid = false;
  unsigned max_phys_bits = 36;  // CPUID 0x80000008 EAX[7:0]
};

class KvmSystem {
 public:
  // Opens `path`, checks the API version (12) and the required capabilities.
  static StatusOr<std::shared_ptr<KvmSystem>> Open(const char* path = "/dev/kvm");

  int fd() const { return fd_.get(); }
  int api_version() const { return api_version_; }
  const KvmCaps& caps() const { return caps_; }
  int vcpu_mmap_size() const { return vcpu_mmap_size_; }
  // KVM_GET_SUPPORTED_CPUID, as returned.
  const std::vector<kvm_cpuid_entry2>& supported_cpuid() const { return cpuid_; }
  const GuestCpuFeatures& cpu() const { return cpu_; }

 private:
  KvmSystem() = default;
  Fd fd_;
  int api_version_ = 0;
  int vcpu_mmap_size_ = 0;
  KvmCaps caps_;
  std::vector<kvm_cpuid_entry2> cpuid_;
  GuestCpuFeatures cpu_;
};

}  // namespace uvmsim::kvm
