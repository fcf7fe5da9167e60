// First in, first out: pages leave in the order they came in; references
// do not matter. Belady's anomaly lives here.
#include "policies/evict_loop.h"
#include "policies/frame_list.h"

namespace uvmsim {

namespace {

class FifoPolicy final : public ReplacementPolicy {
 public:
  std::string_view name() const override { return "fifo"; }
  void page_inserted(const PageIdentity& pg) override { order_.push_tail(pg.frame); }
  void page_removed(const PageIdentity& pg, RemoveReason) override { order_.remove(pg.frame); }
  void run(PagedaemonOps& ops) override {
    policies::evict_in_order(
        ops, [&] { return order_.size(); }, [&] { return order_.head(); },
        [&](std::uint32_t f) { order_.push_tail(f); });
    policies::evict_from_queues(ops);
  }

 private:
  policies::FrameList order_;  // head: the oldest
};

}  // namespace

std::unique_ptr<ReplacementPolicy> make_fifo_policy() { return std::make_unique<FifoPolicy>(); }

}  // namespace uvmsim
