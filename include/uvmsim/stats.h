// uvmsim: counters, named after NetBSD's `struct uvmexp` where one exists.
//
// Event counters only grow; gauges (free pages, swap in use, ...) are
// snapshots taken when Machine::stats() is called. The X-macro lists let
// front ends print or serialise every field without naming it.
#pragma once

#include <cstdint>
#include <string>

namespace uvmsim {

// name, description
#define UVMSIM_EVENT_COUNTERS(X)                                                  \
  X(faults, "page faults handled (all kinds)")                                    \
  X(fltanget, "anon faults that paged the anon in from swap")                     \
  X(flt_anon, "case 1A: anon page mapped")                                        \
  X(flt_acow, "case 1B: anon copy-on-write (anon shared, write)")                 \
  X(flt_obj, "case 2A: object page mapped")                                       \
  X(flt_prcopy, "case 2B: object page promoted to a new anon by copy")            \
  X(flt_przero, "zero-fill: new anon with a zeroed page")                         \
  X(fltamcopy, "amap copies made by the fault handler (needs-copy)")              \
  X(fltnamap, "neighbouring resident pages mapped ahead of a fault")              \
  X(flt_noram, "faults that found no free page")                                  \
  X(flt_segv, "faults resolved as SIGSEGV (no mapping or protection)")            \
  X(flt_bus, "faults resolved as SIGBUS (pager error, past end of file)")        \
  X(flt_wired, "faults taken to wire pages (mlock, fork of wired entries)")       \
  X(amap_alloc, "amaps allocated")                                                \
  X(amap_copy, "amap_copy calls that copied an amap")                             \
  X(amap_takeover, "amap_copy calls that took over an amap with one reference")  \
  X(amap_chunk, "amap_copy calls that clipped a large entry to a chunk")          \
  X(amap_toolarge, "amaps refused: more than 2^24 slots at once (ENOMEM)")      \
  X(amap_extend, "amap_extend calls")                                             \
  X(amap_cownow, "anons copied by amap_cow_now (fork of a wired entry)")          \
  X(amap_splitref, "amap_splitref calls (entry clipped inside an amap)")          \
  X(ppref_establish, "ppref arrays established")                                  \
  X(ppref_none, "ppref arrays that could not be established (PPREF_NONE)")        \
  X(anon_alloc, "anons allocated")                                                \
  X(anon_free, "anons freed")                                                     \
  X(zeropages, "pages zero-filled")                                               \
  X(pagecopies, "pages copied")                                                   \
  X(forks, "forks")                                                               \
  X(forks_sharewired, "wired entries resolved by amap_cow_now at fork")           \
  X(map_entries_merged, "map entries merged with a neighbour")                    \
  X(map_clips, "map entries clipped")                                             \
  X(pmap_enter, "pmap_enter calls")                                               \
  X(pmap_remove_pages, "mappings removed by pmap_remove")                         \
  X(pmap_page_protect, "pmap_page_protect calls")                                 \
  X(pmap_tlb_shootdowns, "translations invalidated by pmap_update")             \
  X(pdwoke, "page daemon runs")                                                   \
  X(pdscans, "pages scanned by the page daemon")                                  \
  X(pdfreed, "pages freed by the page daemon")                                    \
  X(pdpageouts, "page-out operations (clusters) started by the page daemon")      \
  X(pdreact, "inactive pages reactivated because they were referenced")           \
  X(pddeact, "active pages moved to the inactive queue")                          \
  X(pdbusy, "pages skipped by the page daemon (busy, loaned or unswappable)")     \
  X(pdswapfull, "pages the page daemon could not page out: swap full")            \
  X(pdskips, "page daemon runs skipped: the last one was futile (swap full), nothing changed") \
  X(pgswapout, "pages written to swap")                                           \
  X(pgswapin, "pages read from swap")                                             \
  X(pgswapouterr, "pages whose write to swap failed (kept dirty in memory)")      \
  X(pgswapinerr, "pages whose read from swap failed (SIGBUS; kept in swap)")      \
  X(swapoff_pages, "pages brought back in by swap-off")                           \
  X(oom_kills, "processes killed: out of memory and swap")                       \
  X(loan_ok, "pages loaned object->kernel")                                       \
  X(loan_ak, "pages loaned anon->kernel")                                         \
  X(loan_zk, "zero pages loaned to the kernel")                                   \
  X(loan_aa, "anons loaned anon->anon (made copy-on-write shared)")               \
  X(loan_oa, "pages loaned object->anon")                                         \
  X(loan_za, "zero pages loaned to anons")                                        \
  X(loan_break_obj, "object loans broken by an owner write (uvm_loanbreak)")     \
  X(loan_break_anon, "anon loans broken by an owner write (uvm_loanbreak_anon)") \
  X(loan_rollback, "loans rolled back because a later page failed")               \
  X(loan_orphans, "loaned pages orphaned by their owner")                         \
  X(loan_adopted, "loaned pages adopted by the anon that borrowed them")          \
  X(loan_orphans_freed, "orphaned pages freed at the last unloan")                \
  X(unloans, "loans returned")                                                   \
  X(vnode_attach, "vnode attaches (a mapping of a file)")                         \
  X(vnode_persist_hits, "attaches that found the file's pages still cached")      \
  X(vnode_gets, "vnode pager get calls")                                          \
  X(vnode_get_hits, "vnode gets satisfied by a resident page")                   \
  X(vnode_get_eof, "vnode gets refused: wholly past end of file (SIGBUS)")        \
  X(vnode_pagein, "file pages read")                                              \
  X(vnode_puts, "vnode pager put/flush calls")                                    \
  X(vnode_pageout, "file pages written back")                                     \
  X(vnode_clusters, "write-back clusters (one pwritev each)")                     \
  X(vnode_flush_bylist, "flushes that walked the object's page list")            \
  X(vnode_flush_byoff, "flushes that looked up each offset")                      \
  X(vnode_flush_visits, "object pages walked by list-order flushes")              \
  X(vnode_flush_lookups, "offset lookups by offset-order flushes")                \
  X(vnode_deactivated, "file pages deactivated by put/flush (madvise, msync)")    \
  X(vnode_free_skipped, "file pages a free could not take (lent, wired, busy)")   \
  X(vnode_freed, "file pages freed by put/flush or truncation")                   \
  X(vnode_setsize, "file size changes (truncate/grow)")                           \
  X(vnode_truncated, "file pages dropped past a new end of file")                 \
  X(vnode_ioerr, "file I/O errors (failed reads, write-backs, truncations)")      \
  X(object_allocs, "shadow model: anonymous objects allocated")                  \
  X(object_shadows, "shadow model: shadow objects made (vm_object_shadow)")      \
  X(object_shadow_skips, "shadow model: needs-copy cleared without a shadow (one reference)") \
  X(object_collapses, "shadow model: backing objects collapsed into their shadow") \
  X(object_bypasses, "shadow model: backing objects bypassed (fully shadowed)")   \
  X(object_coalesces, "shadow model: objects grown for a neighbouring mapping")   \
  X(cow_faults, "shadow model: pages copied up the chain by a write (vm_fault_cow)") \
  X(cow_optim, "shadow model: pages renamed up the chain instead of copied")     \
  X(object_fork_copies, "shadow model: pages copied at fork (wired or shared entries)") \
  X(object_free_marks, "shadow model: free marks left by madvise free")

#define UVMSIM_GAUGES(X)                                                          \
  X(npages, "physical pages")                                                     \
  X(free, "free pages")                                                           \
  X(active, "pages on the active queue")                                          \
  X(inactive, "pages on the inactive queue")                                      \
  X(wired, "wired pages")                                                         \
  X(anonpages, "pages owned by anons")                                            \
  X(objpages, "pages owned by uvm_objects")                                       \
  X(anons, "live anons")                                                          \
  X(amaps, "live amaps")                                                          \
  X(ptpages, "page-table pages (pmap overhead, not in npages)")                   \
  X(swpages, "swap slots on the device")                                          \
  X(swpginuse, "swap slots in use")                                               \
  X(swpgonly, "swap slots whose page is not resident")                            \
  X(freemin, "page daemon: free pages below which it runs")                      \
  X(freetarg, "page daemon: free pages it aims for")                              \
  X(processes, "live processes")                                                  \
  X(loanedpages, "pages with loan_count > 0")                                     \
  X(vnode_cached, "file pages kept by vnodes with no mapping (persist cache)")    \
  X(objects, "shadow model: live anonymous objects")                              \
  X(chain_max, "shadow model: longest object chain behind a map entry")           \
  X(chain_mean_x100, "shadow model: mean chain length over entries with one, x100") \
  X(chains_1, "shadow model: entries whose chain has 1 object")                  \
  X(chains_2, "shadow model: entries whose chain has 2 objects")                 \
  X(chains_3_4, "shadow model: entries whose chain has 3-4 objects")             \
  X(chains_5_8, "shadow model: entries whose chain has 5-8 objects")             \
  X(chains_9_16, "shadow model: entries whose chain has 9-16 objects")           \
  X(chains_17up, "shadow model: entries whose chain has 17 objects or more")     \
  X(hidden_pages, "shadow model: object pages no mapping can reach")              \
  X(hidden_swslots, "shadow model: swap slots of object pages no mapping can reach")

// Per process (Process::stats()): what its own accesses cost. Fault cases
// are named as the machine-wide counters above; a fault is charged to the
// process that took it, and so are the copies and zero-fills it caused.
#define UVMSIM_PROCESS_COUNTERS(X)                                                \
  X(faults, "page faults it took (all kinds)")                                    \
  X(flt_anon, "case 1A: anon page mapped")                                        \
  X(flt_acow, "case 1B: anon copy-on-write copies")                               \
  X(flt_obj, "case 2A: object page mapped")                                       \
  X(flt_prcopy, "case 2B: object page copied to a new anon")                      \
  X(flt_przero, "zero-fill faults")                                               \
  X(fltanget, "anon faults that paged the anon in from swap")                     \
  X(flt_segv, "faults resolved as SIGSEGV")                                       \
  X(flt_bus, "faults resolved as SIGBUS")                                         \
  X(pagecopies, "pages copied by its faults (copy-on-write, 2B, loan breaks)")    \
  X(zeropages, "pages zero-filled by its faults")                                 \
  X(loan_breaks, "loans broken by its writes")                                    \
  X(loans, "pages of its address space it loaned out")                            \
  X(forks, "forks it made")

#define UVMSIM_PROCESS_GAUGES(X)                                                  \
  X(resident, "pages mapped in its page tables")                                  \
  X(swapped, "pages of its address space held only in swap")                      \
  X(loaned, "its resident pages that are lent out now (loan_count > 0)")          \
  X(entries, "map entries")

struct ProcessStats {
#define UVMSIM_DECLARE(name, desc) std::uint64_t name = 0;
  UVMSIM_PROCESS_COUNTERS(UVMSIM_DECLARE)
  UVMSIM_PROCESS_GAUGES(UVMSIM_DECLARE)
#undef UVMSIM_DECLARE

  template <typename F>
  void for_each(F&& f) const {
#define UVMSIM_VISIT(name, desc) f(#name, name, desc);
    UVMSIM_PROCESS_COUNTERS(UVMSIM_VISIT)
    UVMSIM_PROCESS_GAUGES(UVMSIM_VISIT)
#undef UVMSIM_VISIT
  }
  std::string to_json() const;
};

struct UvmExp {
#define UVMSIM_DECLARE(name, desc) std::uint64_t name = 0;
  UVMSIM_EVENT_COUNTERS(UVMSIM_DECLARE)
  UVMSIM_GAUGES(UVMSIM_DECLARE)
#undef UVMSIM_DECLARE

  // Calls f(name, value, description) for every field, events first.
  template <typename F>
  void for_each(F&& f) const {
#define UVMSIM_VISIT(name, desc) f(#name, name, desc);
    UVMSIM_EVENT_COUNTERS(UVMSIM_VISIT)
    UVMSIM_GAUGES(UVMSIM_VISIT)
#undef UVMSIM_VISIT
  }

  // "name value" lines, one per field.
  std::string to_string() const;
  // A flat JSON object {"name": value, ...}.
  std::string to_json() const;
};

}  // namespace uvmsim
