// Map-level operations behind the system calls (uvm_map_protect,
// uvm_map_inherit, uvm_map_advice, uvm_map_pageable, uvm_map_clean) and
// uvmspace_fork. They take validated, page-aligned ranges and return an
// errno (0 on success); argument checking lives in process.cpp.
#pragma once

#include <memory>

#include "uvmsim/types.h"

namespace uvmsim {

struct MapEntry;
class VmMap;

int uvm_map_protect(VmMap& map, vaddr_t start, vaddr_t end, Prot prot);
int uvm_map_inherit(VmMap& map, vaddr_t start, vaddr_t end, Inherit inherit);
int uvm_map_advice(VmMap& map, vaddr_t start, vaddr_t end, Madvise advice);
// mlock / munlock of [start, end) (errors: see map_ops.cpp).
int uvm_map_pageable(VmMap& map, vaddr_t start, vaddr_t end, bool wire);
// uvm_map_clean: msync and madvise(dontneed/free) of [start, end) with PGO_*
// flags. EFAULT when start is not mapped or the range has a hole; EBUSY for
// PGO_FREE when the entry holding start is wired. Anons: deactivated, or
// with PGO_FREE alone freed when the amap has one reference. Objects: their
// pager's flush with PGO_CLEANIT added (file pages are written back first).
// Returns the first pager error.
int uvm_map_clean(VmMap& map, vaddr_t start, vaddr_t end, int flags);
// uvm_mapent_clone: a copy of e for another map (fork): no wiring, and no
// reference taken — the caller takes the object's and the anonymous
// layer's references.
std::unique_ptr<MapEntry> uvm_mapent_clone(const MapEntry* e);
// uvmspace_fork: build child's map from parent's, entry by entry.
int uvmspace_fork(VmMap& parent, VmMap& child);

}  // namespace uvmsim
