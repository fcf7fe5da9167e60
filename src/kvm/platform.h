// uvmsim::kvm: what this machine's KVM is and how it behaves (for `doctor`
// and the backend choice).
#pragma once

#include <string>
#include <vector>

#include "kvm/kvm_system.h"
#include "kvm/self_test.h"
#include "uvmsim/status.h"

namespace uvmsim::kvm {

class Guest;

struct PlatformReport {
  bool dev_kvm_present = false;
  bool usable = false;
  std::string error;      // why not usable
  int api_version = 0;
  std::string flavour;    // "PVM", "VMX", "SVM" or "unknown"
  std::string flavour_evidence;
  std::string mmu;        // "shadow paging", "EPT", "NPT", ...
  KvmCaps caps;
  GuestCpuFeatures cpu;
  SelfTestResult self_test;
  // Medians in microseconds.
  int fault_samples = 0;
  double fault_round_trip_us = 0;  // #PF -> hlt stub -> host maps a pre-zeroed frame -> resume
  double done_exit_us = 0;         // an empty ring-3 routine: KVM_RUN + MMIO-write exit
  double ring0_helper_us = 0;      // a ring-0 helper run (CR3 reload)

  std::string to_string() const;
};

// The flavour from /sys/module (kvm_pvm, kvm_intel, kvm_amd), else the host
// CPUID vendor; *mmu gets the paging mode when it can be told.
std::string detect_flavour(std::string* evidence, std::string* mmu);

// Median #PF round trip over `n` faults: ring 3 writes one byte per page of
// an unmapped region; the handler maps a pre-zeroed pool frame (a PTE store
// into a non-present entry: no invalidation needed) and resumes.
StatusOr<double> measure_fault_round_trip(Guest& g, int n, std::vector<double>* samples = nullptr);

// Opens /dev/kvm, creates a small guest (self-test included) and measures.
// Never fails: problems go to .error with usable = false.
PlatformReport probe_platform(int fault_samples = 200);

}  // namespace uvmsim::kvm
