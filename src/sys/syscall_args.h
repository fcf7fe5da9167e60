// Argument checks shared by the Process system calls (process.cpp,
// process_file.cpp): every failure is an errno status naming the call.
#pragma once

#include "uvmsim/process.h"
#include "uvmsim/status.h"
#include "uvmsim/types.h"

namespace uvmsim {

// FailedPrecondition: the process has exited.
Status process_dead(const Process& p);
// [addr, addr + round_page(len)) must be page-aligned, not wrap, and lie in
// user space (EINVAL otherwise); *end receives its end.
Status check_range(vaddr_t addr, vsize_t len, vaddr_t* end, const char* what);
// mmap's shared checks: non-zero length, valid protection within max_prot.
Status check_mmap_prot(vsize_t len, Prot prot, Prot max_prot);

// mmap's range: MAP_FIXED needs a valid page-aligned range (EINVAL);
// otherwise addr is a hint, rounded down, and a hint outside user space
// falls back to the bottom of user space (ENOMEM if len cannot fit at all).
// *start and *rlen receive the page-aligned start and rounded length.
Status check_mmap_range(vaddr_t addr, vsize_t len, bool fixed, vaddr_t* start, vsize_t* rlen);
// uvm_map's errno as mmap's status (ENOMEM: no room).
Status uvm_map_status(int err, vsize_t rlen);

}  // namespace uvmsim
