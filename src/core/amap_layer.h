// UVM's anonymous-memory layer: amaps of anons (core/amap.h, core/anon.h)
// behind the AnonLayer interface (core/anon_layer.h). A map entry refers to
// its part of an amap through MapEntry::aref.
//
// The implementation is in three files, one per concern:
//   amap_layer.cpp   lookup, needs-copy, clip, merge, unmap, madvise, fork,
//                    swap-off
//   amap_fault.cpp   the fault's upper part: case 1A/1B, and 2B's target
//   amap_check.cpp   the checker's part: amaps, ppref, anon references
#pragma once

#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/anon_layer.h"

namespace uvmsim {

struct Amap;

class AmapLayer final : public AnonLayer {
 public:
  explicit AmapLayer(Uvm& uvm) : uvm_(uvm) {}
  std::string_view name() const override { return "amap"; }

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

 private:
  Uvm& uvm_;
  // Between check_entry and check: the entries referring to each amap, and
  // per slot (the expected am_ref and ppref).
  absl::flat_hash_map<const Amap*, int> check_refs_;
  absl::flat_hash_map<const Amap*, std::vector<int>> check_pagerefs_;
};

}  // namespace uvmsim
