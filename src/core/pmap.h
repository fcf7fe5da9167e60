// The pmap: the machine-dependent layer (NetBSD pmap(9)).
//
// One interface, two implementations that differ only in where page-table
// pages live and how stale translations are invalidated:
//   soft: tables in host memory, walked by the software MMU (soft_pmap.h);
//   kvm:  tables in guest-physical memory, walked by the real CPU.
// Both keep x86-64 4-level tables, so the table code, the PTE format and the
// reverse map (core/pv.h: page -> every (pmap, va) that maps it) are shared
// here; the implementations provide a PtMemory and an invalidation hook.
//
// Page-table pages are pmap overhead: they are not frames of the machine's
// physical memory and are counted separately (uvmexp.ptpages). They are only
// freed when the pmap is destroyed: a PDE never changes while a pmap lives,
// which keeps invalidation to leaf PTEs (a PDE change needs a global flush on
// the kvm platform — see docs/kvm.md).
//
// Referenced/modified: the MMU sets A/D bits in the PTEs; when a mapping goes
// away they are harvested into the page's mdattrs, so is_referenced/
// is_modified see both.
#pragma once

#include <cstdint>
#include <memory>

#include "core/pte.h"
#include "uvmsim/status.h"
#include "uvmsim/types.h"

namespace uvmsim {

struct Page;
struct Uvm;
class Pmap;

// Memory for page-table pages.
class PtMemory {
 public:
  virtual ~PtMemory() = default;
  // A zeroed table: its physical address (what a PDE points at).
  virtual StatusOr<paddr_t> alloc_table() = 0;
  virtual void free_table(paddr_t pa) = 0;
  // The 512 entries of the table at pa.
  virtual std::uint64_t* table(paddr_t pa) = 0;
  virtual std::uint64_t tables_in_use() const = 0;
};

// pmap_enter flags
enum : unsigned {
  PMAP_WIRED = 0x1,
  PMAP_CANFAIL = 0x2,
  // Enter the mapping with its referenced (A) bit already set. NetBSD's
  // pmap_enter sets A (x86 PG_U) only when flags carry an access type, i.e.
  // for the faulting page, whose access follows at once here anyway. The
  // fault-ahead passes this for neighbours it maps with the entry's full
  // rights (fault.cpp explains why).
  PMAP_REFERENCED = 0x4,
};

class Pmap;
// Owners hold a pmap through this: its deleter calls destroy() (pmap_destroy)
// before the destructor, so that teardown reaches every subclass's
// overrides without each subclass repeating it.
struct PmapDestroy {
  void operator()(Pmap* pm) const;
};
using PmapPtr = std::unique_ptr<Pmap, PmapDestroy>;

class Pmap {
 public:
  // tlb: the backend has a TLB to keep coherent (kvm); its tlb_invalidate /
  // tlb_flush overrides are called. Without one (soft: the software MMU
  // walks the tables on every access) invalidation is only counted, inline.
  Pmap(Uvm& uvm, PtMemory& ptm, bool tlb = false);
  virtual ~Pmap();
  // pmap_destroy: remove every mapping (through the backend's invalidation),
  // free the page tables and the pmap id. Called by PmapDestroy.
  void destroy();
  Pmap(const Pmap&) = delete;
  Pmap& operator=(const Pmap&) = delete;

  // Allocate the root table. Called once by the factory.
  Status init();

  // pmap_enter: map va -> pg with prot, replacing any previous mapping of va.
  // Returns 0 or ENOMEM (no memory for a page-table page).
  int enter(vaddr_t va, Page* pg, Prot prot, unsigned flags);
  // pmap_remove: unmap [sva, eva).
  void remove(vaddr_t sva, vaddr_t eva);
  // pmap_protect: reduce the protection of the mappings in [sva, eva).
  void protect(vaddr_t sva, vaddr_t eva, Prot prot);
  // pmap_unwire: the mapping at va is no longer wired.
  void unwire(vaddr_t va);
  // pmap_extract: the page mapped at va and the mapping's protection.
  bool extract(vaddr_t va, Page** pg, Prot* prot, bool* wired = nullptr) const;
  // pmap_update: apply batched invalidations.
  void update() {
    if (tlb_) tlb_flush();
  }

  // --- page-level operations through the reverse map ---
  // pmap_page_protect: lower every mapping of pg to prot (none: remove
  // them). Returns how many of the removed mappings were wired: the caller
  // drops those wirings (uvm_pageunmap in core/uvm_page.h does both).
  static int page_protect(Page* pg, Prot prot);
  static bool is_referenced(const Page* pg);
  static bool clear_referenced(Page* pg);  // returns the old value
  static bool is_modified(const Page* pg);
  static bool clear_modified(Page* pg);
  static int mapping_count(const Page* pg);

  paddr_t root() const { return root_; }
  // The pmap's id in the reverse map's registry (core/pv.h), 1..65535.
  std::uint16_t id() const { return id_; }
  std::uint64_t resident_count() const { return resident_; }
  std::uint64_t wired_count() const { return wired_; }
  PtMemory& ptm() { return ptm_; }
  Uvm& uvm() { return uvm_; }

  // The leaf PTE for va, or nullptr when a level is missing.
  std::uint64_t* pte(vaddr_t va) const;

  // Every present leaf mapping: f(va, pte). For the invariant checker.
  template <typename F>
  void for_each_mapping(F&& f) const {
    walk_level(root_, 4, 0, f);
  }

  // Root (PML4) entries [0, kUserPml4Slots) cover user space [0, kUserMax).
  // The entries above belong to the backend (the kvm backend shares its
  // reserved region and kernel layout there): the pmap never walks, changes
  // or frees them.
  static constexpr int kUserPml4Slots = pt_index(kUserMax, 4);

 protected:
  // Backends with a TLB (constructed with tlb = true): a translation of va
  // (old PTE value) may be cached, invalidate it at the next tlb_flush()
  // (pmap_update). The PTE already holds its new value when this is called
  // (pte(va) reads it). The shootdown counter is kept by the caller.
  // Teardown goes through destroy() (PmapPtr), so these overrides see it.
  virtual void tlb_invalidate(vaddr_t, std::uint64_t) {}
  virtual void tlb_flush() {}

 private:
  // Every PTE change that may leave a stale translation comes here. Inline
  // and non-virtual for the soft backend: pmap_protect over a forked
  // region calls it once per page.
  void invalidate(vaddr_t va, std::uint64_t oldpte) {
    // Only a translation the MMU has used (A set) can be cached.
    if (oldpte & PTE_A) count_shootdown();
    if (tlb_) tlb_invalidate(va, oldpte);
  }
  void count_shootdown();
  std::uint64_t* pte_alloc(vaddr_t va, int* err);
  void remove_pte(vaddr_t va, std::uint64_t* ptep);
  static void harvest(Page* pg, std::uint64_t pte);
  static bool clear_pte_bit(Page* pg, std::uint64_t bit);

  template <typename F>
  void walk_level(paddr_t table, int level, vaddr_t base, F& f) const {
    std::uint64_t* t = ptm_.table(table);
    const int n = level == 4 ? kUserPml4Slots : 512;
    for (int i = 0; i < n; i++) {
      std::uint64_t e = t[i];
      if (!(e & PTE_P)) continue;
      vaddr_t va = base | (static_cast<vaddr_t>(i) << (12 + 9 * (level - 1)));
      if (level == 1) f(va, e);
      else walk_level(e & PTE_FRAME, level - 1, va, f);
    }
  }

  Uvm& uvm_;
  PtMemory& ptm_;
  paddr_t root_ = 0;
  std::uint16_t id_ = 0;
  std::uint64_t resident_ = 0;
  std::uint64_t wired_ = 0;
  const bool tlb_;
};

// Builds the pmaps of one machine (soft or kvm).
class PmapFactory {
 public:
  virtual ~PmapFactory() = default;
  virtual StatusOr<PmapPtr> create(Uvm& uvm) = 0;
  virtual PtMemory& ptm() = 0;
};

}  // namespace uvmsim
