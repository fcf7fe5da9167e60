// The page daemon (uvm_pdaemon.c): frees memory when free pages fall below
// freemin, down to freetarg, by paging out anon and aobj pages to swap and
// writing back or dropping file pages. Which pages go is the replacement
// policy's choice (include/uvmsim/policy.h); how they go is decided here.
//
// Targets (NetBSD's spirit, scaled to the simulated memory):
//   freemin  = max(16, npages / 32)          run below this
//   freetarg = freemin * 4 / 3               free up to this
//   inactarg = (active + inactive) / 3       keep this many pages inactive
//
// The policy's hooks (policy.h): pages are reported inserted when they
// first join a paging queue, removed when they are freed (evicted when that
// happens inside evict()); policies that ask for references get the pmap's
// reference bits, sampled and cleared before each pass; tick() once a pass.
//
// It runs synchronously: from uvm.pagealloc when free pages are at or below
// freemin (a "low-memory" pass), and again when an allocation finds nothing
// free (a "full" pass). Pages a caller holds across an allocation are
// PG_BUSY and are never chosen.
//
// A full swap (no slot for a dirty swap-backed page, or no swap at all):
// - within a low-memory pass, after kDirtyReacts such pages have been sent
//   back to the active queue the pass gives up (NetBSD's
//   UVMPD_NUMDIRTYREACTS): free_target() reads 0, so the policy's loop
//   ends. Without it every allocation below freemin rescanned all memory.
// - a pass that freed nothing and met a full swap is remembered as futile:
//   later low-memory passes are skipped (pdskips) until something changes
//   that could make a page reclaimable — a swap slot freed or the swap's
//   off range changed (SwapDevice::generation), or a page that needs no
//   swap to go (clean, or a file page) joining a queue or coming back from
//   a loan. Both are pass-local shortcuts; the full pass at an allocation
//   that found nothing is never limited or skipped, so the out-of-memory
//   decision is the one a whole scan makes, as before.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/physmem.h"
#include "uvmsim/policy.h"

namespace uvmsim {

struct Uvm;
struct Page;
struct PageRef;

class PageDaemon final : public PagedaemonOps, private PageQueueObserver {
 public:
  explicit PageDaemon(Uvm& uvm);
  ~PageDaemon() override;

  // Install a policy; the pages already queued are reported inserted to it.
  void set_policy(std::unique_ptr<ReplacementPolicy> p);
  ReplacementPolicy& policy() { return *policy_; }

  // One run of the daemon (uvmpd_scan). Returns pages freed.
  enum class Pass { kLowMemory, kFull };
  std::uint64_t run(Pass pass = Pass::kFull);
  // Dirty swap-backed pages a low-memory pass sends back to the active
  // queue for want of swap before it gives up (UVMPD_NUMDIRTYREACTS).
  static constexpr std::uint64_t kDirtyReacts = 16;
  // pg (on a queue, not lent, not wired) may have become reclaimable
  // without swap: forget that the last pass was futile (see above).
  void note_reclaimable(const Page* pg);
  bool running() const { return running_; }

  std::uint64_t freemin() const { return freemin_; }
  std::uint64_t freetarg() const { return freetarg_; }

  // PagedaemonOps
  std::uint64_t free_pages() const override;
  std::uint64_t free_target() const override { return giving_up() ? 0 : freetarg_; }
  std::uint64_t inactive_target() const override;
  std::uint64_t queue_length(PageQueueId q) const override;
  std::uint32_t first(PageQueueId q) const override;
  std::uint32_t next(std::uint32_t frame) const override;
  bool on_queue(std::uint32_t frame, PageQueueId q) const override;
  bool referenced(std::uint32_t frame) override;
  void clear_referenced(std::uint32_t frame) override;
  bool dirty(std::uint32_t frame) override;
  void activate(std::uint32_t frame) override;
  void deactivate(std::uint32_t frame) override;
  bool evict(std::uint32_t frame) override;
  std::uint64_t capacity() const override;
  PageIdentity identity(std::uint32_t frame) override;
  std::uint64_t now() const override;

 private:
  // Swap-backed pages written to swap together (contiguous slots, one write).
  static constexpr std::size_t kSwapCluster = 16;
  bool evict_anon(Page* pg);
  bool swap_cluster_candidate(const Page* q) const;
  bool swap_cluster_out(Page* pg, const PageRef& ref);
  bool evict_page(Page* pg);
  // PageQueueObserver: the policy's insert and remove hooks.
  void page_queued(Page* pg) override;
  void page_freed(Page* pg) override;
  void sample_references();
  void release_anon_page(Page* pg);
  // A dirty swap-backed page found no slot: back to the active queue.
  void swap_full(Page* pg);
  bool giving_up() const { return limited_ && dirtyreacts_ >= kDirtyReacts; }
  bool futile_still() const;
  Uvm& uvm_;
  std::unique_ptr<ReplacementPolicy> policy_;
  std::uint64_t freemin_, freetarg_;
  bool running_ = false;
  bool evicting_ = false;  // inside evict(): frees are evictions
  bool hooks_ = false;     // the policy wants page_inserted / page_removed
  bool limited_ = false;   // this pass gives up after kDirtyReacts
  std::uint64_t dirtyreacts_ = 0;  // in this pass
  // The futile-pass memory: the last pass freed nothing for want of swap,
  // and the swap's generation then.
  bool futile_ = false;
  const void* futile_swap_ = nullptr;
  std::uint64_t futile_gen_ = 0;
  // Identity of each frame the policy was told about (frame == kNoFrame:
  // not reported), kept because a freed page no longer knows its owner.
  std::vector<PageIdentity> known_;
};

}  // namespace uvmsim
