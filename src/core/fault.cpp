// uvm_fault: see fault.h for the table of cases. Each step below is one
// function, in the order a fault runs them: check, then upper (the
// anonymous-memory layer, core/anon_layer.h) or lower (the object layer),
// then enter.
#include "core/fault.h"

#include <cerrno>

#include <optional>

#include "core/anon_layer.h"
#include "core/fault_ahead.h"
#include "core/fault_ctx.h"
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

Fault uvm_fault_failed(FaultCtx& f, FaultResult r) {
  switch (r) {
    case FaultResult::kSegv: count_fault_event(f.uvm, &UvmExp::flt_segv, &ProcessStats::flt_segv); break;
    case FaultResult::kBus: count_fault_event(f.uvm, &UvmExp::flt_bus, &ProcessStats::flt_bus); break;
    case FaultResult::kNoMem: f.uvm.cnt.flt_noram++; break;
    case FaultResult::kOk: break;
  }
  return Fault{r, FaultCase::kNone, f.nahead};
}

FaultResult uvm_fault_errno(int err) { return err == ENOMEM ? FaultResult::kNoMem : FaultResult::kBus; }

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
  if (f.wired && !keep && pg->wire_count == kMaxPageCount) return uvm_fault_failed(f, FaultResult::kNoMem);
  const unsigned pflags = f.wired ? static_cast<unsigned>(PMAP_WIRED) : 0u;
  if (pmap.enter(f.va, pg, prot, pflags) != 0) return uvm_fault_failed(f, FaultResult::kNoMem);
  if (cur && cur != pg && cur_wired) uvm_pageunwire(*f.uvm.pm, cur);
  if (f.wired) {
    if (!keep) uvm_pagewire(*f.uvm.pm, pg);
  } else {
    f.uvm.pm->activate(pg);
  }
  pmap.update();
  return Fault{FaultResult::kOk, c, f.nahead};
}

namespace {

// uvm_fault_check: the entry, the protection, needs-copy, the fault-ahead.
// kOk means "go on to the upper or lower layer".
FaultResult uvm_fault_check(FaultCtx& f, Access access) {
  MapEntry* e = f.map.lookup(f.va);
  const Prot need = access_prot(access);
  if (!e || (e->protection & need) != need) return FaultResult::kSegv;
  f.enter_prot = e->protection;
  f.wired = f.wire_fault || e->wired_count > 0;
  f.cow_now = f.wire_fault ? (e->max_protection & kProtWrite) != 0 : f.write;
  // Needs-copy: get private anonymous memory before writing, or before the
  // first zero-fill of anonymous memory (there is nothing else to read from).
  if (e->needs_copy()) {
    if (f.cow_now || !e->object) {
      if (!f.uvm.anon_layer->copy(f.map, e, f.va, f.va + 1, /*chunked=*/true)) return FaultResult::kNoMem;
      f.uvm.cnt.fltamcopy++;
      e = f.map.lookup(f.va);  // chunking may have clipped the entry
    } else {
      f.enter_prot &= ~kProtWrite;  // read of a needs-copy object mapping
    }
  }
  f.entry = e;
  f.uobj = e->object;
  if (!f.uvm.anon_layer->has_upper(*e) && !f.uobj) return FaultResult::kBus;  // cannot happen for a well-formed entry
  if (!f.wire_fault && f.uvm.config.fault_ahead) f.nahead = uvm_fault_ahead(f.map, e, f.va, f.enter_prot);
  return FaultResult::kOk;
}

// Case 2: the object layer, or zero-fill. 2A maps the object's page
// (read-only in a copy-on-write entry; a write to a page on loan breaks the
// loan first: the object gets a fresh copy, the borrowers keep the old
// page). 2B promotes a copy of the object's page, or zeros, into the
// anonymous layer (AnonLayer::fault_promote).
Fault uvm_fault_lower(FaultCtx& f) {
  Uvm& uvm = f.uvm;
  MapEntry* e = f.entry;
  Page* uobjpage = nullptr;
  if (f.uobj) {
    if (int err = f.uobj->get(e->offset + (f.va - e->start), &uobjpage, 0); err != 0)
      return uvm_fault_failed(f, uvm_fault_errno(err));
  }
  if (f.uobj && !(f.cow_now && e->cow())) {
    FaultCase c = FaultCase::kObject;
    if (f.cow_now && uobjpage->loan_count > 0) {
      uobjpage = uvm_loanbreak(uvm, uobjpage);
      if (!uobjpage) return uvm_fault_failed(f, FaultResult::kNoMem);
      c = FaultCase::kObjLoanBreak;
    }
    Prot prot = f.enter_prot;
    if (e->cow() || uobjpage->loan_count > 0) prot &= ~kProtWrite;
    if (f.write) uobjpage->flags &= ~PG_CLEAN;
    count_fault_event(uvm, &UvmExp::flt_obj, &ProcessStats::flt_obj);
    return uvm_fault_enter(f, uobjpage, prot, c);
  }
  // 2B: the anonymous layer takes a copy of the object's page, or zeros.
  return uvm.anon_layer->fault_promote(f, uobjpage);
}

Fault fault_internal(VmMap& map, vaddr_t va, Access access, bool wire) {
  FaultCtx f{map, map.uvm(), trunc_page(va), access == Access::kWrite, wire};
  f.uvm.cnt.faults++;
  if (wire) f.uvm.cnt.flt_wired++;
  if (FaultResult r = uvm_fault_check(f, access); r != FaultResult::kOk) return uvm_fault_failed(f, r);
  if (std::optional<Fault> r = f.uvm.anon_layer->fault_upper(f)) return *r;
  return uvm_fault_lower(f);
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
  const FaultCharge charge(uvm, map.counters);
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
