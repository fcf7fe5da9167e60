// The textbook model of memory: exactly `frames` frames, all free at first;
// a miss takes a free frame, and when none is left the policy's run() must
// free one (one eviction per miss). The reference bit of a frame is set by
// every access to it, the dirty bit by every store; a dirty page evicted is
// one write-back. Pages are dense ids (first-touch order) with their trace
// page numbers as identity keys.
//
// The queues the PagedaemonOps expose exist so that queue-based policies
// run here too: a new page goes to the active tail.
#pragma once

#include <cstdint>
#include <vector>

#include "policies/frame_list.h"
#include "uvmsim/policy.h"

namespace uvmsim::replay_impl {

class TextbookMemory final : public PagedaemonOps {
 public:
  static constexpr std::uint32_t kNoFrame = ~0u;
  TextbookMemory(ReplacementPolicy& policy, std::uint64_t frames);

  // One access to dense page `id` (trace page number `page`). False when the
  // policy freed no frame at a miss (a broken policy): stop there.
  bool access(std::uint32_t id, std::uint64_t page, bool write) {
    now_ = accesses++;
    std::uint32_t f = id < frame_of_.size() ? frame_of_[id] : kNoFrame;
    bool ok = true;
    if (f != kNoFrame) {
      hits++;
      ref_[f] = 1;
      dirty_[f] |= write;
      if (wants_refs_) policy_.page_referenced(identity(f));
    } else {
      ok = miss(id, page, write);
    }
    if (tick_every_ && ++since_tick_ >= tick_every_) {
      since_tick_ = 0;
      policy_.tick(*this);
    }
    return ok;
  }

  std::uint64_t accesses = 0, faults = 0, hits = 0, evictions = 0, writebacks = 0;

  // PagedaemonOps
  std::uint64_t free_pages() const override { return free_.size(); }
  std::uint64_t free_target() const override { return 1; }
  std::uint64_t inactive_target() const override { return resident() / 3; }
  std::uint64_t queue_length(PageQueueId q) const override { return list(q).size(); }
  std::uint32_t first(PageQueueId q) const override { return list(q).head(); }
  std::uint32_t next(std::uint32_t frame) const override;
  bool on_queue(std::uint32_t frame, PageQueueId q) const override { return list(q).contains(frame); }
  bool referenced(std::uint32_t frame) override { return frame < nframes_ && ref_[frame]; }
  void clear_referenced(std::uint32_t frame) override {
    if (frame < nframes_) ref_[frame] = 0;
  }
  bool dirty(std::uint32_t frame) override { return frame < nframes_ && dirty_[frame]; }
  void activate(std::uint32_t frame) override;
  void deactivate(std::uint32_t frame) override;
  bool evict(std::uint32_t frame) override;
  std::uint64_t capacity() const override { return nframes_; }
  PageIdentity identity(std::uint32_t frame) override {
    PageIdentity id;
    if (frame >= nframes_ || page_of_[frame] == kNoPage) return id;
    id.frame = frame;
    id.dirty = dirty_[frame];
    id.space = 1;
    id.vaddr = id.offset = page_of_[frame] << 12;
    id.key = page_of_[frame];
    return id;
  }
  std::uint64_t now() const override { return now_; }
  bool clean(std::uint32_t frame) override;
  const PageIdentity* faulting() const override { return faulting_; }

 private:
  static constexpr std::uint64_t kNoPage = ~0ull;
  bool miss(std::uint32_t id, std::uint64_t page, bool write);
  std::uint64_t resident() const { return nframes_ - free_.size(); }
  const policies::FrameList& list(PageQueueId q) const { return q == PageQueueId::kActive ? active_ : inactive_; }

  ReplacementPolicy& policy_;
  std::uint32_t nframes_;
  bool wants_refs_;
  std::uint64_t tick_every_, since_tick_ = 0, now_ = 0;
  std::vector<std::uint32_t> frame_of_;  // dense id -> frame
  std::vector<std::uint32_t> id_of_;     // frame -> dense id
  std::vector<std::uint64_t> page_of_;   // frame -> page number
  std::vector<std::uint8_t> ref_, dirty_;
  std::vector<std::uint32_t> free_;      // a stack: frame 0 first
  policies::FrameList active_, inactive_;
  const PageIdentity* faulting_ = nullptr;
};

}  // namespace uvmsim::replay_impl
