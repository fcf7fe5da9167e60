// Least recently used. Exact in textbook mode (every access is reported);
// in uvm mode the recency is that of the reference bits the daemon samples
// before each pass, so pages used between two passes tie and keep their
// relative order from the previous pass.
#include <memory>

#include "policies/evict_loop.h"
#include "policies/frame_list.h"

namespace uvmsim::policies {

namespace {

class LruPolicy final : public ReplacementPolicy {
 public:
  std::string_view name() const override { return "lru"; }
  PolicyNeeds needs() const override { return {.references = true}; }
  void page_inserted(const PageIdentity& pg) override { order_.push_tail(pg.frame); }
  void page_referenced(const PageIdentity& pg) override {
    if (order_.contains(pg.frame)) order_.push_tail(pg.frame);
  }
  void page_removed(const PageIdentity& pg, RemoveReason) override { order_.remove(pg.frame); }
  void run(PagedaemonOps& ops) override {
    evict_in_order(
        ops, [&] { return order_.size(); }, [&] { return order_.head(); },
        [&](std::uint32_t f) { order_.push_tail(f); });
    evict_from_queues(ops);
  }

 private:
  FrameList order_;  // head: least recently used
};

}  // namespace

std::unique_ptr<ReplacementPolicy> make_lru_policy() { return std::make_unique<LruPolicy>(); }

}  // namespace uvmsim::policies
