// struct Uvm: the VM system's global state for one simulated machine — what
// NetBSD keeps in globals (uvmexp, the page queues, the amap list, the pmap
// module). Everything in the model reaches it by reference. Two machines in
// one process share no model state; they do share two per-process things:
// the registry of pmap ids that the reverse map uses (core/pv.h, at most
// 65535 live pmaps per host process) and, on the kvm backend, the /dev/kvm
// handle and its self-test (src/kvm).
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "core/loan.h"
#include "core/physmem.h"
#include "core/pmap.h"
#include "core/pv.h"
#include "core/anon.h"
#include "core/anon_layer.h"
#include "core/swap.h"
#include "uvmsim/machine.h"
#include "uvmsim/stats.h"
#include "uvmsim/trace.h"

namespace uvmsim {

struct Amap;
class UvmObject;
class Process;
class MmuAccessor;
class FileTable;
class PageDaemon;

struct Uvm {
  MachineConfig config;
  Backend backend = Backend::kSoft;
  // Every read and write of a host file (swap, backing files) goes through
  // here; tests make chosen ones fail (core/host_io.h). Declared before the
  // swap device and the files, which use it until they die.
  HostIo io;
  std::unique_ptr<PhysMem> pm;
  // Backing files and their vnode objects (src/pagers/vnode.h). Declared
  // after pm so that it is destroyed first: cached file pages go back to
  // physical memory before it disappears. shared_ptr: FileTable is opaque here.
  std::shared_ptr<FileTable> files;
  // The swap device (src/core/swap.h); null when swap_bytes is 0.
  std::unique_ptr<SwapDevice> swap;
  UvmExp cnt;  // event counters (gauges are filled in by Machine::stats)
  // While a fault runs: the faulting process's counters, charged for the
  // events of the fault as they happen (core/process_counters.h).
  ProcessStats* fault_charge = nullptr;
  // The anonymous-memory layer (core/anon_layer.h): amaps and anons.
  // Declared before the processes so that it outlives their maps.
  std::unique_ptr<AnonLayer> anon_layer;

  // Reverse-map chain entries for pages mapped more than once (core/pv.h).
  PvPool pv;
  // Anons come from a slab pool (12 B each, no per-anon allocator header).
  AnonPool anon_pool;
  // Pages an object owns that are lent to an anon (O->A loans): the anon.
  // Struct Page has room for one owner only (page.h); this case is rare.
  absl::flat_hash_map<const Page*, Anon*> loan_anons;

  absl::flat_hash_set<Amap*> amaps;        // amap_list
  absl::flat_hash_set<UvmObject*> objects; // live objects (checker, swap-off)
  std::uint64_t nanons = 0;
  std::uint64_t shadow_ids = 0;  // last ShadowObject::id handed out

  std::unique_ptr<PmapFactory> pmaps;
  std::unique_ptr<MmuAccessor> accessor;
  std::vector<std::unique_ptr<Process>> procs;
  int next_pid = 1;

  // Test hook: the next N amap allocations fail (as kmem_alloc(KM_NOSLEEP)
  // could), to exercise the error paths of amap_copy / amap_extend.
  int fail_amap_allocs = 0;

  std::unique_ptr<PageDaemon> pagedaemon;

  // Tracing (include/uvmsim/trace.h): null when off.
  TraceSink* trace = nullptr;
  // The fault being handled (process, address), for page-in and I/O events
  // inside it (core/trace_events.h); {0, 0} outside faults.
  struct TraceContext {
    int pid = 0;
    vaddr_t va = 0;
  } trace_ctx;
  std::chrono::steady_clock::time_point epoch = std::chrono::steady_clock::now();
  std::uint64_t now_ns() const {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - epoch).count());
  }
  void emit(std::string_view name, std::string_view kind, int pid, std::uint64_t ts, std::uint64_t dur,
            std::uint64_t addr, std::uint64_t count) {
    if (trace) trace->event(TraceEvent{name, kind, pid, ts, dur, addr, count});
  }

  // Outstanding loans by handle id, and the object owning the shared zero
  // page lent for untouched copy-on-write memory (uvm_loanzero_object).
  absl::flat_hash_map<std::uint64_t, LoanRecord> loans;
  std::uint64_t next_loan = 1;
  UvmObject* loanzero = nullptr;

  // uvm_pagefree: the owner (object or anon) lets go of pg. Every mapping is
  // removed; the frame is freed unless borrowers hold it (loan_count > 0), in
  // which case it becomes an orphan they free at their last unloan — or, if
  // an anon borrowed it from the object (O->A), the anon adopts it.
  void pagefree(Page* pg);

  // uvm_pagealloc: a free frame (PG_BUSY|PG_FAKE, on no queue), zeroed or
  // not; the caller sets the owner. Wakes the page daemon when free pages
  // are at or below freemin, and once more when nothing is free. nullptr
  // when memory and swap are exhausted. Pages the caller holds across this
  // call must be PG_BUSY (the daemon skips busy pages).
  Page* pagealloc(bool zero);
};

}  // namespace uvmsim
