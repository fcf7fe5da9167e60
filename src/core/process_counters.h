// Charging a process for its faults (ProcessStats, include/uvmsim/stats.h).
//
// A process is charged for the events that happen inside its own faults:
// the faults by case, swap-ins, page copies, zero-filled pages and loan
// breaks. fault_entry (fault.cpp) points Uvm::fault_charge at the faulting
// map's counters for the length of the fault (FaultCharge), and each event is
// counted where it happens by count_fault_event: uvmexp always, the faulting
// process too while a fault runs. The same event outside a fault (a wired
// copy at fork, a loan break by a loan) is the machine's only. So the
// per-process figures sum to the machine-wide ones for the events of faults,
// and a fault costs one pointer test per event instead of a copy of the
// counters before and after it.
#pragma once

#include <cstdint>

#include "core/uvm.h"
#include "uvmsim/stats.h"

namespace uvmsim {

inline void count_fault_event(Uvm& uvm, std::uint64_t UvmExp::*machine, std::uint64_t ProcessStats::*process) {
  uvm.cnt.*machine += 1;
  if (uvm.fault_charge) uvm.fault_charge->*process += 1;
}

// For the length of one fault: events are charged to `p` as well. Faults do
// not nest today (the page daemon and pagers never fault); the previous
// target is restored anyway so that one that does stays correct.
class FaultCharge {
 public:
  FaultCharge(Uvm& uvm, ProcessStats& p) : uvm_(uvm), saved_(uvm.fault_charge) {
    p.faults++;
    uvm.fault_charge = &p;
  }
  ~FaultCharge() { uvm_.fault_charge = saved_; }
  FaultCharge(const FaultCharge&) = delete;
  FaultCharge& operator=(const FaultCharge&) = delete;

 private:
  Uvm& uvm_;
  ProcessStats* saved_;
};

}  // namespace uvmsim
