// Page-out of one page of an anonymous object (an aobj, a shadow-model
// object) to swap: the step both pagers share; each keeps its own table of
// swap slots by page index.
#pragma once

#include "absl/functional/function_ref.h"

namespace uvmsim {

struct Page;
class UvmObject;

// Unmaps pg (harvesting its modified bit) and, when it is dirty or has no
// slot (`slot` is its current one, 0 for none), writes it to a slot (a new
// one when it had none). set_slot records the slot for the page's index (0:
// none). Then removes pg from obj and frees it. errno: ENOSPC when swap is
// full; the write's errno when the swap write fails, and then the slot is
// released and pg stays, dirty, with the only copy. `kind` names the pager
// in traces.
int uvm_object_pageout(UvmObject& obj, Page* pg, int slot, absl::FunctionRef<void(int)> set_slot, const char* kind);

}  // namespace uvmsim
