// The amap/anon model's part of the read-only walk (core/vm_inspect.h):
// the entry's amap (slots, references, ppref runs) and the anons of the
// slots the entry covers.
#include <algorithm>

#include "core/amap.h"
#include "core/anon.h"
#include "core/uvm.h"
#include "core/vm_inspect.h"
#include "core/vm_map.h"

namespace uvmsim {

void inspect_anon_layer(const Uvm& uvm, const MapEntry& e, const InspectEntry& ie, VmVisitor& v) {
  const Amap* am = e.aref.ar_amap;
  if (!am) return;
  InspectAmap ia{am, e.aref.ar_pageoff, am->am_nslot, am->am_maxslot, am->am_nused, am->am_ref,
                 (am->am_flags & AMAP_SHARED) != 0, InspectAmap::Ppref::kNotYet, {}};
  if (am->ppref_state == PprefState::kNone) ia.ppref = InspectAmap::Ppref::kNone;
  if (amap_has_ppref(am)) {
    ia.ppref = InspectAmap::Ppref::kActive;
    for (int slot = 0; slot < am->am_nslot;) {
      int ref = 0, len = 0;
      pp_getreflen(am->am_ppref.get(), slot, &ref, &len);
      if (len <= 0) break;  // a corrupt array: the checker reports it; stop here
      ia.ppref_runs.emplace_back(ref, len);
      slot += len;
    }
  }
  v.amap(ie, ia);
  const int first = e.aref.ar_pageoff;
  const int last = static_cast<int>(std::min<std::uint64_t>(first + e.npages(), static_cast<std::uint64_t>(am->am_nslot)));
  for (int slot = first; slot < last; slot++) {
    const std::uint32_t id = am->am_anon[slot];
    if (id == kNoAnon) continue;
    const Anon* an = amap_anon_at(am, slot);
    const Page* pg = an->an_frame == kNoAnonPage ? nullptr : uvm.pm->page(an->an_frame);
    v.anon(ie, InspectAnon{id, slot, e.start + ptoa(static_cast<std::uint64_t>(slot - first)), an->an_ref,
                           pg, an->an_swslot});
  }
}

}  // namespace uvmsim
