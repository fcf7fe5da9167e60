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
// freemin, and again when an allocation finds nothing free. Pages a caller
// holds across an allocation are PG_BUSY and are never chosen.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/physmem.h"
#include "uvmsim/policy.h"

namespace uvmsim {

struct Uvm;
struct Page;

class PageDaemon final : public PagedaemonOps, private PageQueueObserver {
 public:
  explicit PageDaemon(Uvm& uvm);
  ~PageDaemon() override;

  // Install a policy; the pages already queued are reported inserted to it.
  void set_policy(std::unique_ptr<ReplacementPolicy> p);
  ReplacementPolicy& policy() { return *policy_; }

  // One run of the daemon (uvmpd_scan). Returns pages freed.
  std::uint64_t run();
  bool running() const { return running_; }

  std::uint64_t freemin() const { return freemin_; }
  std::uint64_t freetarg() const { return freetarg_; }

  // PagedaemonOps
  std::uint64_t free_pages() const override;
  std::uint64_t free_target() const override { return freetarg_; }
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
  // Anon pages written to swap together (contiguous slots, one write).
  static constexpr std::size_t kSwapCluster = 16;
  bool evict_anon(Page* pg);
  bool evict_page(Page* pg);
  // PageQueueObserver: the policy's insert and remove hooks.
  void page_queued(Page* pg) override;
  void page_freed(Page* pg) override;
  void sample_references();
  void release_anon_page(Page* pg);
  Uvm& uvm_;
  std::unique_ptr<ReplacementPolicy> policy_;
  std::uint64_t freemin_, freetarg_;
  bool running_ = false;
  bool evicting_ = false;  // inside evict(): frees are evictions
  bool hooks_ = false;     // the policy wants page_inserted / page_removed
  // Identity of each frame the policy was told about (frame == kNoFrame:
  // not reported), kept because a freed page no longer knows its owner.
  std::vector<PageIdentity> known_;
};

}  // namespace uvmsim
