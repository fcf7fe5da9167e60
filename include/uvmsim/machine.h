// uvmsim: the simulated machine — physical memory, the VM system's global
// state (uvmexp counters, page queues, amap list) and the MMU backend — and the
// processes (vmspaces) that run on it.
//
//   auto m = uvmsim::Machine::Create({.mem_bytes = 16 << 20});
//   uvmsim::Process* p = *(*m)->spawn("p");
//   p->mmap(0x10000000, 0x4000, uvmsim::kProtRead | uvmsim::kProtWrite,
//           uvmsim::Sharing::kPrivate);
//   p->write(0x10000000, bytes);
//   uvmsim::Process* c = *p->fork("c");
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "uvmsim/loan.h"
#include "uvmsim/policy.h"
#include "uvmsim/stats.h"
#include "uvmsim/trace.h"
#include "uvmsim/status.h"
#include "uvmsim/types.h"

namespace uvmsim {

class Process;
struct Uvm;

struct MachineConfig {
  // Physical memory; rounded down to whole pages. At least 16 pages.
  std::uint64_t mem_bytes = 64ull << 20;
  // Swap space: a swap device of this size over a host file (0: no swap).
  std::uint64_t swap_bytes = 256ull << 20;
  Backend backend = Backend::kAuto;
  // Seed for every randomised policy decision (the random replacement policy).
  std::uint64_t seed = 0;
  // UVM_AMAP_PPREF: per-page amap reference counts. When false every amap
  // behaves as if the ppref array could not be allocated (PPREF_NONE).
  bool ppref = true;
  // Map resident neighbours ahead of a fault (UVM's fault-ahead window).
  bool fault_ahead = true;
  // Where backing files live (created if missing; checked by Create, an
  // unusable directory is EINVAL), kept after the machine under their
  // names; empty: a private directory under $TMPDIR, removed with the machine.
  std::string file_dir{};
  // Where the swap file lives (created or truncated, and its whole size
  // reserved by Create: a file system too small is ENOSPC, or EFBIG past
  // the process's file size limit); empty: an unlinked sparse temporary file.
  std::string swap_path{};
  // Page replacement: any name make_replacement_policy() knows (policy.h);
  // "clock" is NetBSD's two-queue clock. An unknown name is EINVAL.
  std::string replacement = "clock";
  // The anonymous-memory model: UVM's amaps (the default) or the BSD VM's
  // shadow-object chains. Processes see the same memory under both.
  AnonModel anon_model = AnonModel::kAmap;
};

class Machine {
 public:
  // Fails with InvalidArgument for a bad config, FailedPrecondition when an
  // explicitly requested backend cannot run here.
  static StatusOr<std::unique_ptr<Machine>> Create(const MachineConfig& config);
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  // A new process with an empty address space. Names are informational.
  StatusOr<Process*> spawn(std::string name = "");

  // --- backing files (the vnode pager's files) ---
  // Real host files in a private temporary directory (MachineConfig::file_dir
  // to choose one). Names follow the scenario language: [A-Za-z_][A-Za-z0-9_]*.
  // EEXIST for a name already used, EINVAL for a bad name.
  Status create_file(std::string_view name, std::uint64_t size, std::uint8_t fill = 0);
  // ftruncate: the file's pages past the new end are dropped (faults there
  // give SIGBUS); bytes before the new end are kept, also those only in memory.
  Status truncate_file(std::string_view name, std::uint64_t size);
  // The bytes of the host file as stored (what msync has written), clipped
  // at end of file. ENOENT for an unknown file.
  StatusOr<std::vector<std::uint8_t>> read_file(std::string_view name, std::uint64_t offset,
                                                std::uint64_t len) const;
  StatusOr<std::uint64_t> file_size(std::string_view name) const;

  // --- page loan-out (include/uvmsim/loan.h) ---
  // Loan the pages of p's [addr, addr+len) (addr page-aligned, len rounded
  // up). Per page, in the seed's order: the amap's anon, else the object's
  // page (fetched through the pager), else the shared zero page. Errors (and
  // every page already loaned is returned), as NetBSD's uvm_loan gives them:
  // ENOENT for a hole; EINVAL for a page that cannot be lent (wired, a file
  // page wholly past end of file, no memory to bring it in); EBUSY when a
  // page is lent 65535 times already. Protection is not checked.
  StatusOr<LoanHandle> loan(Process& p, vaddr_t addr, vsize_t len, LoanTo to);
  // The borrower's view: bytes [offset, offset+len) of the loaned range.
  // Errors: ENOENT for an unknown loan, EINVAL for bytes beyond the loan
  // (misuse); ENOMEM or EIO when a lent page that was paged out cannot be
  // brought back (memory and swap full, an I/O error): a simulated failure.
  StatusOr<std::vector<std::uint8_t>> loan_read(LoanHandle loan, std::uint64_t offset,
                                                std::uint64_t len);
  Status unloan(LoanHandle loan);
  std::uint64_t loans_outstanding() const;

  // --- swap and the page daemon ---
  // swapoff(8): bring every swapped-out page back into memory and stop using
  // the device. ENOMEM (and swap stays on) when memory cannot hold it all;
  // EINVAL when the machine has no swap.
  Status swapoff();
  Status swapon();
  // Replace the page-replacement policy (default: NetBSD's clock).
  void set_replacement_policy(std::unique_ptr<ReplacementPolicy> policy);
  std::string_view replacement_policy() const;
  // Run the page daemon now (as if memory were short). Returns pages freed.
  std::uint64_t run_pagedaemon();

  // Trace events (include/uvmsim/trace.h) go to `sink` (not owned; nullptr
  // to stop). Tracing costs two clock reads per fault when on, nothing when off.
  void set_trace_sink(TraceSink* sink);

  // Counters and gauges now.
  UvmExp stats() const;
  // The full invariant checker: OK, or an Internal status listing what is wrong.
  Status check() const;

  Backend backend() const;
  const MachineConfig& config() const;
  // Processes ever created (exited ones stay, with alive() false).
  std::vector<Process*> processes() const;

  // The model's internal state, for tests and extensions inside the library.
  Uvm& uvm() { return *uvm_; }
  const Uvm& uvm() const { return *uvm_; }

 private:
  explicit Machine(std::unique_ptr<Uvm> uvm);
  std::unique_ptr<Uvm> uvm_;
};

}  // namespace uvmsim
