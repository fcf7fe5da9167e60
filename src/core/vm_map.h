// struct vm_map and struct vm_map_entry.
//
// A map is an ordered set of non-overlapping entries, each mapping
// [start, end) to (object, offset) and/or an amap reference, with a
// protection, a maximum protection, an inheritance, an advice and a wiring
// count. Entries live in a B-tree keyed by start (O(log n) lookup); a hint
// remembers the last entry found and where it sits in the tree, so repeated
// and ascending lookups and walks with next() are O(1) (NetBSD's map->hint
// plus the entry list's next link).
//
// Copy-on-write state (NetBSD etype bits):
//   UVM_ET_COPYONWRITE: writes go to anons in the amap, never to the object.
//   UVM_ET_NEEDSCOPY:   the amap (if any) is shared with another entry and
//                       must be copied (amap_copy) before the first write.
// A private anonymous mapping starts as COW|NEEDSCOPY with no object and no
// amap: the first fault allocates the amap (zero-fill on demand).
//
// Lock order: map -> amap -> object -> anon -> page queues (modelled; the
// simulator is single-threaded, and the order is kept in call structure).
#pragma once

#include <cstdint>
#include <memory>

#include "absl/container/btree_map.h"
#include "core/amap.h"
#include "core/kassert.h"
#include "core/shadow_ref.h"
#include "uvmsim/stats.h"
#include "uvmsim/status.h"
#include "uvmsim/types.h"

namespace uvmsim {

class UvmObject;
class Pmap;
struct Uvm;

enum : std::uint8_t {
  UVM_ET_COPYONWRITE = 0x1,
  UVM_ET_NEEDSCOPY = 0x2,
};

struct MapEntry {
  MapEntry() : sref{} {}

  vaddr_t start = 0, end = 0;
  UvmObject* object = nullptr;
  voff_t offset = 0;  // object offset of `start`
  // The anonymous layer's reference: a machine has one anonymous-memory
  // model (MachineConfig::anon_model), so an entry uses one of these and
  // only that model's code (core/amap_*.cpp or core/shadow_*.cpp) touches
  // it. Sharing the storage keeps an entry at 64 bytes. Both read as empty
  // in a new entry: the constructor zeroes all 16 bytes through sref.
  union {
    Aref aref;  // amap model
    Sref sref;  // shadow model: the first anonymous object
  };
  std::uint8_t etype = 0;
  Prot protection = kProtNone;
  Prot max_protection = kProtAll;
  Inherit inheritance = Inherit::kCopy;
  Advice advice = Advice::kNormal;
  Sharing sharing = Sharing::kPrivate;  // how it was mapped (for listings)
  int wired_count = 0;

  vsize_t size() const { return end - start; }
  // Up to the whole user address space (2^35 pages): 64 bits.
  std::uint64_t npages() const { return atop(end - start); }
  // The entry's pages as amap slots: an entry with an amap is never larger
  // than the amap (at most UVM_AMAP_MAXSLOTS slots), so this fits an int.
  int nslots() const {
    UVM_KASSERT_MSG(npages() <= static_cast<std::uint64_t>(UVM_AMAP_MAXSLOTS), "an amap's entry");
    return static_cast<int>(npages());
  }
  bool cow() const { return etype & UVM_ET_COPYONWRITE; }
  bool needs_copy() const { return etype & UVM_ET_NEEDSCOPY; }
  bool wired() const { return wired_count > 0; }
};
static_assert(sizeof(MapEntry) <= 64, "a map entry fits one cache line");

class VmMap {
 public:
  VmMap(Uvm& uvm, Pmap& pmap);
  ~VmMap();  // removes every entry
  VmMap(const VmMap&) = delete;
  VmMap& operator=(const VmMap&) = delete;

  Uvm& uvm() { return uvm_; }
  Pmap& pmap() { return pmap_; }
  // The process this map belongs to (for traces); 0 if none.
  int pid = 0;
  // Event counters of the process (core/process_counters.h charges them).
  ProcessStats counters;

  // The entry containing va, or nullptr.
  MapEntry* lookup(vaddr_t va);
  // The first entry with end > va (the entry containing va, or the next one).
  MapEntry* lookup_or_next(vaddr_t va);
  MapEntry* next(const MapEntry* e);
  MapEntry* prev(const MapEntry* e);
  MapEntry* first();
  std::uint64_t nentries() const { return entries_.size(); }

  // uvm_map_clip_start / _end: split so that an entry starts / ends at va.
  void clip_start(MapEntry* e, vaddr_t va);
  void clip_end(MapEntry* e, vaddr_t va);

  // Insert a new entry into free space [e->start, e->end) (must be free).
  MapEntry* insert(std::unique_ptr<MapEntry> e);
  // Merge e with compatible neighbours (UVM_MERGE): anonymous private entries
  // with the same attributes and either no amaps or an amap that can be
  // extended. Returns the surviving entry.
  MapEntry* try_merge(MapEntry* e);

  // uvm_unmap: remove every mapping in [start, end): pmap_remove, drop amap
  // references (freeing exactly the anons nobody else references), detach
  // objects.
  void unmap(vaddr_t start, vaddr_t end);
  // Is [start, end) entirely covered by entries (no holes)?
  bool covered(vaddr_t start, vaddr_t end);
  // Does any entry intersect [start, end)?
  bool any(vaddr_t start, vaddr_t end);
  // First free gap of len bytes at or above hint, below kUserMax.
  bool find_space(vaddr_t hint, vsize_t len, vaddr_t* out);

  // Clip entries to [start, end) and call f on each entry inside it.
  template <typename F>
  void for_range(vaddr_t start, vaddr_t end, F&& f) {
    MapEntry* e = lookup_or_next(start);
    if (e && e->start < start) {
      clip_start(e, start);
      e = lookup(start);
    }
    while (e && e->start < end) {
      if (e->end > end) clip_end(e, end);
      MapEntry* n = next(e);
      f(e);
      e = n;
    }
  }

  template <typename F>
  void for_each(F&& f) const {
    for (const auto& [start, e] : entries_) f(*e);
  }

 private:
  using Tree = absl::btree_map<vaddr_t, std::unique_ptr<MapEntry>>;
  void remove_entry(MapEntry* e);  // detach references; entry leaves the tree
  // The hint is `at`'s entry from now on, with its place in the tree.
  MapEntry* set_hint(Tree::iterator at) {
    hint_ = at->second.get();
    hint_at_ = at;
    hint_at_ok_ = true;
    return hint_;
  }
  // Every insertion into or removal from the tree calls this: a B-tree
  // iterator does not survive either. The hint entry itself stays valid
  // (only remove_entry/try_merge, which free it, clear hint_).
  void tree_changed() { hint_at_ok_ = false; }
  Uvm& uvm_;
  Pmap& pmap_;
  Tree entries_;
  MapEntry* hint_ = nullptr;
  Tree::iterator hint_at_;   // hint_'s place in entries_, if hint_at_ok_
  bool hint_at_ok_ = false;
};

}  // namespace uvmsim
