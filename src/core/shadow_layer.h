// The BSD VM's anonymous-memory layer: chains of shadow objects
// (core/shadow_object.h, core/shadow_chain.h) behind the AnonLayer
// interface (core/anon_layer.h). A map entry refers to its first object
// through MapEntry::sref; its file (or aobj) stays in MapEntry::object,
// below the chain, as UVM's object layer.
//
// The implementation is in four files, one per concern:
//   shadow_layer.cpp   lookup, needs-copy (vm_object_shadow), clip, merge
//                      (coalesce), unmap (deallocate), madvise, gauges
//   shadow_fork.cpp    fork: share, copy-on-write, copies made at fork
//   shadow_fault.cpp   the fault's upper part: the chain walk, copy-up,
//                      the target of 2B's promotion
//   shadow_check.cpp   the checker's part: references, chains, pages
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/anon_layer.h"

namespace uvmsim {

class ShadowObject;

class ShadowLayer final : public AnonLayer {
 public:
  explicit ShadowLayer(Uvm& uvm) : uvm_(uvm) {}
  std::string_view name() const override { return "shadow"; }

  bool has_upper(const MapEntry& e) const override;
  UpperPage lookup(const MapEntry& e, vaddr_t va) const override;
  void lookup_range(const MapEntry& e, vaddr_t lo, vaddr_t hi, UpperPage* out) const override;
  bool copy(VmMap& map, MapEntry* e, vaddr_t start, vaddr_t end, bool chunked) override;

  std::optional<Fault> fault_upper(FaultCtx& f) override;
  Fault fault_promote(FaultCtx& f, Page* uobjpage) override;

  void split(MapEntry& left, MapEntry& right, vsize_t adj) override;
  bool extendable(const MapEntry& e) const override;
  bool extend(MapEntry& e, vsize_t addsize, bool forwards) override;
  void release(MapEntry& e) override;
  void clean(VmMap& map, MapEntry& e, vaddr_t start, vaddr_t stop, int flags) override;

  int fork_share(VmMap& parent, VmMap& child, MapEntry* e) override;
  int fork_copy(VmMap& parent, VmMap& child, MapEntry* e) override;

  int swap_off(int start, int end) override;

  void check_entry(Checker& c, const std::string& who, const MapEntry& e) override;
  bool check_mapping(Checker& c, const std::string& who, const MapEntry& e, vaddr_t va, const Page* pg,
                     bool writable) override;
  void check(Checker& c) override;

  void gauges(UvmExp& s) const override;

 private:
  Uvm& uvm_;
  // Between check_entry and check: entries whose first object each is.
  absl::flat_hash_map<const ShadowObject*, int> check_entry_refs_;
};

}  // namespace uvmsim
