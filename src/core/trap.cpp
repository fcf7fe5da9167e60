#include "core/trap.h"

#include "core/vmspace.h"

namespace uvmsim {

Outcome outcome_of(FaultResult fr) {
  switch (fr) {
    case FaultResult::kSegv: return Outcome::kSigsegv;
    case FaultResult::kBus: return Outcome::kSigbus;
    case FaultResult::kNoMem: return Outcome::kKilled;  // out of memory (the caller kills)
    case FaultResult::kOk: break;
  }
  return Outcome::kOk;
}

TrapDisposition TrapHandler::handle(const Trap& t) {
  TrapDisposition d;
  switch (t.type) {
    case TrapType::kHalt:
      return d;  // done: outcome kOk, no resume
    case TrapType::kSyscall:
    case TrapType::kException:
      // No system-call layer on this seam yet: the access cannot go on.
      d.outcome = Outcome::kSigsegv;
      return d;
    case TrapType::kPageFault:
      break;
  }
  if (t.addr != last_va_) retries_ = 0;
  last_va_ = t.addr;
  FaultResult fr = uvm_fault(*vm_.map, t.addr, t.access).result;
  if (fr == FaultResult::kOk && ++retries_ > kMaxRetries) fr = FaultResult::kBus;
  d.fault = fr;
  d.resume = fr == FaultResult::kOk;
  d.outcome = outcome_of(fr);
  return d;
}

}  // namespace uvmsim
