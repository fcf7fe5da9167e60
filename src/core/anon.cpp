#include "core/anon.h"

#include <algorithm>
#include <cstddef>
#include <cerrno>
#include <functional>

#include "core/kassert.h"
#include "core/page.h"
#include "core/pmap.h"
#include "core/swap_pageio.h"
#include "core/uvm.h"

namespace uvmsim {

Anon* AnonPool::alloc() {
  Anon* a;
  if (free_ != kNoAnon) {
    a = get(free_);
    free_ = a->an_frame;
  } else {
    if (used_in_last_ == kSlab) {
      // 2^20 slabs (2^32 ids) would be 64 GiB of anons: host memory runs out
      // long before the ids do.
      slabs_.push_back(std::make_unique<Anon[]>(kSlab));
      const std::pair<const Anon*, std::uint32_t> key{slabs_.back().get(),
                                                      static_cast<std::uint32_t>(slabs_.size() - 1)};
      by_addr_.insert(std::upper_bound(by_addr_.begin(), by_addr_.end(), key), key);
      // Slot 0 of slab 0 would have id 0 (kNoAnon): never hand it out.
      used_in_last_ = slabs_.size() == 1 ? 1 : 0;
    }
    a = &slabs_.back()[used_in_last_++];
  }
  *a = Anon{};
  return a;
}

void AnonPool::free(Anon* a) {
  const std::uint32_t id_of_a = id(a);
  *a = Anon{};
  a->an_frame = free_;
  free_ = id_of_a;
}

std::uint32_t AnonPool::id(const Anon* a) const {
  auto it = std::upper_bound(by_addr_.begin(), by_addr_.end(), a,
                             [](const Anon* p, const auto& e) { return std::less<>()(p, e.first); });
  // it - 1 is the slab with the highest base <= a. An anon of another
  // machine's pool is a caller bug (amaps never mix machines).
  UVM_KASSERT_MSG(it != by_addr_.begin(), "AnonPool::id: not an anon of this pool");
  const auto& [base, slab] = *(it - 1);
  UVM_KASSERT_MSG(a - base < static_cast<std::ptrdiff_t>(kSlab), "AnonPool::id: not an anon of this pool");
  return (slab << kSlabShift) | static_cast<std::uint32_t>(a - base);
}

Anon* uvm_analloc(Uvm& uvm) {
  Anon* a = uvm.anon_pool.alloc();
  a->an_ref = 1;
  uvm.nanons++;
  uvm.cnt.anon_alloc++;
  return a;
}

void uvm_anfree(Uvm& uvm, Anon* anon) {
  UVM_KASSERT_MSG(anon->an_ref == 0, "uvm_anfree: the anon still has references");
  if (anon->an_swslot) {
    if (!uvm.pm->anon_page(anon) && uvm.swap) uvm.swap->swpgonly--;
    if (uvm.swap) uvm.swap->free(anon->an_swslot, 1);
    anon->an_swslot = 0;
  }
  if (Page* pg = uvm.pm->anon_page(anon)) {
    if (!(pg->flags & PG_ANON)) {
      // Borrowed from an object (O->A) or the zero page: drop our loan; the
      // owner keeps the page.
      pg->loan_count--;
      pg->set_uanon(nullptr);
      uvm.pm->set_anon_page(anon, nullptr);
      if (!pg->uobject() && pg->loan_count == 0) uvm.pm->free(pg);
    } else {
      uvm.pagefree(pg);  // loaned to the kernel: becomes an orphan
    }
    uvm.pm->set_anon_page(anon, nullptr);
  }
  uvm.anon_pool.free(anon);
  uvm.nanons--;
  uvm.cnt.anon_free++;
}

int uvm_anon_dropref(Uvm& uvm, Anon* anon) {
  int refs = --anon->an_ref;
  if (refs == 0) uvm_anfree(uvm, anon);
  return refs;
}

}  // namespace uvmsim

namespace uvmsim {

int uvm_anon_pagein(Uvm& uvm, Anon* anon) {
  if (uvm.pm->anon_page(anon)) return 0;
  if (!anon->an_swslot || !uvm.swap) return EIO;
  Page* pg = uvm.pagealloc(false);
  if (!pg) return ENOMEM;
  if (int err = uvm_swap_get(uvm, pg, anon->an_swslot, "anon"); err != 0) return err;
  pg->set_uanon(anon);
  pg->flags = static_cast<std::uint16_t>((pg->flags | PG_ANON | PG_CLEAN) & ~(PG_BUSY | PG_FAKE));
  uvm.pm->set_anon_page(anon, pg);
  uvm.pm->activate(pg);
  return 0;
}

void uvm_anon_dropswap(Uvm& uvm, Anon* anon) {
  if (!anon->an_swslot || !uvm.pm->anon_page(anon)) return;
  uvm.swap->free(anon->an_swslot, 1);
  anon->an_swslot = 0;
  uvm.pm->anon_page(anon)->flags &= ~PG_CLEAN;
}

}  // namespace uvmsim
