#include "core/soft_pmap.h"

#include <cstdlib>
#include <cstring>

#include "core/fault.h"
#include "core/kassert.h"
#include "core/trap.h"
#include "core/uvm.h"
#include "fmt/format.h"

namespace uvmsim {

SoftPtMemory::~SoftPtMemory() {
  for (auto* t : tables_) std::free(t);
}

StatusOr<paddr_t> SoftPtMemory::alloc_table() {
  std::uint32_t idx;
  if (!free_.empty()) {
    idx = free_.back();
    free_.pop_back();
  } else {
    void* p = std::aligned_alloc(kPageSize, kPageSize);
    if (!p) return errno_status(ENOMEM, "no host memory for a page-table page");
    idx = static_cast<std::uint32_t>(tables_.size());
    tables_.push_back(static_cast<std::uint64_t*>(p));
  }
  std::memset(tables_[idx], 0, kPageSize);
  in_use_++;
  return kBase + (static_cast<paddr_t>(idx) << kPageShift);
}

void SoftPtMemory::free_table(paddr_t pa) {
  free_.push_back(static_cast<std::uint32_t>((pa - kBase) >> kPageShift));
  in_use_--;
}

StatusOr<PmapPtr> SoftPmapFactory::create(Uvm& uvm) {
  PmapPtr pm(new Pmap(uvm, ptm_));
  if (Status s = pm->init(); !s.ok()) return s;
  return pm;
}

namespace {

// The walk over any page-table memory; Ptm is SoftPtMemory (final: table()
// inlines) on the access path, the generic PtMemory for other callers.
template <typename Ptm>
MmuWalk mmu_walk(Ptm& ptm, paddr_t root, vaddr_t va, Access access) {
  MmuWalk w;
  const bool write = access == Access::kWrite;
  const bool exec = access == Access::kExec;
  std::uint32_t err = PGEX_U | (write ? PGEX_W : 0) | (exec ? PGEX_I : 0);
  if (va >= (1ull << 47)) {  // non-canonical / kernel half: protection fault
    w.error = err | PGEX_P;
    return w;
  }
  paddr_t t = root;
  std::uint64_t* entries[4];
  for (int level = 4; level >= 1; level--) {
    std::uint64_t* ep = &ptm.table(t)[pt_index(va, level)];
    const std::uint64_t e = *ep;
    if (!(e & PTE_P)) {
      w.error = err;  // not present
      return w;
    }
    if (!(e & PTE_U) || (write && !(e & PTE_W)) || (exec && (e & PTE_NX))) {
      w.error = err | PGEX_P;  // protection violation
      return w;
    }
    entries[4 - level] = ep;
    t = e & PTE_FRAME;
  }
  // The walk succeeded: set accessed at every level and dirty on a write,
  // as the hardware does.
  for (auto* ep : entries) __atomic_or_fetch(ep, PTE_A, __ATOMIC_RELAXED);
  if (write) __atomic_or_fetch(entries[3], PTE_D, __ATOMIC_RELAXED);
  w.ok = true;
  w.pa = t | (va & kPageMask);
  return w;
}

}  // namespace

MmuWalk soft_mmu_translate(Pmap& pmap, vaddr_t va, Access access) {
  return mmu_walk(pmap.ptm(), pmap.root(), va, access);
}

// The soft MMU as a user context: the "instructions" are the loads and
// stores of the request, page by page; a failed translation traps (#PF) to
// the generic handler, and the same byte is tried again when it resumes.
AccessResult SoftAccessor::access(VmSpace& vm, const AccessRequest& req) {
  AccessResult r;
  Uvm& uvm = vm.map->uvm();
  UVM_KASSERT(&vm.pmap->ptm() == &ptm_);
  const Access acc =
      (req.op == AccessOp::kWrite || req.op == AccessOp::kFill) ? Access::kWrite : Access::kRead;
  TrapHandler traps(vm);
  std::uint64_t hash = req.hash;
  std::uint64_t done = 0;
  while (done < req.len) {
    const vaddr_t va = req.va + done;
    MmuWalk w = mmu_walk(ptm_, vm.pmap->root(), va, acc);
    if (!w.ok) {
      const TrapDisposition d = traps.handle(Trap{TrapType::kPageFault, va, acc, w.error});
      if (!d.resume) {
        r.outcome = d.outcome;
        r.done = done;
        r.fault_addr = va;
        return r;
      }
      continue;
    }
    const std::uint64_t n = std::min<std::uint64_t>(req.len - done, kPageSize - (va & kPageMask));
    std::uint8_t* mem = uvm.pm->base() + w.pa;
    switch (req.op) {
      case AccessOp::kRead: std::memcpy(req.out + done, mem, n); break;
      case AccessOp::kWrite: std::memcpy(mem, req.in + done, n); break;
      case AccessOp::kFill: std::memset(mem, req.byte, n); break;
      case AccessOp::kSum: hash = fnv1a(hash, mem, n); break;
    }
    done += n;
    traps.progressed();
  }
  r.done = done;
  r.hash = hash;
  return r;
}

}  // namespace uvmsim
