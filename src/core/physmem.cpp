#include "core/physmem.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "fmt/format.h"

namespace uvmsim {

StatusOr<std::unique_ptr<PhysMem>> PhysMem::Create(std::uint64_t npages, Storage storage) {
  if (npages == 0 || npages > (1ull << 31))
    return errno_status(EINVAL, fmt::format("physical memory of {} pages", npages));
  std::unique_ptr<PhysMem> pm(new PhysMem());
  const std::uint64_t bytes = npages << kPageShift;
  if (storage == Storage::kShared) {
    pm->memfd_ = ::memfd_create("uvmsim-physmem", MFD_CLOEXEC);
    if (pm->memfd_ < 0)
      return errno_status(errno, fmt::format("memfd_create: {}", std::strerror(errno)));
    if (::ftruncate(pm->memfd_, static_cast<off_t>(bytes)) != 0)
      return errno_status(errno, fmt::format("ftruncate physmem: {}", std::strerror(errno)));
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, pm->memfd_, 0);
    if (p == MAP_FAILED)
      return errno_status(errno, fmt::format("mmap physmem: {}", std::strerror(errno)));
    pm->mapping_ = p;
    pm->mapping_bytes_ = bytes;
    pm->base_ = static_cast<std::uint8_t*>(p);
  } else {
    // Sparse like the memfd (MAP_NORESERVE: no commit charge for frames
    // never touched), and 2 MiB aligned so every huge page is whole.
    constexpr std::uint64_t kHuge = 2ull << 20;
    const std::uint64_t len = bytes + kHuge;
    void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
      return errno_status(errno, fmt::format("mmap physmem: {}", std::strerror(errno)));
    pm->mapping_ = p;
    pm->mapping_bytes_ = len;
    const auto at = (reinterpret_cast<std::uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
    pm->base_ = reinterpret_cast<std::uint8_t*>(at);
#ifdef MADV_HUGEPAGE
    (void)::madvise(pm->base_, bytes, MADV_HUGEPAGE);  // advice: no huge pages is fine
#endif
  }
  pm->pages_.resize(npages);
  for (std::uint32_t i = 0; i < npages; i++) {
    Page* pg = &pm->pages_[i];
    pm->insert_tail(pm->free_, pg);
    pg->set_queue(PageQueue::kFree);
  }
  return pm;
}

PhysMem::~PhysMem() {
  if (mapping_) ::munmap(mapping_, mapping_bytes_);
  if (memfd_ >= 0) ::close(memfd_);
}

PageList& PhysMem::list(PageQueue q) {
  switch (q) {
    case PageQueue::kFree: return free_;
    case PageQueue::kActive: return active_;
    default: return inactive_;
  }
}

void PhysMem::insert_tail(PageList& l, Page* pg) {
  pg->q_next = kNoPage;
  pg->q_prev = l.tail;
  if (l.tail != kNoPage) pages_[l.tail].q_next = index(pg);
  else l.head = index(pg);
  l.tail = index(pg);
  l.count++;
}

void PhysMem::unlink(PageList& l, Page* pg) {
  if (pg->q_prev != kNoPage) pages_[pg->q_prev].q_next = pg->q_next;
  else l.head = pg->q_next;
  if (pg->q_next != kNoPage) pages_[pg->q_next].q_prev = pg->q_prev;
  else l.tail = pg->q_prev;
  pg->q_prev = pg->q_next = kNoPage;
  l.count--;
}

void PhysMem::populate_ahead(std::uint64_t frame) {
  // 2 MiB of frames at a time: a fraction of a typical simulated memory,
  // so a machine that touches little costs the host little.
  constexpr std::uint64_t kChunk = 512;
  if (!populate_ok_ || frame < populated_) return;
  const std::uint64_t end = std::min<std::uint64_t>(pages_.size(), (frame / kChunk + 1) * kChunk);
#ifdef MADV_POPULATE_WRITE
  if (::madvise(base_ + (frame << kPageShift), (end - frame) << kPageShift, MADV_POPULATE_WRITE) != 0)
    populate_ok_ = false;  // an older host kernel: frames fault in one by one
#else
  populate_ok_ = false;
#endif
  populated_ = end;
}

Page* PhysMem::alloc(bool zero) {
  if (free_.head == kNoPage) return nullptr;
  Page* pg = &pages_[free_.head];
  const std::uint64_t frame = free_.head;
  const bool pristine = frame >= pristine_;
  if (pristine) {
    pristine_ = frame + 1;
    populate_ahead(frame);
  }
  unlink(free_, pg);
  pg->set_queue(PageQueue::kNone);
  pg->flags = PG_BUSY | PG_FAKE;
  pg->mdattrs = 0;
  pg->set_uobject(nullptr);
  pg->set_uanon(nullptr);
  pg->set_offset(0);
  if (zero && !pristine) std::memset(data(pg), 0, kPageSize);
  return pg;
}

void PhysMem::free(Page* pg) {
  if (observer_) observer_->page_freed(pg);
  dequeue(pg);
  pg->flags = 0;
  pg->mdattrs = 0;
  pg->set_uobject(nullptr);
  pg->set_uanon(nullptr);
  pg->set_offset(0);
  insert_tail(free_, pg);
  pg->set_queue(PageQueue::kFree);
}

void PhysMem::dequeue(Page* pg) {
  if (pg->queue() == PageQueue::kNone) return;
  unlink(list(pg->queue()), pg);
  pg->set_queue(PageQueue::kNone);
}

void PhysMem::activate(Page* pg) {
  dequeue(pg);
  if (pg->wire_count > 0) return;  // wired pages live on no queue
  insert_tail(active_, pg);
  pg->set_queue(PageQueue::kActive);
  if (observer_) observer_->page_queued(pg);
}

void PhysMem::deactivate(Page* pg) {
  dequeue(pg);
  if (pg->wire_count > 0) return;
  insert_tail(inactive_, pg);
  pg->set_queue(PageQueue::kInactive);
  if (observer_) observer_->page_queued(pg);
}

Page* PhysMem::first(PageQueue q) {
  PageList& l = list(q);
  return l.head == kNoPage ? nullptr : &pages_[l.head];
}

Page* PhysMem::next(Page* pg) {
  return pg->q_next == kNoPage ? nullptr : &pages_[pg->q_next];
}

}  // namespace uvmsim
