#include "core/map_ops.h"

#include <cerrno>

#include "core/anon_layer.h"
#include "core/fault.h"
#include "core/page.h"
#include "core/pmap.h"
#include "core/uvm.h"
#include "core/uvm_object.h"
#include "core/vm_map.h"

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
    // The anonymous layer: deactivate, or free what this entry alone holds.
    uvm.anon_layer->clean(map, *e, start, stop, flags);
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
  // Wire: entries that will be written need their own anonymous memory
  // first (copied over the whole range, not chunk by chunk). User wirings
  // do not stack: one munlock undoes any number of mlocks (POSIX).
  bool nomem = false;
  std::vector<vaddr_t> newly_wired;  // entries (by start) this call wires
  map.for_range(start, end, [&](MapEntry* e) {
    if (e->needs_copy() && ((e->max_protection & kProtWrite) || !e->object)) {
      if (!map.uvm().anon_layer->copy(map, e, start, end, /*chunked=*/false)) nomem = true;
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

std::unique_ptr<MapEntry> uvm_mapent_clone(const MapEntry* e) {
  auto n = std::make_unique<MapEntry>(*e);
  n->wired_count = 0;  // wirings are not inherited
  return n;
}

// uvmspace_fork: the inheritance of each entry decides; what "share" and
// "copy" mean for the entry's anonymous memory is the anonymous layer's
// (AnonLayer::fork_share / fork_copy).
int uvmspace_fork(VmMap& parent, VmMap& child) {
  Uvm& uvm = parent.uvm();
  AnonLayer& anon = *uvm.anon_layer;
  int error = 0;
  for (MapEntry* e = parent.first(); e && !error; e = parent.next(e)) {
    switch (e->inheritance) {
      case Inherit::kNone:
        break;
      case Inherit::kShare:
        error = anon.fork_share(parent, child, e);
        break;
      case Inherit::kCopy:
        error = anon.fork_copy(parent, child, e);
        break;
      case Inherit::kZero: {
        // MAP_INHERIT_ZERO: the child gets fresh zero-filled private memory:
        // a new entry with the parent's geometry and attributes only.
        auto n = std::make_unique<MapEntry>();
        n->start = e->start;
        n->end = e->end;
        n->etype = UVM_ET_COPYONWRITE | UVM_ET_NEEDSCOPY;
        n->protection = e->protection;
        n->max_protection = e->max_protection;
        n->inheritance = e->inheritance;
        n->advice = e->advice;
        n->sharing = Sharing::kPrivate;
        child.insert(std::move(n));
        break;
      }
    }
  }
  parent.pmap().update();
  if (!error) uvm.cnt.forks++;
  return error;
}

}  // namespace uvmsim
