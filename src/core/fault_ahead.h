// The fault-ahead (NetBSD uvm_fault_upper_lookup / uvm_fault_lower_lookup
// neighbours): map resident pages around a fault within the entry's advice
// window, so that a sequential or clustered access pattern takes one fault
// per window instead of one per page. Nothing is allocated and no I/O
// happens: only pages already in memory, never busy ones.
#pragma once

#include "uvmsim/types.h"

namespace uvmsim {

struct MapEntry;
class VmMap;

// Map the resident neighbours of va in e (enter_prot: the protection the
// faulting page gets before per-page downgrades). Returns how many were
// mapped (counted in fltnamap).
int uvm_fault_ahead(VmMap& map, MapEntry* e, vaddr_t va, Prot enter_prot);

}  // namespace uvmsim
