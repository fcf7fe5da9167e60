// uvm_map(): the one way a mapping enters a map (NetBSD uvm_map.c,
// uvm_map()). Every kind of mapping — private or shared anonymous memory, a
// file, later ELF segments, stacks and shadow objects — is an object (or
// none) at an offset with protections, inheritance, advice and
// copy-on-write flags; the callers (the mmap family in src/sys) only check
// their arguments and choose those.
#pragma once

#include "uvmsim/types.h"

namespace uvmsim {

class UvmObject;
class VmMap;

struct UvmMapArgs {
  UvmObject* object = nullptr;  // null: anonymous memory (zero-fill on demand)
  voff_t offset = 0;            // object offset of the mapping's start
  Prot prot = kProtNone;
  Prot maxprot = kProtAll;
  Inherit inherit = Inherit::kCopy;
  Advice advice = Advice::kNormal;
  Sharing sharing = Sharing::kPrivate;  // how it was asked for (listings)
  bool copy_on_write = false;  // UVM_ET_COPYONWRITE | UVM_ET_NEEDSCOPY
  bool fixed = false;          // UVM_FLAG_FIXED: replace what is there
  bool merge = false;          // try to merge with compatible neighbours
};

// Map [*addr, *addr + size) (page-aligned, inside user space). Fixed: what
// was there is unmapped first. Otherwise *addr is a hint: the first free
// gap at or above it is chosen and returned in *addr. On success the entry
// holds the caller's object reference; on failure (ENOMEM: no room) nothing
// changed and the caller still owns it.
int uvm_map(VmMap& map, vaddr_t* addr, vsize_t size, const UvmMapArgs& args);

}  // namespace uvmsim
