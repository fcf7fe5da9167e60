// Aging (Tanenbaum's software approximation of LRU): every resident page
// has an 8-bit counter; at each tick the counter shifts right and the
// reference bit, cleared as it is read, enters at the top. The victim is the
// page with the smallest (reference bit since the last tick, counter) pair,
// the oldest-loaded one among equals: a page used since the last tick ranks
// above every page that was not. The scan for the victim is linear in the
// resident pages.
#include <memory>
#include <vector>

#include "policies/evict_loop.h"
#include "policies/resident_set.h"

namespace uvmsim::policies {

namespace {

class AgingPolicy final : public ReplacementPolicy {
 public:
  explicit AgingPolicy(std::uint64_t interval) : interval_(interval == 0 ? 1 : interval) {}
  std::string_view name() const override { return "aging"; }
  PolicyNeeds needs() const override { return {.tick_every = interval_}; }
  void page_inserted(const PageIdentity& pg) override {
    set_.insert(pg.frame);
    if (pg.frame >= counter_.size()) {
      counter_.resize(std::max<std::size_t>(pg.frame + 1, counter_.size() * 2));
      loaded_.resize(counter_.size());
    }
    counter_[pg.frame] = 0;
    loaded_[pg.frame] = seq_++;
  }
  void page_removed(const PageIdentity& pg, RemoveReason) override { set_.remove(pg.frame); }
  void tick(PagedaemonOps& ops) override {
    for (std::uint32_t f : set_.slots()) {
      const bool r = ops.referenced(f);
      if (r) ops.clear_referenced(f);
      counter_[f] = static_cast<std::uint8_t>((counter_[f] >> 1) | (r ? 0x80 : 0));
    }
  }
  void run(PagedaemonOps& ops) override {
    skipped_.clear();
    evict_in_order(
        ops, [&] { return set_.size(); },
        [&] {
          std::uint32_t best = PagedaemonOps::kNone;
          std::uint32_t best_rank = 0;
          for (std::uint32_t f : set_.slots()) {
            if (!skipped_.empty() && is_skipped(f)) continue;
            const std::uint32_t rank = (ops.referenced(f) ? 0x100u : 0u) | counter_[f];
            if (best == PagedaemonOps::kNone || rank < best_rank ||
                (rank == best_rank && loaded_[f] < loaded_[best])) {
              best = f;
              best_rank = rank;
            }
          }
          return best;
        },
        [&](std::uint32_t f) { skipped_.push_back(f); });
    evict_from_queues(ops);
  }

 private:
  bool is_skipped(std::uint32_t f) const {
    for (std::uint32_t s : skipped_)
      if (s == f) return true;
    return false;
  }
  std::uint64_t interval_;
  ResidentSet set_;
  std::vector<std::uint8_t> counter_;
  std::vector<std::uint64_t> loaded_;
  std::vector<std::uint32_t> skipped_;  // could not be freed in this run
  std::uint64_t seq_ = 0;
};

}  // namespace

std::unique_ptr<ReplacementPolicy> make_aging_policy(std::uint64_t interval) {
  return std::make_unique<AgingPolicy>(interval);
}

}  // namespace uvmsim::policies
