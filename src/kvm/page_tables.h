// uvmsim::kvm: a minimal 4-level page-table builder in pool frames.
//
// Used by the self-test, the tests and benchmarks. It has no reverse map and
// does no invalidation: callers pair entry changes with the Invalidator. The
// x86-64 pmap of the core keeps its own structures but allocates its table
// frames the same way (FramePool::alloc(FrameUse::kPageTable)) and starts each
// root with GuestLayout::install().
#pragma once

#include <cstdint>
#include <vector>

#include "kvm/frame_pool.h"
#include "kvm/guest_layout.h"
#include "uvmsim/status.h"

namespace uvmsim::kvm {

class PageTables {
 public:
  // A new root with the layout installed.
  static StatusOr<PageTables> Create(FramePool& pool, const GuestLayout& layout);
  PageTables(PageTables&&) noexcept;
  PageTables& operator=(PageTables&&) noexcept;
  ~PageTables();  // frees every table frame (to the quarantine)

  std::uint64_t root_gpa() const { return root_.gpa; }
  // The entry for `va` at `level` (1 = PTE, 2 = PDE, ...), allocating the
  // tables above it when `create`; nullptr if absent and !create, or if a
  // 2 MiB page sits above it. Only for va < layout reserved region.
  StatusOr<std::uint64_t*> entry(std::uint64_t va, int level, bool create);
  // The table frame holding the entry for `va` at `level`.
  StatusOr<Frame> table_of(std::uint64_t va, int level);
  // Sets the PTE of `va` (creating tables): frame | flags.
  Status map(std::uint64_t va, std::uint64_t gpa, std::uint64_t flags);
  // Allocates a fresh table frame owned by this object (for PDE swaps).
  StatusOr<Frame> new_table();
  std::uint64_t table_pages() const { return tables_.size(); }

 private:
  PageTables(FramePool& pool, Frame root) : pool_(&pool), root_(root) {}
  FramePool* pool_;
  Frame root_;
  std::vector<Frame> tables_;  // including root_
};

}  // namespace uvmsim::kvm
