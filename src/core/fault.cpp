// uvm_fault: see fault.h for the table of cases. Each step below is one
// function, in the order a fault runs them: check, then upper (the anon
// layer) or lower (the object layer), then enter.
#include "core/fault.h"

#include <cerrno>

#include "core/amap.h"
#include "core/anon.h"
#include "core/fault_ahead.h"
#include "core/kassert.h"
#include "core/loan.h"
#include "core/page.h"
#include "core/pmap.h"
#include "core/process_counters.h"
#include "core/promote.h"
#include "core/uvm.h"
#include "core/uvm_object.h"
#include "core/uvm_page.h"
#include "core/vm_map.h"

namespace uvmsim {

namespace {

// struct uvm_faultctx: what the steps of one fault share.
struct FaultCtx {
  VmMap& map;
  Uvm& uvm;
  vaddr_t va;                  // page-aligned
  bool write;                  // the access is a store
  bool wire_fault;             // uvm_fault_wire: wire what is mapped
  bool wired = false;          // the mapping is entered wired
  // Resolve copy-on-write and loans now. A normal fault does so for a
  // write. A wiring fault does so when the entry's *maximum* protection
  // allows writing, as NetBSD's UVM_FAULT_MAXPROT wiring does, whatever the
  // current protection: a later mprotect to writable then never needs a
  // fault on wired memory. (`write` stays the access that dirties the page.)
  bool cow_now = false;
  MapEntry* entry = nullptr;
  Prot enter_prot = kProtNone;  // the most the mapping may get
  Aref* aref = nullptr;         // the entry's amap reference, or null
  UvmObject* uobj = nullptr;    // the entry's object, or null
  int nahead = 0;
};

Fault failed(FaultCtx& f, FaultResult r) {
  switch (r) {
    case FaultResult::kSegv: f.uvm.cnt.flt_segv++; break;
    case FaultResult::kBus: f.uvm.cnt.flt_bus++; break;
    case FaultResult::kNoMem: f.uvm.cnt.flt_noram++; break;
    case FaultResult::kOk: break;
  }
  return Fault{r, FaultCase::kNone, f.nahead};
}

// A pager's errno as a fault result: no memory, or SIGBUS (past the end of
// the object, an I/O error).
FaultResult from_errno(int err) { return err == ENOMEM ? FaultResult::kNoMem : FaultResult::kBus; }

// uvm_fault_check: the entry, the protection, needs-copy, the fault-ahead.
// kOk means "go on to the upper or lower layer".
FaultResult uvm_fault_check(FaultCtx& f, Access access) {
  MapEntry* e = f.map.lookup(f.va);
  const Prot need = access_prot(access);
  if (!e || (e->protection & need) != need) return FaultResult::kSegv;
  f.enter_prot = e->protection;
  f.wired = f.wire_fault || e->wired_count > 0;
  f.cow_now = f.wire_fault ? (e->max_protection & kProtWrite) != 0 : f.write;
  // Needs-copy: get a private amap before writing, or before the first
  // zero-fill of anonymous memory (there is nothing else to read from).
  if (e->needs_copy()) {
    if (f.cow_now || !e->object) {
      if (!amap_copy(f.map, e, 0, f.va, f.va + 1)) return FaultResult::kNoMem;
      f.uvm.cnt.fltamcopy++;
      e = f.map.lookup(f.va);  // chunking may have clipped the entry
    } else {
      f.enter_prot &= ~kProtWrite;  // read of a needs-copy object mapping
    }
  }
  f.entry = e;
  f.aref = e->aref.ar_amap ? &e->aref : nullptr;
  f.uobj = e->object;
  if (!f.aref && !f.uobj) return FaultResult::kBus;  // cannot happen for a well-formed entry
  if (!f.wire_fault && f.uvm.config.fault_ahead) f.nahead = uvm_fault_ahead(f.map, e, f.va, f.enter_prot);
  return FaultResult::kOk;
}

// uvm_fault_enter: map pg at va with prot, wired for a wired fault.
//
// A page's wire_count is the number of wired PTEs mapping it. The PTE at va
// may already be a wired mapping: of this page (a write fault upgrading a
// wired read-only mapping: the wiring stays) or of another one
// (copy-on-write in a wired entry: the wiring moves to the copy).
Fault uvm_fault_enter(FaultCtx& f, Page* pg, Prot prot, FaultCase c) {
  Pmap& pmap = f.map.pmap();
  Page* cur = nullptr;
  bool cur_wired = false;
  if (!pmap.extract(f.va, &cur, nullptr, &cur_wired)) cur = nullptr;
  const bool keep = f.wired && cur == pg && cur_wired;
  // wire_count is 16-bit (as NetBSD's): one more wiring than that fails the
  // wiring fault as a resource shortage rather than wrapping.
  if (f.wired && !keep && pg->wire_count == kMaxPageCount) return failed(f, FaultResult::kNoMem);
  const unsigned pflags = f.wired ? static_cast<unsigned>(PMAP_WIRED) : 0u;
  if (pmap.enter(f.va, pg, prot, pflags) != 0) return failed(f, FaultResult::kNoMem);
  if (cur && cur != pg && cur_wired) uvm_pageunwire(*f.uvm.pm, cur);
  if (f.wired) {
    if (!keep) uvm_pagewire(*f.uvm.pm, pg);
  } else {
    f.uvm.pm->activate(pg);
  }
  pmap.update();
  return Fault{FaultResult::kOk, c, f.nahead};
}

// Case 1: the anon layer. The anon's page is brought back from swap if
// needed; 1B copies it for a write to a shared anon; 1A maps it, read-only
// while shared or on loan so that a later write faults and copies. A write
// to a page on loan breaks the loan: the anon gets a fresh copy, the
// borrowers keep the old page.
Fault uvm_fault_upper(FaultCtx& f, Anon* anon) {
  Uvm& uvm = f.uvm;
  FaultCase c = FaultCase::kAnon;
  if (!uvm.pm->anon_page(anon)) {
    if (int err = uvm_anon_pagein(uvm, anon); err != 0) return failed(f, from_errno(err));
    uvm.cnt.fltanget++;
    c = FaultCase::kAnonPagein;
  }
  Page* pg = uvm.pm->anon_page(anon);
  if (f.cow_now && anon->an_ref > 1) {
    // 1B: the new anon replaces the old one in this amap; the old one keeps
    // its other references. This pmap may still map the old page
    // (read-only): enter replaces it.
    Anon* nanon = uvm_promote(uvm, pg);
    if (!nanon) return failed(f, FaultResult::kNoMem);
    amap_add(f.aref, f.va - f.entry->start, nanon, true);
    anon->an_ref--;  // the amap's reference moved to nanon; others remain
    uvm.cnt.flt_acow++;
    return uvm_fault_enter(f, uvm.pm->anon_page(nanon), f.enter_prot, FaultCase::kAnonCow);
  }
  if (f.cow_now && pg->loan_count > 0) {
    if (uvm_loanbreak_anon(uvm, anon) != 0) return failed(f, FaultResult::kNoMem);
    pg = uvm.pm->anon_page(anon);
    c = FaultCase::kAnonLoanBreak;
  }
  Prot prot = f.enter_prot;
  if (anon->an_ref > 1 || pg->loan_count > 0) prot &= ~kProtWrite;
  if (f.write) pg->flags &= ~PG_CLEAN;
  uvm.cnt.flt_anon++;
  return uvm_fault_enter(f, pg, prot, c);
}

// Case 2: the object layer, or zero-fill. 2A maps the object's page
// (read-only in a copy-on-write entry; a write to a page on loan breaks the
// loan first: the object gets a fresh copy, the borrowers keep the old
// page). 2B promotes a copy of the object's page, or zeros, into a new anon.
Fault uvm_fault_lower(FaultCtx& f) {
  Uvm& uvm = f.uvm;
  MapEntry* e = f.entry;
  Page* uobjpage = nullptr;
  if (f.uobj) {
    if (int err = f.uobj->get(e->offset + (f.va - e->start), &uobjpage, 0); err != 0)
      return failed(f, from_errno(err));
  }
  if (f.uobj && !(f.cow_now && e->cow())) {
    FaultCase c = FaultCase::kObject;
    if (f.cow_now && uobjpage->loan_count > 0) {
      uobjpage = uvm_loanbreak(uvm, uobjpage);
      if (!uobjpage) return failed(f, FaultResult::kNoMem);
      c = FaultCase::kObjLoanBreak;
    }
    Prot prot = f.enter_prot;
    if (e->cow() || uobjpage->loan_count > 0) prot &= ~kProtWrite;
    if (f.write) uobjpage->flags &= ~PG_CLEAN;
    uvm.cnt.flt_obj++;
    return uvm_fault_enter(f, uobjpage, prot, c);
  }
  // 2B. This pmap may map the object's page read-only here: enter replaces it.
  Anon* nanon = uvm_promote(uvm, uobjpage);
  if (!nanon) return failed(f, FaultResult::kNoMem);
  if (uobjpage) uvm.cnt.flt_prcopy++;
  else uvm.cnt.flt_przero++;
  // Promoting into a shared amap (minherit share of a private mapping): the
  // other sharers may map the object's page at this slot too, and from now
  // on they must see the new anon. Remove the object page from every pmap
  // (uvm_fault_lower_promote does the same) so that their next access
  // faults and finds the anon; wired mappings take their wiring with them
  // (uvm_pageunmap) and are wired again at that fault.
  if (uobjpage && (f.aref->ar_amap->am_flags & AMAP_SHARED)) uvm_pageunmap(*uvm.pm, uobjpage);
  amap_add(f.aref, f.va - e->start, nanon, false);
  return uvm_fault_enter(f, uvm.pm->anon_page(nanon), f.enter_prot,
                         uobjpage ? FaultCase::kPromoteCopy : FaultCase::kZeroFill);
}

Fault fault_internal(VmMap& map, vaddr_t va, Access access, bool wire) {
  FaultCtx f{map, map.uvm(), trunc_page(va), access == Access::kWrite, wire};
  f.uvm.cnt.faults++;
  if (wire) f.uvm.cnt.flt_wired++;
  if (FaultResult r = uvm_fault_check(f, access); r != FaultResult::kOk) return failed(f, r);
  Anon* anon = f.aref ? amap_lookup(f.aref, f.va - f.entry->start) : nullptr;
  return anon ? uvm_fault_upper(f, anon) : uvm_fault_lower(f);
}

std::string_view trace_kind(const Fault& r) {
  switch (r.result) {
    case FaultResult::kSegv: return "sigsegv";
    case FaultResult::kBus: return "sigbus";
    case FaultResult::kNoMem: return "nomem";
    case FaultResult::kOk: break;
  }
  return to_string(r.fcase);
}

}  // namespace

std::string_view to_string(FaultCase c) {
  switch (c) {
    case FaultCase::kNone: return "other";
    case FaultCase::kAnon: return "anon";
    case FaultCase::kAnonPagein: return "pagein";
    case FaultCase::kAnonCow: return "anon-cow";
    case FaultCase::kAnonLoanBreak:
    case FaultCase::kObjLoanBreak: return "loanbreak";
    case FaultCase::kObject: return "object";
    case FaultCase::kPromoteCopy: return "promote-copy";
    case FaultCase::kZeroFill: return "zero-fill";
  }
  return "other";
}

namespace {

// Every fault, from an access or a wiring, enters here: the faulting
// process is charged for what the fault did (core/process_counters.h), and
// a trace sees it begin and end.
Fault fault_entry(VmMap& map, vaddr_t va, Access access, bool wire) {
  Uvm& uvm = map.uvm();
  const FaultChargeSnapshot charged = FaultChargeSnapshot::of(uvm.cnt);
  struct Charge {
    VmMap& map;
    const FaultChargeSnapshot& before;
    ~Charge() { charge_fault(map.counters, before, map.uvm().cnt); }
  } charge{map, charged};
  if (!uvm.trace) return fault_internal(map, va, access, wire);
  // "fault-begin" lets a trace writer with a modelled clock start the
  // fault before the page-ins and I/O that happen inside it.
  const std::uint64_t t0 = uvm.now_ns();
  uvm.emit("fault-begin", access == Access::kWrite ? "write" : "read", map.pid, t0, 0, va, 0);
  uvm.trace_ctx = {map.pid, va};
  const Fault r = fault_internal(map, va, access, wire);
  uvm.trace_ctx = {};
  const std::uint64_t t1 = uvm.now_ns();
  uvm.emit("fault", trace_kind(r), map.pid, t0, t1 - t0, va, static_cast<std::uint64_t>(r.nahead));
  return r;
}

}  // namespace

Fault uvm_fault(VmMap& map, vaddr_t va, Access access) { return fault_entry(map, va, access, false); }

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
    if (Fault r = fault_entry(map, va, acc, true); !r.ok()) return r.result;
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
    if (pg) uvm_pageunwire(*uvm.pm, pg);
  }
}

}  // namespace uvmsim
