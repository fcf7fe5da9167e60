// struct vm_amap: the anonymous memory map — an array of anon pointers
// covering the pages of one or more map entries (seed 001, uvm_amap.c).
//
// Slots: am_anon[slot] is the anon at page `slot` or null; am_nused is the
// exact number of non-null slots, all of them in [0, am_nslot).
//
// Deviation from NetBSD (memory per slot): NetBSD also keeps am_slots (a
// dense list of the slots in use) and am_bckptr (each used slot's index in
// that list), so that "walk every anon" costs nused. uvmsim drops both: a
// slot costs 4 B (a 32-bit anon id, core/anon.h) instead of 16 B. Whole-amap walks (wipeout,
// amap_cow_now, swap-off) scan am_anon[0, nslot) instead and stop as soon as
// nused anons have been seen, so a dense amap costs the same as before and a
// sparse one at most nslot — bounded by the amap's size, which is
// UVM_AMAP_CHUNK (16) pages for amaps made by chunked copies of large
// entries. Range walks (wiperange, share_protect) scan just the range. The
// arrays are owned arrays of exactly am_maxslot elements (no vector
// capacity/size words), and ppref is allocated only once established.

// References: am_ref counts map entries (arefs) that point at the amap. A map
// entry refers to slots [ar_pageoff, ar_pageoff + npages). When entries come
// to refer to only part of an amap (partial unmap, clipping), the per-page
// reference counts (ppref) are established lazily so that slots nobody
// references any more are freed at once (amap_pp_adjref -> amap_wiperange).
// If the ppref array cannot be had (PPREF_NONE), nothing is freed until the
// last reference goes.
//
// ppref encoding (the seed's run encoding): the array is divided into runs
// ("chunks") of pages with equal reference count. A run of length 1 stores
// ref+1 in its first slot; a longer run stores -(ref+1) in its first slot and
// its length in the second. The "+1" distinguishes a run of zero references.
//
// Lock order (modelled, single-threaded here): map -> amap -> anon -> page queues.
#pragma once

#include <cstdint>
#include <memory>

#include "uvmsim/types.h"

namespace uvmsim {

struct Anon;
struct Uvm;
struct MapEntry;
class VmMap;

// am_flags
enum : int {
  AMAP_SHARED = 0x1,   // amap is shared by entries that do not copy on write
  AMAP_REFALL = 0x2,   // amap_ref / amap_unref: all slots
  AMAP_SWAPOFF = 0x4,  // swap-off in progress (defer wipeout)
};

// amap_copy flags
enum : int {
  AMAP_COPY_NOWAIT = 0x1,
  AMAP_COPY_NOCHUNK = 0x2,
  AMAP_COPY_NOMERGE = 0x4,
};

// amap_extend flags
enum : int {
  AMAP_EXTEND_BACKWARDS = 0x0,
  AMAP_EXTEND_FORWARDS = 0x1,
  AMAP_EXTEND_NOWAIT = 0x2,
};

// Large entries are copied in chunks of this many pages around the fault
// (UVM_AMAP_CHUNK); amaps of at least UVM_AMAP_LARGE slots are not padded.
inline constexpr int UVM_AMAP_CHUNK = 16;
inline constexpr int UVM_AMAP_LARGE = 256;
// The most slots one amap may have. NetBSD's amap arrays come from kmem and
// their sizes are ints; the model allocates its slot arrays (4 B a slot, and
// as much again for ppref) at once, so it bounds them: 2^24 slots, 64 GiB of
// address space. An operation that needs a larger amap at once — fork of a
// larger region inherited `share`, or one wired, or a merge that would grow
// an amap past it — fails with ENOMEM (or does not merge) before anything
// changes. Faults never need one: they copy chunks around the fault.
inline constexpr int UVM_AMAP_MAXSLOTS = 1 << 24;

enum class PprefState : std::uint8_t { kNotYet, kActive, kNone };

struct Amap {
  Uvm* uvm = nullptr;
  int am_ref = 0;
  int am_flags = 0;
  int am_maxslot = 0;  // slots allocated (length of am_anon, and of am_ppref if any)
  int am_nslot = 0;    // slots in use by the amap's extent
  int am_nused = 0;    // anons present (non-null am_anon[0, nslot))
  PprefState ppref_state = PprefState::kNotYet;
  // [am_maxslot] anon ids (AnonPool, core/anon.h), kNoAnon for none: 4 B a
  // slot instead of a pointer's 8 (docs/results.md, metadata per page).
  std::unique_ptr<std::uint32_t[]> am_anon;
  std::unique_ptr<int[]> am_ppref;   // [am_maxslot] while ppref_state == kActive, else null
};

// A map entry's reference to (part of) an amap.
struct Aref {
  int ar_pageoff = 0;
  Amap* ar_amap = nullptr;
};

// --- ppref codec (exposed for tests) ---
void pp_getreflen(const int* ppref, int offset, int* refp, int* lenp);
void pp_setreflen(int* ppref, int offset, int ref, int len);

// amap_alloc: a new amap of sz bytes (+ padslots spare slots), am_ref 1.
// nullptr only if the configured allocation failure hook says so.
Amap* amap_alloc(Uvm& uvm, vsize_t sz, vsize_t padsz);
// Free an amap with no references and no anons.
void amap_free(Amap* amap);

// amap_ref / amap_unref: offset and len in pages relative to the amap.
void amap_ref(Amap* amap, int offset, int len, int flags);
void amap_unref(Amap* amap, int offset, int len, bool all);

// amap_copy: clear the entry's needs-copy by copying (or taking over) its
// amap; an entry without amap gets a fresh one. startva/endva limit chunking.
// Returns false when memory ran out (entry left needs-copy).
bool amap_copy(VmMap& map, MapEntry* entry, int flags, vaddr_t startva, vaddr_t endva);
// amap_cow_now: resolve every pending copy-on-write of a (child) entry now —
// fork of a wired parent entry. Returns false if memory ran out.
bool amap_cow_now(VmMap& map, MapEntry* entry);
// amap_splitref: the entry was clipped `offset` bytes in; origref keeps the
// left part, splitref gets the right part (an extra reference).
void amap_splitref(Aref* origref, Aref* splitref, vaddr_t offset);
// amap_extend: grow the entry's amap by addsize bytes forwards or backwards.
// The amap must have one reference. Returns false if memory ran out.
// *extend_case (optional) receives "1f", "1b", "2f", "2b" or "3" (seed's cases).
bool amap_extend(MapEntry* entry, vsize_t addsize, int flags, const char** extend_case = nullptr);
// amap_share_protect: pmap_page_protect every resident anon page the entry
// covers (all sharers of the amap see the protection). prot lowers the
// mappings and must not be none (removing them is uvm_pageunmap's job).
void amap_share_protect(MapEntry* entry, Prot prot);
// amap_wipeout: the last reference is gone: drop every anon and free.
void amap_wipeout(Amap* amap);
// amap_wiperange: drop the anons in [slotoff, slotoff+slots).
void amap_wiperange(Amap* amap, int slotoff, int slots);

// amap_swap_off: page in every anon (in any amap) whose swap slot is in
// [startslot, endslot) and drop the slot. errno result (ENOMEM).
int amap_swap_off(Uvm& uvm, int startslot, int endslot);

Anon* amap_lookup(const Aref* aref, vaddr_t offset);
void amap_lookups(const Aref* aref, vaddr_t offset, Anon** anons, int npages);
void amap_add(Aref* aref, vaddr_t offset, Anon* anon, bool replace);
void amap_unadd(Aref* aref, vaddr_t offset);

// ppref internals (for tests and the checker)
void amap_pp_establish(Amap* amap, int offset);
void amap_pp_adjref(Amap* amap, int curslot, int slotlen, int adjval);

inline int amap_refs(const Amap* a) { return a->am_ref; }
// The anon in slot `slot` (nullptr for none), and setting it.
Anon* amap_anon_at(const Amap* a, int slot);
void amap_set_anon(Amap* a, int slot, Anon* anon);
inline bool amap_has_ppref(const Amap* a) { return a->ppref_state == PprefState::kActive; }

}  // namespace uvmsim
