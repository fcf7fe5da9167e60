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

}  // namespace uvmsim
