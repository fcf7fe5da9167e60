#include "core/vm_inspect.h"

#include "core/page.h"
#include "core/uvm.h"
#include "core/uvm_object.h"
#include "core/vm_map.h"

namespace uvmsim {

namespace {

void inspect_object(const MapEntry& e, const InspectEntry& ie, VmVisitor& v) {
  const UvmObject* obj = e.object;
  const voff_t end = e.offset + e.size();
  v.object(ie, InspectObject{obj, obj->kind(), obj->uo_refs, obj->memq.size(), obj->swap_blocks(),
                             obj->swap_blocks(e.offset, end), obj->swap_only_blocks(e.offset, end)});
  for (auto it = obj->memq.lower_bound(e.offset); it != obj->memq.end() && it->first < end; ++it)
    v.object_page(ie, InspectObjectPage{it->first, e.start + (it->first - e.offset), it->second});
}

}  // namespace

void inspect_map(const Uvm& uvm, const VmMap& map, VmVisitor& v) {
  map.for_each([&](const MapEntry& e) {
    const InspectEntry ie{&e,          e.start,     e.end,      e.protection,
                          e.max_protection, e.inheritance, e.advice, e.sharing,
                          e.wired_count, e.cow(),   e.needs_copy(), e.object,
                          e.offset};
    v.entry(ie);
    if (uvm.config.anon_model == AnonModel::kShadow) inspect_shadow_chain(e, ie, v);
    else inspect_anon_layer(uvm, e, ie, v);
    if (e.object) inspect_object(e, ie, v);
    v.end_entry(ie);
  });
}

}  // namespace uvmsim
