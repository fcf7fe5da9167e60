// uvm_fault_ahead: see fault_ahead.h.
#include "core/fault_ahead.h"

#include <new>

#include "core/anon_layer.h"
#include "core/anon.h"
#include "core/page.h"
#include "core/pmap.h"
#include "core/uvm.h"
#include "core/uvm_object.h"
#include "core/vm_map.h"

namespace uvmsim {

namespace {

// UVM's fault-ahead windows (uvmadvice[]): pages behind and ahead of the
// faulting page that are mapped if already resident.
struct AdviceWindow {
  int nback, nforw;
};
constexpr AdviceWindow kWindow[] = {
    {3, 4},  // normal
    {0, 0},  // random
    {8, 7},  // sequential
};

// Sequential access: what is behind [lo, va) will not be needed soon.
// Deactivate it (uvmfault_anonflush / PGO_DEACTIVATE) instead of mapping it.
void deactivate_behind(Uvm& uvm, MapEntry* e, vaddr_t lo, vaddr_t va) {
  for (vaddr_t a = lo; a < va; a += kPageSize) {
    Page* pg = uvm.anon_layer->lookup(*e, a).page;
    if (!pg && e->object) pg = e->object->find_page(e->offset + (a - e->start));
    if (pg && pg->wire_count == 0 && pg->loan_count == 0 && !(pg->flags & PG_BUSY)) uvm.pm->deactivate(pg);
  }
}

}  // namespace

int uvm_fault_ahead(VmMap& map, MapEntry* e, vaddr_t va, Prot enter_prot) {
  Uvm& uvm = map.uvm();
  AdviceWindow w = kWindow[static_cast<int>(e->advice)];
  if (w.nback == 0 && w.nforw == 0) return 0;
  vaddr_t lo = va - static_cast<vaddr_t>(w.nback) * kPageSize;
  if (lo < e->start || lo > va) lo = e->start;
  vaddr_t hi = va + static_cast<vaddr_t>(w.nforw + 1) * kPageSize;
  if (hi > e->end || hi < va) hi = e->end;
  if (e->advice == Advice::kSequential && lo < va) {
    deactivate_behind(uvm, e, lo, va);
    lo = va;
  }

  // Only neighbours with no mapping yet are candidates. A scan finds most of
  // its window mapped already (behind it by earlier faults, ahead of it
  // read-only by earlier fault-aheads), so the window is narrowed to the
  // candidates before the anonymous layer is asked, and not asked at all
  // when there are none.
  Pmap& pmap = map.pmap();
  bool candidate[AnonLayer::kLookupMax];
  vaddr_t first = hi, last = lo;
  for (vaddr_t a = lo; a < hi; a += kPageSize) {
    const bool c = a != va && !pmap.extract(a, nullptr, nullptr);
    candidate[atop(a - lo)] = c;
    if (!c) continue;
    if (first == hi) first = a;
    last = a + kPageSize;
  }
  if (first == hi) return 0;
  // Storage only: lookup_range writes each entry it is given, and a default
  // array would write all kLookupMax first (a fifth of this function's cost
  // on a copy-on-write scan). UpperPage is an aggregate (an implicit-lifetime
  // type), so the entries begin their lifetime in the buffer.
  alignas(UpperPage) unsigned char storage[sizeof(UpperPage) * AnonLayer::kLookupMax];
  auto* ups = std::launder(reinterpret_cast<UpperPage*>(storage));
  uvm.anon_layer->lookup_range(*e, first, last, ups);
  int mapped = 0;
  for (vaddr_t a = first; a < last; a += kPageSize) {
    if (!candidate[atop(a - lo)]) continue;
    const UpperPage& up = ups[atop(a - first)];
    Page* pg = nullptr;
    Prot prot = enter_prot;
    if (up.found()) {
      pg = up.page;
      if (!pg) continue;  // swapped out: not resident
      if (up.shared) prot &= ~kProtWrite;
    } else if (e->object) {
      if (e->object->get(e->offset + (a - e->start), &pg, PGO_LOCKED) != 0) continue;
      if (e->cow() || pg->loan_count > 0) prot &= ~kProtWrite;
    } else {
      continue;
    }
    if (pg->flags & PG_BUSY) continue;
    // A neighbour mapped with the entry's full rights (no copy-on-write or
    // loan downgrade, so no later write fault will replace the mapping)
    // counts as referenced: its PTE gets A=1 at entry. This departs from
    // NetBSD, whose uvm_fault_*_neighbor pass no access type to pmap_enter,
    // so x86's pmap leaves PG_U clear; it is what Linux does on x86, whose
    // page protections include _PAGE_ACCESSED so that fault-around maps
    // pages "young" (only arm64 asks for old prefaulted PTEs, through
    // arch_wants_old_prefaulted_pte). The cost: a mapped-ahead page never
    // touched looks referenced once (the page daemon clears it, as it does
    // for every active page it deactivates). The gain, on the kvm backend
    // under shadow paging: KVM prefetches guest PTEs that have A=1 into the
    // shadow table (docs/kvm.md), so the scan does not pay a shadow fill per
    // page mapped ahead. Both backends do this, so they behave alike.
    const unsigned pf = prot == e->protection ? static_cast<unsigned>(PMAP_REFERENCED) : 0u;
    if (pmap.enter(a, pg, prot, pf) != 0) break;
    if (pg->wire_count == 0) uvm.pm->activate(pg);
    uvm.cnt.fltnamap++;
    mapped++;
  }
  return mapped;
}


}  // namespace uvmsim
