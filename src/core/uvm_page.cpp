#include "core/uvm_page.h"

#include <algorithm>

#include "core/kassert.h"
#include "core/physmem.h"
#include "core/pmap.h"

namespace uvmsim {

void uvm_pagewire(PhysMem& pm, Page* pg) {
  UVM_KASSERT(pg->wire_count < kMaxPageCount);
  if (pg->wire_count++ == 0) {
    pm.dequeue(pg);
    pm.note_wired(+1);
  }
}

void uvm_pageunwire(PhysMem& pm, Page* pg, int n) {
  if (n <= 0 || pg->wire_count == 0) return;
  pg->wire_count = static_cast<std::uint16_t>(pg->wire_count - std::min<int>(n, pg->wire_count));
  if (pg->wire_count != 0) return;
  pm.note_wired(-1);
  if (pg->uanon() || pg->uobject()) pm.activate(pg);
}

void uvm_pageunmap(PhysMem& pm, Page* pg) { uvm_pageunwire(pm, pg, Pmap::page_protect(pg, kProtNone)); }

}  // namespace uvmsim
