// Physical memory: one region of page frames and the page queues.
//
// The frames live in one host region; a page's data lives in exactly one
// place, its frame. Two kinds of region (PhysMem::Storage):
//  - kShared: a memfd mapped MAP_SHARED, so that the kvm backend can register
//    the very same memory as guest-physical memory (and invalidate through
//    the file);
//  - kAnonymous: private anonymous memory asking for transparent huge pages
//    (MADV_HUGEPAGE), for the soft backend. The host then backs simulated
//    memory 2 MiB at a time: on a virtualised host the first touch of each
//    4 KiB shmem page costs a shadow-paging fault (about 2 us here), which
//    dominated filling a multi-GiB machine. Where huge pages are off it is
//    plain anonymous memory, no worse than the memfd.
//
// Queues (NetBSD's page queues): free, active, inactive. Every page is on
// exactly one queue or on none (wired pages and pages in transit are on none).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/anon.h"
#include "core/page.h"
#include "uvmsim/status.h"

namespace uvmsim {

// Told when a page joins a paging queue (activate/deactivate) and when it
// is freed: how the page daemon reports pages to its policy's hooks.
class PageQueueObserver {
 public:
  virtual ~PageQueueObserver() = default;
  virtual void page_queued(Page* pg) = 0;
  virtual void page_freed(Page* pg) = 0;
};

struct PageList {
  std::uint32_t head = kNoPage;
  std::uint32_t tail = kNoPage;
  std::uint64_t count = 0;
};

class PhysMem {
 public:
  enum class Storage { kShared, kAnonymous };
  static StatusOr<std::unique_ptr<PhysMem>> Create(std::uint64_t npages, Storage storage = Storage::kShared);
  ~PhysMem();
  PhysMem(const PhysMem&) = delete;
  PhysMem& operator=(const PhysMem&) = delete;

  std::uint64_t npages() const { return pages_.size(); }
  std::uint64_t free_count() const { return free_.count; }
  std::uint64_t active_count() const { return active_.count; }
  std::uint64_t inactive_count() const { return inactive_.count; }
  // Pages with wire_count > 0 (uvmexp.wired), kept as wirings come and go
  // (uvm_pagewire / uvm_pageunwire / clear_wiring), so that mlock's
  // uvmexp.wiredmax check costs nothing.
  std::uint64_t wired_count() const { return wired_; }
  void note_wired(int delta) {
    wired_ = static_cast<std::uint64_t>(static_cast<std::int64_t>(wired_) + delta);
  }
  // A page leaving its owner drops whatever wiring it still carries.
  void clear_wiring(Page* pg) {
    if (pg->wire_count != 0) wired_--;
    pg->wire_count = 0;
  }

  Page* page(std::uint32_t index) { return &pages_[index]; }
  const Page* page(std::uint32_t index) const { return &pages_[index]; }
  // The page of physical address pa, or nullptr when pa is not a frame.
  Page* page_at(paddr_t pa) {
    std::uint64_t i = pa >> kPageShift;
    return i < pages_.size() ? &pages_[i] : nullptr;
  }
  // The frame number of pg (its position in the array) and its address.
  std::uint32_t index(const Page* pg) const { return static_cast<std::uint32_t>(pg - pages_.data()); }
  paddr_t phys(const Page* pg) const { return static_cast<paddr_t>(index(pg)) << kPageShift; }
  // An anon's resident page (nullptr when paged out), and setting it.
  Page* anon_page(const Anon* a) { return a->an_frame == kNoAnonPage ? nullptr : &pages_[a->an_frame]; }
  void set_anon_page(Anon* a, Page* pg) { a->an_frame = pg ? index(pg) : kNoAnonPage; }
  bool owns(const Page* pg) const {
    return pg >= pages_.data() && pg < pages_.data() + pages_.size();
  }

  std::uint8_t* data(const Page* pg) { return base_ + (std::uint64_t(index(pg)) << kPageShift); }
  const std::uint8_t* data(const Page* pg) const {
    return base_ + (std::uint64_t(index(pg)) << kPageShift);
  }

  // uvm_pagealloc's frame part: takes a page off the free queue, PG_BUSY|PG_FAKE
  // set, on no queue. nullptr when memory is exhausted (an error path, never
  // a crash). zero: fill the frame with zeros.
  Page* alloc(bool zero);
  // Back to the free queue. The page must have no owner, no mappings, no loans.
  void free(Page* pg);

  // Queue moves (uvm_pageactivate / uvm_pagedeactivate / uvm_pagedequeue).
  void activate(Page* pg);
  void deactivate(Page* pg);
  void dequeue(Page* pg);
  void set_observer(PageQueueObserver* o) { observer_ = o; }
  // Iterate a queue: first page or nullptr, and the next.
  Page* first(PageQueue q);
  Page* next(Page* pg);

  // For the kvm backend: the memfd (kShared; -1 for kAnonymous) and the
  // host mapping of the region.
  int memfd() const { return memfd_; }
  Storage storage() const { return memfd_ >= 0 ? Storage::kShared : Storage::kAnonymous; }
  std::uint8_t* base() const { return base_; }
  std::uint64_t bytes() const { return pages_.size() << kPageShift; }

 private:
  PhysMem() = default;
  PageList& list(PageQueue q);
  void insert_tail(PageList& l, Page* pg);
  void unlink(PageList& l, Page* pg);

  // Frames at or above this index were never handed out, so their bytes
  // are still the region's zeros. The free list starts as every frame in
  // ascending order and frees go to its tail, so these frames are always
  // taken in ascending order, before any freed one: alloc(zero) need not
  // clear them. Host memory behind them is populated a chunk at a time
  // (populate_ahead) — one system call instead of a host page fault per
  // frame, which dominated the cost of touching much simulated memory.
  std::uint64_t pristine_ = 0;
  std::uint64_t populated_ = 0;  // frames below this index are populated
  bool populate_ok_ = true;
  void populate_ahead(std::uint64_t frame);

  std::vector<Page> pages_;
  PageList free_, active_, inactive_;
  PageQueueObserver* observer_ = nullptr;
  std::uint64_t wired_ = 0;
  int memfd_ = -1;
  std::uint8_t* base_ = nullptr;
  void* mapping_ = nullptr;  // what to munmap (base_ rounded up to 2 MiB within it)
  std::uint64_t mapping_bytes_ = 0;
};

}  // namespace uvmsim
