#include "core/map_ops.h"

#include <cerrno>

#include "core/amap.h"
#include "core/anon.h"
#include "core/fault.h"
#include "core/page.h"
#include "core/pmap.h"
#include "core/promote.h"
#include "core/uvm.h"
#include "core/uvm_object.h"
#include "core/vm_map.h"
#include "core/loan.h"

#include <vector>

namespace uvmsim {

int uvm_map_protect(VmMap& map, vaddr_t start, vaddr_t end, Prot prot) {
  if (!map.covered(start, end)) return ENOMEM;
  // First pass: nothing changes unless every entry allows it.
  for (MapEntry* e = map.lookup(start); e && e->start < end; e = map.next(e))
    if ((prot & e->max_protection) != prot) return EACCES;
  Pmap& pmap = map.pmap();
  map.for_range(start, end, [&](MapEntry* e) {
    const Prot old = e->protection;
    e->protection = prot;
    // Lower existing mappings. A copy-on-write entry never maps writable
    // pages it has not copied yet, so raising its protection changes
    // nothing in the pmap: the next write faults and copies.
    if (old != prot) {
      // A wired entry made inaccessible loses its mappings (x86 has no
      // present-but-inaccessible PTE): the wirings those mappings carried
      // are dropped with them, and taken again when the entry becomes
      // accessible (below). Otherwise each round trip would leak one wiring.
      // (A copy-on-write entry made write-only is inaccessible in the pmap.)
      const Prot mask = e->cow() ? static_cast<Prot>(~kProtWrite) : kProtAll;
      const Prot eff = prot & mask;
      if (e->wired_count > 0 && eff == kProtNone) uvm_fault_unwire(map, e->start, e->end);
      pmap.protect(e->start, e->end, eff);
    }
    // A wired entry that becomes accessible must have its pages in memory.
    if (e->wired_count > 0 && old == kProtNone && prot != kProtNone)
      uvm_fault_wire(map, e->start, e->end);
  });
  pmap.update();
  return 0;
}

int uvm_map_inherit(VmMap& map, vaddr_t start, vaddr_t end, Inherit inherit) {
  map.for_range(start, end, [&](MapEntry* e) { e->inheritance = inherit; });
  return 0;
}

int uvm_map_advice(VmMap& map, vaddr_t start, vaddr_t end, Madvise advice) {
  switch (advice) {
    case Madvise::kNormal:
    case Madvise::kRandom:
    case Madvise::kSequential: {
      const Advice a = advice == Madvise::kNormal   ? Advice::kNormal
                       : advice == Madvise::kRandom ? Advice::kRandom
                                                    : Advice::kSequential;
      map.for_range(start, end, [&](MapEntry* e) { e->advice = a; });
      return 0;
    }
    case Madvise::kWillNeed:
      return 0;  // a hint only: pages come in at the next fault
    case Madvise::kDontNeed:
      // The pages are not needed soon: deactivate them, data kept (file
      // pages are cleaned first, as NetBSD's pgo_put does for PGO_CLEANIT).
      return uvm_map_clean(map, start, end, PGO_DEACTIVATE);
    case Madvise::kFree:
      // The contents are not needed at all (sys_madvise: PGO_FREE).
      return uvm_map_clean(map, start, end, PGO_FREE);
  }
  return EINVAL;
}

// uvm_map_clean, as NetBSD's: see map_ops.h for the rules.
int uvm_map_clean(VmMap& map, vaddr_t start, vaddr_t end, int flags) {
  Uvm& uvm = map.uvm();
  MapEntry* first = map.lookup(start);
  if (!first) return EFAULT;
  // First pass: wiring and holes. NetBSD's loop tests the wiring of the
  // entry holding `start` only (VM_MAPENT_ISWIRED(entry), not of each
  // entry it walks), and before any hole; followed as is.
  if ((flags & PGO_FREE) && first->wired()) return EBUSY;
  for (MapEntry* e = first; e->start < end; e = map.next(e)) {
    if (end <= e->end) break;
    const MapEntry* n = map.next(e);
    if (!n || n->start != e->end) return EFAULT;
  }

  Pmap& pmap = map.pmap();
  int error = 0;
  for (MapEntry* e = first; e && start < end; e = map.next(e)) {
    const vaddr_t stop = std::min(end, e->end);
    Amap* amap = e->aref.ar_amap;
    if (amap && (flags & (PGO_DEACTIVATE | PGO_FREE))) {
      // The anon layer. Freeing is only for an amap that this entry alone
      // refers to (am_ref == 1; after a fork or a clip it is deactivated
      // instead), whatever needs-copy says; an anon shared with another amap
      // just loses this reference. Paged-out anons and busy pages are left
      // alone; a page lent to the kernel is freed for its owner, the
      // borrower keeps it (uvm_anfree).
      const bool free_anons = (flags & (PGO_CLEANIT | PGO_FREE | PGO_DEACTIVATE)) == PGO_FREE &&
                              amap->am_ref == 1;
      for (vaddr_t va = start; va < stop; va += kPageSize) {
        Anon* an = amap_lookup(&e->aref, va - e->start);
        if (!an) continue;
        Page* pg = uvm.pm->anon_page(an);
        if (!pg || (pg->flags & PG_BUSY)) continue;
        if (!free_anons) {
          if (pg->loan_count != 0 || pg->wire_count != 0) continue;  // on no paging queue
          Pmap::clear_referenced(pg);
          uvm.pm->deactivate(pg);
          continue;
        }
        if (pg->wire_count != 0) continue;
        // NetBSD leaves this process's mapping of the slot in place when the
        // anon lives on (another amap refers to it); uvmsim removes it, so
        // that the process sees what its amap says (docs/design.md).
        pmap.remove(va, va + kPageSize);
        amap_unadd(&e->aref, va - e->start);
        uvm_anon_dropref(uvm, an);
      }
    }
    if (e->object) {
      // The object layer: uvm_map_clean passes PGO_CLEANIT with every
      // request, so file pages are written back before they are dropped or
      // deactivated. Shared anonymous memory is an aobj here, where NetBSD
      // has an amap: it gets the request as the amap would (Aobj::flush).
      const voff_t uoff = e->offset + (start - e->start);
      const int oflags = e->object->anonymous() ? flags : flags | PGO_CLEANIT;
      const int err = e->object->flush(uoff, uoff + (stop - start), oflags);
      if (err != 0 && error == 0) error = err;
    }
    start = stop;
  }
  pmap.update();
  return error;
}

// uvm_map_pageable, with NetBSD's errors: the range must begin inside an
// entry (EFAULT, which mlock/munlock report as ENOMEM); a hole in it is
// EINVAL; wiring a PROT_NONE entry is EINVAL; unwiring memory that is not
// wired is EINVAL. Nothing changes when the checks fail.
int uvm_map_pageable(VmMap& map, vaddr_t start, vaddr_t end, bool wire) {
  MapEntry* first = map.lookup(start);
  if (!first) return EFAULT;
  // An empty range inside an entry: nothing to do. (NetBSD's loop tests the
  // entry's start before clipping it, so an empty mlock in the middle of an
  // entry wires from there to the entry's end; see docs/design.md.)
  if (start == end) return 0;
  vaddr_t covered_to = start;
  for (MapEntry* e = first; e && e->start < end; e = map.next(e)) {
    if (e->start > covered_to) return EINVAL;  // a hole
    if (wire ? e->protection == kProtNone : e->wired_count == 0) return EINVAL;
    covered_to = e->end;
  }
  if (covered_to < end) return EINVAL;  // the range runs past the last entry

  if (!wire) {
    map.for_range(start, end, [&](MapEntry* e) {
      uvm_fault_unwire(map, e->start, e->end);
      e->wired_count = 0;
    });
    map.pmap().update();
    return 0;
  }
  // Wire: entries that will be written need their own amap first (copied
  // over the whole range, not chunk by chunk). User wirings do not stack:
  // one munlock undoes any number of mlocks (POSIX).
  bool nomem = false;
  std::vector<vaddr_t> newly_wired;  // entries (by start) this call wires
  map.for_range(start, end, [&](MapEntry* e) {
    if (e->needs_copy() && ((e->max_protection & kProtWrite) || !e->object)) {
      if (!amap_copy(map, e, AMAP_COPY_NOCHUNK, start, end)) nomem = true;
    }
    if (e->wired_count == 0) newly_wired.push_back(e->start);
    e->wired_count = 1;
  });
  FaultResult r = nomem ? FaultResult::kNoMem : uvm_fault_wire(map, start, end);
  if (r != FaultResult::kOk) {
    // Roll back: what this call wired is unwired again; entries that were
    // wired before stay wired (NetBSD drops only the count it added).
    for (vaddr_t va : newly_wired) {
      MapEntry* e = map.lookup(va);
      uvm_fault_unwire(map, e->start, e->end);
      e->wired_count = 0;
    }
    map.pmap().update();
    // The fault's error: out of memory, or the pager failed (a file page
    // wholly past end of file: NetBSD's genfs_getpages says EINVAL).
    return r == FaultResult::kNoMem ? ENOMEM : EINVAL;
  }
  return 0;
}

namespace {

std::unique_ptr<MapEntry> clone_entry(const MapEntry* e) {
  auto n = std::make_unique<MapEntry>(*e);
  n->wired_count = 0;  // wirings are not inherited
  return n;
}

// The child's copy of shared anonymous memory (an aobj mapping) is private
// anonymous memory whose amap holds, for every page the object has, an anon
// borrowing that page (an O->A loan: no copy now). The parent's next write
// to such a page breaks the loan (the object gets a new page, the child's
// anon keeps the old one); the child's writes break it the other way. Pages
// the object does not have yet read as zeros in the child, as they did at
// fork time. A wired page cannot be lent: it is copied.
int fork_aobj_snapshot(VmMap& parent, VmMap& child, MapEntry* e) {
  Uvm& uvm = parent.uvm();
  UvmObject* ao = e->object;
  auto n = clone_entry(e);
  n->object = nullptr;
  n->offset = 0;
  n->etype = UVM_ET_COPYONWRITE;
  n->sharing = Sharing::kPrivate;
  n->aref = Aref{0, amap_alloc(uvm, e->size(), 0)};
  if (!n->aref.ar_amap) return ENOMEM;
  MapEntry* ne = child.insert(std::move(n));
  for (int i = 0; i < ne->npages(); i++) {
    const voff_t off = e->offset + ptoa(static_cast<std::uint64_t>(i));
    if (!ao->find_page(off) && !ao->swapped(off)) continue;  // still zero
    Anon* anon = nullptr;
    int err = uvm_loan_obj_to_anon(uvm, ao, off, &anon);
    if (err == EBUSY) {
      anon = uvm_promote(uvm, ao->find_page(off));
      if (!anon) return ENOMEM;
      uvm.pm->activate(uvm.pm->anon_page(anon));
      err = 0;
    }
    if (err != 0) return err;
    amap_add(&ne->aref, ptoa(static_cast<std::uint64_t>(i)), anon, false);
  }
  return 0;
}

}  // namespace

int uvmspace_fork(VmMap& parent, VmMap& child) {
  Uvm& uvm = parent.uvm();
  Pmap& ppmap = parent.pmap();
  int error = 0;
  for (MapEntry* e = parent.first(); e && !error; e = parent.next(e)) {
    switch (e->inheritance) {
      case Inherit::kNone:
        break;

      case Inherit::kShare: {
        // Both processes must refer to the same amap: a needs-copy entry
        // gets its own amap now (a blank one if it had none).
        if (e->needs_copy() || (!e->aref.ar_amap && !e->object)) {
          if (!amap_copy(parent, e, AMAP_COPY_NOCHUNK, 0, 0)) {
            error = ENOMEM;
            break;
          }
        }
        auto n = clone_entry(e);
        if (n->aref.ar_amap) amap_ref(n->aref.ar_amap, n->aref.ar_pageoff, n->npages(), AMAP_SHARED);
        if (n->object) n->object->reference();
        child.insert(std::move(n));
        break;
      }

      case Inherit::kCopy: {
        if (e->object && !e->cow() && e->object->anonymous()) {
          // Shared anonymous memory inherited as a copy: the child gets a
          // private snapshot, as NetBSD's amap-backed shared memory gives.
          if (int err = fork_aobj_snapshot(parent, child, e); err != 0) error = err;
          break;
        }
        auto n = clone_entry(e);
        n->etype |= UVM_ET_COPYONWRITE | UVM_ET_NEEDSCOPY;
        if (n->aref.ar_amap) amap_ref(n->aref.ar_amap, n->aref.ar_pageoff, n->npages(), 0);
        if (n->object) n->object->reference();
        MapEntry* ne = child.insert(std::move(n));
        Amap* amap = e->aref.ar_amap;
        const bool shared_amap = amap && (amap->am_flags & AMAP_SHARED);
        if (amap && (shared_amap || e->wired_count > 0)) {
          // The child cannot share a needs-copy reference to an amap that
          // others write in place, nor wait for a COW fault the wired
          // parent will never take: copy now.
          if (!amap_copy(child, ne, AMAP_COPY_NOCHUNK, 0, 0)) {
            error = ENOMEM;
            break;
          }
        }
        if (e->wired_count > 0) {
          // The parent wants no faults on wired memory: resolve the child's
          // copy-on-write now (amap_cow_now) instead of write-protecting.
          if (ne->aref.ar_amap) {
            uvm.cnt.forks_sharewired++;
            if (!amap_cow_now(child, ne)) error = ENOMEM;
          }
        } else if (shared_amap) {
          // The anons are now referenced by the child's amap too. Every
          // sharer (not just this process) must stop writing them in place:
          // write-protect all their mappings; the next write takes the anon
          // COW path and replaces the anon in the shared amap for all
          // sharers. (NetBSD marks the parent entry needs-copy here instead,
          // which silently unshares the parent from the other sharers at its
          // next write; we keep the sharing.)
          amap_share_protect(e, e->protection & ~kProtWrite);
        } else if (amap && !e->needs_copy()) {
          // Usual case: write-protect the parent and make it needs-copy, so
          // the next write by either side copies. Already needs-copy means a
          // previous fork did this.
          if (e->max_protection & kProtWrite)
            ppmap.protect(e->start, e->end, e->protection & ~kProtWrite);
          e->etype |= UVM_ET_NEEDSCOPY;
        }
        break;
      }

      case Inherit::kZero: {
        // MAP_INHERIT_ZERO: the child gets fresh zero-filled private memory.
        auto n = clone_entry(e);
        n->object = nullptr;
        n->offset = 0;
        n->aref = Aref{};
        n->etype = UVM_ET_COPYONWRITE | UVM_ET_NEEDSCOPY;
        n->sharing = Sharing::kPrivate;
        child.insert(std::move(n));
        break;
      }
    }
  }
  ppmap.update();
  if (!error) uvm.cnt.forks++;
  return error;
}

}  // namespace uvmsim
