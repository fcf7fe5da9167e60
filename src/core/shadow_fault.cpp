// The shadow model's part of the fault (FreeBSD vm_fault: the chain walk and
// vm_fault_cow), in fault.h's terms:
//   case 1: some object of the chain holds the page (paged in from swap if
//     need be). In the first object: map it (1A; read-only while the entry
//     still shares the object, or the page is lent; a write to a lent page
//     breaks the loan). Below it: a read maps it read-only; a write copies
//     it up into the first object (1B), or moves it there when the object
//     holding it is seen through the first object alone (FreeBSD's rename:
//     no copy).
//   case 2: no object has it: the object layer (the file) or zero-fill, and
//     2B's target is the first object.
#include <cerrno>

#include "core/fault_ctx.h"
#include "core/loan.h"
#include "core/page.h"
#include "core/pmap.h"
#include "core/process_counters.h"
#include "core/promote.h"
#include "core/shadow_chain.h"
#include "core/shadow_layer.h"
#include "core/uvm.h"
#include "core/uvm_page.h"
#include "core/vm_map.h"

namespace uvmsim {

namespace {

std::uint64_t fault_index(const FaultCtx& f) { return f.entry->sref.off + atop(f.va - f.entry->start); }

}  // namespace

std::optional<Fault> ShadowLayer::fault_upper(FaultCtx& f) {
  MapEntry* e = f.entry;
  ShadowObject* first = e->sref.obj;
  if (!first) return std::nullopt;
  const std::uint64_t idx = fault_index(f);
  ChainHit h = shadow_chain_lookup(first, idx);
  if (!h.obj) return std::nullopt;
  FaultCase c = FaultCase::kAnon;
  if (!h.page) {
    if (int err = h.obj->get(ptoa(h.idx), &h.page, 0); err != 0) return uvm_fault_failed(f, uvm_fault_errno(err));
    count_fault_event(uvm_, &UvmExp::fltanget, &ProcessStats::fltanget);
    c = FaultCase::kAnonPagein;
  }
  Page* pg = h.page;
  if (h.depth > 0 && f.cow_now) {
    // Copy-up. The rename needs the page's object to be reachable through
    // the first object only, and the page free of wirings and loans.
    ShadowObject* b = h.obj;
    const bool rename = h.depth == 1 && b->uo_refs == 1 && b->shadow_count == 1 && pg->wire_count == 0 &&
                        pg->loan_count == 0 && !(pg->flags & PG_BUSY);
    if (rename) {
      first->take_index(b, h.idx, idx);
      uvm_.cnt.cow_optim++;
    } else {
      Page* npg = uvm_pagecopy(uvm_, pg);
      if (!npg) return uvm_fault_failed(f, FaultResult::kNoMem);
      // Entries that share the first object in place (OBJ_SHARED, as
      // AMAP_SHARED on UVM) may map the old page here: they must find the
      // copy from now on. Clipped siblings also hold the object, but their
      // windows are disjoint from this index: their mappings stay.
      if (first->flags & OBJ_SHARED) uvm_pageunmap(*uvm_.pm, pg);
      first->insert_page(npg, ptoa(idx));
      pg = npg;
      uvm_.cnt.cow_faults++;
    }
    pg->flags &= ~PG_CLEAN;
    count_fault_event(uvm_, &UvmExp::flt_acow, &ProcessStats::flt_acow);
    return uvm_fault_enter(f, pg, f.enter_prot, FaultCase::kAnonCow);
  }
  if (h.depth == 0 && f.cow_now && pg->loan_count > 0) {
    pg = uvm_loanbreak(uvm_, pg);
    if (!pg) return uvm_fault_failed(f, FaultResult::kNoMem);
    c = FaultCase::kAnonLoanBreak;
  }
  Prot prot = f.enter_prot;
  if (h.depth > 0 || e->needs_copy() || pg->loan_count > 0) prot &= ~kProtWrite;
  if (f.write && h.depth == 0) pg->flags &= ~PG_CLEAN;
  count_fault_event(uvm_, &UvmExp::flt_anon, &ProcessStats::flt_anon);
  return uvm_fault_enter(f, pg, prot, c);
}

// 2B's target: the copy (or zeros) goes into the first object.
Fault ShadowLayer::fault_promote(FaultCtx& f, Page* uobjpage) {
  MapEntry* e = f.entry;
  if (!e->sref.obj) {
    if (e->npages() > ShadowObject::kMaxPages) return uvm_fault_failed(f, FaultResult::kNoMem);
    e->sref = Sref{ShadowObject::allocate(uvm_, e->npages()), 0};
  }
  ShadowObject* first = e->sref.obj;
  Page* pg = uvm_pagecopy(uvm_, uobjpage);
  if (!pg) return uvm_fault_failed(f, FaultResult::kNoMem);
  if (uobjpage) count_fault_event(uvm_, &UvmExp::flt_prcopy, &ProcessStats::flt_prcopy);
  else count_fault_event(uvm_, &UvmExp::flt_przero, &ProcessStats::flt_przero);
  // Entries sharing the first object in place may map the file's page here
  // (uvm_fault_lower_promote's AMAP_SHARED rule); clipped siblings cannot,
  // and a wired mapping of the file page elsewhere must not lose its wiring
  // for them.
  if (uobjpage && (first->flags & OBJ_SHARED)) uvm_pageunmap(*uvm_.pm, uobjpage);
  const std::uint64_t idx = fault_index(f);
  first->clear_mark(idx);
  first->insert_page(pg, ptoa(idx));
  return uvm_fault_enter(f, pg, f.enter_prot, uobjpage ? FaultCase::kPromoteCopy : FaultCase::kZeroFill);
}

}  // namespace uvmsim
