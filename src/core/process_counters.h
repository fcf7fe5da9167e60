// Charging a process for its faults (ProcessStats, include/uvmsim/stats.h).
//
// The fault handler moves the machine-wide uvmexp counters; the entry point
// (uvm_fault) snapshots the few a process is charged for before the fault
// and adds the difference to the faulting map's counters after it. One place
// to hook, no per-case bookkeeping inside the handler, and the per-process
// figures sum to the machine-wide ones by construction.
#pragma once

#include <cstdint>

#include "uvmsim/stats.h"

namespace uvmsim {

struct FaultChargeSnapshot {
  std::uint64_t flt_anon, flt_acow, flt_obj, flt_prcopy, flt_przero, fltanget, flt_segv, flt_bus,
      pagecopies, zeropages, loan_breaks;

  static FaultChargeSnapshot of(const UvmExp& c) {
    return {c.flt_anon,   c.flt_acow,   c.flt_obj,    c.flt_prcopy, c.flt_przero,
            c.fltanget,   c.flt_segv,   c.flt_bus,    c.pagecopies, c.zeropages,
            c.loan_break_anon + c.loan_break_obj};
  }
};

// Add what happened between `before` and now to `p` (one fault).
inline void charge_fault(ProcessStats& p, const FaultChargeSnapshot& before, const UvmExp& now) {
  const FaultChargeSnapshot a = FaultChargeSnapshot::of(now);
  p.faults++;
  p.flt_anon += a.flt_anon - before.flt_anon;
  p.flt_acow += a.flt_acow - before.flt_acow;
  p.flt_obj += a.flt_obj - before.flt_obj;
  p.flt_prcopy += a.flt_prcopy - before.flt_prcopy;
  p.flt_przero += a.flt_przero - before.flt_przero;
  p.fltanget += a.fltanget - before.fltanget;
  p.flt_segv += a.flt_segv - before.flt_segv;
  p.flt_bus += a.flt_bus - before.flt_bus;
  p.pagecopies += a.pagecopies - before.pagecopies;
  p.zeropages += a.zeropages - before.zeropages;
  p.loan_breaks += a.loan_breaks - before.loan_breaks;
}

}  // namespace uvmsim
