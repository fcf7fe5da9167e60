#include "uvmsim/machine.h"

#include <cerrno>

#include "core/amap.h"
#include "core/anon.h"
#include "core/loan.h"
#include "core/vm_map.h"
#include <cstring>
#include "sys/backend.h"
#include "core/pagedaemon.h"
#include "pagers/aobj.h"
#include "pagers/file_table.h"
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
  // Outstanding loans are returned (orphans freed), then the zero page.
  for (auto& [id, rec] : uvm_->loans) uvm_unloan(*uvm_, rec);
  uvm_->loans.clear();
  if (uvm_->loanzero) {
    uvm_->loanzero->free_pages(0, ~0ull);
    delete uvm_->loanzero;
    uvm_->loanzero = nullptr;
  }
  // Cached file objects go before the object set and physical memory do.
  uvm_->files.reset();
}

StatusOr<LoanHandle> Machine::loan(Process& p, vaddr_t addr, vsize_t len, LoanTo to) {
  if (!p.alive()) return absl::FailedPreconditionError(fmt::format("loan: process {} has exited", p.name()));
  if (&p.machine() != this) return errno_status(EINVAL, "loan: the process belongs to another machine");
  if (addr & kPageMask) return errno_status(EINVAL, fmt::format("loan: address {:#x} not page-aligned", addr));
  if (len == 0) return errno_status(EINVAL, "loan: zero length");
  // The shadow model has no anons to lend to (the scenario language's
  // `anon` loans are EOPNOTSUPP there); kernel loans work on every page.
  if (to == LoanTo::kAnon && uvm_->config.anon_model == AnonModel::kShadow)
    return errno_status(EOPNOTSUPP, "loan: anon loans need the amap model (this machine runs shadow objects)");
  const vsize_t rlen = round_page(len);
  if (rlen < len || addr + rlen < addr || addr + rlen > kUserMax)
    return errno_status(EINVAL, fmt::format("loan: [{:#x}, +{:#x}) outside user space", addr, len));
  LoanRecord rec;
  if (int err = uvm_loan(*p.vmspace().map, addr, rlen, to, &rec); err != 0)
    return errno_status(err, fmt::format("loan [{:#x}, {:#x})", addr, addr + rlen));
  p.vmspace().map->counters.loans += atop(rlen);
  const std::uint64_t id = uvm_->next_loan++;
  uvm_->emit("loan", to == LoanTo::kKernel ? "kernel" : "anon", p.pid(), uvm_->now_ns(), 0, addr, atop(rlen));
  uvm_->loans.emplace(id, std::move(rec));
  return LoanHandle{id};
}

StatusOr<std::vector<std::uint8_t>> Machine::loan_read(LoanHandle loan, std::uint64_t offset,
                                                       std::uint64_t len) {
  auto it = uvm_->loans.find(loan.id);
  if (it == uvm_->loans.end()) return errno_status(ENOENT, fmt::format("loan {}: no such loan", loan.id));
  LoanRecord& rec = it->second;
  const std::uint64_t n = rec.to == LoanTo::kKernel ? rec.pages.size() : rec.anons.size();
  if (offset + len < offset || offset + len > n * kPageSize)
    return errno_status(EINVAL, fmt::format("loan {}: [{}, +{}) beyond its {} bytes", loan.id, offset, len,
                                            n * kPageSize));
  std::vector<std::uint8_t> out(len);
  for (std::uint64_t done = 0; done < len;) {
    const std::uint64_t at = offset + done;
    const std::uint64_t i = at >> kPageShift, o = at & kPageMask;
    const std::uint64_t chunk = std::min(len - done, kPageSize - o);
    Page* pg;
    if (rec.to == LoanTo::kKernel) {
      pg = rec.pages[i];
    } else {
      Anon* an = rec.anons[i];
      if (!uvm_->pm->anon_page(an)) {  // the borrower's anon was paged out: bring it in
        if (int err = uvm_anon_pagein(*uvm_, an); err != 0)
          return errno_status(err, fmt::format("loan {}: paging in", loan.id));
      }
      pg = uvm_->pm->anon_page(an);
    }
    std::memcpy(out.data() + done, uvm_->pm->data(pg) + o, chunk);
    done += chunk;
  }
  return out;
}

Status Machine::unloan(LoanHandle loan) {
  auto it = uvm_->loans.find(loan.id);
  if (it == uvm_->loans.end()) return errno_status(ENOENT, fmt::format("unloan {}: no such loan", loan.id));
  const std::uint64_t n = it->second.pages.size() + it->second.anons.size();
  uvm_->emit("unloan", it->second.to == LoanTo::kKernel ? "kernel" : "anon", 0, uvm_->now_ns(), 0, 0, n);
  uvm_unloan(*uvm_, it->second);
  uvm_->loans.erase(it);
  return absl::OkStatus();
}

std::uint64_t Machine::loans_outstanding() const { return uvm_->loans.size(); }

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
  uvm->anon_layer = make_anon_layer(*uvm, config.anon_model);
  // Memory a kvm guest can share (a memfd) unless the soft MMU is asked for;
  // the soft MMU runs on anonymous memory with huge pages (core/physmem.h).
  const auto storage = config.backend == Backend::kSoft ? PhysMem::Storage::kAnonymous : PhysMem::Storage::kShared;
  auto pm = PhysMem::Create(npages, storage);
  if (!pm.ok()) return pm.status();
  uvm->pm = std::move(*pm);
  // The backend (soft, or kvm over the memory just made; see core/backend.h).
  if (Status s = install_backend(*uvm); !s.ok()) return s;
  if (uvm->backend == Backend::kSoft && storage == PhysMem::Storage::kShared) {
    // backend=auto fell back to the soft MMU: nothing was stored yet, so
    // the memory is swapped for the soft MMU's kind.
    auto anon = PhysMem::Create(npages, PhysMem::Storage::kAnonymous);
    if (!anon.ok()) return anon.status();
    uvm->pm = std::move(*anon);
  }
  if (config.swap_bytes > 0) {
    auto swap = SwapDevice::Create(config.swap_bytes >> kPageShift, config.swap_path, uvm->io);
    if (!swap.ok()) return swap.status();
    uvm->swap = std::move(*swap);
  }
  uvm->pagedaemon = std::make_unique<PageDaemon>(*uvm);
  if (config.replacement != "clock") {  // the daemon starts with NetBSD's clock
    auto policy = make_replacement_policy(config.replacement, {.seed = config.seed});
    if (!policy.ok()) return errno_status(EINVAL, fmt::format("machine: {}", std::string(policy.status().message())));
    uvm->pagedaemon->set_policy(std::move(*policy));
  }
  // A file directory the caller chose is checked now, not at the first file.
  if (!config.file_dir.empty()) {
    auto ft = FileTable::Create(*uvm);
    if (!ft.ok()) return ft.status();
    uvm->files = std::shared_ptr<FileTable>(std::move(*ft));
  }
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
  vm->map->pid = pid;
  auto p = std::make_unique<Process>(*this, pid, std::move(name));
  p->vm_ = std::move(vm);
  Process* raw = p.get();
  uvm_->procs.push_back(std::move(p));
  // The trace names the process's track after this (kind = its name).
  uvm_->emit("spawn", raw->name(), pid, uvm_->now_ns(), 0, 0, 0);
  return raw;
}

UvmExp Machine::stats() const {
  UvmExp s = uvm_->cnt;
  const PhysMem& pm = *uvm_->pm;
  s.npages = pm.npages();
  s.free = pm.free_count();
  s.active = pm.active_count();
  s.inactive = pm.inactive_count();
  s.wired = pm.wired_count();
  for (std::uint32_t i = 0; i < pm.npages(); i++) {
    const Page* pg = pm.page(i);
    if (pg->uanon()) s.anonpages++;
    if (pg->uobject()) s.objpages++;
    if (pg->loan_count) s.loanedpages++;
  }
  s.anons = uvm_->nanons;
  s.amaps = uvm_->amaps.size();
  s.ptpages = uvm_->pmaps->ptm().tables_in_use();
  if (uvm_->swap) {
    s.swpages = uvm_->swap->nslots();
    s.swpginuse = uvm_->swap->inuse();
    s.swpgonly = uvm_->swap->swpgonly;
  }
  uvm_->anon_layer->gauges(s);
  if (uvm_->files) {
    s.vnode_cached = uvm_->files->persisting_pages();
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
  int err = uvm_->anon_layer->swap_off(start, end);
  if (err == 0) {
    std::vector<UvmObject*> objs(uvm_->objects.begin(), uvm_->objects.end());
    for (UvmObject* o : objs)
      if (err == 0) err = o->swap_off(start, end);
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

void Machine::set_trace_sink(TraceSink* sink) { uvm_->trace = sink; }

Backend Machine::backend() const { return uvm_->backend; }
const MachineConfig& Machine::config() const { return uvm_->config; }

std::vector<Process*> Machine::processes() const {
  std::vector<Process*> v;
  for (auto& p : uvm_->procs) v.push_back(p.get());
  return v;
}

}  // namespace uvmsim
