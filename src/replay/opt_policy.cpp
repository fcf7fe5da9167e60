#include "replay/opt_policy.h"

#include <algorithm>
#include <queue>

#include "policies/evict_loop.h"

namespace uvmsim::replay_impl {

namespace {

class OptPolicy final : public ReplacementPolicy {
 public:
  explicit OptPolicy(const std::vector<std::uint32_t>& next_use) : next_use_(next_use) {}
  std::string_view name() const override { return "opt"; }
  PolicyNeeds needs() const override { return {.references = true}; }
  void page_inserted(const PageIdentity& pg) override { used(pg.frame); }
  void page_referenced(const PageIdentity& pg) override { used(pg.frame); }
  void page_removed(const PageIdentity& pg, RemoveReason) override {
    if (pg.frame < resident_.size()) resident_[pg.frame] = 0;
  }
  void run(PagedaemonOps& ops) override {
    // A max-heap of (next use, frame) with stale entries dropped lazily.
    while (!policies::enough(ops) && !heap_.empty()) {
      const auto [when, f] = heap_.top();
      heap_.pop();
      if (!resident_[f] || next_[f] != when) continue;
      ops.evict(f);
    }
    policies::evict_from_queues(ops);
  }

 private:
  void used(std::uint32_t f) {
    if (f >= next_.size()) {
      next_.resize(std::max<std::size_t>(f + 1, next_.size() * 2));
      resident_.resize(next_.size());
    }
    const std::uint32_t when = t_ < next_use_.size() ? next_use_[t_] : kNever;
    t_++;
    next_[f] = when;
    resident_[f] = 1;
    heap_.push({when, f});
    // Keep the heap near the resident set: rebuild when stale entries dominate.
    if (heap_.size() > 4 * next_.size() + 1024) {
      std::priority_queue<std::pair<std::uint32_t, std::uint32_t>> fresh;
      for (std::uint32_t g = 0; g < next_.size(); g++)
        if (resident_[g]) fresh.push({next_[g], g});
      heap_.swap(fresh);
    }
  }
  const std::vector<std::uint32_t>& next_use_;
  std::uint64_t t_ = 0;
  std::vector<std::uint32_t> next_;
  std::vector<std::uint8_t> resident_;
  std::priority_queue<std::pair<std::uint32_t, std::uint32_t>> heap_;
};

}  // namespace

std::unique_ptr<ReplacementPolicy> make_opt_policy(const std::vector<std::uint32_t>& next_use) {
  return std::make_unique<OptPolicy>(next_use);
}

std::vector<std::uint32_t> compute_next_use(const std::vector<std::uint32_t>& refs, std::size_t npages) {
  std::vector<std::uint32_t> next(refs.size(), kNever);
  std::vector<std::uint32_t> seen(npages, kNever);
  for (std::size_t i = refs.size(); i-- > 0;) {
    const std::uint32_t id = refs[i] >> 1;
    next[i] = seen[id];
    seen[id] = static_cast<std::uint32_t>(i);
  }
  return next;
}

}  // namespace uvmsim::replay_impl
