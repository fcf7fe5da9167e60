// Process: argument checking for the system calls, then the map operations.
// Every error is an errno status and leaves the address space unchanged.
#include "uvmsim/process.h"

#include <cerrno>

#include "core/map_ops.h"
#include "core/physmem.h"
#include "core/uvm_map.h"
#include "sys/syscall_args.h"
#include "core/soft_pmap.h"
#include "core/uvm.h"
#include "core/vmspace.h"
#include "fmt/format.h"
#include "pagers/aobj.h"
#include "uvmsim/machine.h"

namespace uvmsim {

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::kOk: return "ok";
    case Outcome::kSigsegv: return "SIGSEGV";
    case Outcome::kSigbus: return "SIGBUS";
    case Outcome::kKilled: return "killed";
  }
  return "?";
}

Process::Process(Machine& m, int pid, std::string name)
    : machine_(m), pid_(pid), name_(std::move(name)) {}

Process::~Process() = default;

int Process::pid() const { return pid_; }
const std::string& Process::name() const { return name_; }
bool Process::alive() const { return vm_ != nullptr; }
Machine& Process::machine() const { return machine_; }

namespace {

Status from_errno(int err, const char* what, vaddr_t addr, vaddr_t end) {
  if (err == 0) return absl::OkStatus();
  return errno_status(err, fmt::format("{} [{:#x}, {:#x})", what, addr, end));
}

}  // namespace

StatusOr<vaddr_t> Process::mmap(vaddr_t addr, vsize_t len, Prot prot, Sharing sharing,
                                MmapFlags flags) {
  if (!alive()) return process_dead(*this);
  if (Status s = check_mmap_prot(len, prot, flags.max_prot); !s.ok()) return s;
  vaddr_t start;
  vsize_t rlen;
  if (Status s = check_mmap_range(addr, len, flags.fixed, &start, &rlen); !s.ok()) return s;
  // Shared anonymous memory is one aobj, whose pages are indexed by int (as
  // the seed's uao) and whose offsets a Page keeps in 32 bits of pages.
  if (sharing == Sharing::kShared && atop(rlen) > static_cast<vsize_t>(Aobj::kMaxPages))
    return errno_status(ENOMEM, fmt::format("mmap: shared anonymous mapping of {:#x} bytes is above the "
                                            "anonymous-object limit of {:#x} bytes",
                                            rlen, static_cast<vsize_t>(Aobj::kMaxPages) << kPageShift));
  UvmMapArgs args{.prot = prot, .maxprot = flags.max_prot, .sharing = sharing, .fixed = flags.fixed,
                  .merge = true};
  if (sharing == Sharing::kPrivate) {
    // Zero-fill on demand: no object; the first fault makes the amap.
    args.copy_on_write = true;
  } else {
    // Shared anonymous memory is an aobj that every sharer refers to.
    args.object = Aobj::create(machine_.uvm(), rlen);
    args.inherit = Inherit::kShare;
  }
  const int err = uvm_map(*vm_->map, &start, rlen, args);
  if (err != 0 && args.object) args.object->detach();
  if (Status s = uvm_map_status(err, rlen); !s.ok()) return s;
  return start;
}

Status Process::munmap(vaddr_t addr, vsize_t len) {
  if (!alive()) return process_dead(*this);
  vaddr_t end;
  if (Status s = check_range(addr, len, &end, "munmap"); !s.ok()) return s;
  vm_->map->unmap(addr, end);
  return absl::OkStatus();
}

Status Process::mprotect(vaddr_t addr, vsize_t len, Prot prot) {
  if (!alive()) return process_dead(*this);
  vaddr_t end;
  if (Status s = check_range(addr, len, &end, "mprotect"); !s.ok()) return s;
  if (prot & ~kProtAll) return errno_status(EINVAL, fmt::format("mprotect: bad protection {:#x}", prot));
  if (len == 0) return absl::OkStatus();
  return from_errno(uvm_map_protect(*vm_->map, addr, end, prot), "mprotect", addr, end);
}

Status Process::minherit(vaddr_t addr, vsize_t len, Inherit inherit) {
  if (!alive()) return process_dead(*this);
  vaddr_t end;
  if (Status s = check_range(addr, len, &end, "minherit"); !s.ok()) return s;
  return from_errno(uvm_map_inherit(*vm_->map, addr, end, inherit), "minherit", addr, end);
}

Status Process::madvise(vaddr_t addr, vsize_t len, Madvise advice) {
  if (!alive()) return process_dead(*this);
  vaddr_t end;
  if (Status s = check_range(addr, len, &end, "madvise"); !s.ok()) return s;
  return from_errno(uvm_map_advice(*vm_->map, addr, end, advice), "madvise", addr, end);
}

namespace {

// mlock and munlock round the address down and the length up (POSIX allows
// it).
Status lock_range(vaddr_t addr, vsize_t len, const char* what, vaddr_t* start, vaddr_t* end) {
  *start = trunc_page(addr);
  if (addr + len < addr) return errno_status(EINVAL, fmt::format("{}: range overflows", what));
  len += addr - *start;
  return check_range(*start, len, end, what);
}

}  // namespace

// sys_mlock: the range rounded out to pages; at most a third of memory
// wired at a time (uvmexp.wiredmax, checked first: EAGAIN); then
// uvm_map_pageable, whose EFAULT (the range begins outside every mapping)
// becomes ENOMEM.
Status Process::mlock(vaddr_t addr, vsize_t len) {
  if (!alive()) return process_dead(*this);
  vaddr_t start, end;
  if (Status s = lock_range(addr, len, "mlock", &start, &end); !s.ok()) return s;
  const PhysMem& pm = *machine_.uvm().pm;
  const std::uint64_t wiredmax = pm.npages() / 3;
  if (atop(end - start) + pm.wired_count() > wiredmax)
    return errno_status(EAGAIN, fmt::format("mlock: [{:#x}, {:#x}) would wire more than a third of memory "
                                            "({} pages)", start, end, wiredmax));
  int err = uvm_map_pageable(*vm_->map, start, end, true);
  return from_errno(err == EFAULT ? ENOMEM : err, "mlock", start, end);
}

// sys_munlock: uvm_map_pageable(unwire); EFAULT becomes ENOMEM.
Status Process::munlock(vaddr_t addr, vsize_t len) {
  if (!alive()) return process_dead(*this);
  vaddr_t start, end;
  if (Status s = lock_range(addr, len, "munlock", &start, &end); !s.ok()) return s;
  int err = uvm_map_pageable(*vm_->map, start, end, false);
  return from_errno(err == EFAULT ? ENOMEM : err, "munlock", start, end);
}

// Every load and store goes through here. When the fault handler finds no
// memory even after the page daemon ran (memory and swap exhausted), the
// process is killed, as a kernel's out-of-memory handling would, and its
// memory released; the machine and the other processes go on.
StatusOr<AccessResult> Process::access(const AccessRequest& req) {
  if (!vm_) return process_dead(*this);
  if (req.va + req.len < req.va)
    return errno_status(EINVAL, fmt::format("access {:#x}+{:#x} overflows", req.va, req.len));
  if (req.len == 0) {
    AccessResult r;
    r.hash = req.hash;
    return r;
  }
  AccessResult r = machine_.uvm().accessor->access(*vm_, req);
  // A backend failure (kvm: an unexpected exit or a failed ioctl) is an
  // error of the machine, not an outcome of the program.
  if (Status e = machine_.uvm().accessor->error(); !e.ok()) return e;
  if (r.outcome == Outcome::kKilled) {
    killed_reason_ = "out of memory and swap";
    machine_.uvm().cnt.oom_kills++;
    (void)exit();
  }
  return r;
}

StatusOr<AccessResult> Process::read(vaddr_t addr, std::span<std::uint8_t> out) {
  return access({AccessOp::kRead, addr, out.size(), out.data()});
}

StatusOr<AccessResult> Process::write(vaddr_t addr, std::span<const std::uint8_t> data) {
  AccessRequest req{AccessOp::kWrite, addr, data.size()};
  req.in = data.data();
  return access(req);
}

StatusOr<AccessResult> Process::fill(vaddr_t addr, vsize_t len, std::uint8_t byte) {
  AccessRequest req{AccessOp::kFill, addr, len};
  req.byte = byte;
  return access(req);
}

StatusOr<AccessResult> Process::sum(vaddr_t addr, vsize_t len, std::uint64_t from) {
  AccessRequest req{AccessOp::kSum, addr, len};
  req.hash = from;
  return access(req);
}

StatusOr<Process*> Process::fork(std::string child_name) {
  if (!alive()) return process_dead(*this);
  auto child = machine_.spawn(std::move(child_name));
  if (!child.ok()) return child.status();
  vm_->map->counters.forks++;
  int err = uvmspace_fork(*vm_->map, *(*child)->vm_->map);
  if (err != 0) {
    (void)(*child)->exit();
    return errno_status(err, "fork: out of memory copying the address space");
  }
  machine_.uvm().emit("fork", (*child)->name(), pid_, machine_.uvm().now_ns(), 0, 0,
                      static_cast<std::uint64_t>((*child)->pid()));
  return *child;
}

Status Process::exit() {
  if (!alive()) return process_dead(*this);
  machine_.uvm().emit("exit", killed_reason_.empty() ? "exit" : "killed", pid_, machine_.uvm().now_ns(), 0, 0, 0);
  vm_->map.reset();   // unmaps everything
  vm_->pmap.reset();  // frees the page tables
  vm_.reset();
  return absl::OkStatus();
}

std::vector<MappingInfo> Process::mappings() const {
  std::vector<MappingInfo> out;
  if (!vm_) return out;
  vm_->map->for_each([&](const MapEntry& e) {
    out.push_back(MappingInfo{e.start, e.end, e.protection, e.max_protection, e.inheritance,
                              e.advice, e.sharing, e.wired_count > 0, e.needs_copy(),
                              vm_->map->uvm().anon_layer->has_upper(e), e.object != nullptr});
  });
  return out;
}

std::uint64_t Process::resident_pages() const { return vm_ ? vm_->pmap->resident_count() : 0; }

}  // namespace uvmsim
