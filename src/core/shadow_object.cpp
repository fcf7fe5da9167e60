// The shadow model's anonymous object: pages and swap slots by index, and
// the pager operations the page daemon and swap-off call (the same paths an
// aobj page takes: pagers/aobj.cpp). The chain operations are in
// shadow_chain.cpp.
#include "core/shadow_object.h"

#include <cerrno>
#include <vector>

#include "core/swap_pageio.h"
#include "core/page.h"
#include "core/pmap.h"
#include "core/uvm.h"
#include "core/uvm_page.h"

namespace uvmsim {

ShadowObject* ShadowObject::allocate(Uvm& uvm, std::uint64_t npages) {
  auto* obj = new ShadowObject(uvm);
  obj->size = npages;
  obj->flags = OBJ_ONEMAPPING;
  obj->id = ++uvm.shadow_ids;
  uvm.cnt.object_allocs++;
  return obj;
}

ShadowObject::~ShadowObject() = default;

void shadow_object_free(ShadowObject* obj) {
  obj->flags |= OBJ_DEAD;
  obj->page_remove(0, ~std::uint64_t{0});
  delete obj;
}

void ShadowObject::drop_slot(std::uint64_t idx) {
  auto it = swslots_.find(idx);
  if (it == swslots_.end()) return;
  const int slot = it->second;
  swslots_.erase(it);
  if (uvm.swap) {
    if (!page_at(idx)) uvm.swap->swpgonly--;
    uvm.swap->free(slot, 1);
  }
}

void ShadowObject::free_index(std::uint64_t idx) {
  drop_slot(idx);
  if (Page* pg = page_at(idx)) uvm.pagefree(pg);  // a lent page lives on for its borrowers
}

void ShadowObject::page_remove(std::uint64_t start, std::uint64_t end) {
  std::vector<std::uint64_t> idx;
  const voff_t lo = start > atop(~voff_t{0}) ? ~voff_t{0} : ptoa(start);
  const voff_t hi = end > atop(~voff_t{0}) ? ~voff_t{0} : ptoa(end);
  for (auto it = memq.lower_bound(lo); it != memq.end() && it->first < hi; ++it) idx.push_back(atop(it->first));
  for (auto it = swslots_.lower_bound(start); it != swslots_.end() && it->first < end; ++it) idx.push_back(it->first);
  for (std::uint64_t i : idx) free_index(i);
  for (auto it = marks_.lower_bound(start); it != marks_.end() && *it < end;) it = marks_.erase(it);
}

void ShadowObject::take_index(ShadowObject* from, std::uint64_t idx, std::uint64_t to_idx) {
  if (Page* pg = from->page_at(idx)) {
    from->remove_page(pg);
    insert_page(pg, ptoa(to_idx));
  }
  auto it = from->swslots_.find(idx);
  if (it != from->swslots_.end()) {
    const int slot = it->second;
    from->swslots_.erase(it);  // first: from may be this object
    swslots_[to_idx] = slot;
  }
}

// ---------------------------------------------------------------- pager ops

int ShadowObject::get(voff_t offset, Page** pgp, int flags) {
  const std::uint64_t idx = atop(offset);
  if (Page* pg = page_at(idx)) {
    if (pg->flags & (PG_BUSY | PG_RELEASED)) return EBUSY;
    *pgp = pg;
    return 0;
  }
  const int slot = swslot(idx);
  if (slot == 0) return EFAULT;
  if (flags & PGO_LOCKED) return ENOENT;
  // The slot is kept: while the page stays clean it can go again without I/O.
  return uvm_object_swapin(*this, offset, slot, "shadow", pgp);
}

void ShadowObject::release_clean(Page* pg) {
  const bool in_swap = swslot(atop(pg->offset())) != 0;
  remove_page(pg);
  if (in_swap && uvm.swap) uvm.swap->swpgonly++;
}

// One page to swap, then freed (core/swap_pageio.h). errno (ENOSPC: swap full).
int ShadowObject::pageout(Page* pg) {
  const std::uint64_t idx = atop(pg->offset());
  return uvm_object_pageout(*this, pg, swslot(idx), [&](int slot) { set_swslot_at(ptoa(idx), slot); }, "shadow");
}

int ShadowObject::put(voff_t start, voff_t end, int flags) {
  return uvm_object_put_anonymous(
      *this, start, end, flags, [&](Page* pg) { return pageout(pg); },
      [&](Page* pg) { free_index(atop(pg->offset())); });
}

int ShadowObject::swap_off(int startslot, int endslot) {
  std::vector<std::uint64_t> idx;
  for (const auto& [i, slot] : swslots_)
    if (slot >= startslot && slot < endslot) idx.push_back(i);
  for (std::uint64_t i : idx) {
    Page* pg = nullptr;
    if (int err = get(ptoa(i), &pg, 0); err != 0) return err;
    // The swap copy goes away: the page is now the only copy.
    const int slot = swslots_[i];
    swslots_.erase(i);
    uvm.swap->free(slot, 1);
    pg->flags &= ~PG_CLEAN;
    uvm.cnt.swapoff_pages++;
  }
  return 0;
}

std::uint64_t ShadowObject::swap_blocks(voff_t start, voff_t end) const {
  std::uint64_t n = 0;
  for (auto it = swslots_.lower_bound(atop(start)); it != swslots_.end() && ptoa(it->first) < end; ++it) n++;
  return n;
}

std::uint64_t ShadowObject::swap_only_blocks(voff_t start, voff_t end) const {
  std::uint64_t n = 0;
  for (auto it = swslots_.lower_bound(atop(start)); it != swslots_.end() && ptoa(it->first) < end; ++it)
    if (!page_at(it->first)) n++;
  return n;
}

}  // namespace uvmsim
