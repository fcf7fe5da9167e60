#include "core/trace_events.h"

#include "core/pmap.h"
#include "core/pv.h"
#include "core/uvm.h"
#include "core/vmspace.h"
#include "uvmsim/process.h"

namespace uvmsim {

PageRef trace_page_ref(const Uvm& uvm, const Page* pg) {
  if (!uvm.trace) return {};
  Pmap* pmap = nullptr;
  vaddr_t va = 0;
  if (!pv_first(pg, &pmap, &va)) return {};
  for (const auto& p : uvm.procs)
    if (p->alive() && p->vmspace().pmap.get() == pmap) return {p->pid(), va};
  return {0, va};
}

void trace_pagein(Uvm& uvm, std::string_view kind, std::uint64_t npages) {
  if (!uvm.trace) return;
  uvm.emit("pagein", kind, uvm.trace_ctx.pid, uvm.now_ns(), 0, uvm.trace_ctx.va, npages);
}

void trace_loanbreak(Uvm& uvm, std::string_view kind) {
  if (!uvm.trace) return;
  uvm.emit("loanbreak", kind, uvm.trace_ctx.pid, uvm.now_ns(), 0, uvm.trace_ctx.va, 1);
}

void trace_pageout(Uvm& uvm, std::string_view kind, PageRef ref, std::uint64_t npages) {
  if (!uvm.trace) return;
  uvm.emit("pageout", kind, ref.pid, uvm.now_ns(), 0, ref.va, npages);
}

void trace_io(Uvm& uvm, std::string_view kind, std::uint64_t npages) {
  if (!uvm.trace) return;
  uvm.emit("io", kind, uvm.trace_ctx.pid, uvm.now_ns(), 0, uvm.trace_ctx.va, npages);
}

}  // namespace uvmsim
