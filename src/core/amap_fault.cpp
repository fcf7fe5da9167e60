// UVM's anonymous-memory layer, the fault's upper part (fault.h's case
// table): case 1 on the anon at the faulting slot, and the target of 2B's
// promotion, a new anon in the amap.
#include <cerrno>

#include "core/amap.h"
#include "core/amap_layer.h"
#include "core/anon.h"
#include "core/fault_ctx.h"
#include "core/kassert.h"
#include "core/loan.h"
#include "core/process_counters.h"
#include "core/page.h"
#include "core/pmap.h"
#include "core/promote.h"
#include "core/uvm.h"
#include "core/uvm_page.h"
#include "core/vm_map.h"

namespace uvmsim {

// Case 1: the anon's page is brought back from swap if needed; 1B copies it
// for a write to a shared anon; 1A maps it, read-only while shared or on
// loan so that a later write faults and copies. A write to a page on loan
// breaks the loan: the anon gets a fresh copy, the borrowers keep the old
// page.
std::optional<Fault> AmapLayer::fault_upper(FaultCtx& f) {
  Aref* aref = f.entry->aref.ar_amap ? &f.entry->aref : nullptr;
  Anon* anon = aref ? amap_lookup(aref, f.va - f.entry->start) : nullptr;
  if (!anon) return std::nullopt;
  FaultCase c = FaultCase::kAnon;
  if (!uvm_.pm->anon_page(anon)) {
    if (int err = uvm_anon_pagein(uvm_, anon); err != 0) return uvm_fault_failed(f, uvm_fault_errno(err));
    count_fault_event(uvm_, &UvmExp::fltanget, &ProcessStats::fltanget);
    c = FaultCase::kAnonPagein;
  }
  Page* pg = uvm_.pm->anon_page(anon);
  if (f.cow_now && anon->an_ref > 1) {
    // 1B: the new anon replaces the old one in this amap; the old one keeps
    // its other references. This pmap may still map the old page
    // (read-only): enter replaces it.
    Anon* nanon = uvm_promote(uvm_, pg);
    if (!nanon) return uvm_fault_failed(f, FaultResult::kNoMem);
    amap_add(aref, f.va - f.entry->start, nanon, true);
    anon->an_ref--;  // the amap's reference moved to nanon; others remain
    count_fault_event(uvm_, &UvmExp::flt_acow, &ProcessStats::flt_acow);
    return uvm_fault_enter(f, uvm_.pm->anon_page(nanon), f.enter_prot, FaultCase::kAnonCow);
  }
  if (f.cow_now && pg->loan_count > 0) {
    if (uvm_loanbreak_anon(uvm_, anon) != 0) return uvm_fault_failed(f, FaultResult::kNoMem);
    pg = uvm_.pm->anon_page(anon);
    c = FaultCase::kAnonLoanBreak;
  }
  Prot prot = f.enter_prot;
  if (anon->an_ref > 1 || pg->loan_count > 0) prot &= ~kProtWrite;
  if (f.write) pg->flags &= ~PG_CLEAN;
  count_fault_event(uvm_, &UvmExp::flt_anon, &ProcessStats::flt_anon);
  return uvm_fault_enter(f, pg, prot, c);
}

// 2B's target: a new anon holding the copy (or zeros) at the faulting slot.
// This pmap may map the object's page read-only here: enter replaces it.
Fault AmapLayer::fault_promote(FaultCtx& f, Page* uobjpage) {
  Aref* aref = &f.entry->aref;
  UVM_KASSERT_MSG(aref->ar_amap, "2B needs the amap that uvm_fault_check made");
  Anon* nanon = uvm_promote(uvm_, uobjpage);
  if (!nanon) return uvm_fault_failed(f, FaultResult::kNoMem);
  if (uobjpage) count_fault_event(uvm_, &UvmExp::flt_prcopy, &ProcessStats::flt_prcopy);
  else count_fault_event(uvm_, &UvmExp::flt_przero, &ProcessStats::flt_przero);
  // Promoting into a shared amap (minherit share of a private mapping): the
  // other sharers may map the object's page at this slot too, and from now
  // on they must see the new anon. Remove the object page from every pmap
  // (uvm_fault_lower_promote does the same) so that their next access
  // faults and finds the anon; wired mappings take their wiring with them
  // (uvm_pageunmap) and are wired again at that fault.
  if (uobjpage && (aref->ar_amap->am_flags & AMAP_SHARED)) uvm_pageunmap(*uvm_.pm, uobjpage);
  amap_add(aref, f.va - f.entry->start, nanon, false);
  return uvm_fault_enter(f, uvm_.pm->anon_page(nanon), f.enter_prot,
                         uobjpage ? FaultCase::kPromoteCopy : FaultCase::kZeroFill);
}

}  // namespace uvmsim
