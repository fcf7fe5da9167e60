// A read-only walk over one address space as the model holds it: map
// entries, then per entry its anonymous layer and its object. Dumps
// (src/dump/), per-process counters and teaching tools read the model only
// through this, so that they never depend on one anonymous-memory model's
// data structures: the amap/anon layer reports itself in amap_inspect.cpp;
// a second model (BSD shadow-object chains) adds its own walk and, where its
// structures differ, its own callbacks.
//
// The walk changes nothing (no clipping, no faults, no queue moves) and
// reports in address order. Ranges of an entry's amap or object that hold
// nothing are skipped, so a sparse 1 GiB mapping costs what it holds plus
// one slot scan of its amap.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "uvmsim/types.h"

namespace uvmsim {

struct Uvm;
class VmMap;
struct MapEntry;
struct Page;
struct Amap;
class UvmObject;

struct InspectEntry {
  const MapEntry* entry;  // identity only; read through the fields below
  vaddr_t start, end;
  Prot prot, max_prot;
  Inherit inherit;
  Advice advice;
  Sharing sharing;
  int wired_count;
  bool cow, needs_copy;
  const UvmObject* object;  // null: none
  voff_t offset;            // object offset of start
};

// The amap model's anonymous layer of one entry.
struct InspectAmap {
  const Amap* amap;  // identity
  int pageoff;       // the entry's first slot (ar_pageoff)
  int nslot, maxslot, nused, refs;
  bool shared;  // AMAP_SHARED
  enum class Ppref : std::uint8_t { kNotYet, kActive, kNone } ppref;
  // Run-encoded per-page reference counts over [0, nslot) when kActive:
  // (reference count, run length) in slot order.
  std::vector<std::pair<int, int>> ppref_runs;
};

struct InspectAnon {
  std::uint32_t id;  // the anon's pool id (stable within a run)
  int slot;          // amap slot
  vaddr_t va;        // where this entry maps it
  int refs;          // an_ref
  const Page* page;  // resident page, or null (then swslot says where)
  int swslot;        // 0: none
};

struct InspectObject {
  const UvmObject* object;
  const char* kind;  // pager name: "aobj", "vnode", ...
  int refs;
  std::uint64_t resident;     // resident pages of the whole object
  std::uint64_t swap_blocks;  // of the whole object
  std::uint64_t swap_blocks_in_entry;
  std::uint64_t swap_only_in_entry;  // of those, pages not resident
};

// A resident object page inside the entry's range.
struct InspectObjectPage {
  voff_t offset;
  vaddr_t va;
  const Page* page;
};

// The shadow model's anonymous layer of one entry: one object of its chain
// (depth 0 is the entry's first object), with what it holds.
struct InspectChainLink {
  const UvmObject* object;  // identity
  std::uint64_t id;         // ShadowObject::id (stable within a run)
  int depth;
  int refs, shadow_count;
  std::uint64_t index;           // page index in this object of the entry's start
  std::uint64_t backing_offset;  // pages
  std::uint64_t size;            // pages
  std::uint64_t resident, swapped;  // pages of the whole object (swapped: in swap, not resident)
  // What the entry sees through this object: its pages (resident, only in
  // swap) in the entry's window that no object above shadows.
  std::uint64_t seen, seen_swapped;
  bool one_mapping;
};

// A resident page an entry sees through its chain (reported after the
// entry's chain links, in object depth order then address order).
struct InspectChainPage {
  const UvmObject* object;
  int depth;
  vaddr_t va;
  const Page* page;
};

class VmVisitor {
 public:
  virtual ~VmVisitor() = default;
  virtual void entry(const InspectEntry&) {}
  virtual void amap(const InspectEntry&, const InspectAmap&) {}
  virtual void anon(const InspectEntry&, const InspectAnon&) {}
  virtual void chain_link(const InspectEntry&, const InspectChainLink&) {}
  virtual void chain_page(const InspectEntry&, const InspectChainPage&) {}
  virtual void object(const InspectEntry&, const InspectObject&) {}
  virtual void object_page(const InspectEntry&, const InspectObjectPage&) {}
  virtual void end_entry(const InspectEntry&) {}
};

// Walk every entry of `map` in address order.
void inspect_map(const Uvm& uvm, const VmMap& map, VmVisitor& v);

// The anonymous layer's part of the walk for one entry (amap model:
// core/amap_inspect.cpp).
void inspect_anon_layer(const Uvm& uvm, const MapEntry& e, const InspectEntry& ie, VmVisitor& v);
// The shadow model's part: the entry's chain (core/shadow_inspect.cpp).
void inspect_shadow_chain(const MapEntry& e, const InspectEntry& ie, VmVisitor& v);

}  // namespace uvmsim
