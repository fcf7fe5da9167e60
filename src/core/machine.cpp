#include "uvmsim/machine.h"

#include <cerrno>

#include "core/amap.h"
#include "core/soft_pmap.h"
#include "core/uvm.h"
#include "core/uvm_object.h"
#include "core/vmspace.h"
#include "fmt/format.h"
#include "uvmsim/process.h"

namespace uvmsim {

namespace {
constexpr std::uint64_t kMinPages = 16;
constexpr std::uint64_t kMaxMemBytes = 64ull << 30;
}  // namespace

Machine::Machine(std::unique_ptr<Uvm> uvm) : uvm_(std::move(uvm)) {}

Machine::~Machine() {
  // Processes first (they release amaps, anons and objects), then memory.
  for (auto& p : uvm_->procs)
    if (p->alive()) (void)p->exit();
  uvm_->procs.clear();
}

StatusOr<std::unique_ptr<Machine>> Machine::Create(const MachineConfig& config) {
  const std::uint64_t npages = config.mem_bytes >> kPageShift;
  if (npages < kMinPages)
    return errno_status(EINVAL, fmt::format("machine: mem={} bytes is less than {} pages",
                                            config.mem_bytes, kMinPages));
  if (config.mem_bytes > kMaxMemBytes)
    return errno_status(EINVAL, fmt::format("machine: mem={} bytes is more than {} GiB",
                                            config.mem_bytes, kMaxMemBytes >> 30));
  auto uvm = std::make_unique<Uvm>();
  uvm->config = config;
  switch (config.backend) {
    case Backend::kKvm:
      return absl::FailedPreconditionError(
          "machine: backend=kvm is not available in this build yet (the kvm pmap has not landed); "
          "use backend=soft or auto");
    case Backend::kAuto:
    case Backend::kSoft:
      uvm->backend = Backend::kSoft;
      uvm->pmaps = std::make_unique<SoftPmapFactory>();
      uvm->accessor = std::make_unique<SoftAccessor>();
      break;
  }
  auto pm = PhysMem::Create(npages);
  if (!pm.ok()) return pm.status();
  uvm->pm = std::move(*pm);
  return std::unique_ptr<Machine>(new Machine(std::move(uvm)));
}

StatusOr<Process*> Machine::spawn(std::string name) {
  const int pid = uvm_->next_pid++;
  if (name.empty()) name = fmt::format("p{}", pid);
  auto vm = std::make_unique<VmSpace>();
  auto pmap = uvm_->pmaps->create(*uvm_);
  if (!pmap.ok()) return pmap.status();
  vm->pmap = std::move(*pmap);
  vm->map = std::make_unique<VmMap>(*uvm_, *vm->pmap);
  auto p = std::make_unique<Process>(*this, pid, std::move(name));
  p->vm_ = std::move(vm);
  Process* raw = p.get();
  uvm_->procs.push_back(std::move(p));
  return raw;
}

UvmExp Machine::stats() const {
  UvmExp s = uvm_->cnt;
  const PhysMem& pm = *uvm_->pm;
  s.npages = pm.npages();
  s.free = pm.free_count();
  s.active = pm.active_count();
  s.inactive = pm.inactive_count();
  for (std::uint32_t i = 0; i < pm.npages(); i++) {
    const Page* pg = pm.page(i);
    if (pg->wire_count) s.wired++;
    if (pg->uanon) s.anonpages++;
    if (pg->uobject) s.objpages++;
  }
  s.anons = uvm_->nanons;
  s.amaps = uvm_->amaps.size();
  s.ptpages = uvm_->pmaps->ptm().tables_in_use();
  for (auto& p : uvm_->procs)
    if (p->alive()) s.processes++;
  return s;
}

Backend Machine::backend() const { return uvm_->backend; }
const MachineConfig& Machine::config() const { return uvm_->config; }

std::vector<Process*> Machine::processes() const {
  std::vector<Process*> v;
  for (auto& p : uvm_->procs) v.push_back(p.get());
  return v;
}

}  // namespace uvmsim
