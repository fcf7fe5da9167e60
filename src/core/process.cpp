// Process: argument checking for the system calls, then the map operations.
// Every error is an errno status and leaves the address space unchanged.
#include "uvmsim/process.h"

#include <cerrno>

#include "core/map_ops.h"
#include "core/syscall_args.h"
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
  if (!flags.fixed) addr = trunc_page(addr);
  vaddr_t end;
  if (Status s = check_range(addr, len, &end, "mmap"); !s.ok()) {
    if (flags.fixed || round_page(len) < len) return s;
    addr = kUserMin;  // a hint outside user space is just a bad hint
    if (Status s2 = check_range(addr, len, &end, "mmap"); !s2.ok())
      return errno_status(ENOMEM, fmt::format("mmap: {:#x} bytes do not fit in user space", len));
  }
  const vsize_t rlen = end - addr;
  // Shared anonymous memory is one aobj, whose pages are indexed by int (as
  // the seed's uao) and whose offsets a Page keeps in 32 bits of pages.
  if (sharing == Sharing::kShared && atop(rlen) > static_cast<vsize_t>(Aobj::kMaxPages))
    return errno_status(ENOMEM, fmt::format("mmap: shared anonymous mapping of {:#x} bytes is above the "
                                            "anonymous-object limit of {:#x} bytes",
                                            rlen, static_cast<vsize_t>(Aobj::kMaxPages) << kPageShift));
  VmMap& map = *vm_->map;
  if (!flags.fixed) {
    if (!map.find_space(addr, rlen, &addr))
      return errno_status(ENOMEM, fmt::format("mmap: no room for {:#x} bytes", rlen));
    end = addr + rlen;
  } else {
    map.unmap(addr, end);  // MAP_FIXED replaces whatever was there
  }
  auto e = std::make_unique<MapEntry>();
  e->start = addr;
  e->end = end;
  e->protection = prot;
  e->max_protection = flags.max_prot & kProtAll;
  e->sharing = sharing;
  if (sharing == Sharing::kPrivate) {
    // Zero-fill on demand: no object; the first fault makes the amap.
    e->etype = UVM_ET_COPYONWRITE | UVM_ET_NEEDSCOPY;
    e->inheritance = Inherit::kCopy;
  } else {
    // Shared anonymous memory is an aobj that every sharer refers to.
    e->object = Aobj::create(machine_.uvm(), rlen);
    e->inheritance = Inherit::kShare;
  }
  MapEntry* ins = map.insert(std::move(e));
  map.try_merge(ins);
  return addr;
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

Status Process::mlock(vaddr_t addr, vsize_t len) {
  if (!alive()) return process_dead(*this);
  // mlock rounds the address down and the length up (POSIX allows it).
  const vaddr_t start = trunc_page(addr);
  if (addr + len < addr) return errno_status(EINVAL, "mlock: range overflows");
  len += addr - start;
  vaddr_t end;
  if (Status s = check_range(start, len, &end, "mlock"); !s.ok()) return s;
  if (len == 0) return absl::OkStatus();
  return from_errno(uvm_map_pageable(*vm_->map, start, end, true), "mlock", start, end);
}

Status Process::munlock(vaddr_t addr, vsize_t len) {
  if (!alive()) return process_dead(*this);
  const vaddr_t start = trunc_page(addr);
  if (addr + len < addr) return errno_status(EINVAL, "munlock: range overflows");
  len += addr - start;
  vaddr_t end;
  if (Status s = check_range(start, len, &end, "munlock"); !s.ok()) return s;
  if (len == 0) return absl::OkStatus();
  return from_errno(uvm_map_pageable(*vm_->map, start, end, false), "munlock", start, end);
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
    r.hash = kFnvOffset;
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

StatusOr<AccessResult> Process::sum(vaddr_t addr, vsize_t len) {
  return access({AccessOp::kSum, addr, len});
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
                              e.aref.ar_amap != nullptr, e.object != nullptr});
  });
  return out;
}

std::uint64_t Process::resident_pages() const { return vm_ ? vm_->pmap->resident_count() : 0; }

}  // namespace uvmsim
