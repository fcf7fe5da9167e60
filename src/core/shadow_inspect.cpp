// The shadow model's part of the read-only walk (core/vm_inspect.h): the
// objects of the entry's chain, first object first.
#include "core/shadow_object.h"
#include "core/vm_inspect.h"
#include "core/vm_map.h"

namespace uvmsim {

void inspect_shadow_chain(const MapEntry& e, const InspectEntry& ie, VmVisitor& v) {
  std::uint64_t index = e.sref.off;
  int depth = 0;
  for (const ShadowObject* o = e.sref.obj; o; o = o->backing_object, depth++) {
    std::uint64_t swapped = 0;
    for (const auto& [idx, slot] : o->swslots())
      if (!o->page_at(idx)) swapped++;
    v.chain_link(ie, InspectChainLink{o, o->id, depth, o->uo_refs, o->shadow_count, index, o->backing_object_offset,
                                      o->size, o->memq.size(), swapped, (o->flags & OBJ_ONEMAPPING) != 0});
    index += o->backing_object_offset;
  }
}

}  // namespace uvmsim
