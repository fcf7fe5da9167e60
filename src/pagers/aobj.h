// The anonymous object pager (uao, seed 000): a uvm_object whose pages are
// zero-filled on first touch and paged to swap under memory pressure. It
// backs shared anonymous memory (mmap MAP_SHARED|MAP_ANON): every process
// sharing the mapping refers to the same object.
//
// Swap slots per page, as in the seed:
//   - objects of at most UAO_SWHASH_THRESHOLD (64) pages: an array, one slot
//     per page;
//   - larger objects: a hash table of clusters of UAO_SWHASH_CLUSTER_SIZE (16)
//     pages, keyed by page index >> 4, with min(pages >> 4, 256) buckets
//     rounded to a power of two. A cluster element is freed when its last
//     slot is cleared.
// set_swslot() returns the old slot (0: none); setting 0 frees the element
// entry, not the slot itself — callers free slots on the device.
//
// Detach with busy pages (seed uao_detach): busy pages are marked
// PG_RELEASED and the object is marked KILLME; the object dies when the last
// released page is unbusied (releasepg()).
#pragma once

#include <cstdint>
#include <vector>

#include "core/uvm_object.h"

namespace uvmsim {

inline constexpr int UAO_SWHASH_CLUSTER_SHIFT = 4;
inline constexpr int UAO_SWHASH_CLUSTER_SIZE = 1 << UAO_SWHASH_CLUSTER_SHIFT;
inline constexpr int UAO_SWHASH_THRESHOLD = UAO_SWHASH_CLUSTER_SIZE * 4;
inline constexpr int UAO_SWHASH_MAXBUCKETS = 256;

class Aobj final : public UvmObject {
 public:
  // Page indices are ints (the seed's uao): at most kMaxPages pages, 8 TiB.
  static constexpr int kMaxPages = 0x7fffffff;
  // A new aobj of `size` bytes (at most kMaxPages pages; callers check) with
  // one reference.
  static Aobj* create(Uvm& uvm, vsize_t size);
  // A clean aobj page has a swap slot (it was paged in): once the page goes,
  // that slot is the only copy of the data (swpgonly).
  void release_clean(Page* pg) override;

  void detach() override;
  int get(voff_t offset, Page** pgp, int flags) override;
  // PGO_CLEANIT|PGO_FREE: page out (to swap) and free; PGO_FREE alone:
  // discard pages and their slots; PGO_DEACTIVATE: move to inactive.
  int put(voff_t start, voff_t end, int flags) override;
  // The map layer's request (msync, madvise): NetBSD's uao_put. Never fails.
  int flush(voff_t start, voff_t end, int flags) override;
  const char* kind() const override { return "aobj"; }
  std::uint64_t swap_blocks(voff_t start = 0, voff_t end = ~voff_t{0}) const override;
  std::uint64_t swap_only_blocks(voff_t start, voff_t end) const override;

  // --- swap slots ---
  int find_swslot(int pageidx) const;
  int set_swslot(int pageidx, int slot);  // returns the old slot
  bool uses_swhash() const { return pages_ > UAO_SWHASH_THRESHOLD; }
  int swhash_buckets() const { return static_cast<int>(swhash_.size()); }
  int swhash_elements() const;
  bool anonymous() const override { return true; }
  int swslot_at(voff_t offset) const override {
    return offset < ptoa(static_cast<std::uint64_t>(pages_)) ? find_swslot(static_cast<int>(atop(offset))) : 0;
  }
  void set_swslot_at(voff_t offset, int slot) override { set_swslot(static_cast<int>(atop(offset)), slot); }
  void for_each_swslot(absl::FunctionRef<void(std::uint64_t pageidx, int slot)> f) const override {
    if (!uses_swhash()) {
      for (int i = 0; i < pages_; i++)
        if (swslots_[i]) f(static_cast<std::uint64_t>(i), swslots_[i]);
      return;
    }
    for (const auto& bucket : swhash_)
      for (const auto& elt : bucket)
        for (int j = 0; j < UAO_SWHASH_CLUSTER_SIZE; j++)
          if (elt.slots[j]) f((elt.tag << UAO_SWHASH_CLUSTER_SHIFT) + static_cast<std::uint64_t>(j), elt.slots[j]);
  }
  // uao_swap_off: page in every page whose slot is in [startslot, endslot)
  // and drop the slot. Returns an errno (ENOMEM: no memory to bring it in).
  int swap_off(int startslot, int endslot) override;

  // The page was PG_BUSY|PG_RELEASED and is now unbusied: free it, and the
  // object too when it is dying and this was its last page. Returns false
  // when the object was freed.
  bool releasepg(Page* pg);
  bool dying() const { return killme_; }

  int pages() const { return pages_; }

 private:
  Aobj(Uvm& uvm, int pages);
  struct SwhashElt {
    std::uint64_t tag;
    int count;
    int slots[UAO_SWHASH_CLUSTER_SIZE];
  };
  SwhashElt* find_elt(int pageidx, bool create);
  // Free the page and its swap slot (page must not be loaned or busy).
  void drop_page(Page* pg);
  void free_slot_of(int pageidx);
  int pageout(Page* pg);

  int pages_;
  bool killme_ = false;
  std::vector<int> swslots_;                     // small objects
  std::vector<std::vector<SwhashElt>> swhash_;   // large objects: buckets
};

}  // namespace uvmsim
