#include "kvm/kvm_system.h"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "kvm/error.h"

namespace uvmsim::kvm {
namespace {

// Newer capabilities, for headers older than the running kernel.
constexpr int kCapGuestMemfd = 234;
constexpr int kCapUserMemory2 = 231;

const kvm_cpuid_entry2* find_leaf(const std::vector<kvm_cpuid_entry2>& v, std::uint32_t fn,
                                  std::uint32_t index = 0) {
  for (const auto& e : v)
    if (e.function == fn && e.index == index) return &e;
  return nullptr;
}

GuestCpuFeatures decode(const std::vector<kvm_cpuid_entry2>& v) {
  GuestCpuFeatures f;
  if (auto* e = find_leaf(v, 0)) {
    char s[13];
    std::memcpy(s, &e->ebx, 4);
    std::memcpy(s + 4, &e->edx, 4);
    std::memcpy(s + 8, &e->ecx, 4);
    s[12] = 0;
    f.vendor = s;
  }
  if (auto* e = find_leaf(v, 1)) {
    f.pse = e->edx & (1u << 3);
    f.pae = e->edx & (1u << 6);
    f.pge = e->edx & (1u << 13);
    f.pcid = e->ecx & (1u << 17);
  }
  if (auto* e = find_leaf(v, 7)) {
    f.smep = e->ebx & (1u << 7);
    f.smap = e->ebx & (1u << 20);
    f.invpcid = e->ebx & (1u << 10);
  }
  if (auto* e = find_leaf(v, 0x80000001)) {
    f.nx = e->edx & (1u << 20);
    f.pdpe1gb = e->edx & (1u << 26);
    f.lm = e->edx & (1u << 29);
  }
  if (auto* e = find_leaf(v, 0x80000008)) f.max_phys_bits = e->eax & 0xff;
  return f;
}

}  // namespace

StatusOr<std::shared_ptr<KvmSystem>> KvmSystem::Open(const char* path) {
  std::shared_ptr<KvmSystem> s(new KvmSystem());
  s->fd_ = Fd(::open(path, O_RDWR | O_CLOEXEC));
  if (!s->fd_.valid()) return sys_error(fmt::format("open {}", path), errno);
  int fd = s->fd_.get();

  s->api_version_ = ::ioctl(fd, KVM_GET_API_VERSION, 0);
  if (s->api_version_ < 0) return sys_error("KVM_GET_API_VERSION", errno);
  if (s->api_version_ != KVM_API_VERSION)
    return absl::FailedPreconditionError(fmt::format(
        "KVM_GET_API_VERSION: {} (this library needs {})", s->api_version_, KVM_API_VERSION));

  auto cap = [fd](int c) {
    int r = ::ioctl(fd, KVM_CHECK_EXTENSION, c);
    return r < 0 ? 0 : r;
  };
  KvmCaps& c = s->caps_;
  c.user_memory = cap(KVM_CAP_USER_MEMORY);
  c.nr_memslots = cap(KVM_CAP_NR_MEMSLOTS);
  c.set_tss_addr = cap(KVM_CAP_SET_TSS_ADDR);
  c.ext_cpuid = cap(KVM_CAP_EXT_CPUID);
  c.sync_regs = cap(KVM_CAP_SYNC_REGS);
  c.immediate_exit = cap(KVM_CAP_IMMEDIATE_EXIT);
  c.readonly_mem = cap(KVM_CAP_READONLY_MEM);
  c.dirty_log = cap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
  c.user_memory2 = cap(kCapUserMemory2);
  c.guest_memfd = cap(kCapGuestMemfd);
  const int need_sync = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
  if (!c.user_memory || !c.ext_cpuid || (c.sync_regs & need_sync) != need_sync)
    return absl::FailedPreconditionError(fmt::format(
        "KVM_CHECK_EXTENSION: missing a required capability (USER_MEMORY={}, EXT_CPUID={}, "
        "SYNC_REGS={:#x}, need REGS|SREGS)",
        c.user_memory, c.ext_cpuid, c.sync_regs));

  s->vcpu_mmap_size_ = ::ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (s->vcpu_mmap_size_ < 0) return sys_error("KVM_GET_VCPU_MMAP_SIZE", errno);

  // KVM_GET_SUPPORTED_CPUID: grow the buffer until it fits (E2BIG).
  for (std::uint32_t n = 64; n <= 4096; n *= 2) {
    std::vector<std::uint8_t> buf(sizeof(CpuidHeader) + n * sizeof(kvm_cpuid_entry2));
    auto* hdr = reinterpret_cast<CpuidHeader*>(buf.data());
    hdr->nent = n;
    if (::ioctl(fd, kIoctlGetSupportedCpuid, buf.data()) == 0) {
      s->cpuid_.resize(hdr->nent);
      std::memcpy(s->cpuid_.data(), buf.data() + sizeof(CpuidHeader),
                  hdr->nent * sizeof(kvm_cpuid_entry2));
      break;
    }
    if (errno != E2BIG) return sys_error("KVM_GET_SUPPORTED_CPUID", errno);
  }
  if (s->cpuid_.empty()) return sys_error("KVM_GET_SUPPORTED_CPUID", E2BIG);
  s->cpu_ = decode(s->cpuid_);
  if (!s->cpu_.lm || !s->cpu_.pae || !s->cpu_.nx)
    return absl::FailedPreconditionError(
        "KVM_GET_SUPPORTED_CPUID: the guest CPU lacks long mode, PAE or NX");
  return s;
}

}  // namespace uvmsim::kvm
