// Anonymous pages to swap and back: see swap_pageio.h.
#include "core/swap_pageio.h"

#include <cerrno>
#include <vector>

#include "core/page.h"
#include "core/pmap.h"
#include "core/trace_events.h"
#include "core/uvm.h"
#include "core/uvm_object.h"
#include "core/uvm_page.h"

namespace uvmsim {

int uvm_swap_get(Uvm& uvm, Page* pg, int slot, std::string_view kind) {
  if (int err = uvm.swap->read(slot, uvm.pm->data(pg)); err != 0) {
    uvm.cnt.pgswapinerr++;
    uvm.pm->free(pg);
    return EIO;
  }
  uvm.swap->swpgonly--;
  uvm.cnt.pgswapin++;
  trace_io(uvm, "swap-read", 1);
  trace_pagein(uvm, kind, 1);
  return 0;
}

int uvm_object_swapin(UvmObject& obj, voff_t offset, int slot, std::string_view kind, Page** pgp) {
  Uvm& uvm = obj.uvm;
  Page* pg = uvm.pagealloc(false);
  if (!pg) return ENOMEM;
  if (int err = uvm_swap_get(uvm, pg, slot, kind); err != 0) return err;
  obj.insert_page(pg, offset);
  pg->flags = static_cast<std::uint16_t>((pg->flags | PG_CLEAN | PG_TABLED) & ~(PG_BUSY | PG_FAKE));
  uvm.pm->activate(pg);
  *pgp = pg;
  return 0;
}

int uvm_object_pageout(UvmObject& obj, Page* pg, int slot, absl::FunctionRef<void(int)> set_slot, const char* kind) {
  Uvm& uvm = obj.uvm;
  uvm_pageunmap(*uvm.pm, pg);  // harvests the modified bit
  const bool dirty = !(pg->flags & PG_CLEAN) || (pg->mdattrs & PGA_MODIFIED);
  if (dirty || slot == 0) {
    if (!uvm.swap) return ENOSPC;
    if (slot == 0) {
      slot = uvm.swap->alloc(1);
      if (slot == 0) return ENOSPC;
    }
    if (int err = uvm.swap->write(slot, uvm.pm->data(pg), 1); err != 0) {
      // The slot's contents are undefined now: release it (and an old one
      // this page had); the page keeps the only copy, dirty.
      uvm.cnt.pgswapouterr++;
      set_slot(0);
      uvm.swap->free(slot, 1);
      pg->flags &= ~PG_CLEAN;
      return err;
    }
    set_slot(slot);
    uvm.cnt.pgswapout++;
    trace_io(uvm, "swap-write", 1);
    trace_pageout(uvm, kind, trace_page_ref(uvm, pg), 1);
  }
  uvm_object_swapped_out(obj, pg);
  return 0;
}

void uvm_object_swapped_out(UvmObject& obj, Page* pg) {
  Uvm& uvm = obj.uvm;
  obj.remove_page(pg);
  uvm.pm->clear_wiring(pg);
  uvm.pm->free(pg);
  uvm.swap->swpgonly++;
}

int uvm_object_put_anonymous(UvmObject& obj, voff_t start, voff_t end, int flags,
                             absl::FunctionRef<int(Page*)> pageout, absl::FunctionRef<void(Page*)> drop) {
  if (flags & PGO_ALLPAGES) {
    start = 0;
    end = ~0ull;
  }
  // Collected first: each step below may remove the page from memq.
  std::vector<Page*> pages;
  for (auto it = obj.memq.lower_bound(start); it != obj.memq.end() && it->first < end; ++it)
    pages.push_back(it->second);
  int error = 0;
  for (Page* pg : pages) {
    if (pg->flags & PG_BUSY || pg->wire_count > 0 || pg->loan_count > 0) continue;
    if ((flags & PGO_FREE) && (flags & PGO_CLEANIT)) {
      if (int err = pageout(pg); err != 0) error = err;
    } else if (flags & PGO_FREE) {
      drop(pg);
    } else if (flags & PGO_DEACTIVATE) {
      Pmap::clear_referenced(pg);
      obj.uvm.pm->deactivate(pg);
    }
  }
  return error;
}

}  // namespace uvmsim
