// Random replacement: a uniformly chosen resident page. The choice is
// slots[next() % n] over the resident frames held in insertion order with
// removal by moving the last one into the hole (resident_set.h), next() being
// splitmix64 from the seed: a run is repeatable, and the test suite's
// reference implementation reproduces it draw for draw.
#include <memory>

#include "policies/evict_loop.h"
#include "policies/resident_set.h"

namespace uvmsim::policies {

namespace {

class RandomPolicy final : public ReplacementPolicy {
 public:
  explicit RandomPolicy(std::uint64_t seed) : rng_{seed} {}
  std::string_view name() const override { return "random"; }
  void page_inserted(const PageIdentity& pg) override { set_.insert(pg.frame); }
  void page_removed(const PageIdentity& pg, RemoveReason) override { set_.remove(pg.frame); }
  void run(PagedaemonOps& ops) override {
    evict_in_order(
        ops, [&] { return set_.size(); },
        [&] {
          if (set_.size() == 0) return PagedaemonOps::kNone;
          return set_.slots()[rng_.next() % set_.size()];
        },
        [](std::uint32_t) {});
    evict_from_queues(ops);
  }

 private:
  SplitMix64 rng_;
  ResidentSet set_;
};

}  // namespace

std::unique_ptr<ReplacementPolicy> make_random_policy(std::uint64_t seed) {
  return std::make_unique<RandomPolicy>(seed);
}

}  // namespace uvmsim::policies
