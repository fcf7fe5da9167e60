// uvm_fault: the page fault handler (NetBSD uvm_fault.c).
//
// The cases (as in uvm_fault.c's header):
//
//   case 1: the page is in the anon layer (an anon at the faulting slot)
//     1A: map the anon's page (read; or write with an_ref == 1)
//     1B: write and an_ref > 1 in a copy-on-write entry: copy the anon's page
//         to a new anon and replace it in the amap (anon COW)
//   case 2: no anon; the object layer is consulted
//     2A: map the object's page (read, or write to a shared mapping)
//     2B: write to a copy-on-write entry: promote — copy the object's page
//         (or zero-fill when there is no object) into a new anon
//
// Before the cases: the entry is looked up and the protection checked
// (SIGSEGV), and a needs-copy entry gets its own amap (amap_copy) on a write
// or when it has no object. Resident neighbours in the advice window are
// mapped ahead (read-only where a write would need a copy).
#pragma once

#include "uvmsim/types.h"

namespace uvmsim {

class VmMap;

enum class FaultResult : std::uint8_t {
  kOk,
  kSegv,   // no entry, or protection forbids the access
  kBus,    // the pager failed (past end of object, I/O error)
  kNoMem,  // no free page (the page daemon issue turns this into paging)
};

FaultResult uvm_fault(VmMap& map, vaddr_t va, Access access);

// uvm_fault_wire: fault in and wire every page of [start, end) with the
// entries' protection (write access where writable, resolving COW now).
FaultResult uvm_fault_wire(VmMap& map, vaddr_t start, vaddr_t end);
// uvm_fault_unwire: unwire the pages of [start, end).
void uvm_fault_unwire(VmMap& map, vaddr_t start, vaddr_t end);

}  // namespace uvmsim
