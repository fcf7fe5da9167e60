#include "pagers/aobj.h"


#include <cerrno>
#include <cstring>

#include "core/swap_pageio.h"
#include "core/page.h"
#include "core/pmap.h"
#include "core/uvm.h"
#include "core/uvm_page.h"

namespace uvmsim {

Aobj::Aobj(Uvm& uvm, int pages) : UvmObject(uvm), pages_(pages) {
  if (!uses_swhash()) {
    swslots_.assign(pages_, 0);
  } else {
    // hashinit(): a power of two no larger than the seed's bucket count.
    int want = std::min(pages_ >> UAO_SWHASH_CLUSTER_SHIFT, UAO_SWHASH_MAXBUCKETS);
    int n = 1;
    while (n * 2 <= want) n *= 2;
    swhash_.resize(n);
  }
}

Aobj* Aobj::create(Uvm& uvm, vsize_t size) {
  return new Aobj(uvm, static_cast<int>(atop(round_page(size))));
}

// ---------------------------------------------------------------- swap slots

Aobj::SwhashElt* Aobj::find_elt(int pageidx, bool create) {
  const std::uint64_t tag = static_cast<std::uint64_t>(pageidx) >> UAO_SWHASH_CLUSTER_SHIFT;
  auto& bucket = swhash_[tag & (swhash_.size() - 1)];
  for (auto& elt : bucket)
    if (elt.tag == tag) return &elt;
  if (!create) return nullptr;
  bucket.push_back(SwhashElt{tag, 0, {}});
  return &bucket.back();
}

int Aobj::find_swslot(int pageidx) const {
  if (pageidx < 0 || pageidx >= pages_) return 0;
  if (!uses_swhash()) return swslots_[pageidx];
  const std::uint64_t tag = static_cast<std::uint64_t>(pageidx) >> UAO_SWHASH_CLUSTER_SHIFT;
  for (const auto& elt : swhash_[tag & (swhash_.size() - 1)])
    if (elt.tag == tag) return elt.slots[pageidx & (UAO_SWHASH_CLUSTER_SIZE - 1)];
  return 0;
}

int Aobj::set_swslot(int pageidx, int slot) {
  if (!uses_swhash()) {
    const int old = swslots_[pageidx];
    swslots_[pageidx] = slot;
    return old;
  }
  // Do not create an element just to clear a slot that was never set.
  SwhashElt* elt = find_elt(pageidx, slot != 0);
  if (!elt) return 0;
  int& ref = elt->slots[pageidx & (UAO_SWHASH_CLUSTER_SIZE - 1)];
  const int old = ref;
  ref = slot;
  if (slot) {
    if (old == 0) elt->count++;
  } else {
    if (old) elt->count--;
    if (elt->count == 0) {
      auto& bucket = swhash_[elt->tag & (swhash_.size() - 1)];
      for (auto it = bucket.begin(); it != bucket.end(); ++it)
        if (&*it == elt) {
          bucket.erase(it);
          break;
        }
    }
  }
  return old;
}

int Aobj::swhash_elements() const {
  int n = 0;
  for (const auto& b : swhash_) n += static_cast<int>(b.size());
  return n;
}

void Aobj::free_slot_of(int pageidx) {
  const int slot = set_swslot(pageidx, 0);
  if (slot && uvm.swap) {
    const bool resident = find_page(ptoa(static_cast<std::uint64_t>(pageidx))) != nullptr;
    if (!resident) uvm.swap->swpgonly--;
    uvm.swap->free(slot, 1);
  }
}

// ---------------------------------------------------------------- pager ops

void Aobj::detach() {
  if (--uo_refs > 0) return;
  // Last reference: the object's pages and slots die with it. Busy pages
  // are released when their owner is done with them (releasepg).
  std::vector<Page*> victims;
  for (auto& [off, pg] : memq) victims.push_back(pg);
  bool busybody = false;
  for (Page* pg : victims) {
    if (pg->flags & PG_BUSY) {
      pg->flags |= PG_RELEASED;
      busybody = true;
      continue;
    }
    drop_page(pg);
  }
  // Slots of pages that are not resident.
  std::vector<int> idx;
  for_each_swslot([&](std::uint64_t i, int) { idx.push_back(static_cast<int>(i)); });
  for (int i : idx)
    if (!find_page(ptoa(static_cast<std::uint64_t>(i)))) free_slot_of(i);
  if (busybody) {
    killme_ = true;
    return;
  }
  delete this;
}

void Aobj::drop_page(Page* pg) {
  uvm_pageunmap(*uvm.pm, pg);
  const int pageidx = static_cast<int>(atop(pg->offset()));
  const int slot = set_swslot(pageidx, 0);
  if (slot && uvm.swap) uvm.swap->free(slot, 1);
  uvm.pagefree(pg);  // a loaned page lives on for its borrowers
}

bool Aobj::releasepg(Page* pg) {
  pg->flags &= ~(PG_BUSY | PG_RELEASED | PG_WANTED);
  drop_page(pg);
  if (!killme_ || !memq.empty()) return true;
  delete this;
  return false;
}

int Aobj::get(voff_t offset, Page** pgp, int flags) {
  if (offset >= ptoa(static_cast<std::uint64_t>(pages_))) return EFAULT;
  if (Page* pg = find_page(offset)) {
    if (pg->flags & (PG_BUSY | PG_RELEASED)) return EBUSY;
    *pgp = pg;
    return 0;
  }
  if (flags & PGO_LOCKED) return ENOENT;
  const int pageidx = static_cast<int>(atop(offset));
  const int slot = find_swslot(pageidx);
  // Page in from swap; the slot is kept: while the page stays clean it can
  // be dropped again without I/O.
  if (slot) return uvm_object_swapin(*this, offset, slot, "aobj", pgp);
  // First touch: zeros, dirty from the start (no backing store yet).
  Page* pg = uvm.pagealloc(true);
  if (!pg) return ENOMEM;
  insert_page(pg, offset);
  pg->flags &= ~(PG_BUSY | PG_FAKE | PG_CLEAN);
  uvm.pm->activate(pg);
  *pgp = pg;
  return 0;
}

void Aobj::release_clean(Page* pg) {
  const bool in_swap = find_swslot(static_cast<int>(atop(pg->offset()))) != 0;
  remove_page(pg);
  if (in_swap && uvm.swap) uvm.swap->swpgonly++;
}

// Write one page to swap and free it (core/swap_pageio.h). Returns
// errno (ENOSPC: swap full).
int Aobj::pageout(Page* pg) {
  const int pageidx = static_cast<int>(atop(pg->offset()));
  return uvm_object_pageout(*this, pg, find_swslot(pageidx), [&](int slot) {
    if (slot != 0 || find_swslot(pageidx) != 0) set_swslot(pageidx, slot);
  }, "aobj");
}

int Aobj::put(voff_t start, voff_t end, int flags) {
  return uvm_object_put_anonymous(
      *this, start, end, flags, [&](Page* pg) { return pageout(pg); },
      [&](Page* pg) { drop_page(pg); });  // the data is dead (madvise free, truncation)
}

// msync and madvise reach shared anonymous memory here (uvm_map_clean), and
// get what NetBSD gives them. An aobj has no backing store to write back, so
// cleaning does nothing and cannot fail (uao_put returns 0): msync of
// anonymous memory always succeeds, also on a machine without swap. Only
// deactivating or freeing does anything: PGO_DEACTIVATE, and PGO_CLEANIT
// with PGO_FREE (msync invalidate), deactivate the pages; PGO_FREE alone
// (madvise free) drops the pages and their swap slots when one mapping
// alone refers to the object, and deactivates them otherwise — NetBSD keeps
// shared anonymous memory in an amap and frees under the same condition
// (amap reference count 1). Wired and busy pages stay; a page lent out is
// freed for the object and lives on for its borrowers (Uvm::pagefree).
// The page daemon's page-out (clean and free to swap) goes through put().
int Aobj::flush(voff_t start, voff_t end, int flags) {
  if (!(flags & (PGO_DEACTIVATE | PGO_FREE))) return 0;
  if (flags & PGO_ALLPAGES) {
    start = 0;
    end = ~0ull;
  }
  const bool free_pages = (flags & (PGO_CLEANIT | PGO_FREE | PGO_DEACTIVATE)) == PGO_FREE && uo_refs == 1;
  std::vector<Page*> pages;
  for (auto it = memq.lower_bound(start); it != memq.end() && it->first < end; ++it)
    pages.push_back(it->second);
  for (Page* pg : pages) {
    if ((pg->flags & PG_BUSY) || pg->wire_count > 0) continue;
    if (free_pages) {
      drop_page(pg);
    } else if (pg->loan_count == 0) {
      Pmap::clear_referenced(pg);
      uvm.pm->deactivate(pg);
    }
  }
  return 0;
}

int Aobj::swap_off(int startslot, int endslot) {
  std::vector<int> idx;
  for_each_swslot([&](std::uint64_t i, int slot) {
    if (slot >= startslot && slot < endslot) idx.push_back(i);
  });
  for (int i : idx) {
    const voff_t off = ptoa(static_cast<std::uint64_t>(i));
    Page* pg = nullptr;
    if (int err = get(off, &pg, 0); err != 0) return err;  // brings it in if needed
    // The swap copy goes away: the page is now the only copy.
    const int slot = set_swslot(i, 0);
    uvm.swap->free(slot, 1);
    pg->flags &= ~PG_CLEAN;
    uvm.cnt.swapoff_pages++;
  }
  return 0;
}

}  // namespace uvmsim
