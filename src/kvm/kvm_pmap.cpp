// The x86-64 pmap over guest memory. The table code, PTE encoding and
// reverse map are the core's (Pmap); this supplies where tables live and how
// stale translations are invalidated (docs/kvm.md, "Invalidation").
#include <fmt/format.h>

#include "core/page.h"
#include "core/uvm.h"
#include "kvm/kvm_backend.h"

namespace uvmsim::kvm {

StatusOr<paddr_t> KvmPtMemory::alloc_table() {
  auto f = ctx_->guest->pool().alloc(FrameUse::kPageTable);
  if (!f.ok()) return errno_status(ENOMEM, std::string(f.status().message()));
  return f->gpa;  // zeroed by the pool
}

void KvmPtMemory::free_table(paddr_t pa) {
  // To the pool's quarantine: reused only after a global zap, so KVM never
  // serves a new table from a shadow page built for this one.
  FramePool& pool = ctx_->guest->pool();
  pool.free(pool.frame(pa), FrameUse::kPageTable);
}

StatusOr<PmapPtr> KvmPmapFactory::create(Uvm& uvm) {
  PmapPtr pm(new KvmPmap(uvm, ptm_, ctx_));
  if (Status s = pm->init(); !s.ok()) return s;
  // The reserved user region (ring-3 routines, done page, bounce buffer) and
  // the kernel half, shared by every root.
  if (Status s = ctx_->guest->install_reserved(ptm_.table(pm->root())); !s.ok()) return s;
  return pm;
}

void KvmPmap::tlb_invalidate(vaddr_t va, std::uint64_t oldpte) {
  // (Pmap counted the shootdown, as on the soft backend.)
  // KVM builds shadow entries only from guest PTEs with A=1 (its prefetch of
  // the 8-aligned neighbours of a faulting PTE too), and new PTEs are written
  // with A=0 except fault-ahead neighbours entered with PMAP_REFERENCED,
  // which KVM may have prefetched: an entry with A=0 cannot be cached.
  if (!(oldpte & PTE_A)) return;
  Invalidator& inv = ctx_->guest->invalidator();
  if (inv.strategy().pte == Method::kZapOldFrame) {
    // Shadow paging maps a clean (D=0) guest PTE read-only in the shadow so
    // that KVM sees the first write and sets D; that write re-walks the guest
    // PTE and finds it read-only. So a pure write downgrade of a clean page
    // needs nothing. (With EPT/NPT the guest TLB rules apply: always flush.)
    const std::uint64_t* p = pte(va);
    const std::uint64_t now = p ? *p : 0;
    const std::uint64_t changed = (oldpte ^ now) & ~(PTE_A | PTE_D | PTE_WIRED);
    if ((now & PTE_P) && !(oldpte & PTE_D) && (oldpte & PTE_W) && changed == PTE_W) {
      ctx_->c.clean_downgrades++;
      return;
    }
  }
  ctx_->c.invalidations++;
  inv.add_page(root(), va, oldpte & PTE_FRAME);
}

void KvmPmap::tlb_flush() { ctx_->note(ctx_->guest->invalidator().flush()); }

KvmContext* kvm_context(Uvm& uvm) {
  auto* f = dynamic_cast<KvmPmapFactory*>(uvm.pmaps.get());
  return f ? &f->context() : nullptr;
}

}  // namespace uvmsim::kvm
