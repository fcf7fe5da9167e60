// UVM's anonymous-memory layer, the invariant checker's part (core/check.cpp
// runs it): every amap reference is a map entry and stays within its amap;
// nused counts the anons and none lies beyond nslot; the arrays exist
// (ppref exactly when active); ppref runs tile [0, nslot) and equal the
// per-page references of the entries; a mapped anon page is the anon's, and
// writable only when a write would not need a copy.
#include "absl/container/flat_hash_map.h"
#include "core/amap.h"
#include "core/amap_layer.h"
#include "core/anon.h"
#include "core/check.h"
#include "core/page.h"
#include "core/uvm.h"
#include "core/vm_map.h"

namespace uvmsim {

void AmapLayer::check_entry(Checker& c, const std::string& who, const MapEntry& e) {
  const Amap* a = e.aref.ar_amap;
  if (!a) return;
  if (!uvm_.amaps.contains(a)) {
    c.fail("{}: entry {:#x} points at a dead amap", who, e.start);
    return;
  }
  check_refs_[a]++;
  if (e.aref.ar_pageoff < 0 || e.aref.ar_pageoff + e.npages() > static_cast<std::uint64_t>(a->am_nslot)) {
    c.fail("{}: entry {:#x} slots [{}, {}) beyond amap nslot {}", who, e.start, e.aref.ar_pageoff,
           e.aref.ar_pageoff + e.npages(), a->am_nslot);
    return;
  }
  auto& v = check_pagerefs_[a];
  v.resize(a->am_maxslot, 0);
  for (int i = 0; i < e.nslots(); i++) v[e.aref.ar_pageoff + i]++;
}

bool AmapLayer::check_mapping(Checker& c, const std::string& who, const MapEntry& e, vaddr_t va, const Page* pg,
                              bool writable) {
  const Anon* an = e.aref.ar_amap ? amap_lookup(&e.aref, va - e.start) : nullptr;
  if (!an) return false;
  if (uvm_.pm->anon_page(an) != pg)
    c.fail("{}: va {:#x} maps frame {} but its anon has another page", who, va, uvm_.pm->index(pg));
  if (writable && (an->an_ref > 1 || pg->loan_count > 0))
    c.fail("{}: va {:#x} writable but its anon is shared (an_ref {})", who, va, an->an_ref);
  if (writable && e.needs_copy()) c.fail("{}: va {:#x} writable in a needs-copy entry", who, va);
  return true;
}

namespace {

// ppref runs against the references the entries hold, slot by slot.
void check_ppref(Checker& c, const Amap* a, const std::vector<int>& want) {
  int lcv = 0;
  while (lcv < a->am_nslot) {
    int ref, len;
    pp_getreflen(a->am_ppref.get(), lcv, &ref, &len);
    if (len <= 0 || lcv + len > a->am_nslot) {
      c.fail("amap {}: ppref run at {} has length {}", fmt::ptr(a), lcv, len);
      return;
    }
    for (int i = lcv; i < lcv + len; i++) {
      const int w = i < static_cast<int>(want.size()) ? want[i] : 0;
      if (ref != w) {
        c.fail("amap {}: ppref of slot {} is {} but {} entries refer to it", fmt::ptr(a), i, ref, w);
        break;
      }
      if (ref == 0 && amap_anon_at(a, i)) c.fail("amap {}: slot {} unreferenced but holds an anon", fmt::ptr(a), i);
    }
    if (ref > a->am_ref) c.fail("amap {}: ppref {} above am_ref {}", fmt::ptr(a), ref, a->am_ref);
    lcv += len;
  }
}

}  // namespace

void AmapLayer::check(Checker& c) {
  for (const Amap* a : uvm_.amaps) {
    if (a->am_nused < 0 || a->am_nused > a->am_nslot || a->am_nslot > a->am_maxslot)
      c.fail("amap {}: nused {} nslot {} maxslot {}", fmt::ptr(a), a->am_nused, a->am_nslot, a->am_maxslot);
    if (a->am_maxslot > 0 && !a->am_anon) c.fail("amap {}: no anon array for {} slots", fmt::ptr(a), a->am_maxslot);
    if (amap_has_ppref(a) != (a->am_ppref != nullptr))
      c.fail("amap {}: ppref array {} but ppref {}", fmt::ptr(a), a->am_ppref ? "present" : "absent",
             amap_has_ppref(a) ? "active" : "inactive");
    // Whole-amap walks scan [0, nslot) and stop after nused anons, so nused
    // must be exact and no anon may lie beyond nslot.
    int present = 0;
    for (int s = 0; a->am_anon && s < a->am_maxslot; s++) {
      if (!amap_anon_at(a, s)) continue;
      if (s >= a->am_nslot) c.fail("amap {}: anon in slot {} beyond nslot {}", fmt::ptr(a), s, a->am_nslot);
      else present++;
      c.anon_refs[amap_anon_at(a, s)]++;
    }
    if (present != a->am_nused)
      c.fail("amap {}: nused {} but {} anons in [0, nslot {})", fmt::ptr(a), a->am_nused, present, a->am_nslot);
    const auto r = check_refs_.find(a);
    const int refs = r == check_refs_.end() ? 0 : r->second;
    if (refs != a->am_ref) c.fail("amap {}: am_ref {} but {} map entries refer to it", fmt::ptr(a), a->am_ref, refs);
    if (amap_has_ppref(a) && a->am_ppref) check_ppref(c, a, check_pagerefs_[a]);
  }
  check_refs_.clear();
  check_pagerefs_.clear();
}

}  // namespace uvmsim
