// Process: file mappings (mmap of a backing file) and msync. Argument
// checking as in process.cpp: every error is an errno status and leaves the
// address space unchanged.
#include <cerrno>
#include <cstring>

#include "core/map_ops.h"
#include "sys/syscall_args.h"
#include "core/uvm.h"
#include "core/uvm_map.h"
#include "core/uvm_object.h"
#include "core/vmspace.h"
#include "fmt/format.h"
#include "pagers/file_table.h"
#include "uvmsim/machine.h"
#include "uvmsim/process.h"

namespace uvmsim {

StatusOr<vaddr_t> Process::mmap_file(vaddr_t addr, vsize_t len, Prot prot, Sharing sharing,
                                     std::string_view file, voff_t offset, MmapFlags flags) {
  if (!alive()) return process_dead(*this);
  if (Status s = check_mmap_prot(len, prot, flags.max_prot); !s.ok()) return s;
  if (offset & kPageMask)
    return errno_status(EINVAL, fmt::format("mmap: file offset {:#x} not page-aligned", offset));
  if (round_page(len) < len || offset + round_page(len) < offset)
    return errno_status(EINVAL, fmt::format("mmap: file offset {:#x}+{:#x} overflows", offset, len));
  Uvm& uvm = machine_.uvm();
  if (!uvm.files || !uvm.files->find(file))
    return errno_status(ENOENT, fmt::format("mmap: no file '{}'", file));

  vaddr_t start;
  vsize_t rlen;
  if (Status s = check_mmap_range(addr, len, flags.fixed, &start, &rlen); !s.ok()) return s;

  // uvn_attach before the MAP_FIXED unmap: replacing a mapping of the same
  // file must not push its pages through the last-detach write-back.
  auto vn = uvm.files->attach(file);
  if (!vn.ok()) return vn.status();
  UvmMapArgs args{.object = *vn, .offset = offset, .prot = prot, .maxprot = flags.max_prot,
                  .sharing = sharing, .fixed = flags.fixed};
  if (sharing == Sharing::kPrivate) {
    // Reads map the file's pages read-only; the first write promotes the
    // page to an anon (fault case 2B).
    args.copy_on_write = true;
  } else {
    args.inherit = Inherit::kShare;
  }
  // File entries are never merged.
  const int err = uvm_map(*vm_->map, &start, rlen, args);
  if (err != 0) (*vn)->detach();
  if (Status s = uvm_map_status(err, rlen); !s.ok()) return s;
  return start;
}

// sys___msync13: uvm_map_clean with PGO_CLEANIT (+ PGO_SYNCIO, + PGO_FREE
// for invalidate). The map is not changed (no clipping). LEN 0 means the
// whole entry holding ADDR (EINVAL when there is none), as NetBSD does.
Status Process::msync(vaddr_t addr, vsize_t len, MsyncMode mode) {
  if (!alive()) return process_dead(*this);
  vaddr_t end;
  if (Status s = check_range(addr, len, &end, "msync"); !s.ok()) return s;
  int flags;
  switch (mode) {
    case MsyncMode::kSync: flags = PGO_CLEANIT | PGO_SYNCIO; break;
    case MsyncMode::kAsync: flags = PGO_CLEANIT; break;  // the model's I/O is synchronous anyway
    case MsyncMode::kInvalidate: flags = PGO_CLEANIT | PGO_SYNCIO | PGO_FREE; break;
    default: return errno_status(EINVAL, "msync: bad mode");
  }
  VmMap& map = *vm_->map;
  if (len == 0) {
    const MapEntry* e = map.lookup(addr);
    if (!e) return errno_status(EINVAL, fmt::format("msync: no mapping at {:#x} (length 0: its whole entry)", addr));
    addr = e->start;
    end = e->end;
  }
  const int err = uvm_map_clean(map, addr, end, flags);
  switch (err) {
    case 0: return absl::OkStatus();
    // A range that is not all mapped: the scenario language's ENOMEM (NetBSD
    // 1.x's msync said ENOMEM; today's uvm_map_clean says EFAULT).
    case EFAULT: return errno_status(ENOMEM, fmt::format("msync: [{:#x}, {:#x}) is not all mapped", addr, end));
    case EBUSY: return errno_status(EBUSY, fmt::format("msync: invalidate of locked memory at {:#x}", addr));
    case ENOMEM: return errno_status(ENOMEM, fmt::format("msync: no memory writing back [{:#x}, {:#x})", addr, end));
    // The file system is full (or the file at its size limit): said as
    // such; any other host failure is an I/O error. The pages stay dirty.
    case ENOSPC:
    case EFBIG:
      return errno_status(err, fmt::format("msync: write-back of [{:#x}, {:#x}) failed: {}", addr, end,
                                           std::strerror(err)));
    default: return errno_status(EIO, fmt::format("msync: write-back of [{:#x}, {:#x}) failed", addr, end));
  }
}

}  // namespace uvmsim
