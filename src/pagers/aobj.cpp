#include "pagers/aobj.h"

#include <cerrno>

#include "core/page.h"
#include "core/pmap.h"
#include "core/uvm.h"

namespace uvmsim {

Aobj* Aobj::create(Uvm& uvm, vsize_t size) { return new Aobj(uvm, round_page(size)); }

void Aobj::detach() {
  if (--uo_refs > 0) return;
  // Last reference: the object's pages die with it.
  free_pages(0, ~0ull);
  delete this;
}

int Aobj::get(voff_t offset, Page** pgp, int flags) {
  if (offset >= size_) return EFAULT;
  if (Page* pg = find_page(offset)) {
    *pgp = pg;
    return 0;
  }
  if (flags & PGO_LOCKED) return ENOENT;
  // First touch: a zero-filled page, dirty from the start (it has no
  // backing store until swap gives it one).
  Page* pg = uvm.pagealloc(true);
  if (!pg) return ENOMEM;
  insert_page(pg, offset);
  pg->flags &= ~(PG_BUSY | PG_FAKE | PG_CLEAN);
  uvm.pm->activate(pg);
  *pgp = pg;
  return 0;
}

int Aobj::put(voff_t start, voff_t end, int flags) {
  if (flags & PGO_ALLPAGES) {
    start = 0;
    end = ~0ull;
  }
  if (flags & PGO_FREE) {
    // Without swap, freeing an aobj page discards its data: callers only do
    // it where the data is dead (madvise free, object teardown).
    free_pages(start, end);
    return 0;
  }
  if (flags & PGO_DEACTIVATE) {
    for (auto it = memq.lower_bound(start); it != memq.end() && it->first < end; ++it) {
      Page* pg = it->second;
      if (pg->wire_count == 0 && pg->loan_count == 0) {
        Pmap::clear_referenced(pg);
        uvm.pm->deactivate(pg);
      }
    }
  }
  return 0;
}

}  // namespace uvmsim
