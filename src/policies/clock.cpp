// NetBSD's two-queue clock (uvmpd_scan_inactive and the queue balancing of
// uvm_pdaemon.c): the default policy of the UVM model.
#include <algorithm>

#include "uvmsim/policy.h"

namespace uvmsim {

namespace {

class ClockPolicy final : public ReplacementPolicy {
 public:
  std::string_view name() const override { return "clock"; }
  // Works on the queues and reference bits alone: the daemon need not keep
  // page identities for it.
  PolicyNeeds needs() const override { return {.hooks = false}; }
  void run(PagedaemonOps& ops) override {
    for (int round = 0; round < 3 && ops.free_pages() < ops.free_target(); round++) {
      // 1. The inactive queue, oldest first: referenced pages get a second
      //    chance, the others are freed.
      std::uint64_t budget = ops.queue_length(PageQueueId::kInactive);
      std::uint32_t pg = ops.first(PageQueueId::kInactive);
      while (pg != PagedaemonOps::kNone && budget-- > 0 && ops.free_pages() < ops.free_target()) {
        std::uint32_t nextpg = ops.next(pg);
        if (ops.referenced(pg)) {
          ops.clear_referenced(pg);
          ops.activate(pg);
        } else {
          ops.evict(pg);
        }
        // Eviction may take neighbours along (clustered write-back): restart
        // from the head if the next page left the queue.
        if (nextpg != PagedaemonOps::kNone && !ops.on_queue(nextpg, PageQueueId::kInactive))
          nextpg = ops.first(PageQueueId::kInactive);
        pg = nextpg;
      }
      if (ops.free_pages() >= ops.free_target()) break;
      // 2. Refill the inactive queue from the active one, clearing the
      //    reference bits: pages used again before the next scan survive.
      const std::uint64_t inactive = ops.queue_length(PageQueueId::kInactive);
      std::uint64_t want = std::max(ops.inactive_target(), ops.free_target() - ops.free_pages());
      std::uint64_t need = want > inactive ? want - inactive : 0;
      pg = ops.first(PageQueueId::kActive);
      while (pg != PagedaemonOps::kNone && need > 0) {
        std::uint32_t nextpg = ops.next(pg);
        ops.clear_referenced(pg);
        ops.deactivate(pg);
        need--;
        pg = nextpg;
      }
    }
  }
};

}  // namespace

std::unique_ptr<ReplacementPolicy> make_clock_policy() { return std::make_unique<ClockPolicy>(); }

}  // namespace uvmsim
