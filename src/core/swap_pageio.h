// Anonymous pages to swap and back: the steps that anons, aobjs and the
// shadow model's objects share. Each keeps its own record of slots (an
// anon's an_swslot, an object's table by page index).
#pragma once

#include <string_view>

#include "absl/functional/function_ref.h"
#include "uvmsim/types.h"

namespace uvmsim {

struct Page;
struct Uvm;
class UvmObject;

// uvm_swap_get: read the page kept in `slot` into pg, a new page nobody owns
// yet. On success the slot is kept (the page is clean against it: it can go
// again without I/O) and swpgonly drops by one. On a failed read pg is
// freed, pgswapinerr counted and EIO returned; the data stays in its slot
// (NetBSD marks the slot bad and the data is lost; here a later access can
// read it once the device is well), and the faulting access gets SIGBUS.
// `kind` names the owner in traces ("anon", "aobj", "shadow").
int uvm_swap_get(Uvm& uvm, Page* pg, int slot, std::string_view kind);

// An anonymous object's page at offset, read back from its slot: a new
// page, read (uvm_swap_get), inserted clean and activated. errno: ENOMEM
// without a free page, EIO from the read.
int uvm_object_swapin(UvmObject& obj, voff_t offset, int slot, std::string_view kind, Page** pgp);

// Unmaps pg (harvesting its modified bit) and, when it is dirty or has no
// slot (`slot` is its current one, 0 for none), writes it to a slot (a new
// one when it had none). set_slot records the slot for the page's index (0:
// none). Then removes pg from obj and frees it. errno: ENOSPC when swap is
// full; the write's errno when the swap write fails, and then the slot is
// released and pg stays, dirty, with the only copy. `kind` names the pager
// in traces.
int uvm_object_pageout(UvmObject& obj, Page* pg, int slot, absl::FunctionRef<void(int)> set_slot, const char* kind);

// pgo_put of an anonymous object (an aobj, a shadow-model object): over
// the resident pages in [start, end) (every page with PGO_ALLPAGES), busy,
// wired and lent pages stay; PGO_FREE with PGO_CLEANIT pages each out
// (`pageout`: swap is the only backing store), PGO_FREE alone drops the
// page and its data (`drop`: madvise free, truncation), PGO_DEACTIVATE
// clears its referenced bit and deactivates it. Returns the last page-out
// errno, 0 when every step succeeded.
int uvm_object_put_anonymous(UvmObject& obj, voff_t start, voff_t end, int flags,
                             absl::FunctionRef<int(Page*)> pageout, absl::FunctionRef<void(Page*)> drop);

// The last step of an anonymous object's page-out: pg (unmapped, its data
// now in the slot the object recorded) leaves the object and is freed; swap
// holds the only copy.
void uvm_object_swapped_out(UvmObject& obj, Page* pg);

}  // namespace uvmsim
