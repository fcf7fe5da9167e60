// WSClock (Carr and Hennessy, 1981): the clock over the frames, with the
// working-set test. Each page remembers the virtual time of its last use
// (seen through its reference bit). The hand:
//   referenced          -> clear the bit, last use = now, pass on
//   unreferenced, age <= tau (in the working set)         -> pass on
//   unreferenced, age > tau, clean                        -> evict it
//   unreferenced, age > tau, dirty -> schedule its write-back (ops.clean)
//                                     and pass on; it is clean next time
// After two full turns without a victim (everything is in the working set,
// or dirty and cannot be cleaned) the page under the hand goes.
// tau defaults to the number of frames (PolicyOptions::wsclock_tau).
#include <memory>
#include <vector>

#include "policies/evict_loop.h"
#include "policies/frame_list.h"

namespace uvmsim::policies {

namespace {

class WsClockPolicy final : public ReplacementPolicy {
 public:
  explicit WsClockPolicy(std::uint64_t tau) : tau_(tau) {}
  std::string_view name() const override { return "wsclock"; }
  void page_inserted(const PageIdentity& pg) override {
    ring_.push_tail(pg.frame);
    if (pg.frame >= last_use_.size()) last_use_.resize(std::max<std::size_t>(pg.frame + 1, last_use_.size() * 2));
    last_use_[pg.frame] = now_;
  }
  void page_removed(const PageIdentity& pg, RemoveReason) override { ring_.remove(pg.frame); }
  void run(PagedaemonOps& ops) override {
    now_ = ops.now();
    const std::uint64_t tau = tau_ ? tau_ : (ops.capacity() ? ops.capacity() : ring_.size());
    evict_in_order(
        ops, [&] { return ring_.size(); },
        [&] {
          const std::uint64_t n = ring_.size();
          for (std::uint64_t i = 0; i < 2 * n; i++) {
            const std::uint32_t f = ring_.head();
            if (ops.referenced(f)) {
              ops.clear_referenced(f);
              last_use_[f] = now_;
            } else if (now_ - last_use_[f] > tau) {
              if (!ops.dirty(f)) return f;
              ops.clean(f);  // written back now; clean when the hand returns
            }
            ring_.push_tail(f);
          }
          return ring_.head();
        },
        [&](std::uint32_t f) { ring_.push_tail(f); });
    evict_from_queues(ops);
  }
  void tick(PagedaemonOps& ops) override { now_ = ops.now(); }

 private:
  std::uint64_t tau_;
  std::uint64_t now_ = 0;
  FrameList ring_;  // head: under the hand
  std::vector<std::uint64_t> last_use_;
};

}  // namespace

std::unique_ptr<ReplacementPolicy> make_wsclock_policy(std::uint64_t tau) {
  return std::make_unique<WsClockPolicy>(tau);
}

}  // namespace uvmsim::policies
