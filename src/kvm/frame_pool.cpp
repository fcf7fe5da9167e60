#include "kvm/frame_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "kvm/error.h"

namespace uvmsim::kvm {

StatusOr<std::unique_ptr<FramePool>> FramePool::Create(std::uint64_t gpa, std::uint64_t bytes) {
  constexpr std::uint64_t k2M = 2ull << 20;
  if (bytes == 0 || (gpa & (k2M - 1)))
    return absl::InvalidArgumentError(
        fmt::format("FramePool: gpa {:#x} must be 2 MiB aligned and size > 0", gpa));
  bytes = (bytes + k2M - 1) & ~(k2M - 1);
  std::unique_ptr<FramePool> p(new FramePool());
  p->fd_ = Fd(::memfd_create("uvmsim-pmap-pool", MFD_CLOEXEC));
  if (!p->fd_.valid()) return sys_error("memfd_create", errno);
  if (::ftruncate(p->fd_.get(), static_cast<off_t>(bytes)) < 0)
    return sys_error("ftruncate(pmap pool)", errno);
  void* m = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd_.get(), 0);
  if (m == MAP_FAILED) return sys_error("mmap(pmap pool)", errno);
  p->map_ = Mapping(m, bytes);
  p->gpa_ = gpa;
  p->size_ = bytes;
  return p;
}

std::uint64_t FramePool::free_pages() const { return free_.size() + (size_ - next_) / 4096; }

StatusOr<Frame> FramePool::alloc(FrameUse use) {
  if (quarantine_.size() >= kQuarantineLimit && reclaim_)
    if (Status s = reclaim_(); !s.ok()) return s;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!free_.empty()) {
      const std::uint64_t gpa = free_.back();
      free_.pop_back();
      std::memset(hva(gpa), 0, 4096);
      ++in_use_[static_cast<int>(use)];
      return frame(gpa);
    }
    if (next_ < size_) {
      const std::uint64_t gpa = gpa_ + next_;  // a never-touched memfd page is zero
      next_ += 4096;
      ++in_use_[static_cast<int>(use)];
      return frame(gpa);
    }
    if (quarantine_.empty() || !reclaim_) break;
    if (Status s = reclaim_(); !s.ok()) return s;
  }
  return absl::ResourceExhaustedError(fmt::format(
      "FramePool: all {} frames in use ({} page-table, {} layout, {} scratch, {} quarantined)",
      size_ / 4096, in_use_[0], in_use_[1], in_use_[2], quarantine_.size()));
}

void FramePool::free(const Frame& f, FrameUse use) {
  if (!f || !contains(f.gpa)) return;
  --in_use_[static_cast<int>(use)];
  quarantine_.push_back(f.gpa);
}

void FramePool::release_quarantine() {
  free_.insert(free_.end(), quarantine_.begin(), quarantine_.end());
  quarantine_.clear();
}

}  // namespace uvmsim::kvm
