// uvm_loan and friends: see loan.h for the bookkeeping.
#include "core/loan.h"
#include "core/pagedaemon.h"

#include <cerrno>
#include <cstring>

#include "core/anon.h"
#include "core/anon_layer.h"
#include "core/kassert.h"
#include "core/page.h"
#include "core/process_counters.h"
#include "core/pmap.h"
#include "core/promote.h"
#include "core/trace_events.h"
#include "core/uvm.h"
#include "core/uvm_page.h"
#include "core/uvm_object.h"
#include "core/vm_map.h"

namespace uvmsim {

namespace {

// A page's 16-bit loan_count is at its limit: the model's own limit (NetBSD's
// counter would wrap), reported by uvm_loan as EBUSY. An internal code, so
// that uvm_loan can tell it from the failures NetBSD reports as EINVAL.
constexpr int kLoanLimit = EOVERFLOW;

// The owner of the shared zero page: never pages it out, never frees it.
class LoanZeroObject final : public UvmObject {
 public:
  explicit LoanZeroObject(Uvm& uvm) : UvmObject(uvm) { uo_refs = 0; }
  void detach() override {}
  int get(voff_t, Page**, int) override { return EINVAL; }
  int put(voff_t, voff_t, int) override { return 0; }
  const char* kind() const override { return "loanzero"; }
};

// First loan of a page: every mapping becomes read-only, so that an owner
// write faults and breaks the loan.
void loan_protect(Page* pg) {
  if (pg->loan_count == 0) Pmap::page_protect(pg, kProtRead);
}

// Lend pg to the kernel (A->K, O->K): refused for a wired page and at the
// 16-bit limit; otherwise every mapping becomes read-only (first loan) and
// the page stays on a paging queue for the daemon to see it lent.
int lend_to_kernel(Uvm& uvm, Page* pg, LoanRecord* rec) {
  if (pg->wire_count > 0) return EBUSY;
  if (pg->loan_count == kMaxPageCount) return kLoanLimit;
  loan_protect(pg);
  pg->loan_count++;
  uvm.pm->activate(pg);
  rec->pages.push_back(pg);
  return 0;
}

// A new anon borrowing pg (O->A, zero->A): the anon names the page, the
// page names the anon without PG_ANON (its owner keeps it), one loan.
Anon* lend_to_new_anon(Uvm& uvm, Page* pg) {
  Anon* anon = uvm_analloc(uvm);
  uvm.pm->set_anon_page(anon, pg);
  pg->set_uanon(anon);
  pg->loan_count++;
  return anon;
}

int loan_anon(Uvm& uvm, Anon* anon, LoanTo to, LoanRecord* rec) {
  if (to == LoanTo::kAnon) {
    // A->A: the anon becomes copy-on-write shared with the borrower.
    Page* pg = uvm.pm->anon_page(anon);
    if (pg && (pg->flags & PG_ANON) && anon->an_ref == 1) {
      if (pg->wire_count > 0) return EBUSY;
      Pmap::page_protect(pg, kProtRead);
    }
    anon->an_ref++;
    rec->anons.push_back(anon);
    uvm.cnt.loan_aa++;
    return 0;
  }
  // A->K: the page itself, resident.
  if (!uvm.pm->anon_page(anon)) {
    if (int err = uvm_anon_pagein(uvm, anon); err != 0) return err;
  }
  if (int err = lend_to_kernel(uvm, uvm.pm->anon_page(anon), rec); err != 0) return err;
  uvm.cnt.loan_ak++;
  return 0;
}

int loan_uobj(Uvm& uvm, UvmObject* uobj, voff_t off, LoanTo to, LoanRecord* rec) {
  Page* pg = nullptr;
  int err = uobj->get(off, &pg, 0);  // fetched through the pager if need be
  if (err == ENOMEM) return ENOMEM;
  if (err != 0) return EFAULT;
  if (to == LoanTo::kKernel) {  // O->K
    if (int err = lend_to_kernel(uvm, pg, rec); err != 0) return err;
    uvm.cnt.loan_ok++;
    return 0;
  }
  // O->A: one anon per page, shared by every anon loan of it.
  if (Anon* anon = pg->uanon()) {
    anon->an_ref++;
    rec->anons.push_back(anon);
    uvm.cnt.loan_oa++;
    return 0;
  }
  if (pg->wire_count > 0) return EBUSY;
  if (pg->loan_count == kMaxPageCount) return kLoanLimit;
  loan_protect(pg);
  Anon* anon = lend_to_new_anon(uvm, pg);
  uvm.pm->activate(pg);
  rec->anons.push_back(anon);
  uvm.cnt.loan_oa++;
  return 0;
}

int loan_zero(Uvm& uvm, LoanTo to, LoanRecord* rec) {
  Page* pg = uvm_loanzero_page(uvm);
  if (!pg) return ENOMEM;
  if (to == LoanTo::kKernel) {
    if (pg->loan_count == kMaxPageCount) return kLoanLimit;  // 16-bit, as NetBSD's
    pg->loan_count++;
    rec->pages.push_back(pg);
    uvm.cnt.loan_zk++;
    return 0;
  }
  if (Anon* anon = pg->uanon()) {
    anon->an_ref++;
    rec->anons.push_back(anon);
  } else {
    if (pg->loan_count == kMaxPageCount) return kLoanLimit;
    rec->anons.push_back(lend_to_new_anon(uvm, pg));
  }
  uvm.cnt.loan_za++;
  return 0;
}

}  // namespace

int uvm_loan_obj_to_anon(Uvm& uvm, UvmObject* uobj, voff_t off, Anon** out) {
  LoanRecord rec;
  if (int err = loan_uobj(uvm, uobj, off, LoanTo::kAnon, &rec); err != 0)
    return err == kLoanLimit ? EBUSY : err;
  *out = rec.anons.front();
  return 0;
}

Page* uvm_loanzero_page(Uvm& uvm) {
  if (!uvm.loanzero) uvm.loanzero = new LoanZeroObject(uvm);
  if (Page* pg = uvm.loanzero->find_page(0)) return pg;
  Page* pg = uvm.pagealloc(true);
  if (!pg) return nullptr;
  uvm.loanzero->insert_page(pg, 0);
  pg->flags = static_cast<std::uint16_t>((pg->flags | PG_CLEAN) & ~(PG_BUSY | PG_FAKE));
  uvm.pm->activate(pg);
  return pg;
}

int uvm_loan(VmMap& map, vaddr_t start, vsize_t len, LoanTo to, LoanRecord* out) {
  Uvm& uvm = map.uvm();
  LoanRecord rec;
  rec.to = to;
  int error = 0;
  for (vaddr_t va = start; va < start + len && error == 0; va += kPageSize) {
    MapEntry* e = map.lookup(va);
    if (!e) {
      error = ENOENT;  // a hole (uvm_loan: the lookup failed)
      break;
    }
    // No protection check: NetBSD's uvm_loan lends whatever the map holds,
    // also memory its owner has made inaccessible (PROT_NONE).
    // The seed's order: the anon layer, then the object, then zeros.
    const UpperPage up = uvm.anon_layer->lookup(*e, va);
    if (up.anon) error = loan_anon(uvm, up.anon, to, &rec);
    else if (up.object) error = loan_uobj(uvm, up.object, up.offset, to, &rec);
    else if (e->object) error = loan_uobj(uvm, e->object, e->offset + (va - e->start), to, &rec);
    else error = loan_zero(uvm, to, &rec);
    // uvm_loanentry's failures (a wired page, a file page past end of file,
    // a pager error, no memory) all reach uvm_loan's caller as EINVAL.
    if (error != 0) error = error == kLoanLimit ? EBUSY : EINVAL;
  }
  map.pmap().update();
  if (error) {
    // Roll back every loan already made.
    if (!rec.pages.empty() || !rec.anons.empty()) uvm.cnt.loan_rollback++;
    uvm_unloan(uvm, rec);
    return error;
  }
  *out = std::move(rec);
  return 0;
}

void uvm_unloan(Uvm& uvm, LoanRecord& rec) {
  for (Page* pg : rec.pages) {
    pg->loan_count--;
    if (!pg->uobject() && pg->uanon() && !(pg->flags & PG_ANON)) {
      // Loaned to an anon by an object that let go: the anon owns it now.
      pg->loan_count--;
      pg->flags |= PG_ANON;
      uvm.cnt.loan_adopted++;
    }
    if (pg->loan_count == 0 && !pg->uobject() && !pg->uanon()) {
      uvm.pm->free(pg);  // the last borrower of an orphan
      uvm.cnt.loan_orphans_freed++;
    } else if (pg->loan_count == 0 && pg->queue() == PageQueue::kNone && pg->wire_count == 0 &&
               !(pg->flags & PG_BUSY)) {
      uvm.pm->activate(pg);
    } else if (pg->loan_count == 0 && uvm.pagedaemon) {
      uvm.pagedaemon->note_reclaimable(pg);  // the daemon may take it now
    }
  }
  for (Anon* anon : rec.anons) uvm_anon_dropref(uvm, anon);
  if (!rec.pages.empty() || !rec.anons.empty()) uvm.cnt.unloans++;
  rec.pages.clear();
  rec.anons.clear();
}

Page* uvm_loanbreak(Uvm& uvm, Page* uobjpage) {
  UVM_KASSERT(uobjpage->uobject() != nullptr && uobjpage->loan_count > 0);
  Page* pg = uvm_pagecopy(uvm, uobjpage);
  if (!pg) return nullptr;
  // Force every mapping to reload: they must find the new page.
  uvm_pageunmap(*uvm.pm, uobjpage);
  // Dirtiness carries over to the object's new page.
  if ((uobjpage->flags & PG_CLEAN) && !Pmap::is_modified(uobjpage)) pg->flags |= PG_CLEAN;
  UvmObject* uobj = uobjpage->uobject();
  const voff_t off = uobjpage->offset();
  uobj->remove_page(uobjpage);
  uobj->insert_page(pg, off);
  if (uobjpage->uanon()) {
    // O->A: the borrowing anon adopts the old page.
    uobjpage->loan_count--;
    uobjpage->flags |= PG_ANON;
    uvm.cnt.loan_adopted++;
  } else {
    uvm.pm->dequeue(uobjpage);  // O->K: an orphan held by the kernel
    uvm.cnt.loan_orphans++;
  }
  if (uobjpage->loan_count == 0 && !uobjpage->uanon()) uvm.pm->free(uobjpage);
  uvm.pm->activate(pg);
  count_fault_event(uvm, &UvmExp::loan_break_obj, &ProcessStats::loan_breaks);
  trace_loanbreak(uvm, "object");
  return pg;
}

int uvm_loanbreak_anon(Uvm& uvm, Anon* anon) {
  Page* old = uvm.pm->anon_page(anon);
  UVM_KASSERT_MSG(old != nullptr && old->loan_count > 0, "uvm_loanbreak_anon: a resident page on loan");
  Page* pg = uvm_pagecopy(uvm, old);
  if (!pg) return ENOMEM;
  uvm_pageunmap(*uvm.pm, old);
  const bool clean = (old->flags & PG_CLEAN) && !Pmap::is_modified(old);
  old->set_uanon(nullptr);
  if (!(old->flags & PG_ANON)) {
    old->loan_count--;  // we were the borrower (O->A): the object keeps it
  } else {
    old->flags &= ~PG_ANON;  // we were the lender (A->K): the kernel keeps it
    uvm.pm->dequeue(old);
    uvm.cnt.loan_orphans++;
  }
  if (old->loan_count == 0 && !old->uobject()) uvm.pm->free(old);
  uvm_anon_setpage(uvm, anon, pg, clean);
  uvm.pm->activate(pg);
  count_fault_event(uvm, &UvmExp::loan_break_anon, &ProcessStats::loan_breaks);
  trace_loanbreak(uvm, "anon");
  return 0;
}

}  // namespace uvmsim
