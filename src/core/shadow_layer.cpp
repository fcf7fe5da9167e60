// The shadow model's map-entry operations: see shadow_layer.h.
#include "core/shadow_layer.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_set.h"
#include "core/amap.h"
#include "core/kassert.h"
#include "core/page.h"
#include "core/pmap.h"
#include "core/shadow_chain.h"
#include "core/uvm.h"
#include "core/uvm_object.h"
#include "core/vm_map.h"
#include "core/vmspace.h"
#include "uvmsim/process.h"

namespace uvmsim {

bool ShadowLayer::has_upper(const MapEntry& e) const { return e.sref.obj != nullptr; }

namespace {

std::uint64_t index_of(const MapEntry& e, vaddr_t va) { return e.sref.off + atop(va - e.start); }

// A page the entry may not write in place: it lies below the first object
// (a write copies it up), the entry still shares its first object
// (needs-copy), or the page is lent out.
UpperPage upper_page(const MapEntry& e, const ChainHit& h) {
  UpperPage up;
  if (!h.obj) return up;
  up.object = h.obj;
  up.offset = ptoa(h.idx);
  up.page = h.page;
  up.shared = h.depth > 0 || e.needs_copy() || (h.page && h.page->loan_count > 0);
  return up;
}

}  // namespace

UpperPage ShadowLayer::lookup(const MapEntry& e, vaddr_t va) const {
  if (!e.sref.obj) return UpperPage{};
  return upper_page(e, shadow_chain_lookup(e.sref.obj, index_of(e, va)));
}

// Fault-ahead: each page of the window down the chain, as FreeBSD's
// vm_fault_prefault walks backing objects; a page found below the first
// object is mapped read-only (UpperPage::shared), one only in swap is not
// mapped. The window is at most kLookupMax pages.
void ShadowLayer::lookup_range(const MapEntry& e, vaddr_t lo, vaddr_t hi, UpperPage* out) const {
  const int n = static_cast<int>(atop(hi - lo));
  UVM_KASSERT(lo <= hi && n <= kLookupMax);
  for (int i = 0; i < n; i++) out[i] = lookup(e, lo + ptoa(static_cast<std::uint64_t>(i)));
}

// Needs-copy: an entry without an object gets a new one for its whole range
// (zero-fill on demand), as FreeBSD's vm_map_lookup does at an entry's first
// fault (vm_object_allocate_anon of the entry's size): objects are sparse, so
// their size costs nothing, and one object per entry is what makes chains
// form as they do in the BSD VM. (UVM instead takes a 16-page chunk around
// the fault in a large entry, amap_copy's UVM_AMAP_CHUNK, because an amap's
// arrays are as large as the amap; the two models' entries may therefore be
// clipped differently, which nothing a process reads depends on.) Only an
// entry larger than an object can be (kMaxPages) takes a chunk here. One with
// an object gets a shadow of it (vm_object_shadow).
bool ShadowLayer::copy(VmMap& map, MapEntry* e, vaddr_t start, vaddr_t end, bool chunked) {
  if (!e->sref.obj) {
    if (chunked && e->npages() > ShadowObject::kMaxPages) {
      const vaddr_t chunksize = static_cast<vaddr_t>(UVM_AMAP_CHUNK) << kPageShift;
      start = (start / chunksize) * chunksize;
      end = ((end + chunksize - 1) / chunksize) * chunksize;
      if (start > e->start) {
        map.clip_start(e, start);
        e = map.lookup(start);
      }
      if (end >= start && end < e->end) map.clip_end(e, end);
    }
    if (e->npages() > ShadowObject::kMaxPages) return false;
    e->sref = Sref{ShadowObject::allocate(uvm_, e->npages()), 0};
    e->etype &= ~UVM_ET_NEEDSCOPY;
    return true;
  }
  shadow_object_shadow(uvm_, *e);
  e->etype &= ~UVM_ET_NEEDSCOPY;
  return true;
}

void ShadowLayer::split(MapEntry& left, MapEntry& right, vsize_t adj) {
  if (!left.sref.obj) return;
  right.sref = Sref{left.sref.obj, left.sref.off + atop(adj)};
  left.sref.obj->uo_refs++;
}

// The object grows in place only for an entry that alone uses it (one
// reference: no other entry, no shadow), as vm_object_coalesce requires.
bool ShadowLayer::extendable(const MapEntry& e) const {
  return e.sref.obj && !e.needs_copy() && e.sref.obj->uo_refs == 1;
}

bool ShadowLayer::extend(MapEntry& e, vsize_t addsize, bool forwards) {
  if (e.sref.obj->size + atop(addsize) > ShadowObject::kMaxPages) return false;
  return shadow_object_coalesce(e, atop(addsize), forwards);
}

// Unmap (vm_map_entry_delete): the pages of a one-mapping object in the
// entry's range can be seen by nobody else: free them now (with their swap
// blocks), and shrink the object when the range was its end. Then drop the
// entry's reference (vm_object_deallocate).
void ShadowLayer::release(MapEntry& e) {
  ShadowObject* obj = e.sref.obj;
  if (!obj) return;
  const std::uint64_t lo = e.sref.off;
  const std::uint64_t hi = lo + e.npages();
  e.sref = Sref{};
  if (obj->uo_refs != 1 && (obj->flags & OBJ_ONEMAPPING) && obj->shadow_count == 0) {
    shadow_object_collapse(obj);
    obj->page_remove(lo, hi);
    if (hi >= obj->size && lo < obj->size) obj->size = lo;
  }
  obj->entry_leaving();
  obj->detach();
}

// The pages (numbered from the entry's start) in [lo, hi) at which some
// object of the entry's chain has a resident page: the only places madvise
// can act, since pages only in swap are left alone. Walking the window
// itself would take as long as the entry is large (one object may span
// 2^31 pages with a few of them touched).
static std::vector<std::uint64_t> resident_in_window(const MapEntry& e, std::uint64_t lo, std::uint64_t hi) {
  absl::btree_set<std::uint64_t> rels;
  std::uint64_t shift = e.sref.off;
  for (const ShadowObject* o = e.sref.obj; o; shift += o->backing_object_offset, o = o->backing_object)
    for (auto it = o->memq.lower_bound(ptoa(shift + lo)); it != o->memq.end() && atop(it->first) < shift + hi; ++it)
      rels.insert(atop(it->first) - shift);
  return {rels.begin(), rels.end()};
}

// madvise/msync on [start, stop). Deactivating keeps every page. Freeing
// (PGO_FREE alone) drops what this entry alone sees, under the condition
// UVM uses for its amaps (the entry alone refers to its first object), so
// that processes read the same bytes under both models: a page of the
// first object is freed with its swap block; a page this entry sees from
// an object below (which others may still see) is hidden behind a free
// mark. A first object that backs shadows gets a private shadow first.
// Pages only in swap, busy and wired pages are left alone, as on UVM.
void ShadowLayer::clean(VmMap& map, MapEntry& e, vaddr_t start, vaddr_t stop, int flags) {
  if (!e.sref.obj || !(flags & (PGO_DEACTIVATE | PGO_FREE))) return;
  const bool free_pages =
      (flags & (PGO_CLEANIT | PGO_FREE | PGO_DEACTIVATE)) == PGO_FREE && e.sref.obj->entry_refs() == 1;
  for (std::uint64_t rel : resident_in_window(e, atop(start - e.start), atop(stop - e.start))) {
    const vaddr_t va = e.start + ptoa(rel);
    const ChainHit h = shadow_chain_lookup(e.sref.obj, index_of(e, va));
    Page* pg = h.page;
    if (!h.obj || !pg || (pg->flags & PG_BUSY)) continue;
    if (!free_pages) {
      if (pg->loan_count != 0 || pg->wire_count != 0 || e.wired()) continue;  // on no paging queue
      Pmap::clear_referenced(pg);
      uvm_.pm->deactivate(pg);
      continue;
    }
    // Wired pages stay. A locked entry's page counts as wired even while
    // mprotect none has taken its wired mapping (uvmsim ties wire_count to
    // wired mappings; NetBSD's page keeps its wiring then).
    if (pg->wire_count != 0 || e.wired()) continue;
    if (e.sref.obj->shadow_count > 0) {
      shadow_object_shadow(uvm_, e);
      e.etype &= ~UVM_ET_NEEDSCOPY;
      // The entry's pages are now below its first object: a write must copy
      // them up, so none may stay mapped writable (the entry was not
      // needs-copy, so some may be).
      map.pmap().protect(e.start, e.end, e.protection & ~kProtWrite);
    }
    ShadowObject* first = e.sref.obj;
    map.pmap().remove(va, va + kPageSize);
    const std::uint64_t idx = index_of(e, va);
    if (h.obj == first) {
      first->free_index(idx);
      if (first->backing_object) first->set_mark(idx);
    } else {
      first->set_mark(idx);
    }
    uvm_.cnt.object_free_marks += first->marked(idx) ? 1 : 0;
  }
}

int ShadowLayer::swap_off(int, int) {
  return 0;  // the objects' own swap_off (Machine::swapoff walks every object)
}

// ---- gauges: chain lengths (max, mean, histogram) and the pages no mapping
// can reach.
void ShadowLayer::gauges(UvmExp& s) const {
  absl::flat_hash_set<std::pair<const ShadowObject*, std::uint64_t>> reachable;
  std::uint64_t chains = 0, depth_sum = 0;
  for (const auto& p : uvm_.procs) {
    if (!p->alive()) continue;
    p->vmspace().map->for_each([&](const MapEntry& e) {
      if (!e.sref.obj) return;
      const int d = shadow_chain_depth(e.sref.obj);
      chains++;
      depth_sum += static_cast<std::uint64_t>(d);
      s.chain_max = std::max<std::uint64_t>(s.chain_max, static_cast<std::uint64_t>(d));
      (d == 1 ? s.chains_1 : d == 2 ? s.chains_2 : d <= 4 ? s.chains_3_4 : d <= 8 ? s.chains_5_8
       : d <= 16 ? s.chains_9_16 : s.chains_17up)++;
      shadow_chain_visible(e, [&](const ChainVisible& v) { reachable.insert({v.obj, v.idx}); });
    });
  }
  s.chain_mean_x100 = chains ? depth_sum * 100 / chains : 0;
  for (const UvmObject* uo : uvm_.objects) {
    if (std::strcmp(uo->kind(), "shadow") != 0) continue;
    const auto* o = static_cast<const ShadowObject*>(uo);
    s.objects++;
    for (const auto& [off, pg] : o->memq)
      if (!reachable.contains({o, atop(off)})) s.hidden_pages++;
    for (const auto& [idx, slot] : o->swslots())
      if (!reachable.contains({o, idx})) s.hidden_swslots++;
  }
}

}  // namespace uvmsim
