#include "core/uvm.h"
#include "core/kassert.h"
#include "core/process_counters.h"
#include "core/uvm_page.h"

#include "core/pagedaemon.h"
#include "core/anon.h"
#include "core/uvm_object.h"

namespace uvmsim {

Page* Uvm::pagealloc(bool zero) {
  if (pagedaemon && !pagedaemon->running() && pm->free_count() <= pagedaemon->freemin())
    pagedaemon->run(PageDaemon::Pass::kLowMemory);
  Page* pg = pm->alloc(zero);
  if (!pg && pagedaemon && !pagedaemon->running()) {
    // The last word before out-of-memory: a whole pass, never skipped.
    pagedaemon->run(PageDaemon::Pass::kFull);
    pg = pm->alloc(zero);
  }
  if (pg && zero) count_fault_event(*this, &UvmExp::zeropages, &ProcessStats::zeropages);
  return pg;
}

void Uvm::pagefree(Page* pg) {
  UVM_KASSERT_MSG(pg->queue() != PageQueue::kFree, "uvm_pagefree: the page is already free");
  uvm_pageunmap(*pm, pg);
  if (pg->loan_count > 0) {
    if (pg->uobject()) {
      pg->uobject()->remove_page(pg);
      pg->flags &= ~PG_CLEAN;
      if (pg->uanon()) {
        // O->A: the borrowing anon becomes the owner.
        pg->loan_count--;
        pg->flags |= PG_ANON;
        cnt.loan_adopted++;
        if (pg->loan_count == 0 && pg->queue() == PageQueue::kNone && pg->wire_count == 0) pm->activate(pg);
        return;
      }
    } else if (Anon* an = pg->uanon()) {
      if (!(pg->flags & PG_ANON)) pg->loan_count--;  // the anon only borrowed it
      pm->set_anon_page(an, nullptr);
      pg->set_uanon(nullptr);
      pg->flags &= ~PG_ANON;
      if (pg->loan_count == 0) {
        pm->clear_wiring(pg);
        pm->free(pg);
        return;
      }
    }
    // Kernel borrowers remain: an orphan, on no paging queue.
    pm->clear_wiring(pg);
    pm->dequeue(pg);
    cnt.loan_orphans++;
    return;
  }
  if (pg->uobject()) pg->uobject()->remove_page(pg);
  if (pg->uanon()) {
    pm->set_anon_page(pg->uanon(), nullptr);
    pg->set_uanon(nullptr);
    pg->flags &= ~PG_ANON;
  }
  pm->clear_wiring(pg);
  pm->free(pg);
}

}  // namespace uvmsim
