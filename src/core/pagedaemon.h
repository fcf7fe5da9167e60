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
// It runs synchronously: from uvm.pagealloc when free pages are at or below
// freemin, and again when an allocation finds nothing free. Pages a caller
// holds across an allocation are PG_BUSY and are never chosen.
#pragma once

#include <cstdint>
#include <memory>

#include "uvmsim/policy.h"

namespace uvmsim {

struct Uvm;
struct Page;

class PageDaemon final : public PagedaemonOps {
 public:
  explicit PageDaemon(Uvm& uvm);
  ~PageDaemon() override;

  void set_policy(std::unique_ptr<ReplacementPolicy> p) { policy_ = std::move(p); }
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

 private:
  // Anon pages written to swap together (contiguous slots, one write).
  static constexpr std::size_t kSwapCluster = 16;
  bool evict_anon(Page* pg);
  void release_anon_page(Page* pg);
  Uvm& uvm_;
  std::unique_ptr<ReplacementPolicy> policy_;
  std::uint64_t freemin_, freetarg_;
  bool running_ = false;
};

}  // namespace uvmsim
