// uvmsim::kvm: the pmap pool — guest memory owned by the kvm layer (not by
// the simulated machine) for page-table pages and the guest layout.
//
// One memfd mapped MAP_SHARED and registered as a memslot at a high GPA (by
// default 1 TiB), handed out in 4 KiB frames. Frames are zero when allocated.
//
// Freed frames are quarantined, not reused at once: KVM's shadow MMU keeps
// shadow pages keyed by the guest frame that held a page table, and host
// writes bypass its write tracking, so a page-table frame reused for another
// table could be served from a stale shadow page. Quarantined frames return to
// the free list only after a global zap (see Invalidator::global_zap), which
// the pool requests through its reclaim hook when it runs dry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "kvm/fd.h"
#include "uvmsim/status.h"

namespace uvmsim::kvm {

struct Frame {
  std::uint64_t gpa = 0;
  std::uint8_t* hva = nullptr;
  std::uint64_t* table() const { return reinterpret_cast<std::uint64_t*>(hva); }
  explicit operator bool() const { return hva != nullptr; }
};

// What a frame is used for (accounting only).
enum class FrameUse : std::uint8_t {
  kPageTable,  // pmap page-table pages (the "ptpages" gauge)
  kLayout,     // GDT/IDT/TSS/stacks/code/bounce and their tables
  kScratch,    // self-test and benchmark data frames
};

class FramePool {
 public:
  // A pool of `bytes` (rounded up to 2 MiB) whose first frame sits at `gpa`
  // (2 MiB aligned). The memfd is sparse: untouched frames cost nothing.
  static StatusOr<std::unique_ptr<FramePool>> Create(std::uint64_t gpa, std::uint64_t bytes);

  // A zeroed frame. Calls the reclaim hook (which must zap and then call
  // release_quarantine()) when kQuarantineLimit frames are quarantined, or
  // when nothing else is left; ResourceExhausted if still empty.
  StatusOr<Frame> alloc(FrameUse use);
  // Gives a frame back (to the quarantine). `use` must match the alloc.
  void free(const Frame& f, FrameUse use);
  // Moves every quarantined frame to the free list. Call only after a global
  // zap made KVM forget all shadow state built from them.
  void release_quarantine();
  void set_reclaim_hook(std::function<Status()> hook) { reclaim_ = std::move(hook); }
  // Quarantined frames that trigger a reclaim (16 MiB): bounds the pool's
  // resident size at the cost of one global zap (~200 us on PVM) per 4096 frees.
  static constexpr std::size_t kQuarantineLimit = 4096;

  bool contains(std::uint64_t gpa) const { return gpa >= gpa_ && gpa - gpa_ < size_; }
  std::uint8_t* hva(std::uint64_t gpa) const { return base() + (gpa - gpa_); }
  Frame frame(std::uint64_t gpa) const { return {gpa, hva(gpa)}; }

  int fd() const { return fd_.get(); }
  std::uint8_t* base() const { return static_cast<std::uint8_t*>(map_.get()); }
  std::uint64_t gpa() const { return gpa_; }
  std::uint64_t size() const { return size_; }

  // Frames in use, by kind; page_table_pages() is the pmap overhead gauge.
  std::uint64_t page_table_pages() const { return in_use_[0]; }
  std::uint64_t layout_pages() const { return in_use_[1]; }
  std::uint64_t scratch_pages() const { return in_use_[2]; }
  std::uint64_t quarantined_pages() const { return quarantine_.size(); }
  std::uint64_t free_pages() const;

 private:
  FramePool() = default;
  Fd fd_;
  Mapping map_;
  std::uint64_t gpa_ = 0, size_ = 0;
  std::uint64_t next_ = 0;  // first never-used byte offset
  std::vector<std::uint64_t> free_, quarantine_;  // GPAs
  std::uint64_t in_use_[3] = {0, 0, 0};
  std::function<Status()> reclaim_;
};

}  // namespace uvmsim::kvm
