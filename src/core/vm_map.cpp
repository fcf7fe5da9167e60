#include "core/vm_map.h"

#include "core/anon_layer.h"
#include "core/fault.h"
#include "core/kassert.h"
#include "core/pmap.h"
#include "core/uvm.h"
#include "core/uvm_object.h"

namespace uvmsim {

VmMap::VmMap(Uvm& uvm, Pmap& pmap) : uvm_(uvm), pmap_(pmap) {}

VmMap::~VmMap() { unmap(0, kUserMax); }

// uvm_map_lookup_entry. Cases, cheapest first:
//   va in the hint entry                  -> the hint (repeated lookups)
//   va in the entry after the hint        -> one step (ascending lookups;
//                                            only while the hint's place in
//                                            the tree is known)
//   otherwise                             -> B-tree search; the result (if
//                                            any) becomes the hint
MapEntry* VmMap::lookup(vaddr_t va) {
  if (hint_) {
    if (hint_->start <= va && va < hint_->end) return hint_;
    if (hint_at_ok_ && va >= hint_->end) {
      auto n = std::next(hint_at_);
      if (n != entries_.end() && n->first <= va && va < n->second->end) return set_hint(n);
    }
  }
  auto it = entries_.upper_bound(va);
  if (it == entries_.begin()) return nullptr;
  --it;
  if (va < it->second->end) return set_hint(it);
  return nullptr;
}

MapEntry* VmMap::lookup_or_next(vaddr_t va) {
  auto it = entries_.upper_bound(va);
  if (it != entries_.begin()) {
    auto p = std::prev(it);
    if (va < p->second->end) return p->second.get();
  }
  return it == entries_.end() ? nullptr : it->second.get();
}

// The entry after e. A walk (e = next(e)) moves the hint along with it, so
// each step is one iterator increment rather than a search.
MapEntry* VmMap::next(const MapEntry* e) {
  auto it = (hint_at_ok_ && hint_ == e) ? std::next(hint_at_) : entries_.upper_bound(e->start);
  if (it == entries_.end()) return nullptr;
  return set_hint(it);
}

MapEntry* VmMap::prev(const MapEntry* e) {
  auto it = entries_.lower_bound(e->start);
  if (it == entries_.begin()) return nullptr;
  return std::prev(it)->second.get();
}

MapEntry* VmMap::first() {
  return entries_.empty() ? nullptr : entries_.begin()->second.get();
}

// uvm_map_clip_start: e becomes [va, end); a new entry takes [start, va).
void VmMap::clip_start(MapEntry* e, vaddr_t va) {
  if (va <= e->start || va >= e->end) return;
  auto front = std::make_unique<MapEntry>(*e);
  front->end = va;
  const vaddr_t adj = va - e->start;
  if (e->object) {
    e->offset += adj;
    e->object->reference();
  }
  uvm_.anon_layer->split(*front, *e, adj);
  auto it = entries_.find(e->start);
  std::unique_ptr<MapEntry> self = std::move(it->second);
  entries_.erase(it);
  e->start = va;
  entries_.emplace(va, std::move(self));
  entries_.emplace(front->start, std::move(front));
  tree_changed();
  uvm_.cnt.map_clips++;
}

// uvm_map_clip_end: e becomes [start, va); a new entry takes [va, end).
void VmMap::clip_end(MapEntry* e, vaddr_t va) {
  if (va <= e->start || va >= e->end) return;
  auto back = std::make_unique<MapEntry>(*e);
  back->start = va;
  const vaddr_t adj = va - e->start;
  if (e->object) {
    back->offset += adj;
    e->object->reference();
  }
  uvm_.anon_layer->split(*e, *back, adj);
  e->end = va;
  entries_.emplace(va, std::move(back));
  tree_changed();
  uvm_.cnt.map_clips++;
}

MapEntry* VmMap::insert(std::unique_ptr<MapEntry> e) {
  MapEntry* raw = e.get();
  UVM_KASSERT(raw->start < raw->end && !(raw->start & kPageMask) && !(raw->end & kPageMask));
  UVM_KASSERT_MSG(!any(raw->start, raw->end), "insert: the range must be free");
  entries_.emplace(raw->start, std::move(e));
  tree_changed();
  return raw;
}

namespace {

// Two entries can become one: private anonymous memory with equal attributes.
bool mergeable(const MapEntry* a, const MapEntry* b) {
  return a->end == b->start && !a->object && !b->object && a->cow() && b->cow() &&
         a->protection == b->protection && a->max_protection == b->max_protection &&
         a->inheritance == b->inheritance && a->advice == b->advice &&
         a->sharing == b->sharing && a->wired_count == 0 && b->wired_count == 0;
}

}  // namespace

// A fresh entry (no anonymous memory yet) joins a neighbour that has none
// either, or one whose anonymous memory the layer can grow in place
// (AnonLayer::extend: amap_extend, or vm_object_coalesce for shadows).
MapEntry* VmMap::try_merge(MapEntry* e) {
  AnonLayer& anon = *uvm_.anon_layer;
  if (anon.has_upper(*e) || e->object) return e;  // only fresh anonymous entries
  if (MapEntry* p = prev(e); p && mergeable(p, e)) {
    bool ok = false;
    if (!anon.has_upper(*p) && p->needs_copy() && e->needs_copy()) ok = true;
    else if (anon.extendable(*p) && e->needs_copy())
      ok = anon.extend(*p, e->size(), /*forwards=*/true);
    if (ok) {
      const vaddr_t end = e->end;
      entries_.erase(e->start);
      tree_changed();
      if (hint_ == e) hint_ = nullptr;
      p->end = end;
      uvm_.cnt.map_entries_merged++;
      e = p;
    }
  }
  if (MapEntry* n = next(e); n && mergeable(e, n) && !anon.has_upper(*e)) {
    bool ok = false;
    if (!anon.has_upper(*n) && n->needs_copy() && e->needs_copy()) ok = true;
    else if (anon.extendable(*n) && e->needs_copy())
      ok = anon.extend(*n, e->size(), /*forwards=*/false);
    if (ok) {
      // n absorbs e: n is re-keyed at e's start.
      const vaddr_t start = e->start;
      entries_.erase(start);
      if (hint_ == e) hint_ = nullptr;
      auto it = entries_.find(n->start);
      std::unique_ptr<MapEntry> self = std::move(it->second);
      entries_.erase(it);
      n->start = start;
      entries_.emplace(start, std::move(self));
      tree_changed();
      uvm_.cnt.map_entries_merged++;
      e = n;
    }
  }
  return e;
}

void VmMap::remove_entry(MapEntry* e) {
  if (e->wired_count > 0) {
    uvm_fault_unwire(*this, e->start, e->end);
    e->wired_count = 0;
  }
  pmap_.remove(e->start, e->end);
  uvm_.anon_layer->release(*e);
  if (e->object) e->object->detach();
  if (hint_ == e) hint_ = nullptr;
  entries_.erase(e->start);
  tree_changed();
}

void VmMap::unmap(vaddr_t start, vaddr_t end) {
  for_range(start, end, [this](MapEntry* e) { remove_entry(e); });
  pmap_.update();
}

bool VmMap::covered(vaddr_t start, vaddr_t end) {
  vaddr_t at = start;
  for (MapEntry* e = lookup(start); e && at < end; e = next(e)) {
    if (e->start > at) return false;
    at = e->end;
  }
  return at >= end;
}

bool VmMap::any(vaddr_t start, vaddr_t end) {
  MapEntry* e = lookup_or_next(start);
  return e && e->start < end;
}

bool VmMap::find_space(vaddr_t hint, vsize_t len, vaddr_t* out) {
  // First fit at or above the hint; then, like a kernel's top-down retry,
  // anywhere from the bottom of user space.
  for (vaddr_t from : {hint < kUserMin ? kUserMin : trunc_page(hint), kUserMin}) {
    vaddr_t at = from;
    for (MapEntry* e = lookup_or_next(at); e; e = next(e)) {
      if (at + len <= e->start) break;
      if (e->end > at) at = e->end;
    }
    if (at + len <= kUserMax && at + len >= at) {
      *out = at;
      return true;
    }
  }
  return false;
}

}  // namespace uvmsim
