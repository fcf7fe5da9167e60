// The one-handed clock (second chance): frames on a ring in the order they
// were filled, a hand at the oldest. At each eviction the hand clears and
// passes over referenced pages and takes the first unreferenced one. This is
// the textbook "clock" (replay --mode textbook --policy clock).
#include <memory>

#include "policies/evict_loop.h"
#include "policies/frame_list.h"

namespace uvmsim::policies {

namespace {

class SecondChancePolicy final : public ReplacementPolicy {
 public:
  std::string_view name() const override { return "second-chance"; }
  void page_inserted(const PageIdentity& pg) override { ring_.push_tail(pg.frame); }
  void page_removed(const PageIdentity& pg, RemoveReason) override { ring_.remove(pg.frame); }
  void run(PagedaemonOps& ops) override {
    // The ring as a list: the head is under the hand; passing over a page
    // moves it to the tail (just behind the hand).
    evict_in_order(
        ops, [&] { return ring_.size(); },
        [&] {
          // At most one full turn clearing bits, then the page under the hand.
          for (std::uint64_t i = 0; i < ring_.size() && ops.referenced(ring_.head()); i++) {
            ops.clear_referenced(ring_.head());
            ring_.push_tail(ring_.head());
          }
          return ring_.head();
        },
        [&](std::uint32_t f) { ring_.push_tail(f); });
    evict_from_queues(ops);
  }

 private:
  FrameList ring_;  // head: under the hand
};

}  // namespace

std::unique_ptr<ReplacementPolicy> make_second_chance_policy() {
  return std::make_unique<SecondChancePolicy>();
}

}  // namespace uvmsim::policies
