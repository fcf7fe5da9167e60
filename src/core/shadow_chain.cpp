// The shadow model's chain operations: see shadow_chain.h. Each explains
// the operation before doing it, and keeps its safety conditions in one
// place, as vm_object.c does.
#include "core/shadow_chain.h"

#include <algorithm>
#include <vector>

#include "core/page.h"
#include "core/uvm.h"
#include "core/vm_map.h"

namespace uvmsim {

ChainHit shadow_chain_lookup(ShadowObject* first, std::uint64_t idx) {
  int depth = 0;
  for (ShadowObject* o = first; o; o = o->backing_object, depth++) {
    if (o->marked(idx)) return ChainHit{};
    if (Page* pg = o->page_at(idx)) return ChainHit{o, idx, pg, depth};
    if (o->swslot(idx) != 0) return ChainHit{o, idx, nullptr, depth};
    idx += o->backing_object_offset;
  }
  return ChainHit{};
}

int shadow_chain_depth(const ShadowObject* first) {
  int n = 0;
  for (const ShadowObject* o = first; o; o = o->backing_object) n++;
  return n;
}

void shadow_chain_visible(const MapEntry& e, absl::FunctionRef<void(const ChainVisible&)> f) {
  const std::uint64_t n = e.npages();
  // base[k]: index in the k-th object of the entry's first page.
  std::vector<const ShadowObject*> above;
  std::vector<std::uint64_t> base;
  std::uint64_t b = e.sref.off;
  int depth = 0;
  for (const ShadowObject* o = e.sref.obj; o; o = o->backing_object, depth++) {
    auto visible = [&](std::uint64_t epage) {
      for (std::size_t k = 0; k < above.size(); k++) {
        const std::uint64_t i = base[k] + epage;
        if (above[k]->has(i) || above[k]->marked(i)) return false;
      }
      return true;
    };
    // Resident pages (memq, by offset) and swap slots (by index), merged in
    // index order; a page with a slot is reported once, as resident.
    for (auto it = o->memq.lower_bound(ptoa(b)); it != o->memq.end() && atop(it->first) < b + n; ++it) {
      const std::uint64_t epage = atop(it->first) - b;
      if (visible(epage)) f(ChainVisible{o, depth, atop(it->first), epage, it->second});
    }
    for (auto it = o->swslots().lower_bound(b); it != o->swslots().end() && it->first < b + n; ++it) {
      if (o->page_at(it->first)) continue;
      const std::uint64_t epage = it->first - b;
      if (visible(epage)) f(ChainVisible{o, depth, it->first, epage, nullptr});
    }
    above.push_back(o);
    base.push_back(b);
    b += o->backing_object_offset;
  }
}

// ---------------------------------------------------------------- shadow

// The entry is about to write memory it shares (needs-copy): put a new empty
// object in front of its object. Reads still find the old pages below; the
// first write of each page copies it up into the new object. An object with
// one reference is this entry's alone: writing it in place is safe, and
// FreeBSD makes no shadow then.
void shadow_object_shadow(Uvm& uvm, MapEntry& e) {
  ShadowObject* src = e.sref.obj;
  if (src->uo_refs == 1) {
    uvm.cnt.object_shadow_skips++;
    return;
  }
  src->entry_leaving();
  ShadowObject* n = ShadowObject::allocate(uvm, e.npages());
  // The entry's reference to src becomes n's backing reference.
  n->backing_object = src;
  n->backing_object_offset = e.sref.off;
  src->shadow_count++;
  src->shadows.insert(n);
  src->flags &= ~OBJ_ONEMAPPING;
  e.sref = Sref{n, 0};
  uvm.cnt.object_shadows++;
}

// ---------------------------------------------------------------- collapse

namespace {

bool has_busy_pages(const ShadowObject* o) {
  for (const auto& [off, pg] : o->memq)
    if (pg->flags & PG_BUSY) return true;
  return false;
}

// Every index of obj's backing object that holds something (page, slot or
// free mark), ascending.
std::vector<std::uint64_t> occupied(const ShadowObject* o) {
  std::vector<std::uint64_t> v;
  for (const auto& [off, pg] : o->memq) v.push_back(atop(off));
  for (const auto& [idx, slot] : o->swslots())
    if (!o->page_at(idx)) v.push_back(idx);
  for (std::uint64_t idx : o->marks()) v.push_back(idx);
  // Three sorted runs: merge them. Coalesce renumbers an object in place
  // from its highest index down, which is only safe in index order (a swap
  // slot moved onto an index whose page has not moved yet would pair the
  // slot with the wrong page).
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

void shadow_object_collapse(ShadowObject* obj) {
  Uvm& uvm = obj->uvm;
  while (ShadowObject* b = obj->backing_object) {
    if (has_busy_pages(b) || has_busy_pages(obj)) return;  // a copy is under way
    const std::uint64_t bo = obj->backing_object_offset;
    if (b->uo_refs == 1) {
      // Collapse: obj alone refers to b, so b's pages are seen only through
      // obj. Pages obj shadows (or that lie outside its window) are dead;
      // the others move up (vm_page_rename, swap blocks with them). b's
      // free marks move up where obj has nothing. Then b leaves the chain.
      obj->flags |= OBJ_COLLAPSING;
      for (std::uint64_t j : occupied(b)) {
        const bool in_window = j >= bo && j - bo < obj->size;
        const std::uint64_t i = j - bo;
        const bool shadowed = !in_window || obj->has(i) || obj->marked(i);
        if (b->marked(j)) {
          if (!shadowed) obj->take_mark(i);
          continue;
        }
        if (shadowed) b->free_index(j);
        else obj->take_index(b, j, i);
      }
      ShadowObject* bb = b->backing_object;
      obj->backing_object = bb;
      obj->backing_object_offset = bo + b->backing_object_offset;
      if (bb) {  // b's reference to bb becomes obj's
        bb->shadows.erase(b);
        bb->shadows.insert(obj);
      }
      b->backing_object = nullptr;
      b->shadows.clear();
      b->shadow_count = 0;
      b->uo_refs = 0;
      shadow_object_free(b);
      obj->flags &= ~OBJ_COLLAPSING;
      uvm.cnt.object_collapses++;
      continue;
    }
    // Bypass: b is shared, but if obj shadows every page b has in obj's
    // window, nothing obj's users see comes from b: link obj to b's backing
    // object directly (vm_object_scan_all_shadowed). b's free marks in the
    // window are copied into obj, which must keep stopping there.
    std::vector<std::uint64_t> marks;
    for (std::uint64_t j : occupied(b)) {
      if (j < bo || j - bo >= obj->size) continue;
      const std::uint64_t i = j - bo;
      if (obj->has(i) || obj->marked(i)) continue;
      if (!b->marked(j)) return;  // b still shows obj a page
      marks.push_back(i);
    }
    for (std::uint64_t i : marks) obj->take_mark(i);
    ShadowObject* bb = b->backing_object;
    obj->backing_object = bb;
    obj->backing_object_offset = bo + b->backing_object_offset;
    if (bb) {
      bb->uo_refs++;
      bb->shadow_count++;
      bb->shadows.insert(obj);
    }
    b->shadows.erase(obj);
    b->shadow_count--;
    uvm.cnt.object_bypasses++;
    b->detach();  // obj's reference
  }
  // Nothing below: a free mark means what the end of the chain means.
  if (!obj->marks().empty()) obj->page_remove_marks();
}

// ---------------------------------------------------------------- deallocate

// vm_object_deallocate. At the last reference the object dies and drops its
// reference to its backing object (a loop, not recursion, as FreeBSD's).
// When one reference remains and it is a shadow's, that shadow now alone
// sees this object: collapse it into the shadow.
void ShadowObject::detach() {
  ShadowObject* obj = this;
  while (obj) {
    obj->uo_refs--;
    if (obj->uo_refs > 0) {
      if (obj->uo_refs == 1 && obj->shadow_count == 1) shadow_object_collapse(*obj->shadows.begin());
      return;
    }
    ShadowObject* b = obj->backing_object;
    if (b) {
      b->shadows.erase(obj);
      b->shadow_count--;
    }
    obj->backing_object = nullptr;
    shadow_object_free(obj);
    obj = b;
  }
}

// ---------------------------------------------------------------- coalesce

// As FreeBSD's vm_object_coalesce, collapse first. FreeBSD then refuses an
// object that still shadows another; uvmsim grows it all the same, so that
// entries have the same shape as on the amap model (madvise free decides
// per entry, and processes must read the same bytes under both models),
// and puts a free mark on every new index: the backing object can gain
// pages there later (another entry may map it in place, e.g. one whose
// inheritance was `zero` at the fork that made the shadow), and the new
// range must read zeros whatever happens below. Marks cost memory per
// page, so a long extension of a shadowing object is refused as FreeBSD
// does (the mapping gets an entry of its own).
bool shadow_object_coalesce(MapEntry& e, std::uint64_t npages, bool forwards) {
  constexpr std::uint64_t kMaxMarkedExtension = 4096;  // pages
  ShadowObject* obj = e.sref.obj;
  shadow_object_collapse(obj);
  if (obj->backing_object && npages > kMaxMarkedExtension) return false;
  std::uint64_t lo, hi;
  if (forwards) {
    lo = e.sref.off + e.npages();
    hi = lo + npages;
  } else {
    if (e.sref.off < npages) {
      // No room below: renumber the object upwards (its only user is this
      // entry). Not with a backing object, whose offsets cannot go below 0.
      if (obj->backing_object) return false;
      const std::uint64_t delta = npages - e.sref.off;
      std::vector<std::uint64_t> idx = occupied(obj);
      for (auto it = idx.rbegin(); it != idx.rend(); ++it) {
        if (obj->marked(*it)) continue;  // no backing: marks are void
        obj->take_index(obj, *it, *it + delta);
      }
      obj->page_remove_marks();
      obj->size += delta;
      e.sref.off += delta;
    }
    lo = e.sref.off - npages;
    hi = e.sref.off;
  }
  // Pages left from an earlier, larger use of the object (FreeBSD's "pages
  // that may still be in the object from a previous deallocation").
  obj->page_remove(lo, hi);
  if (obj->backing_object)
    for (std::uint64_t idx = lo; idx < hi; idx++) obj->set_mark(idx);
  if (hi > obj->size) obj->size = hi;
  if (!forwards) e.sref.off = lo;
  obj->uvm.cnt.object_coalesces++;
  return true;
}

}  // namespace uvmsim
