// uvm_fault: the page fault handler (NetBSD uvm_fault.c).
//
// The cases (as in uvm_fault.c's header), and the function that handles each:
//
//   check (uvm_fault_check): look up the entry, check the protection
//     (SIGSEGV), resolve needs-copy (AnonLayer::copy; amap_copy) on a write
//     or when there is no object, map resident neighbours ahead
//     (fault_ahead.cpp)
//   case 1: the page is in the anonymous layer (core/anon_layer.h) —
//     AnonLayer::fault_upper; for amaps (amap_fault.cpp) an anon at the
//     faulting slot:
//     1A: map the anon's page (read; or write with an_ref == 1); a write to
//         a page on loan breaks the loan first (uvm_loanbreak_anon)
//     1B: write and an_ref > 1 in a copy-on-write entry: copy the anon's page
//         to a new anon and replace it in the amap (anon COW)
//   case 2: no anon; the object layer is consulted — uvm_fault_lower
//     2A: map the object's page (read, or write to a shared mapping); a
//         write to a page on loan breaks the loan first (uvm_loanbreak)
//     2B: write to a copy-on-write entry, or no object at all: promote —
//         copy the object's page (or zero-fill) into the anonymous layer
//         (AnonLayer::fault_promote: a new anon in the amap)
//   enter (uvm_fault_enter): pmap_enter with the case's protection, the
//     wiring of a wired fault, the page queues, pmap_update.
//
// Every copy (1B, 2B, and the loan breaks, amap_cow_now and fork outside
// the fault handler) goes through the one promote step (core/promote.h).
#pragma once

#include <cstdint>
#include <string_view>

#include "uvmsim/types.h"

namespace uvmsim {

class VmMap;

enum class FaultResult : std::uint8_t {
  kOk,
  kSegv,   // no entry, or protection forbids the access
  kBus,    // the pager failed (past end of object, I/O error)
  kNoMem,  // no free page even after the page daemon ran
};

// Which case a fault took (for traces and per-case accounting).
enum class FaultCase : std::uint8_t {
  kNone,           // failed before a case was chosen (see FaultResult)
  kAnon,           // 1A
  kAnonPagein,     // 1A after bringing the anon back from swap
  kAnonCow,        // 1B
  kAnonLoanBreak,  // 1A after breaking the anon page's loan
  kObject,         // 2A
  kObjLoanBreak,   // 2A after breaking the object page's loan
  kPromoteCopy,    // 2B, copy of the object's page
  kZeroFill,       // 2B, no object: zero-fill
};
std::string_view to_string(FaultCase c);

// What uvm_fault did: the result, the case it took and how many resident
// neighbours it mapped ahead.
struct Fault {
  FaultResult result = FaultResult::kOk;
  FaultCase fcase = FaultCase::kNone;
  int nahead = 0;
  bool ok() const { return result == FaultResult::kOk; }
};

Fault uvm_fault(VmMap& map, vaddr_t va, Access access);

// uvm_fault_wire: fault in and wire every page of [start, end) with the
// entries' protection (write access where writable, resolving COW now).
FaultResult uvm_fault_wire(VmMap& map, vaddr_t start, vaddr_t end);
// uvm_fault_unwire: unwire the pages of [start, end).
void uvm_fault_unwire(VmMap& map, vaddr_t start, vaddr_t end);

}  // namespace uvmsim
