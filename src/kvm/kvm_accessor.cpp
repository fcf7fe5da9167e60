// Process accesses on the kvm backend: guest ring-3 routines over the
// process's real page tables; every #PF goes to uvm_fault. Outcomes are
// mapped exactly as the soft accessor maps them (core/soft_pmap.cpp).
#include <cstdio>

#include <fmt/format.h>

#include "core/fault.h"
#include "core/trap.h"
#include "core/uvm.h"
#include "kvm/kvm_backend.h"

namespace uvmsim::kvm {

Status KvmAccessor::error() const { return ctx_->error; }

AccessResult KvmAccessor::access(VmSpace& vm, const AccessRequest& req) {
  KvmContext& ctx = *ctx_;
  // The backend failed (an unexpected exit, a failed ioctl): the model is
  // consistent, but nothing runs any more. error() says why.
  auto broken = [&](vaddr_t at, std::uint64_t done) {
    AccessResult r;
    r.outcome = Outcome::kSigbus;
    r.done = done;
    r.fault_addr = at;
    return r;
  };
  if (!ctx.error.ok()) return broken(req.va, 0);
  Guest& g = *ctx.guest;
  Invalidator& inv = g.invalidator();
  // Every pmap change is followed by pmap_update(); this only catches a
  // caller that forgot, so that the guest never runs on a stale translation.
  if (inv.pending()) {
    ctx.c.late_flushes++;
    ctx.note(inv.flush());
    if (!ctx.error.ok()) return broken(req.va, 0);
  }
  const Access acc =
      (req.op == AccessOp::kWrite || req.op == AccessOp::kFill) ? Access::kWrite : Access::kRead;

  // Ring 3 runs only the part inside simulated user space: above kUserMax
  // lies the reserved region (mapped for the routines themselves). There the
  // soft MMU finds no translation and the fault handler no entry; do the same.
  std::uint64_t len = req.len;
  if (req.va >= kUserMax) len = 0;
  else if (req.len > kUserMax - req.va) len = kUserMax - req.va;

  // Each #PF exit of the guest goes to the generic trap handler
  // (core/trap.h), exactly as the soft MMU's misses do.
  TrapHandler traps(vm);
  Outcome failed = Outcome::kOk;
  vaddr_t last_va = ~0ull;
  FaultHandler handler = [&](const PageFault& pf) -> StatusOr<FaultAction> {
    const Access a = (pf.error_code & PGEX_W) ? Access::kWrite : Access::kRead;
    last_va = pf.cr2;
    const TrapDisposition d = traps.handle(Trap{TrapType::kPageFault, pf.cr2, a, pf.error_code});
    if (!d.resume) {
      failed = d.outcome;
      return FaultAction::kFail;
    }
    if (!ctx.error.ok()) return ctx.error;
    if (inv.pending()) {  // uvm_fault ends with pmap_update; see above
      ctx.c.late_flushes++;
      if (Status s = inv.flush(); !s.ok()) return s;
    }
    return FaultAction::kRetry;
  };

  AccessResult r;
  std::uint64_t hash = req.hash;
  if (len > 0) {
    ctx.c.accesses++;
    const std::uint64_t cr3 = vm.pmap->root();
    StatusOr<AccessOutcome> o;
    switch (req.op) {
      case AccessOp::kRead: o = g.read(cr3, req.va, std::span<std::uint8_t>(req.out, len), handler); break;
      case AccessOp::kWrite:
        o = g.write(cr3, req.va, std::span<const std::uint8_t>(req.in, len), handler);
        break;
      case AccessOp::kFill: o = g.fill(cr3, req.va, len, req.byte, handler); break;
      case AccessOp::kSum: o = g.sum(cr3, req.va, len, handler, req.hash); break;
    }
    if (!o.ok()) {
      ctx.note(absl::InternalError(fmt::format(
          "kvm backend: {} of {:#x}+{:#x} (root {:#x}): {}",
          req.op == AccessOp::kRead    ? "read"
          : req.op == AccessOp::kWrite ? "write"
          : req.op == AccessOp::kFill  ? "fill"
                                       : "sum",
          req.va, req.len, cr3, std::string(o.status().message()))));
      std::fprintf(stderr, "uvmsim: %s\n", std::string(ctx.error.message()).c_str());
      return broken(last_va == ~0ull ? req.va : last_va, 0);
    }
    if (!o->ok) {
      r.outcome = failed;
      r.done = o->done;
      r.fault_addr = o->fault_addr;
      return r;
    }
    if (req.op == AccessOp::kSum) hash = o->hash;
  }
  if (len < req.len) {
    const vaddr_t va = req.va + len;
    FaultResult fr = uvm_fault(*vm.map, va, acc).result;
    if (fr == FaultResult::kOk) fr = FaultResult::kSegv;  // nothing can be mapped there
    r.outcome = outcome_of(fr);
    r.done = len;
    r.fault_addr = va;
    return r;
  }
  r.done = req.len;
  r.hash = hash;
  return r;
}

}  // namespace uvmsim::kvm
