// The uvm mode of the replay: one process on a soft-backend machine; each
// access is a one-byte load or store through the simulated MMU, so faults,
// the page daemon and swap behave as in any other workload.
//
// Placement: the trace's page P is at virtual address P * 4096 + 4096 (one
// page up, so that page 0 can be mapped; user space starts at 4 KiB). The
// 1 MiB-aligned region around a page is mapped (private anonymous, read and
// write) the first time an access falls in it.
#pragma once

#include <cstdint>
#include <memory>

#include "absl/container/flat_hash_set.h"
#include "uvmsim/machine.h"
#include "uvmsim/process.h"
#include "uvmsim/replay.h"

namespace uvmsim::replay_impl {

class UvmReplay {
 public:
  static StatusOr<std::unique_ptr<UvmReplay>> Create(const ReplayConfig& config);
  // One access; an error for an address outside user space, an out-of-memory
  // kill, or a machine failure.
  Status access(std::uint64_t page, bool write);
  // Counters so far, the checker when asked.
  ReplayResult finish(const ReplayConfig& config);

 private:
  UvmReplay() = default;
  std::unique_ptr<Machine> machine_;
  Process* proc_ = nullptr;
  absl::flat_hash_set<std::uint64_t> regions_;
  std::uint64_t last_region_ = ~0ull;
  const std::uint64_t* faults_ = nullptr;  // the machine's fault counter
  std::uint64_t accesses_ = 0, faults_seen_ = 0;
};

}  // namespace uvmsim::replay_impl
