#include "core/uvm_map.h"

#include <cerrno>
#include <memory>

#include "core/kassert.h"
#include "core/vm_map.h"

namespace uvmsim {

int uvm_map(VmMap& map, vaddr_t* addr, vsize_t size, const UvmMapArgs& args) {
  UVM_KASSERT(size > 0 && !(*addr & kPageMask) && !(size & kPageMask));
  UVM_KASSERT_MSG((args.prot & args.maxprot) == args.prot, "protection above the maximum");
  vaddr_t start = *addr;
  if (args.fixed) {
    map.unmap(start, start + size);
  } else if (!map.find_space(start, size, &start)) {
    return ENOMEM;
  }
  auto e = std::make_unique<MapEntry>();
  e->start = start;
  e->end = start + size;
  e->object = args.object;
  e->offset = args.offset;
  e->protection = args.prot;
  e->max_protection = args.maxprot & kProtAll;
  e->inheritance = args.inherit;
  e->advice = args.advice;
  e->sharing = args.sharing;
  if (args.copy_on_write) e->etype = UVM_ET_COPYONWRITE | UVM_ET_NEEDSCOPY;
  MapEntry* ins = map.insert(std::move(e));
  if (args.merge) map.try_merge(ins);
  *addr = start;
  return 0;
}

}  // namespace uvmsim
