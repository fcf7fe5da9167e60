// UVM's anonymous-memory layer, the map-entry operations: see amap_layer.h.
#include "core/amap_layer.h"

#include <algorithm>
#include <cerrno>

#include "core/amap.h"
#include "core/anon.h"
#include "core/kassert.h"
#include "core/loan.h"
#include "core/map_ops.h"
#include "core/page.h"
#include "core/pmap.h"
#include "core/promote.h"
#include "core/uvm.h"
#include "core/uvm_object.h"
#include "core/vm_map.h"

namespace uvmsim {

bool AmapLayer::has_upper(const MapEntry& e) const { return e.aref.ar_amap != nullptr; }

namespace {

UpperPage upper_page(PhysMem& pm, Anon* anon) {
  UpperPage up;
  up.anon = anon;
  if (anon) {
    up.page = pm.anon_page(anon);
    up.shared = anon->an_ref > 1 || (up.page && up.page->loan_count > 0);
  }
  return up;
}

}  // namespace

UpperPage AmapLayer::lookup(const MapEntry& e, vaddr_t va) const {
  if (!e.aref.ar_amap) return UpperPage{};
  return upper_page(*uvm_.pm, amap_lookup(&e.aref, va - e.start));
}

void AmapLayer::lookup_range(const MapEntry& e, vaddr_t lo, vaddr_t hi, UpperPage* out) const {
  const int n = static_cast<int>(atop(hi - lo));
  UVM_KASSERT(lo <= hi && n <= kLookupMax);
  if (!e.aref.ar_amap) {
    std::fill_n(out, n, UpperPage{});
    return;
  }
  Anon* anons[kLookupMax];
  amap_lookups(&e.aref, lo - e.start, anons, n);
  for (int i = 0; i < n; i++) out[i] = upper_page(*uvm_.pm, anons[i]);
}

bool AmapLayer::copy(VmMap& map, MapEntry* e, vaddr_t start, vaddr_t end, bool chunked) {
  return amap_copy(map, e, chunked ? 0 : AMAP_COPY_NOCHUNK, start, end);
}

void AmapLayer::split(MapEntry& left, MapEntry& right, vsize_t adj) {
  if (left.aref.ar_amap) amap_splitref(&left.aref, &right.aref, adj);
}

// An amap grows in place only when this entry alone refers to it and owns
// it (no needs-copy): otherwise the new pages would appear in other entries.
bool AmapLayer::extendable(const MapEntry& e) const {
  return e.aref.ar_amap && !e.needs_copy() && e.aref.ar_amap->am_ref == 1;
}

bool AmapLayer::extend(MapEntry& e, vsize_t addsize, bool forwards) {
  return amap_extend(&e, addsize, forwards ? AMAP_EXTEND_FORWARDS : AMAP_EXTEND_BACKWARDS);
}

void AmapLayer::release(MapEntry& e) {
  if (e.aref.ar_amap) amap_unref(e.aref.ar_amap, e.aref.ar_pageoff, e.nslots(), false);
  e.aref = Aref{};
}

// madvise(dontneed/free) on the anons of [start, stop). Freeing is only for
// an amap that this entry alone refers to (am_ref == 1; after a fork or a
// clip it is deactivated instead), whatever needs-copy says; an anon shared
// with another amap just loses this reference. Paged-out anons and busy
// pages are left alone; a page lent to the kernel is freed for its owner,
// the borrower keeps it (uvm_anfree).
void AmapLayer::clean(VmMap& map, MapEntry& e, vaddr_t start, vaddr_t stop, int flags) {
  Amap* amap = e.aref.ar_amap;
  if (!amap || !(flags & (PGO_DEACTIVATE | PGO_FREE))) return;
  const bool free_anons = (flags & (PGO_CLEANIT | PGO_FREE | PGO_DEACTIVATE)) == PGO_FREE && amap->am_ref == 1;
  for (vaddr_t va = start; va < stop; va += kPageSize) {
    Anon* an = amap_lookup(&e.aref, va - e.start);
    if (!an) continue;
    Page* pg = uvm_.pm->anon_page(an);
    if (!pg || (pg->flags & PG_BUSY)) continue;
    if (!free_anons) {
      if (pg->loan_count != 0 || pg->wire_count != 0 || e.wired()) continue;  // on no paging queue
      Pmap::clear_referenced(pg);
      uvm_.pm->deactivate(pg);
      continue;
    }
    // Wired pages stay. A locked entry's page counts as wired even while
    // mprotect none has taken its wired mapping (uvmsim ties wire_count to
    // wired mappings; NetBSD's page keeps its wiring then).
    if (pg->wire_count != 0 || e.wired()) continue;
    // NetBSD leaves this process's mapping of the slot in place when the
    // anon lives on (another amap refers to it); uvmsim removes it, so
    // that the process sees what its amap says (docs/design.md).
    map.pmap().remove(va, va + kPageSize);
    amap_unadd(&e.aref, va - e.start);
    uvm_anon_dropref(uvm_, an);
  }
}

// ---- fork

int AmapLayer::fork_share(VmMap& parent, VmMap& child, MapEntry* e) {
  // Both processes must refer to the same amap: a needs-copy entry gets its
  // own amap now (a blank one if it had none).
  if (e->needs_copy() || (!e->aref.ar_amap && !e->object)) {
    if (!amap_copy(parent, e, AMAP_COPY_NOCHUNK, 0, 0)) return ENOMEM;
  }
  auto n = uvm_mapent_clone(e);
  if (n->aref.ar_amap) amap_ref(n->aref.ar_amap, n->aref.ar_pageoff, n->nslots(), AMAP_SHARED);
  if (n->object) n->object->reference();
  child.insert(std::move(n));
  return 0;
}

namespace {

// The child's copy of shared anonymous memory (an aobj mapping) is private
// anonymous memory whose amap holds, for every page the object has, an anon
// borrowing that page (an O->A loan: no copy now). The parent's next write
// to such a page breaks the loan (the object gets a new page, the child's
// anon keeps the old one); the child's writes break it the other way. Pages
// the object does not have yet read as zeros in the child, as they did at
// fork time. A wired page cannot be lent: it is copied.
int fork_aobj_snapshot(Uvm& uvm, VmMap& child, MapEntry* e) {
  UvmObject* ao = e->object;
  auto n = uvm_mapent_clone(e);
  n->object = nullptr;
  n->offset = 0;
  n->etype = UVM_ET_COPYONWRITE;
  n->sharing = Sharing::kPrivate;
  n->aref = Aref{0, amap_alloc(uvm, e->size(), 0)};
  if (!n->aref.ar_amap) return ENOMEM;
  MapEntry* ne = child.insert(std::move(n));
  // Only where the object holds data (the rest reads as zeros): a walk of
  // every page of the window would take as long as the mapping is large.
  for (voff_t off : ao->held_offsets(e->offset, e->offset + e->size())) {
    const std::uint64_t i = atop(off - e->offset);
    Anon* anon = nullptr;
    int err = uvm_loan_obj_to_anon(uvm, ao, off, &anon);
    if (err == EBUSY) {
      anon = uvm_promote(uvm, ao->find_page(off));
      if (!anon) return ENOMEM;
      uvm.pm->activate(uvm.pm->anon_page(anon));
      err = 0;
    }
    if (err != 0) return err;
    amap_add(&ne->aref, ptoa(i), anon, false);
  }
  return 0;
}

}  // namespace

int AmapLayer::fork_copy(VmMap& parent, VmMap& child, MapEntry* e) {
  // Shared anonymous memory inherited as a copy: the child gets a private
  // snapshot, as NetBSD's amap-backed shared memory gives.
  if (e->object && !e->cow() && e->object->anonymous()) return fork_aobj_snapshot(uvm_, child, e);
  auto n = uvm_mapent_clone(e);
  n->etype |= UVM_ET_COPYONWRITE | UVM_ET_NEEDSCOPY;
  if (n->aref.ar_amap) amap_ref(n->aref.ar_amap, n->aref.ar_pageoff, n->nslots(), 0);
  if (n->object) n->object->reference();
  MapEntry* ne = child.insert(std::move(n));
  Amap* amap = e->aref.ar_amap;
  const bool shared_amap = amap && (amap->am_flags & AMAP_SHARED);
  // The child cannot share a needs-copy reference to an amap that others
  // write in place, nor wait for a COW fault the wired parent will never
  // take: copy now.
  if (amap && (shared_amap || e->wired_count > 0)) {
    if (!amap_copy(child, ne, AMAP_COPY_NOCHUNK, 0, 0)) return ENOMEM;
  }
  if (e->wired_count > 0) {
    // The parent wants no faults on wired memory: resolve the child's
    // copy-on-write now (amap_cow_now) instead of write-protecting.
    if (ne->aref.ar_amap) {
      uvm_.cnt.forks_sharewired++;
      if (!amap_cow_now(child, ne)) return ENOMEM;
    }
  } else if (shared_amap) {
    // The anons are now referenced by the child's amap too. Every sharer
    // (not just this process) must stop writing them in place:
    // write-protect all their mappings; the next write takes the anon COW
    // path and replaces the anon in the shared amap for all sharers.
    // (NetBSD marks the parent entry needs-copy here instead, which
    // silently unshares the parent from the other sharers at its next
    // write; we keep the sharing.) Only write permission goes, whatever
    // this entry's own protection: the other sharers' mappings (wired ones
    // among them) stay.
    amap_share_protect(e, kProtRead | kProtExec);
  } else if (amap && !e->needs_copy()) {
    // Usual case: write-protect the parent and make it needs-copy, so the
    // next write by either side copies. Already needs-copy means a previous
    // fork did this.
    if (e->max_protection & kProtWrite) parent.pmap().protect(e->start, e->end, e->protection & ~kProtWrite);
    e->etype |= UVM_ET_NEEDSCOPY;
  }
  return 0;
}

int AmapLayer::swap_off(int start, int end) { return amap_swap_off(uvm_, start, end); }

}  // namespace uvmsim
