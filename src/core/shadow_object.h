// The BSD VM's anonymous object (FreeBSD's OBJT_DEFAULT/OBJT_SWAP
// vm_object, seed 003): the unit of anonymous memory on a machine that runs
// the shadow model (core/shadow_layer.h).
//
// An object holds pages by index (memq, as every uvm_object), swap slots by
// index for pages the page daemon wrote out, and a link to the object it
// shadows:
//
//   entry --sref--> first object --backing_object--> object --> ... --> (end)
//                   (+ sref.off)   (+ backing_object_offset)
//
// A page index i of an object stands for index i + backing_object_offset of
// its backing object: a lookup walks down the chain and takes the first
// object that has the index (resident or in swap). Below the last object is
// the entry's own lower layer (MapEntry::object: a file) or zeros.
//
// ref_count (uo_refs) counts the map entries whose first object this is and
// the objects it backs (shadow_count of them), as FreeBSD's does.
//
// Free marks (a uvmsim addition): an index where the chain walk stops as if
// nothing below had the page. madvise(MADV_FREE) leaves one where it drops
// a page this entry alone saw but an object below still holds for others,
// so that the process reads what it would read on UVM (the lower layer or
// zeros). FreeBSD's MADV_FREE makes contents undefined instead; uvmsim's
// processes must read the same bytes under both models (docs/design.md).
#pragma once

#include <cstdint>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_set.h"
#include "core/uvm_object.h"

namespace uvmsim {

// vm_object flags
enum : std::uint8_t {
  OBJ_ONEMAPPING = 0x1,  // each page is mapped by at most one map entry
  OBJ_DEAD = 0x2,        // being torn down
  OBJ_COLLAPSING = 0x4,  // a collapse is moving its pages
  // uvmsim: several entries write it in place (inherit share), as UVM's
  // AMAP_SHARED; cleared when one entry is left.
  OBJ_SHARED = 0x8,
};

class ShadowObject final : public UvmObject {
 public:
  // A page's offset in its object is kept in pages in 32 bits (core/page.h),
  // and objects index pages as aobjs do: at most this many pages (8 TiB). A
  // larger entry gets no object at once (ENOMEM, as UVM refuses an amap of
  // more than 2^24 slots); its faults take 16-page chunks.
  static constexpr std::uint64_t kMaxPages = 0x7fffffff;
  // A new object of npages pages with one reference (the caller's).
  static ShadowObject* allocate(Uvm& uvm, std::uint64_t npages);

  // --- pager operations (the page daemon and swap-off use these, exactly
  // as for an aobj page)
  // vm_object_deallocate: drop one reference (see shadow_chain.cpp).
  void detach() override;
  // The page at offset, paged in from swap if need be; EFAULT when the
  // object has neither.
  int get(voff_t offset, Page** pgp, int flags) override;
  // PGO_CLEANIT|PGO_FREE: page out to swap; PGO_FREE: discard;
  // PGO_DEACTIVATE: deactivate.
  int put(voff_t start, voff_t end, int flags) override;
  const char* kind() const override { return "shadow"; }
  void release_clean(Page* pg) override;
  bool anonymous() const override { return true; }
  int swslot_at(voff_t offset) const override { return swslot(atop(offset)); }
  void set_swslot_at(voff_t offset, int slot) override {
    if (slot != 0) swslots_[atop(offset)] = slot;
    else swslots_.erase(atop(offset));
  }
  void for_each_swslot(absl::FunctionRef<void(std::uint64_t pageidx, int slot)> f) const override {
    for (const auto& [idx, slot] : swslots_) f(idx, slot);
  }
  int swap_off(int startslot, int endslot) override;
  std::uint64_t swap_blocks(voff_t start = 0, voff_t end = ~voff_t{0}) const override;
  std::uint64_t swap_only_blocks(voff_t start, voff_t end) const override;

  // --- by page index
  Page* page_at(std::uint64_t idx) const { return find_page(ptoa(idx)); }
  int swslot(std::uint64_t idx) const {
    auto it = swslots_.find(idx);
    return it == swslots_.end() ? 0 : it->second;
  }
  // Resident or in swap.
  bool has(std::uint64_t idx) const { return page_at(idx) != nullptr || swslot(idx) != 0; }
  bool marked(std::uint64_t idx) const { return !marks_.empty() && marks_.contains(idx); }
  void set_mark(std::uint64_t idx) { marks_.insert(idx); }
  void clear_mark(std::uint64_t idx) {
    if (!marks_.empty()) marks_.erase(idx);
  }
  const absl::btree_set<std::uint64_t>& marks() const { return marks_; }
  const absl::btree_map<std::uint64_t, int>& swslots() const { return swslots_; }

  // Move the page and/or swap slot at idx of from to index to_idx of this
  // object (vm_page_rename, swap_pager_copy). The destination has neither.
  void take_index(ShadowObject* from, std::uint64_t idx, std::uint64_t to_idx);
  // A free mark moves with take_index's caller: copy one.
  void take_mark(std::uint64_t to_idx) { marks_.insert(to_idx); }
  void page_remove_marks() { marks_.clear(); }

  // vm_object_page_remove + swap_pager_freespace: drop the pages, slots and
  // marks of [start, end) (indices). Wired, busy and lent pages are freed
  // for their owner (Uvm::pagefree keeps lent pages for the borrowers).
  void page_remove(std::uint64_t start, std::uint64_t end);
  // Drop the page or slot at idx (madvise free).
  void free_index(std::uint64_t idx);

  // --- FreeBSD's fields
  std::uint64_t id = 0;  // for dumps: stable within a machine
  std::uint64_t size = 0;  // pages
  int shadow_count = 0;
  ShadowObject* backing_object = nullptr;
  std::uint64_t backing_object_offset = 0;  // pages
  std::uint8_t flags = 0;
  // The objects that this one backs (FreeBSD's shadow_head list).
  absl::flat_hash_set<ShadowObject*> shadows;

  // Entries whose first object this is: ref_count without the shadows.
  int entry_refs() const { return uo_refs - shadow_count; }
  // An entry is about to stop using this object as its first object.
  void entry_leaving() {
    if (entry_refs() <= 2) flags &= ~OBJ_SHARED;
  }

 private:
  explicit ShadowObject(Uvm& uvm) : UvmObject(uvm) {}
  ~ShadowObject() override;
  friend void shadow_object_free(ShadowObject* obj);
  int pageout(Page* pg);
  void drop_slot(std::uint64_t idx);

  absl::btree_map<std::uint64_t, int> swslots_;  // swap blocks, by index
  absl::btree_set<std::uint64_t> marks_;
};

// vm_object_terminate: free the pages and slots of an object with no
// references and delete it.
void shadow_object_free(ShadowObject* obj);

}  // namespace uvmsim
