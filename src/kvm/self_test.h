// uvmsim::kvm: the start-up self-test of how this platform's MMU sees host
// edits of guest page tables, and the strategy chosen from it.
#pragma once

#include <string>
#include <vector>

#include "kvm/invalidator.h"
#include "uvmsim/status.h"

namespace uvmsim::kvm {

class Guest;

struct Probe {
  Method method = Method::kNone;
  int trials = 0;
  int passes = 0;        // trials in which ring 3 saw the new entry
  double cost_us = 0;    // median cost of applying the method
  bool works() const { return trials > 0 && passes == trials; }
};

struct SelfTestResult {
  bool ran = false;
  // A leaf PTE repointed from frame F1 to F2 after ring 3 touched it.
  std::vector<Probe> pte;
  // A PDE repointed from page table X (mapping F1) to a new table Y (mapping F2).
  std::vector<Probe> pde;
  bool accessed_bit_set = false;  // ring 3's first read set A in the PTE
  Strategy chosen;
  std::string to_string() const;
};

// Runs the probes on `g` (using pool scratch frames and throw-away roots),
// cleans up with a global zap, and returns the results with a strategy.
// NotFound-like failure (FailedPrecondition) if no method works.
StatusOr<SelfTestResult> run_self_test(Guest& g, int trials = 3);

}  // namespace uvmsim::kvm
