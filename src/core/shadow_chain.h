// Chain operations of the shadow model (FreeBSD vm_object.c, seed 003):
// lookup down a chain, vm_object_shadow, vm_object_collapse (collapse and
// bypass), vm_object_deallocate and vm_object_coalesce.
#pragma once

#include <cstdint>

#include "absl/functional/function_ref.h"
#include "core/shadow_object.h"
#include "core/shadow_ref.h"

namespace uvmsim {

struct MapEntry;
struct Page;
struct Uvm;

// Where a chain walk from (first, idx) ended: the object holding the index
// (resident page, or only a swap slot: page == nullptr), at depth 0 for the
// first object; obj == nullptr when nothing in the chain has it (or a free
// mark stopped the walk): the entry's lower layer or zeros.
struct ChainHit {
  ShadowObject* obj = nullptr;
  std::uint64_t idx = 0;
  Page* page = nullptr;
  int depth = 0;
};
ChainHit shadow_chain_lookup(ShadowObject* first, std::uint64_t idx);

// Objects in the chain from first (1 for a lone object; 0 for none).
int shadow_chain_depth(const ShadowObject* first);

// What an entry sees through its chain: every resident page and swap slot
// of the chain inside the entry's window that no object above shadows (nor
// a free mark hides), with its object's depth (0: the first object) and the
// entry page it stands for (0 for the entry's start). Pages outside every
// such walk are the chain's hidden pages. Cost: the chain's pages and slots
// in the window, times the depth.
struct ChainVisible {
  const ShadowObject* obj;
  int depth;
  std::uint64_t idx;    // index in obj
  std::uint64_t epage;  // page of the entry (address = start + ptoa(epage))
  const Page* page;     // resident page, or null: only in swap
};
void shadow_chain_visible(const MapEntry& e, absl::FunctionRef<void(const ChainVisible&)> f);

// vm_object_shadow: the entry gets a new empty object of its size in front
// of its current one (which it keeps as backing object, the entry's
// reference moving to the new object). No new object when the current one
// has a single reference (this entry): it is already private.
void shadow_object_shadow(Uvm& uvm, MapEntry& e);

// vm_object_collapse: while obj's backing object is referenced by obj alone,
// pull its pages up into obj and unlink it (a collapse); while every page of
// the backing object in obj's window is shadowed by obj, link obj past it (a
// bypass). Busy pages stop it.
void shadow_object_collapse(ShadowObject* obj);

// vm_object_coalesce for an anonymous mapping extended next to e: e's
// object (one reference) grows by npages at its end (forwards) or start.
// false when it cannot.
bool shadow_object_coalesce(MapEntry& e, std::uint64_t npages, bool forwards);

}  // namespace uvmsim
