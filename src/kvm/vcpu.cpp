#include "kvm/vcpu.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "kvm/error.h"

namespace uvmsim::kvm {

StatusOr<std::unique_ptr<Vcpu>> Vcpu::Create(Vm& vm, std::uint32_t id) {
  Fd fd(::ioctl(vm.fd(), KVM_CREATE_VCPU, static_cast<unsigned long>(id)));
  if (!fd.valid()) return sys_error("KVM_CREATE_VCPU", fmt::format("id {}", id), errno);
  ::fcntl(fd.get(), F_SETFD, FD_CLOEXEC);
  const auto size = static_cast<std::size_t>(vm.system().vcpu_mmap_size());
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (p == MAP_FAILED) return sys_error("mmap(kvm_run)", errno);
  Mapping run(p, size);

  const auto& sup = vm.system().supported_cpuid();
  std::vector<std::uint8_t> buf(sizeof(CpuidHeader) + sup.size() * sizeof(kvm_cpuid_entry2));
  reinterpret_cast<CpuidHeader*>(buf.data())->nent = static_cast<std::uint32_t>(sup.size());
  for (std::size_t i = 0; i < sup.size(); ++i) {
    kvm_cpuid_entry2 e = sup[i];
    if (e.function == 1) e.ebx = (e.ebx & 0x00ffffff) | (id << 24);
    if (e.function == 0xb || e.function == 0x1f) e.edx = id;
    std::memcpy(buf.data() + sizeof(CpuidHeader) + i * sizeof(e), &e, sizeof(e));
  }
  if (::ioctl(fd.get(), kIoctlSetCpuid2, buf.data()) < 0) return sys_error("KVM_SET_CPUID2", errno);

  std::unique_ptr<Vcpu> v(new Vcpu(id, std::move(fd), std::move(run)));
  v->run_area()->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
  v->run_area()->kvm_dirty_regs = 0;
  return v;
}

StatusOr<kvm_regs> Vcpu::get_regs() const {
  kvm_regs r{};
  if (::ioctl(fd_.get(), KVM_GET_REGS, &r) < 0) return sys_error("KVM_GET_REGS", errno);
  return r;
}

StatusOr<kvm_sregs> Vcpu::get_sregs() const {
  kvm_sregs s{};
  if (::ioctl(fd_.get(), KVM_GET_SREGS, &s) < 0) return sys_error("KVM_GET_SREGS", errno);
  return s;
}

Status Vcpu::set_regs(const kvm_regs& r) {
  run_area()->kvm_dirty_regs &= ~static_cast<std::uint64_t>(KVM_SYNC_X86_REGS);
  if (::ioctl(fd_.get(), KVM_SET_REGS, &r) < 0) return sys_error("KVM_SET_REGS", errno);
  regs() = r;
  return absl::OkStatus();
}

Status Vcpu::set_sregs(const kvm_sregs& s) {
  run_area()->kvm_dirty_regs &= ~static_cast<std::uint64_t>(KVM_SYNC_X86_SREGS);
  if (::ioctl(fd_.get(), KVM_SET_SREGS, &s) < 0) return sys_error("KVM_SET_SREGS", errno);
  sregs() = s;
  return absl::OkStatus();
}

StatusOr<std::uint32_t> Vcpu::run() {
  if (::ioctl(fd_.get(), KVM_RUN, 0) < 0) {
    if (errno == EINTR) return static_cast<std::uint32_t>(KVM_EXIT_INTR);
    return sys_error("KVM_RUN", errno);
  }
  return run_area()->exit_reason;
}

}  // namespace uvmsim::kvm
