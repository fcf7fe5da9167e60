// Generic page state that the VM (not the pmap) owns: wiring and the paging
// queues (NetBSD's uvm_pagewire / uvm_pageunwire / uvm_pageactivate in
// uvm_page.c). A page's wire_count is exactly the number of wired PTEs that
// map it (the invariant checker verifies it); pmaps only report how many
// wired mappings they removed, and the VM adjusts the count here.
#pragma once

#include "core/page.h"

namespace uvmsim {

class PhysMem;
struct Uvm;

// One more wiring of pg: off the paging queues at the first. The caller
// checks the 16-bit limit (kMaxPageCount) first.
void uvm_pagewire(PhysMem& pm, Page* pg);
// n wirings of pg went away: back on the active queue at the last one, if
// the page still has an owner (an orphan lent to the kernel stays off).
void uvm_pageunwire(PhysMem& pm, Page* pg, int n = 1);
// pmap_page_protect(pg, VM_PROT_NONE) with the wirings of the wired
// mappings it removes dropped (a copy-on-write of a shared amap, a loan
// break or a page-out replaces the page under other processes' wired
// entries, which wire the new page at their next fault). NetBSD leaves such
// wirings behind ("XXX: suppose page is supposed to be wired somewhere?" in
// amap_add); the model keeps wire_count equal to the wired PTEs.
void uvm_pageunmap(PhysMem& pm, Page* pg);

}  // namespace uvmsim
