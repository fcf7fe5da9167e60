#include "uvmsim/machine.h"

#include <cerrno>

#include "core/amap.h"
#include "core/backend.h"
#include "core/pagedaemon.h"
#include "pagers/aobj.h"
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
  // Cached file objects go before the object set and physical memory do.
  uvm_->files.reset();
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
  auto pm = PhysMem::Create(npages);
  if (!pm.ok()) return pm.status();
  uvm->pm = std::move(*pm);
  // The backend (soft, or kvm over the memory just made; see core/backend.h).
  if (Status s = install_backend(*uvm); !s.ok()) return s;
  if (config.swap_bytes > 0) {
    auto swap = SwapDevice::Create(config.swap_bytes >> kPageShift, config.swap_path);
    if (!swap.ok()) return swap.status();
    uvm->swap = std::move(*swap);
  }
  uvm->pagedaemon = std::make_unique<PageDaemon>(*uvm);
  if (config.replacement == "fifo") uvm->pagedaemon->set_policy(make_fifo_policy());
  else if (config.replacement != "clock")
    return errno_status(EINVAL, fmt::format("machine: unknown replacement policy \"{}\" (clock, fifo)",
                                            config.replacement));
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
  if (uvm_->swap) {
    s.swpages = uvm_->swap->nslots();
    s.swpginuse = uvm_->swap->inuse();
    s.swpgonly = uvm_->swap->swpgonly;
  }
  s.freemin = uvm_->pagedaemon->freemin();
  s.freetarg = uvm_->pagedaemon->freetarg();
  for (auto& p : uvm_->procs)
    if (p->alive()) s.processes++;
  return s;
}

Status Machine::swapoff() {
  if (!uvm_->swap) return errno_status(EINVAL, "swapoff: the machine has no swap");
  SwapDevice& swap = *uvm_->swap;
  const int start = 1, end = static_cast<int>(swap.nslots()) + 1;
  swap.set_off_range(start, end);  // nothing new goes to the device
  int err = amap_swap_off(*uvm_, start, end);
  if (err == 0) {
    std::vector<UvmObject*> objs(uvm_->objects.begin(), uvm_->objects.end());
    for (UvmObject* o : objs)
      if (auto* ao = dynamic_cast<Aobj*>(o); ao && err == 0) err = ao->swap_off(start, end);
  }
  if (err != 0) {
    swap.set_off_range(0, 0);
    return errno_status(err, fmt::format("swapoff: cannot bring {} swapped pages back into memory",
                                         swap.swpgonly));
  }
  return absl::OkStatus();
}

Status Machine::swapon() {
  if (!uvm_->swap) return errno_status(EINVAL, "swapon: the machine has no swap");
  uvm_->swap->set_off_range(0, 0);
  return absl::OkStatus();
}

void Machine::set_replacement_policy(std::unique_ptr<ReplacementPolicy> policy) {
  if (policy) uvm_->pagedaemon->set_policy(std::move(policy));
}

std::string_view Machine::replacement_policy() const { return uvm_->pagedaemon->policy().name(); }

std::uint64_t Machine::run_pagedaemon() { return uvm_->pagedaemon->run(); }

Backend Machine::backend() const { return uvm_->backend; }
const MachineConfig& Machine::config() const { return uvm_->config; }

std::vector<Process*> Machine::processes() const {
  std::vector<Process*> v;
  for (auto& p : uvm_->procs) v.push_back(p.get());
  return v;
}

}  // namespace uvmsim
