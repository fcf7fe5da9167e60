// Amaps: see amap.h for the data structure and its invariants. The
// algorithms follow seed 001 (NetBSD uvm_amap.c 1.87) with the corrections
// the seed README lists (amap_unref establishes ppref before lowering the
// count) and the guards noted below.
#include "core/amap.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "core/anon.h"
#include "core/kassert.h"
#include "core/page.h"
#include "core/pmap.h"
#include "core/promote.h"
#include "core/uvm.h"
#include "core/uvm_page.h"
#include "core/vm_map.h"

namespace uvmsim {

// ---------------------------------------------------------------- ppref codec

void pp_getreflen(const int* ppref, int offset, int* refp, int* lenp) {
  if (ppref[offset] > 0) {  // run of length 1
    *refp = ppref[offset] - 1;
    *lenp = 1;
  } else {
    *refp = (ppref[offset] * -1) - 1;
    *lenp = ppref[offset + 1];
  }
}

void pp_setreflen(int* ppref, int offset, int ref, int len) {
  // A zero-length run encodes nothing. (The seed writes one anyway, which
  // touches ppref[offset+1] — past the array when offset is its last slot.)
  if (len == 0) return;
  if (len == 1) {
    ppref[offset] = ref + 1;
  } else {
    ppref[offset] = (ref + 1) * -1;
    ppref[offset + 1] = len;
  }
}

namespace {

// Plain per-page counts of [0, nslot) from the run encoding, and back. Used
// where arrays are re-laid-out (amap_extend backwards and case 3), where
// moving encoded runs would split a run at a non-boundary.
std::vector<int> pp_decode(const Amap* a) {
  std::vector<int> refs(a->am_maxslot, 0);
  for (int lcv = 0, ref, len; lcv < a->am_nslot; lcv += len) {
    pp_getreflen(a->am_ppref.get(), lcv, &ref, &len);
    for (int i = 0; i < len && lcv + i < a->am_maxslot; i++) refs[lcv + i] = ref;
  }
  return refs;
}

// ppref has maxslot elements; refs at least nslot.
void pp_encode(int* ppref, int maxslot, const std::vector<int>& refs, int nslot) {
  std::fill_n(ppref, maxslot, 0);
  for (int lcv = 0; lcv < nslot;) {
    int len = 1;
    while (lcv + len < nslot && refs[lcv + len] == refs[lcv]) len++;
    pp_setreflen(ppref, lcv, refs[lcv], len);
    lcv += len;
  }
}

// NetBSD rounds slot arrays up to the allocator's size classes, which is what
// gives amap_extend spare slots (case 2). Model: multiples of 8 below
// UVM_AMAP_LARGE, exact above.
int amap_roundup_slots(int slots) {
  return slots < UVM_AMAP_LARGE ? (slots + 7) & ~7 : slots;
}

Amap* amap_alloc1(Uvm& uvm, int slots, int padslots) {
  if (uvm.fail_amap_allocs > 0) {
    uvm.fail_amap_allocs--;
    return nullptr;
  }
  const int totalslots = amap_roundup_slots(slots + padslots);
  Amap* a = new Amap();
  a->uvm = &uvm;
  a->am_ref = 1;
  a->am_maxslot = totalslots;
  a->am_nslot = slots;
  a->am_anon = std::make_unique<std::uint32_t[]>(totalslots);  // value-initialized: all kNoAnon
  if (!uvm.config.ppref) a->ppref_state = PprefState::kNone;
  uvm.amaps.insert(a);
  uvm.cnt.amap_alloc++;
  return a;
}

}  // namespace

Amap* amap_alloc(Uvm& uvm, vsize_t sz, vsize_t padsz) {
  const std::uint64_t slots = atop(round_page(sz)), padslots = atop(round_page(padsz));
  if (slots + padslots > static_cast<std::uint64_t>(UVM_AMAP_MAXSLOTS) || slots + padslots < slots) {
    uvm.cnt.amap_toolarge++;
    return nullptr;
  }
  return amap_alloc1(uvm, static_cast<int>(slots), static_cast<int>(padslots));
}

void amap_free(Amap* amap) {
  amap->uvm->amaps.erase(amap);
  delete amap;
}

// ---------------------------------------------------------------- ppref

void amap_pp_establish(Amap* amap, int offset) {
  if (amap->ppref_state != PprefState::kNotYet) return;
  amap->am_ppref = std::make_unique<int[]>(amap->am_maxslot);  // zeroed
  amap->ppref_state = PprefState::kActive;
  amap->uvm->cnt.ppref_establish++;
  // Every reference so far covers [offset, nslot): the seed's assumption
  // at the moment the first partial reference appears.
  pp_setreflen(amap->am_ppref.get(), 0, 0, offset);
  pp_setreflen(amap->am_ppref.get(), offset, amap->am_ref, amap->am_nslot - offset);
}

void amap_pp_adjref(Amap* amap, int curslot, int slotlen, int adjval) {
  const int stopslot = curslot + slotlen;
  int* ppref = amap->am_ppref.get();
  int lcv, ref, len, prevlcv = 0, prevref, prevlen;

  // Advance to curslot, splitting the run that straddles it.
  for (lcv = 0; lcv < curslot; lcv += len) {
    pp_getreflen(ppref, lcv, &ref, &len);
    if (lcv + len > curslot) {
      pp_setreflen(ppref, lcv, ref, curslot - lcv);
      pp_setreflen(ppref, curslot, ref, len - (curslot - lcv));
      len = curslot - lcv;
    }
    prevlcv = lcv;
  }
  if (lcv != 0) {
    pp_getreflen(ppref, prevlcv, &prevref, &prevlen);
  } else {
    prevref = -1;  // no previous run: the merge test below must fail
    prevlen = 0;
  }

  // Adjust the runs in range; merge the first changed run with the last
  // unchanged one when their counts agree. A run reaching zero is wiped.
  for (; lcv < stopslot; lcv += len) {
    pp_getreflen(ppref, lcv, &ref, &len);
    if (lcv + len > stopslot) {
      pp_setreflen(ppref, lcv, ref, stopslot - lcv);
      pp_setreflen(ppref, stopslot, ref, len - (stopslot - lcv));
      len = stopslot - lcv;
    }
    ref += adjval;
    if (lcv == prevlcv + prevlen && ref == prevref) {
      pp_setreflen(ppref, prevlcv, ref, prevlen + len);
    } else {
      pp_setreflen(ppref, lcv, ref, len);
    }
    if (ref == 0) amap_wiperange(amap, lcv, len);
  }
}

// ---------------------------------------------------------------- wipe

void amap_wiperange(Amap* amap, int slotoff, int slots) {
  Uvm& uvm = *amap->uvm;
  // Walk the slot range (the seed walks the used-slot list instead when that
  // is shorter; without am_slots the range is never longer than the
  // alternative, a scan of the whole array). Stop once the amap is empty.
  const int slotend = slotoff + slots;
  for (int slot = slotoff; slot < slotend && amap->am_nused > 0; slot++) {
    Anon* anon = amap_anon_at(amap, slot);
    if (anon == nullptr) continue;
    amap_set_anon(amap, slot, nullptr);
    amap->am_nused--;
    uvm_anon_dropref(uvm, anon);
  }
}

void amap_wipeout(Amap* amap) {
  Uvm& uvm = *amap->uvm;
  if (amap->am_flags & AMAP_SWAPOFF) return;  // swap-off finishes the job
  // Scan the slots, stopping once every anon has been seen.
  for (int slot = 0; slot < amap->am_nslot && amap->am_nused > 0; slot++) {
    Anon* anon = amap_anon_at(amap, slot);
    if (anon == nullptr) continue;
    amap_set_anon(amap, slot, nullptr);
    amap->am_nused--;
    uvm_anon_dropref(uvm, anon);
  }
  amap_free(amap);
}

// ---------------------------------------------------------------- references

void amap_ref(Amap* amap, int offset, int len, int flags) {
  if (flags & AMAP_SHARED) amap->am_flags |= AMAP_SHARED;
  if (amap->ppref_state == PprefState::kNotYet && !(flags & AMAP_REFALL) &&
      len != amap->am_nslot)
    amap_pp_establish(amap, offset);
  amap->am_ref++;
  if (amap_has_ppref(amap)) {
    if (flags & AMAP_REFALL) amap_pp_adjref(amap, 0, amap->am_nslot, 1);
    else amap_pp_adjref(amap, offset, len, 1);
  }
}

void amap_unref(Amap* amap, int offset, int len, bool all) {
  if (amap->am_ref == 1) {  // last reference: free everything
    amap->am_ref = 0;
    amap_wipeout(amap);
    return;
  }
  // Establish ppref *before* lowering the count, so that the values it
  // starts from match the references that exist (later NetBSD; the seed
  // does it the other way round).
  if (amap->ppref_state == PprefState::kNotYet && !all && len != amap->am_nslot)
    amap_pp_establish(amap, offset);
  amap->am_ref--;
  if (amap->am_ref == 1 && (amap->am_flags & AMAP_SHARED)) amap->am_flags &= ~AMAP_SHARED;
  if (amap_has_ppref(amap)) {
    if (all) amap_pp_adjref(amap, 0, amap->am_nslot, -1);
    else amap_pp_adjref(amap, offset, len, -1);
  }
}

void amap_splitref(Aref* origref, Aref* splitref, vaddr_t offset) {
  Amap* amap = origref->ar_amap;
  const int leftslots = static_cast<int>(atop(offset));
  // Establish ppref before the duplicate reference exists.
  if (amap->ppref_state == PprefState::kNotYet) amap_pp_establish(amap, origref->ar_pageoff);
  amap->am_ref++;  // not a share reference: each page is still referenced once
  splitref->ar_amap = amap;
  splitref->ar_pageoff = origref->ar_pageoff + leftslots;
  amap->uvm->cnt.amap_splitref++;
}

// ---------------------------------------------------------------- copy

bool amap_copy(VmMap& map, MapEntry* entry, int flags, vaddr_t startva, vaddr_t endva) {
  Uvm& uvm = map.uvm();
  const bool canchunk = (flags & AMAP_COPY_NOCHUNK) == 0;

  if (entry->aref.ar_amap == nullptr) {
    // No amap yet: make a blank one. A large entry gets an amap only for the
    // chunk around the fault, so that touching one page of a huge mapping
    // does not allocate slots for all of it.
    if (canchunk && entry->npages() >= UVM_AMAP_LARGE) {
      const vaddr_t chunksize = static_cast<vaddr_t>(UVM_AMAP_CHUNK) << kPageShift;
      startva = (startva / chunksize) * chunksize;
      endva = ((endva + chunksize - 1) / chunksize) * chunksize;
      if (startva > entry->start) map.clip_start(entry, startva);
      if (endva >= startva && endva < entry->end) map.clip_end(entry, endva);
      uvm.cnt.amap_chunk++;
    }
    entry->aref.ar_pageoff = 0;
    entry->aref.ar_amap = amap_alloc(uvm, entry->size(), 0);
    if (entry->aref.ar_amap == nullptr) return false;
    entry->etype &= ~UVM_ET_NEEDSCOPY;
    return true;
  }

  // The only reference: take the amap over instead of copying it.
  if (entry->aref.ar_amap->am_ref == 1) {
    entry->etype &= ~UVM_ET_NEEDSCOPY;
    uvm.cnt.amap_takeover++;
    return true;
  }

  const int slots = entry->nslots();  // within its amap
  Amap* amap = amap_alloc1(uvm, slots, 0);
  if (amap == nullptr) return false;
  Amap* srcamap = entry->aref.ar_amap;
  const int srcoff = entry->aref.ar_pageoff;
  for (int lcv = 0; lcv < slots; lcv++) {
    Anon* anon = amap_anon_at(srcamap, srcoff + lcv);
    if (anon == nullptr) continue;
    anon->an_ref++;
    amap_set_anon(amap, lcv, anon);
    amap->am_nused++;
  }

  // Drop our reference to the source. It had more than one, so it survives.
  srcamap->am_ref--;
  if (srcamap->am_ref == 1 && (srcamap->am_flags & AMAP_SHARED))
    srcamap->am_flags &= ~AMAP_SHARED;
  if (amap_has_ppref(srcamap)) amap_pp_adjref(srcamap, srcoff, slots, -1);

  entry->aref.ar_pageoff = 0;
  entry->aref.ar_amap = amap;
  entry->etype &= ~UVM_ET_NEEDSCOPY;
  uvm.cnt.amap_copy++;
  return true;
}

bool amap_cow_now(VmMap& map, MapEntry* entry) {
  Uvm& uvm = map.uvm();
  Amap* amap = entry->aref.ar_amap;
  UVM_KASSERT_MSG(amap != nullptr && !entry->needs_copy(), "amap_cow_now: the entry has its own amap");
  // Scan the slots, stopping once every anon has been seen.
  for (int slot = 0, seen = 0; slot < amap->am_nslot && seen < amap->am_nused; slot++) {
    Anon* anon = amap_anon_at(amap, slot);
    if (anon == nullptr) continue;
    seen++;
    if (anon->an_ref == 1) continue;  // already ours
    Page* pg = amap->uvm->pm->anon_page(anon);
    // The parent entry is wired, so the page is resident. A loaned page is
    // already mapped read-only everywhere: nothing to resolve.
    if (pg == nullptr) return false;
    if (pg->loan_count != 0) continue;
    // Out of memory: the seed sleeps here; we fail the fork instead.
    Anon* nanon = uvm_promote(uvm, pg);
    if (nanon == nullptr) return false;
    anon->an_ref--;  // cannot drop to zero: the parent holds it
    amap_set_anon(amap, slot, nanon);
    uvm.pm->activate(uvm.pm->anon_page(nanon));
    uvm.cnt.amap_cownow++;
  }
  return true;
}

// ---------------------------------------------------------------- extend

bool amap_extend(MapEntry* entry, vsize_t addsize, int flags, const char** extend_case) {
  Amap* amap = entry->aref.ar_amap;
  Uvm& uvm = *amap->uvm;
  const int slotoff = entry->aref.ar_pageoff;
  const int slotmapped = entry->nslots();
  // An amap never grows past UVM_AMAP_MAXSLOTS: the merge is not made.
  if (atop(round_page(addsize)) > static_cast<std::uint64_t>(UVM_AMAP_MAXSLOTS - amap->am_maxslot)) return false;
  const int slotadd = static_cast<int>(atop(round_page(addsize)));
  const bool forwards = flags & AMAP_EXTEND_FORWARDS;
  const char* unused_case;
  const char*& which = extend_case ? *extend_case : unused_case;

  // Preconditions (checked, not asserted): the amap is not shared, and every
  // anon it holds lies inside the entry — stale anons outside it (possible
  // without ppref) would otherwise appear in the new range or be overwritten
  // when the arrays slide.
  if (amap->am_ref != 1) return false;
  int inside = 0;  // anons inside the entry; all of them iff it equals nused
  for (int s = slotoff; s < slotoff + slotmapped; s++)
    if (amap_anon_at(amap, s) != nullptr) inside++;
  if (inside != amap->am_nused) return false;
  uvm.cnt.amap_extend++;

  int slotneed, slotspace = 0;
  if (forwards) {
    slotneed = slotoff + slotmapped + slotadd;
  } else {
    slotneed = slotadd + slotmapped;
    slotspace = amap->am_maxslot - slotmapped;
  }

  // Case 1: the amap already spans the slots (nslot large enough, or free
  // slots before the entry): only the references change.
  if (forwards) {
    if (amap->am_nslot >= slotneed) {
      if (amap_has_ppref(amap)) amap_pp_adjref(amap, slotoff + slotmapped, slotadd, 1);
      which = "1f";
      return true;
    }
  } else if (slotoff >= slotadd) {
    const int newoff = slotoff - slotadd;
    if (amap_has_ppref(amap)) amap_pp_adjref(amap, newoff, slotadd, 1);
    entry->aref.ar_pageoff = newoff;
    which = "1b";
    return true;
  }

  // Case 2: spare slots were allocated (padding/rounding): grow nslot.
  if (amap->am_maxslot >= slotneed) {
    if (forwards) {
      if (amap_has_ppref(amap)) {
        if (slotoff + slotmapped < amap->am_nslot)
          amap_pp_adjref(amap, slotoff + slotmapped, amap->am_nslot - (slotoff + slotmapped), 1);
        pp_setreflen(amap->am_ppref.get(), amap->am_nslot, 1, slotneed - amap->am_nslot);
      }
      amap->am_nslot = slotneed;
      which = "2f";
      return true;
    }
    // Backwards: slide the entry's slots to the top of the array, leaving
    // room below for the added pages.
    if (amap_has_ppref(amap)) {
      std::vector<int> refs = pp_decode(amap);
      std::vector<int> moved(amap->am_maxslot, 0);
      for (int i = 0; i < slotmapped; i++) moved[slotspace + i] = refs[slotoff + i];
      for (int i = slotspace - slotadd; i < slotspace; i++) moved[i] = 1;
      pp_encode(amap->am_ppref.get(), amap->am_maxslot, moved, amap->am_maxslot);
    }
    std::memmove(&amap->am_anon[slotspace], &amap->am_anon[slotoff], slotmapped * sizeof(std::uint32_t));
    std::fill_n(amap->am_anon.get(), slotspace, kNoAnon);
    amap->am_nslot = amap->am_maxslot;
    entry->aref.ar_pageoff = slotspace - slotadd;
    which = "2b";
    return true;
  }

  // Case 3: reallocate the arrays. Large amaps are not grown (E2BIG in the
  // seed): the caller makes a new entry instead.
  if (slotneed >= UVM_AMAP_LARGE) return false;
  if (uvm.fail_amap_allocs > 0) {
    uvm.fail_amap_allocs--;
    return false;
  }
  const int slotalloc = amap_roundup_slots(slotneed);
  auto newover = std::make_unique<std::uint32_t[]>(slotalloc);  // all kNoAnon
  std::vector<int> refs;
  if (amap_has_ppref(amap)) refs = pp_decode(amap);
  int newpageoff = slotoff;
  if (forwards) {
    std::copy_n(amap->am_anon.get(), amap->am_nslot, newover.get());
    if (amap_has_ppref(amap)) {
      refs.resize(slotalloc, 0);
      for (int i = slotoff + slotmapped; i < amap->am_nslot; i++) refs[i]++;
      for (int i = amap->am_nslot; i < slotneed; i++) refs[i] = 1;
    }
  } else {
    slotspace = slotalloc - slotmapped;
    std::copy_n(amap->am_anon.get() + slotoff, slotmapped, newover.get() + slotspace);
    if (amap_has_ppref(amap)) {
      std::vector<int> moved(slotalloc, 0);
      for (int i = 0; i < slotmapped; i++) moved[slotspace + i] = refs[slotoff + i];
      for (int i = slotalloc - slotneed; i < slotspace; i++) moved[i] = 1;
      refs = std::move(moved);
    }
    newpageoff = slotspace - slotadd;
  }
  amap->am_anon = std::move(newover);
  amap->am_maxslot = slotalloc;
  amap->am_nslot = forwards ? slotneed : slotalloc;
  if (amap_has_ppref(amap)) {
    amap->am_ppref = std::make_unique<int[]>(slotalloc);
    pp_encode(amap->am_ppref.get(), slotalloc, refs, amap->am_nslot);
  }
  entry->aref.ar_pageoff = newpageoff;
  which = "3";
  return true;
}

// ---------------------------------------------------------------- protect

void amap_share_protect(MapEntry* entry, Prot prot) {
  // Lowering, not removing: removing mappings would take wired ones
  // without their wirings (uvm_pageunmap does both).
  UVM_KASSERT_MSG(prot != kProtNone, "amap_share_protect removes no mappings");
  Amap* amap = entry->aref.ar_amap;
  // Walk the entry's slot range (the seed walks the used-slot list when that
  // is shorter; without am_slots the range is the shorter walk).
  const int stop = entry->aref.ar_pageoff + entry->nslots();
  for (int lcv = entry->aref.ar_pageoff; lcv < stop; lcv++) {
    Anon* anon = amap_anon_at(amap, lcv);
    if (anon && amap->uvm->pm->anon_page(anon)) Pmap::page_protect(amap->uvm->pm->anon_page(anon), prot);
  }
}

// ---------------------------------------------------------------- swap-off

int amap_swap_off(Uvm& uvm, int startslot, int endslot) {
  // Snapshot the amap list: paging in may run the page daemon, which frees
  // pages but never amaps or anons.
  std::vector<Amap*> list(uvm.amaps.begin(), uvm.amaps.end());
  for (Amap* am : list) {
    am->am_flags |= AMAP_SWAPOFF;
    int rv = 0;
    // Scan the slots, stopping once every anon has been seen.
    for (int slot = 0, seen = 0; slot < am->am_nslot && seen < am->am_nused && rv == 0; slot++) {
      Anon* anon = amap_anon_at(am, slot);
      if (anon == nullptr) continue;
      seen++;
      const int swslot = anon->an_swslot;
      if (swslot < startslot || swslot >= endslot) continue;
      rv = uvm_anon_pagein(uvm, anon);
      if (rv == 0) {
        uvm_anon_dropswap(uvm, anon);
        uvm.cnt.swapoff_pages++;
      }
    }
    am->am_flags &= ~AMAP_SWAPOFF;
    if (rv != 0) return rv;
  }
  return 0;
}

// ---------------------------------------------------------------- lookup/add

Anon* amap_anon_at(const Amap* a, int slot) { return a->uvm->anon_pool.get(a->am_anon[slot]); }

void amap_set_anon(Amap* a, int slot, Anon* anon) {
  a->am_anon[slot] = anon ? a->uvm->anon_pool.id(anon) : kNoAnon;
}

Anon* amap_lookup(const Aref* aref, vaddr_t offset) {
  const int slot = static_cast<int>(atop(offset)) + aref->ar_pageoff;
  return amap_anon_at(aref->ar_amap, slot);
}

void amap_lookups(const Aref* aref, vaddr_t offset, Anon** anons, int npages) {
  const int slot = static_cast<int>(atop(offset)) + aref->ar_pageoff;
  for (int i = 0; i < npages; i++) anons[i] = amap_anon_at(aref->ar_amap, slot + i);
}

void amap_add(Aref* aref, vaddr_t offset, Anon* anon, bool replace) {
  Amap* amap = aref->ar_amap;
  const int slot = static_cast<int>(atop(offset)) + aref->ar_pageoff;
  UVM_KASSERT(slot >= 0 && slot < amap->am_nslot);
  UVM_KASSERT_MSG(replace == (amap_anon_at(amap, slot) != nullptr), "amap_add: replace iff the slot is in use");
  if (replace) {
    // Other entries sharing this amap may map the old anon's page: make
    // them fault so they find the new anon (their wirings of the old page
    // go with the mappings: see uvm_pageunmap).
    Anon* old = amap_anon_at(amap, slot);
    Page* opg = amap->uvm->pm->anon_page(old);
    if (opg && (amap->am_flags & AMAP_SHARED)) uvm_pageunmap(*amap->uvm->pm, opg);
  } else {
    amap->am_nused++;
  }
  amap_set_anon(amap, slot, anon);
}

void amap_unadd(Aref* aref, vaddr_t offset) {
  Amap* amap = aref->ar_amap;
  const int slot = static_cast<int>(atop(offset)) + aref->ar_pageoff;
  amap_set_anon(amap, slot, nullptr);
  amap->am_nused--;
}

}  // namespace uvmsim
