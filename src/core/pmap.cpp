// The machine-independent half of both pmaps: 4-level table management, the
// PTE encoding of protections, and the reverse map. See pmap.h.
#include "core/pmap.h"

#include "core/kassert.h"

#include <algorithm>

#include "core/page.h"
#include "core/pv.h"
#include "core/uvm.h"

namespace uvmsim {

namespace {

std::uint64_t prot_bits(Prot prot) {
  std::uint64_t b = PTE_P | PTE_U;
  if (prot & kProtWrite) b |= PTE_W;
  if (!(prot & kProtExec)) b |= PTE_NX;
  return b;
}

Prot pte_prot(std::uint64_t pte) {
  Prot p = kProtRead;
  if (pte & PTE_W) p |= kProtWrite;
  if (!(pte & PTE_NX)) p |= kProtExec;
  return p;
}

// Atomic PTE update: on the kvm backend the CPU sets A/D bits in these
// entries; an exchange never loses a bit it set.
std::uint64_t pte_swap(std::uint64_t* ptep, std::uint64_t v) {
  return __atomic_exchange_n(ptep, v, __ATOMIC_SEQ_CST);
}

}  // namespace

Pmap::Pmap(Uvm& uvm, PtMemory& ptm, bool tlb) : uvm_(uvm), ptm_(ptm), tlb_(tlb) {}

// pmap_destroy. Runs while the object is whole, so a backend's overrides
// (tlb_invalidate, tlb_flush) see every removal; ~Pmap would not reach
// them. Owners hold pmaps as PmapPtr, whose deleter calls this.
void Pmap::destroy() {
  if (root_ != 0) {
    remove(0, kUserMax);
    update();
    // Free the table tree bottom-up.
    struct Freer {
      PtMemory& ptm;
      void free_level(paddr_t t, int level) {
        if (level > 1) {
          std::uint64_t* e = ptm.table(t);
          const int n = level == 4 ? kUserPml4Slots : 512;  // not the backend's slots
          for (int i = 0; i < n; i++)
            if (e[i] & PTE_P) free_level(e[i] & PTE_FRAME, level - 1);
        }
        ptm.free_table(t);
      }
    } freer{ptm_};
    freer.free_level(root_, 4);
    root_ = 0;
  }
  if (id_ != 0) pmap_id_free(id_);
  id_ = 0;
}

Pmap::~Pmap() { UVM_KASSERT_MSG(root_ == 0 && id_ == 0, "a pmap must be destroyed through PmapPtr"); }

void PmapDestroy::operator()(Pmap* pm) const {
  pm->destroy();
  delete pm;
}

Status Pmap::init() {
  id_ = pmap_id_alloc(this);
  if (id_ == 0)
    return errno_status(EAGAIN, "pmap: all 65535 address-space ids of this process are in use");
  auto r = ptm_.alloc_table();
  if (!r.ok()) return r.status();
  root_ = *r;
  return absl::OkStatus();
}

std::uint64_t* Pmap::pte(vaddr_t va) const {
  paddr_t t = root_;
  for (int level = 4; level > 1; level--) {
    std::uint64_t e = ptm_.table(t)[pt_index(va, level)];
    if (!(e & PTE_P)) return nullptr;
    t = e & PTE_FRAME;
  }
  return &ptm_.table(t)[pt_index(va, 1)];
}

std::uint64_t* Pmap::pte_alloc(vaddr_t va, int* err) {
  paddr_t t = root_;
  for (int level = 4; level > 1; level--) {
    std::uint64_t* ep = &ptm_.table(t)[pt_index(va, level)];
    if (!(*ep & PTE_P)) {
      auto r = ptm_.alloc_table();
      if (!r.ok()) {
        *err = ENOMEM;
        return nullptr;
      }
      // Intermediate levels allow everything; the leaf decides. New entries
      // are written with A=0 (the kvm platform notes explain why).
      *ep = *r | PTE_P | PTE_W | PTE_U;
    }
    t = *ep & PTE_FRAME;
  }
  return &ptm_.table(t)[pt_index(va, 1)];
}

void Pmap::harvest(Page* pg, std::uint64_t pte) {
  if (pte & PTE_A) pg->mdattrs |= PGA_REFERENCED;
  if (pte & PTE_D) pg->mdattrs |= PGA_MODIFIED;
}

int Pmap::enter(vaddr_t va, Page* pg, Prot prot, unsigned flags) {
  UVM_KASSERT(!(va & kPageMask) && va < kUserMax);
  uvm_.cnt.pmap_enter++;
  int err = 0;
  std::uint64_t* ptep = pte_alloc(va, &err);
  if (!ptep) return err;
  std::uint64_t npte = uvm_.pm->phys(pg) | prot_bits(prot);
  if (flags & PMAP_WIRED) npte |= PTE_WIRED;
  if (flags & PMAP_REFERENCED) npte |= PTE_A;
  const std::uint64_t opte = *ptep;
  if (opte & PTE_P) {
    if ((opte & PTE_FRAME) == uvm_.pm->phys(pg)) {
      // Same page: keep the A/D bits the MMU set; a change of rights
      // needs the old translation invalidated when it was cached.
      npte |= opte & (PTE_A | PTE_D);
      pte_swap(ptep, npte);
      if ((opte & PTE_WIRED) && !(npte & PTE_WIRED)) wired_--;
      if (!(opte & PTE_WIRED) && (npte & PTE_WIRED)) wired_++;
      if ((opte & ~npte) & (PTE_W)) invalidate(va, opte);
      return 0;
    }
    // Another page was mapped here: remove that mapping first.
    remove_pte(va, ptep);
  }
  pte_swap(ptep, npte);
  pv_insert(pg, this, va);
  resident_++;
  if (npte & PTE_WIRED) wired_++;
  return 0;
}

void Pmap::remove_pte(vaddr_t va, std::uint64_t* ptep) {
  const std::uint64_t opte = pte_swap(ptep, 0);
  if (!(opte & PTE_P)) return;
  Page* pg = uvm_.pm->page_at(opte & PTE_FRAME);
  if (pg) {
    harvest(pg, opte);
    pv_remove(pg, this, va);
  }
  resident_--;
  if (opte & PTE_WIRED) wired_--;
  uvm_.cnt.pmap_remove_pages++;
  invalidate(va, opte);
}

// Calls f(va, ptep) for every present leaf PTE in [sva, eva), skipping
// missing subtrees at every level (a sparse 128 TiB space is walked in time
// proportional to its tables, not its size).
template <typename F>
static void walk_range(PtMemory& ptm, paddr_t table, int level, vaddr_t base, vaddr_t sva,
                       vaddr_t eva, F& f) {
  const int shift = 12 + 9 * (level - 1);
  const vaddr_t span = 1ull << shift;
  std::uint64_t* t = ptm.table(table);
  int i0 = sva > base ? static_cast<int>((sva - base) >> shift) : 0;
  for (int i = i0; i < 512; i++) {
    const vaddr_t va = base + static_cast<vaddr_t>(i) * span;
    if (va >= eva) break;
    if (!(t[i] & PTE_P)) continue;
    if (level == 1) f(va, &t[i]);
    else walk_range(ptm, t[i] & PTE_FRAME, level - 1, va, sva, eva, f);
  }
}

void Pmap::remove(vaddr_t sva, vaddr_t eva) {
  if (resident_ == 0) return;
  auto f = [this](vaddr_t va, std::uint64_t* ptep) { remove_pte(va, ptep); };
  walk_range(ptm_, root_, 4, 0, sva, eva, f);
}

void Pmap::protect(vaddr_t sva, vaddr_t eva, Prot prot) {
  if (prot == kProtNone) {
    remove(sva, eva);
    return;
  }
  if (resident_ == 0) return;
  auto f = [this, prot](vaddr_t va, std::uint64_t* ptep) {
    std::uint64_t o = *ptep, n = o;
    if (!(prot & kProtWrite)) n &= ~PTE_W;
    if (!(prot & kProtExec)) n |= PTE_NX;
    if (n != o) {
      o = pte_swap(ptep, n);
      invalidate(va, o);
    }
  };
  walk_range(ptm_, root_, 4, 0, sva, eva, f);
}

void Pmap::unwire(vaddr_t va) {
  std::uint64_t* ptep = pte(va);
  if (ptep && (*ptep & PTE_P) && (*ptep & PTE_WIRED)) {
    __atomic_and_fetch(ptep, ~PTE_WIRED, __ATOMIC_SEQ_CST);
    wired_--;
  }
}

bool Pmap::extract(vaddr_t va, Page** pg, Prot* prot, bool* wired) const {
  std::uint64_t* ptep = pte(va);
  if (!ptep || !(*ptep & PTE_P)) return false;
  if (pg) *pg = uvm_.pm->page_at(*ptep & PTE_FRAME);
  if (prot) *prot = pte_prot(*ptep);
  if (wired) *wired = *ptep & PTE_WIRED;
  return true;
}

void Pmap::count_shootdown() { uvm_.cnt.pmap_tlb_shootdowns++; }

// ---------------------------------------------------------------- page level

int Pmap::page_protect(Page* pg, Prot prot) {
  Pmap* pm;
  vaddr_t va;
  if (!pv_first(pg, &pm, &va)) return 0;
  pm->uvm_.cnt.pmap_page_protect++;
  if (prot == kProtNone) {
    // Remove every mapping. Wired ones are counted for the caller: the
    // page's wire_count is VM state (core/uvm_page.h), not the pmap's.
    int wired = 0;
    do {
      std::uint64_t* ptep = pm->pte(va);
      if (*ptep & PTE_WIRED) wired++;
      pm->remove_pte(va, ptep);  // unlinks the pv entry
      pm->update();
    } while (pv_first(pg, &pm, &va));
    return wired;
  }
  pv_foreach(pg, [prot](Pmap* pm, vaddr_t va) {
    std::uint64_t* ptep = pm->pte(va);
    std::uint64_t o = *ptep, n = o;
    if (!(prot & kProtWrite)) n &= ~PTE_W;
    if (!(prot & kProtExec)) n |= PTE_NX;
    if (n != o) {
      o = pte_swap(ptep, n);
      pm->invalidate(va, o);
      pm->update();
    }
  });
  return 0;
}

bool Pmap::is_referenced(const Page* pg) {
  if (pg->mdattrs & PGA_REFERENCED) return true;
  bool ref = false;
  pv_foreach(pg, [&ref](Pmap* pm, vaddr_t va) { ref = ref || (*pm->pte(va) & PTE_A); });
  return ref;
}

bool Pmap::is_modified(const Page* pg) {
  if (pg->mdattrs & PGA_MODIFIED) return true;
  bool mod = false;
  pv_foreach(pg, [&mod](Pmap* pm, vaddr_t va) { mod = mod || (*pm->pte(va) & PTE_D); });
  return mod;
}

// Clear one PTE bit (A or D) in every mapping of pg; true if any had it.
// The MMU sets the bit again only after the cached translation is gone,
// hence the invalidation.
bool Pmap::clear_pte_bit(Page* pg, std::uint64_t bit) {
  bool was = false;
  pv_foreach(pg, [bit, &was](Pmap* pm, vaddr_t va) {
    std::uint64_t o = __atomic_fetch_and(pm->pte(va), ~bit, __ATOMIC_SEQ_CST);
    if (o & bit) {
      was = true;
      pm->invalidate(va, o);
      pm->update();
    }
  });
  return was;
}

bool Pmap::clear_referenced(Page* pg) {
  bool was = pg->mdattrs & PGA_REFERENCED;
  pg->mdattrs &= ~PGA_REFERENCED;
  return clear_pte_bit(pg, PTE_A) || was;
}

bool Pmap::clear_modified(Page* pg) {
  bool was = pg->mdattrs & PGA_MODIFIED;
  pg->mdattrs &= ~PGA_MODIFIED;
  return clear_pte_bit(pg, PTE_D) || was;
}

int Pmap::mapping_count(const Page* pg) { return pv_count(pg); }

}  // namespace uvmsim
