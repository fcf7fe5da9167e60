// struct vm_anon: an anonymous page's identity.
//
// An anon names one page of anonymous memory independent of where it is
// mapped: amaps point at anons, and an anon is shared (an_ref > 1) after a
// fork until a write fault copies it (copy-on-write). The data lives in
// its page (an_frame) when resident, else in swap slot an_swslot.
//
// an_ref counts amap slots referring to the anon plus anon loans (the loan
// issue). When it drops to zero the anon and its page are freed.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace uvmsim {

struct Page;
struct Uvm;

// an_frame: the resident page's frame number (kNoAnonPage when paged out);
// PhysMem::anon_page / set_anon_page convert. A frame number instead of a
// Page* keeps the anon at 12 bytes (docs/results.md, metadata per page).
inline constexpr std::uint32_t kNoAnonPage = ~0u;

struct Anon {
  std::uint32_t an_frame = kNoAnonPage;
  int an_ref = 0;
  int an_swslot = 0;  // 0: no swap slot
};
static_assert(sizeof(Anon) == 12, "keep struct Anon at 12 bytes (docs/results.md)");

// Anons are allocated from slabs of kSlab: a malloc'd anon would cost 16 B
// of allocator header and rounding on top of its 12 B. Every anon has a
// 32-bit id (slab << kSlabShift | index; 0 is never used), which is what
// amaps store in their slots (4 B instead of a pointer's 8). Freed anons go
// on a free list threaded through them; slabs are released with the machine.
inline constexpr std::uint32_t kNoAnon = 0;

class AnonPool {
 public:
  Anon* alloc();
  void free(Anon* a);
  Anon* get(std::uint32_t id) {
    return id == kNoAnon ? nullptr : &slabs_[id >> kSlabShift][id & (kSlab - 1)];
  }
  // The id of an anon of this pool: a binary search over the slabs.
  std::uint32_t id(const Anon* a) const;
  std::uint64_t capacity() const { return slabs_.size() * kSlab; }

 private:
  static constexpr int kSlabShift = 12;
  static constexpr std::uint32_t kSlab = 1u << kSlabShift;
  std::vector<std::unique_ptr<Anon[]>> slabs_;
  // (first anon of a slab, slab number), sorted by address.
  std::vector<std::pair<const Anon*, std::uint32_t>> by_addr_;
  // Free list threaded through the freed anons themselves: an_frame holds
  // the next free anon's id (no memory beyond the slabs).
  std::uint32_t free_ = kNoAnon;
  std::uint32_t used_in_last_ = kSlab;
};

// uvm_analloc: a new anon with an_ref 1 and no page.
Anon* uvm_analloc(Uvm& uvm);
// uvm_anfree: free an anon whose an_ref reached 0, its page and swap slot.
// Every mapping of the page is removed first.
void uvm_anfree(Uvm& uvm, Anon* anon);
// Drop one reference; frees at zero. Returns the remaining count.
int uvm_anon_dropref(Uvm& uvm, Anon* anon);
// uvm_anon_pagein: bring a swapped-out anon's page back into memory. The
// swap slot is kept (the page is clean with respect to it). errno result:
// ENOMEM (no free page), EIO (read error).
int uvm_anon_pagein(Uvm& uvm, Anon* anon);
// Drop the anon's swap slot (its page must be resident): the page becomes
// the only copy of the data.
void uvm_anon_dropswap(Uvm& uvm, Anon* anon);

}  // namespace uvmsim
