// ARC, the adaptive replacement cache (Megiddo and Modha, FAST 2003). The
// resident pages are split into T1 (seen once recently) and T2 (seen at
// least twice); B1 and B2 remember the keys of pages recently evicted from
// each (ghosts, no data). A miss that hits a ghost list shows which side
// was too small and moves the target size p of T1: a B1 ghost raises it, a
// B2 ghost lowers it. REPLACE evicts T1's LRU page when T1 is above p (or at
// p and the missing page is a B2 ghost), else T2's.
//
// Textbook mode gives ARC the whole algorithm: the missing page is known
// when run() must free a frame (ops.faulting()), every hit is reported. In
// uvm mode the daemon frees ahead of demand, so the adaptation happens when
// a ghost comes back (page_inserted), and hits are the sampled reference
// bits. c is the number of frames.
#include <algorithm>
#include <cstdint>
#include <list>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "policies/evict_loop.h"
#include "policies/frame_list.h"

namespace uvmsim::policies {

namespace {

// A ghost list: keys in LRU order (front: least recent), with an index.
class GhostList {
 public:
  bool contains(std::uint64_t key) const { return index_.contains(key); }
  std::size_t size() const { return keys_.size(); }
  void push_mru(std::uint64_t key) {
    keys_.push_back(key);
    index_[key] = std::prev(keys_.end());
  }
  void erase(std::uint64_t key) {
    auto it = index_.find(key);
    if (it == index_.end()) return;
    keys_.erase(it->second);
    index_.erase(it);
  }
  void drop_lru() {
    if (keys_.empty()) return;
    index_.erase(keys_.front());
    keys_.pop_front();
  }

 private:
  std::list<std::uint64_t> keys_;
  absl::flat_hash_map<std::uint64_t, std::list<std::uint64_t>::iterator> index_;
};

class ArcPolicy final : public ReplacementPolicy {
 public:
  std::string_view name() const override { return "arc"; }
  PolicyNeeds needs() const override { return {.references = true}; }

  void page_inserted(const PageIdentity& pg) override {
    grow_keys(pg.frame);
    key_[pg.frame] = pg.key;
    const bool g1 = b1_.contains(pg.key), g2 = b2_.contains(pg.key);
    if ((g1 || g2) && !(adapted_ && adapted_key_ == pg.key)) adapt(g1);
    adapted_ = false;
    if (g1 || g2) {
      b1_.erase(pg.key);
      b2_.erase(pg.key);
      t2_.push_tail(pg.frame);
    } else {
      t1_.push_tail(pg.frame);
    }
    trim_ghosts();
  }
  void page_referenced(const PageIdentity& pg) override {
    if (t1_.contains(pg.frame) || t2_.contains(pg.frame)) {
      t1_.remove(pg.frame);
      t2_.push_tail(pg.frame);
    }
  }
  void page_removed(const PageIdentity& pg, RemoveReason why) override {
    const bool in1 = t1_.contains(pg.frame), in2 = t2_.contains(pg.frame);
    if (!in1 && !in2) return;
    t1_.remove(pg.frame);
    t2_.remove(pg.frame);
    // Only pages the policy chose leave a ghost; a page its owner freed is
    // gone for good (it cannot come back as the same contents).
    if (why == RemoveReason::kEvicted && !drop_ghost_) (in1 ? b1_ : b2_).push_mru(key_[pg.frame]);
  }

  void run(PagedaemonOps& ops) override {
    if (ops.capacity()) c_ = ops.capacity();
    if (const PageIdentity* x = ops.faulting()) {
      // The missing page is known: ARC's case analysis for a miss.
      adapted_ = true;
      adapted_key_ = x->key;
      if (b1_.contains(x->key)) {
        adapt(true);
        replace(ops, false);
      } else if (b2_.contains(x->key)) {
        adapt(false);
        replace(ops, true);
      } else if (t1_.size() + b1_.size() >= c_) {
        if (t1_.size() < c_) {
          b1_.drop_lru();
          replace(ops, false);
        } else {
          // T1 alone fills the cache: its LRU page goes without a ghost.
          drop_ghost_ = true;
          evict_lru(ops, t1_);
          drop_ghost_ = false;
        }
      } else {
        if (t1_.size() + t2_.size() + b1_.size() + b2_.size() >= 2 * c_) b2_.drop_lru();
        replace(ops, false);
      }
    }
    std::uint64_t failures = 0;
    while (!enough(ops) && failures <= t1_.size() + t2_.size()) {
      if (!replace(ops, false)) failures++;
    }
    evict_from_queues(ops);
  }

 private:
  void grow_keys(std::uint32_t f) {
    if (f >= key_.size()) key_.resize(std::max<std::size_t>(f + 1, key_.size() * 2));
  }
  // A ghost hit: in B1 (T1 was too small) or B2 (T2 was).
  void adapt(bool in_b1) {
    if (in_b1) {
      const std::uint64_t delta = std::max<std::uint64_t>(1, b1_.size() ? b2_.size() / b1_.size() : 1);
      p_ = std::min<std::uint64_t>(c_, p_ + delta);
    } else {
      const std::uint64_t delta = std::max<std::uint64_t>(1, b2_.size() ? b1_.size() / b2_.size() : 1);
      p_ = p_ > delta ? p_ - delta : 0;
    }
  }
  bool replace(PagedaemonOps& ops, bool x_in_b2) {
    if (!t1_.empty() && ((x_in_b2 && t1_.size() == p_) || t1_.size() > p_ || t2_.empty()))
      return evict_lru(ops, t1_);
    return evict_lru(ops, t2_);
  }
  // Evict the list's LRU page; one that cannot go now moves to the MRU end.
  bool evict_lru(PagedaemonOps& ops, FrameList& list) {
    const std::uint32_t f = list.head();
    if (f == FrameList::kNil) return false;
    if (ops.evict(f)) return true;
    list.push_tail(f);
    return false;
  }
  // Keep |T1|+|B1| <= c and |T1|+|T2|+|B1|+|B2| <= 2c (uvm mode, where
  // pages come and go outside run()).
  void trim_ghosts() {
    if (c_ == 0) return;
    while (t1_.size() + b1_.size() > c_ && b1_.size() > 0) b1_.drop_lru();
    while (t1_.size() + t2_.size() + b1_.size() + b2_.size() > 2 * c_ && b2_.size() > 0) b2_.drop_lru();
  }

  FrameList t1_, t2_;  // head: LRU
  GhostList b1_, b2_;
  std::vector<std::uint64_t> key_;  // by frame
  std::uint64_t p_ = 0, c_ = 0;
  bool adapted_ = false, drop_ghost_ = false;
  std::uint64_t adapted_key_ = 0;
};

}  // namespace

std::unique_ptr<ReplacementPolicy> make_arc_policy() { return std::make_unique<ArcPolicy>(); }

}  // namespace uvmsim::policies
