// uvmsim: a simulated process — a vmspace (vm_map + pmap) and the operations
// a program performs on it. Memory is accessed *through the MMU*: every load
// and store is translated by the backend's page tables and faults exactly as
// a CPU would, calling the UVM fault handler.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "uvmsim/stats.h"
#include "uvmsim/status.h"
#include "uvmsim/types.h"

namespace uvmsim {

class Machine;
struct VmSpace;
struct AccessRequest;

// FNV-1a 64's offset basis: the hash of nothing, where Process::sum starts.
inline constexpr std::uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ull;

// What a simulated memory access ended with.
enum class Outcome : std::uint8_t {
  kOk,
  kSigsegv,  // no mapping, or the protection forbids the access
  kSigbus,   // pager error (e.g. a file page wholly past end of file)
  kKilled,   // out of memory and swap: the process was killed (killed_reason())
};
std::string_view to_string(Outcome);

struct AccessResult {
  Outcome outcome = Outcome::kOk;
  std::uint64_t done = 0;     // bytes transferred before the first failing byte
  vaddr_t fault_addr = 0;     // the failing address when outcome != kOk
  std::uint64_t hash = 0;     // sum(): FNV-1a 64 of the bytes (when kOk)
  bool ok() const { return outcome == Outcome::kOk; }
};

// One map entry as seen from outside (for listings and tests).
struct MappingInfo {
  vaddr_t start, end;
  Prot prot, max_prot;
  Inherit inherit;
  Advice advice;
  Sharing sharing;
  bool wired;
  bool needs_copy;
  bool has_amap;
  bool has_object;
};

enum class MsyncMode : std::uint8_t { kSync, kAsync, kInvalidate };

struct MmapFlags {
  bool fixed = true;  // MAP_FIXED: replace what is there; else addr is a hint
  // The most the mapping may ever be given by mprotect (vm_map_entry
  // max_protection, as for a file opened read-only). prot must be within it.
  Prot max_prot = kProtAll;
};

class Process {
 public:
  int pid() const;
  const std::string& name() const;
  bool alive() const;
  // Why the simulator killed the process ("" if it was not killed).
  const std::string& killed_reason() const { return killed_reason_; }
  Machine& machine() const;

  // Anonymous memory. Returns the mapped address. EINVAL: unaligned addr,
  // zero length, overflow, outside user space; ENOMEM: no room (non-fixed).
  StatusOr<vaddr_t> mmap(vaddr_t addr, vsize_t len, Prot prot, Sharing sharing,
                         MmapFlags flags = {});
  // A mapping of backing file `file` at byte offset `offset` (page-aligned):
  // shared mappings write to the file's pages; private ones copy a page on
  // its first write (UVM fault case 2B). ENOENT: unknown file.
  StatusOr<vaddr_t> mmap_file(vaddr_t addr, vsize_t len, Prot prot, Sharing sharing,
                              std::string_view file, voff_t offset, MmapFlags flags = {});
  Status munmap(vaddr_t addr, vsize_t len);
  Status mprotect(vaddr_t addr, vsize_t len, Prot prot);
  Status minherit(vaddr_t addr, vsize_t len, Inherit inherit);
  Status madvise(vaddr_t addr, vsize_t len, Madvise advice);
  Status mlock(vaddr_t addr, vsize_t len);
  Status munlock(vaddr_t addr, vsize_t len);
  // msync(2): write the dirty file pages of the range back (sync: before
  // returning; async: the model writes at once too; invalidate: also drop
  // clean cached pages). ENOMEM when the range has a hole.
  Status msync(vaddr_t addr, vsize_t len, MsyncMode mode = MsyncMode::kSync);

  // Byte accesses through the MMU. An error Status means the request itself
  // was bad (exited process, address overflow); the simulated outcome of a
  // valid request is in AccessResult.
  StatusOr<AccessResult> read(vaddr_t addr, std::span<std::uint8_t> out);
  StatusOr<AccessResult> write(vaddr_t addr, std::span<const std::uint8_t> data);
  StatusOr<AccessResult> fill(vaddr_t addr, vsize_t len, std::uint8_t byte);
  // FNV-1a 64-bit hash of [addr, addr+len) read through the MMU. `from` is
  // the hash state to continue (the offset basis to start afresh), so a long
  // range can be hashed in pieces: sum(a, n, sum(a0, m)->hash) == the hash of
  // [a0, a0+m) followed by [a, a+n).
  StatusOr<AccessResult> sum(vaddr_t addr, vsize_t len, std::uint64_t from = kFnvOffsetBasis);

  // fork(2): a child whose map is built entry by entry from the inheritance
  // values (share / copy / none / zero).
  StatusOr<Process*> fork(std::string child_name = "");
  // exit(2): releases the whole address space. The Process object stays valid
  // (alive() == false); any further operation is FailedPrecondition.
  Status exit();

  std::vector<MappingInfo> mappings() const;
  // Its counters (faults by case, copies, zero-fills, loans) and gauges
  // (resident, swapped, loaned pages) now. All zero once it has exited.
  ProcessStats stats() const;
  // Pages currently mapped in this process's pmap.
  std::uint64_t resident_pages() const;

  VmSpace& vmspace() { return *vm_; }
  const VmSpace& vmspace() const { return *vm_; }

  // Internal: created by Machine.
  Process(Machine& m, int pid, std::string name);
  ~Process();

 private:
  friend class Machine;
  StatusOr<AccessResult> access(const AccessRequest& req);
  Machine& machine_;
  int pid_;
  std::string name_;
  std::unique_ptr<VmSpace> vm_;
  std::string killed_reason_;
};

}  // namespace uvmsim
