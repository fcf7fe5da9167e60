// The trap seam: how user execution meets the kernel.
//
// A user context runs on a vmspace until it traps (in the spirit of gVisor's
// platform Context.Switch): a page fault, a system call, an exception, or
// the end of what it was asked to run (halt). One generic handler takes the
// trap: a page fault goes to uvm_fault, and the handler decides whether the
// faulting instruction restarts (resume) or the access ends with a signal
// or, when memory and swap are exhausted, with the process killed.
//
// The soft MMU accessor (core/soft_pmap.cpp) is a user context whose
// "instructions" are the loads and stores of one access request; the kvm
// accessor runs guest ring-3 code and hands each #PF exit here. Real
// programs add system calls on the same seam.
#pragma once

#include <cstdint>

#include "core/fault.h"
#include "uvmsim/process.h"
#include "uvmsim/types.h"

namespace uvmsim {

struct VmSpace;

enum class TrapType : std::uint8_t { kPageFault, kSyscall, kException, kHalt };

struct Trap {
  TrapType type = TrapType::kHalt;
  vaddr_t addr = 0;               // page fault: the faulting address (cr2)
  Access access = Access::kRead;  // page fault: the access that faulted
  std::uint64_t error_code = 0;   // page fault / exception: the hardware error code
  int vector = 0;                 // exception: the vector
};

// What the handler decided: resume the context, or stop it with outcome.
struct TrapDisposition {
  bool resume = false;
  Outcome outcome = Outcome::kOk;
  FaultResult fault = FaultResult::kOk;  // page fault: what uvm_fault said
};

// The outcome a failed fault gives the access (out of memory: the caller
// kills the process).
Outcome outcome_of(FaultResult fr);

// The generic handler of one run. Keeps the retry count: a fault that
// "succeeds" without making the access possible must not spin, so the
// same address faulting more than kMaxRetries times in a row is SIGBUS.
class TrapHandler {
 public:
  static constexpr int kMaxRetries = 4;
  explicit TrapHandler(VmSpace& vm) : vm_(vm) {}
  TrapDisposition handle(const Trap& t);
  // The access made progress: the next fault starts a new retry count.
  void progressed() { retries_ = 0; }

 private:
  VmSpace& vm_;
  vaddr_t last_va_ = ~0ull;
  int retries_ = 0;
};

}  // namespace uvmsim
