#include "core/uvm.h"

#include "core/pagedaemon.h"

namespace uvmsim {

Page* Uvm::pagealloc(bool zero) {
  if (pagedaemon && !pagedaemon->running() && pm->free_count() <= pagedaemon->freemin())
    pagedaemon->run();
  Page* pg = pm->alloc(zero);
  if (!pg && pagedaemon && !pagedaemon->running()) {
    pagedaemon->run();
    pg = pm->alloc(zero);
  }
  if (pg && zero) cnt.zeropages++;
  return pg;
}

}  // namespace uvmsim
