#include "sys/syscall_args.h"

#include <cerrno>

#include "fmt/format.h"

namespace uvmsim {

Status process_dead(const Process& p) {
  return absl::FailedPreconditionError(fmt::format("process {} ({}) has exited", p.pid(), p.name()));
}

Status check_range(vaddr_t addr, vsize_t len, vaddr_t* end, const char* what) {
  if (addr & kPageMask) return errno_status(EINVAL, fmt::format("{}: address {:#x} not page-aligned", what, addr));
  const vsize_t rlen = round_page(len);
  if (rlen < len || addr + rlen < addr)
    return errno_status(EINVAL, fmt::format("{}: {:#x}+{:#x} overflows", what, addr, len));
  if (len > 0 && (addr < kUserMin || addr + rlen > kUserMax))
    return errno_status(EINVAL, fmt::format("{}: [{:#x}, {:#x}) outside user space", what, addr, addr + rlen));
  *end = addr + rlen;
  return absl::OkStatus();
}

Status check_mmap_prot(vsize_t len, Prot prot, Prot max_prot) {
  if (len == 0) return errno_status(EINVAL, "mmap: zero length");
  if (prot & ~kProtAll) return errno_status(EINVAL, fmt::format("mmap: bad protection {:#x}", prot));
  if ((prot & max_prot) != prot)
    return errno_status(EACCES, fmt::format("mmap: protection {} exceeds maximum {}", prot_string(prot),
                                            prot_string(max_prot)));
  return absl::OkStatus();
}

Status check_mmap_range(vaddr_t addr, vsize_t len, bool fixed, vaddr_t* start, vsize_t* rlen) {
  if (!fixed) addr = trunc_page(addr);
  vaddr_t end = 0;
  if (Status s = check_range(addr, len, &end, "mmap"); !s.ok()) {
    if (fixed || round_page(len) < len) return s;
    addr = kUserMin;  // a hint outside user space is just a bad hint
    if (Status s2 = check_range(addr, len, &end, "mmap"); !s2.ok())
      return errno_status(ENOMEM, fmt::format("mmap: {:#x} bytes do not fit in user space", len));
  }
  *start = addr;
  *rlen = end - addr;
  return absl::OkStatus();
}

Status uvm_map_status(int err, vsize_t rlen) {
  if (err == 0) return absl::OkStatus();
  return errno_status(err, fmt::format("mmap: no room for {:#x} bytes", rlen));
}

}  // namespace uvmsim
