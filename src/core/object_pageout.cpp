// uvm_object_pageout: see object_pageout.h.
#include "core/object_pageout.h"

#include <cerrno>

#include "core/page.h"
#include "core/pmap.h"
#include "core/trace_events.h"
#include "core/uvm.h"
#include "core/uvm_object.h"
#include "core/uvm_page.h"

namespace uvmsim {

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
  obj.remove_page(pg);
  uvm.pm->clear_wiring(pg);
  uvm.pm->free(pg);
  uvm.swap->swpgonly++;
  return 0;
}

}  // namespace uvmsim
