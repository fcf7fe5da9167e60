// uvmsim: the page-replacement policy seam.
//
// The page daemon decides *when* to free memory (free pages below freemin)
// and *how* to free a page (write it to swap or its file first if dirty); a
// ReplacementPolicy decides *which* pages. The default is NetBSD's clock over
// the active and inactive queues; FIFO ships as an alternative. Researchers
// implement ReplacementPolicy and install it with
// Machine::set_replacement_policy().
//
// Pages are named by frame number. The ops are only valid during run().
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

namespace uvmsim {

enum class PageQueueId : std::uint8_t { kActive, kInactive };

class PagedaemonOps {
 public:
  static constexpr std::uint32_t kNone = ~0u;
  virtual ~PagedaemonOps() = default;

  virtual std::uint64_t free_pages() const = 0;
  virtual std::uint64_t free_target() const = 0;      // stop when free >= this
  virtual std::uint64_t inactive_target() const = 0;  // desired inactive length
  virtual std::uint64_t queue_length(PageQueueId q) const = 0;
  // Queue walk: first frame (head: oldest) / next frame on the same queue.
  virtual std::uint32_t first(PageQueueId q) const = 0;
  virtual std::uint32_t next(std::uint32_t frame) const = 0;
  virtual bool on_queue(std::uint32_t frame, PageQueueId q) const = 0;

  // Referenced: the MMU's accessed bits of every mapping (or harvested).
  virtual bool referenced(std::uint32_t frame) = 0;
  virtual void clear_referenced(std::uint32_t frame) = 0;
  virtual bool dirty(std::uint32_t frame) = 0;
  virtual void activate(std::uint32_t frame) = 0;    // to the active tail
  virtual void deactivate(std::uint32_t frame) = 0;  // to the inactive tail
  // Free the page, writing it to swap or its file first when dirty. False
  // when it cannot be freed now (busy, wired, loaned, swap full, I/O error).
  virtual bool evict(std::uint32_t frame) = 0;
};

class ReplacementPolicy {
 public:
  virtual ~ReplacementPolicy() = default;
  virtual std::string_view name() const = 0;
  // Free pages until ops.free_pages() >= ops.free_target() or nothing more
  // can be freed.
  virtual void run(PagedaemonOps& ops) = 0;
};

// NetBSD's two-queue clock: inactive pages that were referenced get a second
// chance (reactivated), unreferenced ones are freed; active pages are moved
// to the inactive queue (their reference bit cleared) to keep it at target.
std::unique_ptr<ReplacementPolicy> make_clock_policy();
// First in, first out: the oldest page (inactive queue first) is evicted,
// reference bits ignored.
std::unique_ptr<ReplacementPolicy> make_fifo_policy();

}  // namespace uvmsim
