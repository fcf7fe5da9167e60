#include "kvm/vm.h"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <cerrno>

#include <fmt/format.h>

#include "kvm/error.h"

namespace uvmsim::kvm {

StatusOr<std::unique_ptr<Vm>> Vm::Create(std::shared_ptr<const KvmSystem> kvm) {
  if (kvm == nullptr) return absl::InvalidArgumentError("Vm::Create: no KvmSystem");
  Fd fd(::ioctl(kvm->fd(), KVM_CREATE_VM, 0));
  if (!fd.valid()) return sys_error("KVM_CREATE_VM", errno);
  ::fcntl(fd.get(), F_SETFD, FD_CLOEXEC);
  if (kvm->caps().set_tss_addr && ::ioctl(fd.get(), KVM_SET_TSS_ADDR, kTssAddr) < 0)
    return sys_error("KVM_SET_TSS_ADDR", errno);
  return std::unique_ptr<Vm>(new Vm(std::move(kvm), std::move(fd)));
}

Status Vm::set_region(const MemSlot& s, std::uint64_t size) {
  kvm_userspace_memory_region r{};
  r.slot = s.id;
  r.flags = s.flags;
  r.guest_phys_addr = s.gpa;
  r.memory_size = size;
  r.userspace_addr = reinterpret_cast<std::uint64_t>(s.hva);
  if (::ioctl(fd_.get(), KVM_SET_USER_MEMORY_REGION, &r) < 0)
    return sys_error("KVM_SET_USER_MEMORY_REGION",
                     fmt::format("slot {}, gpa {:#x}, size {:#x}", s.id, s.gpa, size), errno);
  return absl::OkStatus();
}

StatusOr<std::uint32_t> Vm::add_slot(std::uint64_t gpa, std::uint64_t size, void* hva,
                                     std::uint32_t flags) {
  const auto h = reinterpret_cast<std::uint64_t>(hva);
  if (size == 0 || (gpa | size | h) & 0xfff)
    return absl::InvalidArgumentError(fmt::format(
        "Vm::add_slot: gpa {:#x}, size {:#x}, hva {:#x}: must be page aligned, size > 0", gpa,
        size, h));
  if (gpa + size < gpa || h + size < h)
    return absl::InvalidArgumentError(
        fmt::format("Vm::add_slot: gpa {:#x} size {:#x} wraps around", gpa, size));
  const unsigned maxphys = kvm_->cpu().max_phys_bits;
  if (maxphys < 64 && gpa + size > (1ull << maxphys))
    return absl::InvalidArgumentError(fmt::format(
        "Vm::add_slot: gpa range [{:#x}, {:#x}) exceeds MAXPHYADDR {}", gpa, gpa + size, maxphys));
  for (const auto& [id, s] : slots_)
    if (gpa < s.gpa + s.size && s.gpa < gpa + size)
      return absl::AlreadyExistsError(
          fmt::format("Vm::add_slot: gpa range [{:#x}, {:#x}) overlaps slot {} [{:#x}, {:#x})",
                      gpa, gpa + size, id, s.gpa, s.gpa + s.size));
  std::uint32_t id = 0;
  while (slots_.count(id)) ++id;
  if (kvm_->caps().nr_memslots > 0 && id >= static_cast<std::uint32_t>(kvm_->caps().nr_memslots))
    return absl::ResourceExhaustedError("Vm::add_slot: no free memory slot");
  MemSlot s{id, gpa, size, static_cast<std::uint8_t*>(hva), flags};
  if (Status st = set_region(s, size); !st.ok()) return st;
  slots_.emplace(id, s);
  return id;
}

Status Vm::remove_slot(std::uint32_t id) {
  auto it = slots_.find(id);
  if (it == slots_.end())
    return absl::NotFoundError(fmt::format("Vm::remove_slot: no slot {}", id));
  if (Status st = set_region(it->second, 0); !st.ok()) return st;
  slots_.erase(it);
  return absl::OkStatus();
}

Status Vm::readd_slot(std::uint32_t id) {
  auto it = slots_.find(id);
  if (it == slots_.end())
    return absl::NotFoundError(fmt::format("Vm::readd_slot: no slot {}", id));
  if (Status st = set_region(it->second, 0); !st.ok()) return st;
  if (Status st = set_region(it->second, it->second.size); !st.ok()) {
    slots_.erase(it);  // it is gone from KVM; keep the table truthful
    return st;
  }
  return absl::OkStatus();
}

const MemSlot* Vm::slot_at(std::uint64_t gpa) const {
  // A handful of slots: a linear scan is fine.
  for (const auto& [id, s] : slots_)
    if (gpa >= s.gpa && gpa - s.gpa < s.size) return &s;
  return nullptr;
}

std::uint8_t* Vm::hva(std::uint64_t gpa) const {
  const MemSlot* s = slot_at(gpa);
  return s ? s->hva + (gpa - s->gpa) : nullptr;
}

}  // namespace uvmsim::kvm
