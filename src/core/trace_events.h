// Trace events beyond faults (include/uvmsim/trace.h): per-page page-in and
// page-out, pager and swap I/O, process lifecycle. Each helper costs one
// branch when tracing is off.
//
// Which process and address a page event belongs to: a page-in happens
// inside a fault, whose process and address uvm_fault records in
// Uvm::trace_ctx; a page-out is named after the page's first mapping,
// looked up (pmap -> process) before the page daemon unmaps it.
#pragma once

#include <cstdint>
#include <string_view>

#include "uvmsim/types.h"

namespace uvmsim {

struct Uvm;
struct Page;

struct PageRef {
  int pid = 0;
  vaddr_t va = 0;
};

// The first mapping of pg as (pid, va); {0, 0} when it is not mapped or
// tracing is off (the lookup walks the processes: only done when tracing).
PageRef trace_page_ref(const Uvm& uvm, const Page* pg);

// "pagein" (kind: "anon", "aobj", "vnode") for the fault being handled.
void trace_pagein(Uvm& uvm, std::string_view kind, std::uint64_t npages);
// "pageout" of one page (kind: "anon", "aobj"), named by ref.
void trace_pageout(Uvm& uvm, std::string_view kind, PageRef ref, std::uint64_t npages);
// "loanbreak" (kind: "anon", "object"): a write to a lent page gave its
// owner a fresh copy; the borrowers keep the old page.
void trace_loanbreak(Uvm& uvm, std::string_view kind);
// "io": swap or file I/O (kind: "swap-read", "swap-write", "file-read",
// "file-write"), npages pages in one operation.
void trace_io(Uvm& uvm, std::string_view kind, std::uint64_t npages);

}  // namespace uvmsim
