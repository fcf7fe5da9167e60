// uvm_fault: see fault.h for the table of cases.
#include "core/fault.h"
#include "core/process_counters.h"

#include <cerrno>
#include <cstring>

#include "core/amap.h"
#include "core/anon.h"
#include "core/loan.h"
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

// Wire a page that a wired fault maps: off the paging queues.
void wire_page(Uvm& uvm, Page* pg) {
  if (pg->wire_count++ == 0) uvm.pm->dequeue(pg);
}

// A wired mapping of pg went away: one wiring less; back on a paging queue
// at the last one.
void unwire_page(Uvm& uvm, Page* pg) {
  if (pg->wire_count > 0 && --pg->wire_count == 0 && (pg->uanon() || pg->uobject())) uvm.pm->activate(pg);
}

// Map resident neighbours of `va` in the advice window (the "fault-ahead").
// Nothing is allocated and no I/O happens: only pages already in memory.
void fault_ahead(Uvm& uvm, VmMap& map, MapEntry* e, vaddr_t va, Prot enter_prot) {
  AdviceWindow w = kWindow[static_cast<int>(e->advice)];
  if (w.nback == 0 && w.nforw == 0) return;
  vaddr_t lo = va - static_cast<vaddr_t>(w.nback) * kPageSize;
  if (lo < e->start || lo > va) lo = e->start;
  vaddr_t hi = va + static_cast<vaddr_t>(w.nforw + 1) * kPageSize;
  if (hi > e->end || hi < va) hi = e->end;

  if (e->advice == Advice::kSequential && lo < va) {
    // Sequential access: what is behind will not be needed soon. Deactivate
    // it (uvmfault_anonflush / PGO_DEACTIVATE) instead of mapping it.
    for (vaddr_t a = lo; a < va; a += kPageSize) {
      Page* pg = nullptr;
      if (e->aref.ar_amap) {
        if (Anon* an = amap_lookup(&e->aref, a - e->start)) pg = uvm.pm->anon_page(an);
      }
      if (!pg && e->object) pg = e->object->find_page(e->offset + (a - e->start));
      if (pg && pg->wire_count == 0 && pg->loan_count == 0 && !(pg->flags & PG_BUSY))
        uvm.pm->deactivate(pg);
    }
    lo = va;
  }

  Pmap& pmap = map.pmap();
  for (vaddr_t a = lo; a < hi; a += kPageSize) {
    if (a == va || pmap.extract(a, nullptr, nullptr)) continue;
    Anon* an = e->aref.ar_amap ? amap_lookup(&e->aref, a - e->start) : nullptr;
    Page* pg = nullptr;
    Prot prot = enter_prot;
    if (an) {
      pg = uvm.pm->anon_page(an);
      if (!pg) continue;  // swapped out: not resident
      if (an->an_ref > 1 || pg->loan_count > 0) prot &= ~kProtWrite;
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
  }
}

FaultResult fault_internal(VmMap& map, vaddr_t va, Access access, bool wire) {
  Uvm& uvm = map.uvm();
  uvm.cnt.faults++;
  if (wire) uvm.cnt.flt_wired++;
  va = trunc_page(va);
  const bool write = access == Access::kWrite;

  // Look up the entry and check the protection.
  MapEntry* e = map.lookup(va);
  const Prot need = access_prot(access);
  if (!e || (e->protection & need) != need) {
    uvm.cnt.flt_segv++;
    return FaultResult::kSegv;
  }
  Prot enter_prot = e->protection;
  const bool wired = wire || e->wired_count > 0;

  // Needs-copy: get a private amap before writing, or before the first
  // zero-fill of anonymous memory (there is nothing else to read from).
  if (e->needs_copy()) {
    if (write || !e->object) {
      if (!amap_copy(map, e, 0, va, va + 1)) {
        uvm.cnt.flt_noram++;
        return FaultResult::kNoMem;
      }
      uvm.cnt.fltamcopy++;
      e = map.lookup(va);  // chunking may have clipped the entry
    } else {
      enter_prot &= ~kProtWrite;  // read of a needs-copy object mapping
    }
  }
  Aref* aref = e->aref.ar_amap ? &e->aref : nullptr;
  UvmObject* uobj = e->object;
  if (!aref && !uobj) {  // cannot happen for a well-formed entry
    uvm.cnt.flt_bus++;
    return FaultResult::kBus;
  }

  if (!wire && uvm.config.fault_ahead) fault_ahead(uvm, map, e, va, enter_prot);

  Pmap& pmap = map.pmap();
  const unsigned pflags = wired ? static_cast<unsigned>(PMAP_WIRED) : 0u;
  auto finish = [&](Page* pg, Prot prot) -> FaultResult {
    // A page's wire_count is the number of wired PTEs mapping it. The PTE
    // at va may already be a wired mapping: of this page (a write fault
    // upgrading a wired read-only mapping: the wiring stays) or of another
    // one (copy-on-write in a wired entry: the wiring moves to the copy).
    Page* cur = nullptr;
    bool cur_wired = false;
    if (!pmap.extract(va, &cur, nullptr, &cur_wired)) cur = nullptr;
    const bool keep = wired && cur == pg && cur_wired;
    // wire_count is 16-bit (as NetBSD's): one more wiring than that fails
    // the wiring fault as a resource shortage rather than wrapping.
    if (wired && !keep && pg->wire_count == kMaxPageCount) {
      uvm.cnt.flt_noram++;
      return FaultResult::kNoMem;
    }
    if (pmap.enter(va, pg, prot, pflags) != 0) {
      uvm.cnt.flt_noram++;
      return FaultResult::kNoMem;
    }
    if (cur && cur != pg && cur_wired) unwire_page(uvm, cur);
    if (wired) {
      if (!keep) wire_page(uvm, pg);
    } else {
      uvm.pm->activate(pg);
    }
    pmap.update();
    return FaultResult::kOk;
  };

  // ---- case 1: the anon layer
  Anon* anon = aref ? amap_lookup(aref, va - e->start) : nullptr;
  if (anon) {
    if (!uvm.pm->anon_page(anon)) {
      // Paged out: bring it back from its swap slot.
      int err = uvm_anon_pagein(uvm, anon);
      if (err == ENOMEM) {
        uvm.cnt.flt_noram++;
        return FaultResult::kNoMem;
      }
      if (err != 0) {
        uvm.cnt.flt_bus++;
        return FaultResult::kBus;
      }
      uvm.cnt.fltanget++;
    }
    Page* pg = uvm.pm->anon_page(anon);
    if (write && anon->an_ref > 1) {
      // 1B: anon copy-on-write. The new anon replaces the old one in this
      // amap; the old one keeps its other references.
      Anon* nanon = uvm_analloc(uvm);
      pg->flags |= PG_BUSY;  // held across the allocation: not for the daemon
      Page* npg = uvm.pagealloc(false);
      pg->flags &= ~PG_BUSY;
      if (!npg) {
        nanon->an_ref = 0;
        uvm_anfree(uvm, nanon);
        uvm.cnt.flt_noram++;
        return FaultResult::kNoMem;
      }
      std::memcpy(uvm.pm->data(npg), uvm.pm->data(pg), kPageSize);
      uvm.cnt.pagecopies++;
      npg->set_uanon(nanon);
      npg->flags = static_cast<std::uint16_t>((npg->flags | PG_ANON) & ~(PG_BUSY | PG_FAKE | PG_CLEAN));
      uvm.pm->set_anon_page(nanon, npg);
      amap_add(aref, va - e->start, nanon, true);
      anon->an_ref--;  // the amap's reference moved to nanon; others remain
      // This pmap may still map the old page (read-only): enter replaces it.
      uvm.cnt.flt_acow++;
      return finish(npg, enter_prot);
    }
    // 1A: map the anon's page. Shared or loaned: read-only, so that a later
    // write faults and copies. A write to a page on loan breaks the loan:
    // the anon gets a fresh copy, the borrowers keep the old page.
    if (write && pg->loan_count > 0) {
      if (uvm_loanbreak_anon(uvm, anon) != 0) {
        uvm.cnt.flt_noram++;
        return FaultResult::kNoMem;
      }
      pg = uvm.pm->anon_page(anon);
    }
    Prot prot = enter_prot;
    if (anon->an_ref > 1 || pg->loan_count > 0) prot &= ~kProtWrite;
    if (write) pg->flags &= ~PG_CLEAN;
    uvm.cnt.flt_anon++;
    return finish(pg, prot);
  }

  // ---- case 2: the object layer (or zero-fill)
  Page* uobjpage = nullptr;
  if (uobj) {
    int rv = uobj->get(e->offset + (va - e->start), &uobjpage, 0);
    if (rv == ENOMEM) {
      uvm.cnt.flt_noram++;
      return FaultResult::kNoMem;
    }
    if (rv != 0) {
      uvm.cnt.flt_bus++;
      return FaultResult::kBus;
    }
  }
  const bool promote = !uobj || (write && e->cow());
  if (!promote) {
    // 2A: map the object's page; a copy-on-write entry maps it read-only.
    // A write to an object page on loan breaks the loan first: the object
    // gets a fresh copy, the borrowers keep the old page.
    if (write && uobjpage->loan_count > 0) {
      uobjpage = uvm_loanbreak(uvm, uobjpage);
      if (!uobjpage) {
        uvm.cnt.flt_noram++;
        return FaultResult::kNoMem;
      }
    }
    Prot prot = enter_prot;
    if (e->cow() || uobjpage->loan_count > 0) prot &= ~kProtWrite;
    if (write) uobjpage->flags &= ~PG_CLEAN;
    uvm.cnt.flt_obj++;
    return finish(uobjpage, prot);
  }

  // 2B: promote into a new anon: a copy of the object's page, or zeros.
  Anon* nanon = uvm_analloc(uvm);
  if (uobjpage) uobjpage->flags |= PG_BUSY;  // held across the allocation
  Page* npg = uvm.pagealloc(uobjpage == nullptr);
  if (uobjpage) uobjpage->flags &= ~PG_BUSY;
  if (!npg) {
    nanon->an_ref = 0;
    uvm_anfree(uvm, nanon);
    uvm.cnt.flt_noram++;
    return FaultResult::kNoMem;
  }
  if (uobjpage) {
    std::memcpy(uvm.pm->data(npg), uvm.pm->data(uobjpage), kPageSize);
    uvm.cnt.pagecopies++;
    uvm.cnt.flt_prcopy++;
    // This pmap may map the object's page read-only here: replaced below.
  } else {
    uvm.cnt.flt_przero++;
  }
  npg->set_uanon(nanon);
  npg->flags = static_cast<std::uint16_t>((npg->flags | PG_ANON) & ~(PG_BUSY | PG_FAKE | PG_CLEAN));
  uvm.pm->set_anon_page(nanon, npg);
  amap_add(aref, va - e->start, nanon, false);
  return finish(npg, enter_prot);
}

}  // namespace

FaultResult uvm_fault(VmMap& map, vaddr_t va, Access access) {
  Uvm& uvm = map.uvm();
  // Per-process counters (core/process_counters.h): charge the difference.
  const FaultChargeSnapshot charged = FaultChargeSnapshot::of(uvm.cnt);
  struct Charge {
    VmMap& map;
    const FaultChargeSnapshot& before;
    ~Charge() { charge_fault(map.counters, before, map.uvm().cnt); }
  } charge{map, charged};
  if (!uvm.trace) return fault_internal(map, va, access, false);
  // Traced: name the case by the counter it moved. "fault-begin" lets a
  // trace writer with a modelled clock start the fault before the page-ins
  // and I/O that happen inside it.
  const UvmExp before = uvm.cnt;
  const std::uint64_t t0 = uvm.now_ns();
  uvm.emit("fault-begin", access == Access::kWrite ? "write" : "read", map.pid, t0, 0, va, 0);
  uvm.trace_ctx = {map.pid, va};
  const FaultResult r = fault_internal(map, va, access, false);
  uvm.trace_ctx = {};
  const std::uint64_t t1 = uvm.now_ns();
  const UvmExp& after = uvm.cnt;
  std::string_view kind = "other";
  if (r == FaultResult::kSegv) kind = "sigsegv";
  else if (r == FaultResult::kBus) kind = "sigbus";
  else if (r == FaultResult::kNoMem) kind = "nomem";
  else if (after.loan_break_anon != before.loan_break_anon || after.loan_break_obj != before.loan_break_obj)
    kind = "loanbreak";
  else if (after.flt_acow != before.flt_acow) kind = "anon-cow";
  else if (after.flt_prcopy != before.flt_prcopy) kind = "promote-copy";
  else if (after.flt_przero != before.flt_przero) kind = "zero-fill";
  else if (after.fltanget != before.fltanget) kind = "pagein";
  else if (after.flt_anon != before.flt_anon) kind = "anon";
  else if (after.flt_obj != before.flt_obj) kind = "object";
  uvm.emit("fault", kind, map.pid, t0, t1 - t0, va, after.fltnamap - before.fltnamap);
  return r;
}

FaultResult uvm_fault_wire(VmMap& map, vaddr_t start, vaddr_t end) {
  for (vaddr_t va = start; va < end; va += kPageSize) {
    MapEntry* e = map.lookup(va);
    if (!e) return FaultResult::kSegv;
    if (e->protection == kProtNone) continue;  // nothing can touch it
    Page* pg = nullptr;
    bool wired = false;
    // Already wired here (another wiring of an overlapping range)?
    if (map.pmap().extract(va, &pg, nullptr, &wired) && wired) continue;
    const Access acc = (e->protection & kProtWrite) ? Access::kWrite : Access::kRead;
    FaultResult r = fault_internal(map, va, acc, true);
    if (r != FaultResult::kOk) return r;
  }
  return FaultResult::kOk;
}

void uvm_fault_unwire(VmMap& map, vaddr_t start, vaddr_t end) {
  Uvm& uvm = map.uvm();
  Pmap& pmap = map.pmap();
  for (vaddr_t va = start; va < end; va += kPageSize) {
    Page* pg = nullptr;
    bool wired = false;
    if (!pmap.extract(va, &pg, nullptr, &wired) || !wired) continue;
    pmap.unwire(va);
    if (pg && pg->wire_count > 0 && --pg->wire_count == 0) uvm.pm->activate(pg);
  }
}

}  // namespace uvmsim
