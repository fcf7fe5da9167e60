// The shadow model's part of the read-only walk (core/vm_inspect.h): the
// objects of the entry's chain, first object first, each with what the entry
// sees through it; then the resident pages the entry sees.
#include <vector>

#include "core/shadow_chain.h"
#include "core/shadow_object.h"
#include "core/vm_inspect.h"
#include "core/vm_map.h"

namespace uvmsim {

void inspect_shadow_chain(const MapEntry& e, const InspectEntry& ie, VmVisitor& v) {
  std::vector<ChainVisible> pages;
  std::vector<std::uint64_t> seen, seen_swapped;
  shadow_chain_visible(e, [&](const ChainVisible& c) {
    const auto d = static_cast<std::size_t>(c.depth);
    if (seen.size() <= d) {
      seen.resize(d + 1);
      seen_swapped.resize(d + 1);
    }
    (c.page ? seen : seen_swapped)[d]++;
    if (c.page) pages.push_back(c);
  });
  std::uint64_t index = e.sref.off;
  int depth = 0;
  for (const ShadowObject* o = e.sref.obj; o; o = o->backing_object, depth++) {
    std::uint64_t swapped = 0;
    for (const auto& [idx, slot] : o->swslots())
      if (!o->page_at(idx)) swapped++;
    const auto d = static_cast<std::size_t>(depth);
    v.chain_link(ie, InspectChainLink{o, o->id, depth, o->uo_refs, o->shadow_count, index, o->backing_object_offset,
                                      o->size, o->memq.size(), swapped, d < seen.size() ? seen[d] : 0,
                                      d < seen.size() ? seen_swapped[d] : 0, (o->flags & OBJ_ONEMAPPING) != 0});
    index += o->backing_object_offset;
  }
  for (const ChainVisible& c : pages) v.chain_page(ie, InspectChainPage{c.obj, c.depth, e.start + ptoa(c.epage), c.page});
}

}  // namespace uvmsim
