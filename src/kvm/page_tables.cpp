#include "kvm/page_tables.h"

#include <utility>

#include <fmt/format.h>

namespace uvmsim::kvm {

using namespace x86;

StatusOr<PageTables> PageTables::Create(FramePool& pool, const GuestLayout& layout) {
  auto root = pool.alloc(FrameUse::kPageTable);
  if (!root.ok()) return root.status();
  PageTables pt(pool, *root);
  pt.tables_.push_back(*root);
  if (Status s = layout.install(root->table()); !s.ok()) return s;
  return pt;
}

PageTables::PageTables(PageTables&& o) noexcept
    : pool_(o.pool_), root_(o.root_), tables_(std::move(o.tables_)) {
  o.tables_.clear();
}

PageTables& PageTables::operator=(PageTables&& o) noexcept {
  if (this != &o) {
    for (const Frame& f : tables_) pool_->free(f, FrameUse::kPageTable);
    pool_ = o.pool_;
    root_ = o.root_;
    tables_ = std::move(o.tables_);
    o.tables_.clear();
  }
  return *this;
}

PageTables::~PageTables() {
  for (const Frame& f : tables_) pool_->free(f, FrameUse::kPageTable);
}

StatusOr<Frame> PageTables::new_table() {
  auto f = pool_->alloc(FrameUse::kPageTable);
  if (f.ok()) tables_.push_back(*f);
  return f;
}

StatusOr<Frame> PageTables::table_of(std::uint64_t va, int level) {
  if (level < 1 || level > 4) return absl::InvalidArgumentError("PageTables: bad level");
  Frame t = root_;
  for (int l = 4; l > level; --l) {
    const std::uint64_t e = t.table()[pt_index(va, l)];
    if (!(e & kPteP) || (e & kPtePs))
      return absl::NotFoundError(fmt::format("PageTables: no level-{} table for {:#x}", l - 1, va));
    t = pool_->frame(e & kPteAddrMask);
  }
  return t;
}

StatusOr<std::uint64_t*> PageTables::entry(std::uint64_t va, int level, bool create) {
  if (level < 1 || level > 4) return absl::InvalidArgumentError("PageTables: bad level");
  if (va >= layout::kReservedBase)
    return absl::InvalidArgumentError(fmt::format("PageTables: {:#x} is reserved", va));
  Frame t = root_;
  for (int l = 4; l > level; --l) {
    std::uint64_t& e = t.table()[pt_index(va, l)];
    if (e & kPtePs) return static_cast<std::uint64_t*>(nullptr);
    if (!(e & kPteP)) {
      if (!create) return static_cast<std::uint64_t*>(nullptr);
      auto f = new_table();
      if (!f.ok()) return f.status();
      e = f->gpa | kPteP | kPteW | kPteU;
    }
    if (!pool_->contains(e & kPteAddrMask))
      return absl::InternalError("PageTables: table outside the pool");
    t = pool_->frame(e & kPteAddrMask);
  }
  return &t.table()[pt_index(va, level)];
}

Status PageTables::map(std::uint64_t va, std::uint64_t gpa, std::uint64_t flags) {
  auto e = entry(va, 1, true);
  if (!e.ok()) return e.status();
  if (*e == nullptr) return absl::FailedPreconditionError("PageTables::map: a 2 MiB page is there");
  **e = (gpa & kPteAddrMask) | flags;
  return absl::OkStatus();
}

}  // namespace uvmsim::kvm
