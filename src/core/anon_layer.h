// The anonymous-memory layer: the one interface between the generic VM
// (map entries, the fault handler, fork, unmap, madvise, loans, swap-off,
// the checker) and the structures that hold a process's anonymous memory
// and its copy-on-write state.
//
// UVM keeps anonymous memory in amaps of anons (core/amap_layer.h, the
// first implementation). The BSD VM before it kept it in chains of shadow
// objects; a machine chooses its layer when it is made (make_anon_layer),
// and nothing above this interface knows which one runs:
//
//   operation                 caller                     amap implementation
//   has_upper / lookup(_range) fault-ahead, loans        amap_lookup
//   copy (needs-copy)         fault check, mlock, fork   amap_copy
//   fault_upper (case 1)      uvm_fault                  1A / 1B on the anon
//   fault_promote (case 2B)   uvm_fault                  a new anon in the amap
//   split (clip)              VmMap::clip_*              amap_splitref
//   extendable / extend       VmMap::try_merge           amap_extend
//   release (unmap)           VmMap::remove_entry        amap_unref
//   clean (madvise, msync)    uvm_map_clean              deactivate / free anons
//   fork_share / fork_copy    uvmspace_fork              amap_ref, amap_copy, cow_now
//   swap_off                  Machine::swapoff           amap_swap_off
//   check_*                   Machine::check             amap and anon invariants
//
// Entry state: a map entry carries the layer's reference in its own field
// (MapEntry::aref for amaps). An entry built from scratch has none; one
// copied from another entry must be given its reference by the layer
// (split, fork_*), never by a plain copy.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/fault.h"
#include "uvmsim/types.h"

namespace uvmsim {

struct Anon;
struct Checker;
struct FaultCtx;
struct LoanRecord;
struct MapEntry;
struct Page;
struct Uvm;
struct UvmExp;
class UvmObject;
class VmMap;

// What the anonymous layer holds at one page of an entry: an anon (amaps),
// or a page index of an anonymous object (shadow chains). `page` is the
// resident page, null when it is paged out. `shared`: the page may not be
// written in place (another reference could see the write), so it is mapped
// read-only and a write copies it.
struct UpperPage {
  Anon* anon = nullptr;
  UvmObject* object = nullptr;
  voff_t offset = 0;
  Page* page = nullptr;
  bool shared = false;
  bool found() const { return anon != nullptr || object != nullptr; }
};

class AnonLayer {
 public:
  virtual ~AnonLayer() = default;
  virtual std::string_view name() const = 0;

  // ---- lookup
  // Does the entry hold anonymous memory of its own (an amap reference)?
  virtual bool has_upper(const MapEntry& e) const = 0;
  virtual UpperPage lookup(const MapEntry& e, vaddr_t va) const = 0;
  // lookup for each page of [lo, hi) (at most kLookupMax pages) into out:
  // one call for the fault-ahead window.
  static constexpr int kLookupMax = 16;
  virtual void lookup_range(const MapEntry& e, vaddr_t lo, vaddr_t hi, UpperPage* out) const = 0;

  // ---- needs-copy
  // Give e private anonymous memory for [start, end) and clear its
  // needs-copy. chunked: only a window around start (a fault), which may
  // clip e; otherwise all of e. false when memory ran out (e unchanged).
  virtual bool copy(VmMap& map, MapEntry* e, vaddr_t start, vaddr_t end, bool chunked) = 0;

  // ---- the fault (f.entry is set, needs-copy resolved as the access needs)
  // Case 1: the upper layer has the page at f.va: map it (1A) or copy it
  // (1B). nullopt when it has nothing there (go on to the object layer).
  virtual std::optional<Fault> fault_upper(FaultCtx& f) = 0;
  // Case 2B: put a copy of uobjpage (zeros when null) into the upper layer
  // at f.va and enter it.
  virtual Fault fault_promote(FaultCtx& f, Page* uobjpage) = 0;

  // ---- map entries
  // Clip: left and right are the two halves of one entry, right begins adj
  // bytes in; both still carry the original's reference.
  virtual void split(MapEntry& left, MapEntry& right, vsize_t adj) = 0;
  // Merge: can e's anonymous memory grow in place, and grow it by addsize
  // bytes at its end (forwards) or start. false when memory ran out.
  virtual bool extendable(const MapEntry& e) const = 0;
  virtual bool extend(MapEntry& e, vsize_t addsize, bool forwards) = 0;
  // Unmap: drop e's reference (freeing exactly what nobody else holds).
  virtual void release(MapEntry& e) = 0;
  // madvise/msync on [start, stop) of e (PGO_DEACTIVATE / PGO_FREE).
  virtual void clean(VmMap& map, MapEntry& e, vaddr_t start, vaddr_t stop, int flags) = 0;

  // ---- fork: insert the child's entry for parent entry e (errno result)
  virtual int fork_share(VmMap& parent, VmMap& child, MapEntry* e) = 0;
  virtual int fork_copy(VmMap& parent, VmMap& child, MapEntry* e) = 0;

  // ---- swap: bring back every page whose slot is in [start, end)
  virtual int swap_off(int start, int end) = 0;

  // ---- the invariant checker (core/check.h): per entry, per mapped page
  // (true when the upper layer holds va; the checker then checks the
  // mapping against it), and the layer's own structures, which also count
  // the references the layer holds to each anon (Checker::anon_refs).
  virtual void check_entry(Checker& c, const std::string& who, const MapEntry& e) = 0;
  virtual bool check_mapping(Checker& c, const std::string& who, const MapEntry& e, vaddr_t va,
                             const Page* pg, bool writable) = 0;
  virtual void check(Checker& c) = 0;

  // ---- statistics: fill in the layer's gauges (Machine::stats).
  virtual void gauges(UvmExp& /*s*/) const {}
};

// The layer a new machine runs (Uvm::anon_layer): amaps, or shadow objects.
std::unique_ptr<AnonLayer> make_anon_layer(Uvm& uvm, AnonModel model);

}  // namespace uvmsim
