// The swap device: page-sized slots in a real host file.
//
// Slots are numbered from 1 (0 means "no slot", as in NetBSD). The allocator
// hands out runs of contiguous slots so that a cluster of pages paged out
// together is written with one pwrite and lands together on the device
// (uvm_swap_alloc with npages > 1). A rotor gives next-fit placement.
//
// Accounting (uvmexp): swpages = slots on the device, swpginuse = slots
// allocated, swpgonly = slots whose page is not resident (the data exists
// only in swap). Callers keep swpgonly right: +1 when they free a page whose
// data is in swap, -1 when they page it back in or free such a slot.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/host_io.h"
#include "uvmsim/status.h"

namespace uvmsim {

class SwapDevice {
 public:
  // nslots slots in the file at `path` (created, truncated, and its whole
  // size reserved with posix_fallocate, so that a file system too small
  // is an error now rather than failed page-outs later: ENOSPC) or, when
  // path is empty, in an unlinked sparse temporary file. All I/O goes
  // through io (the machine's host I/O layer, core/host_io.h).
  static StatusOr<std::unique_ptr<SwapDevice>> Create(std::uint64_t nslots, const std::string& path, HostIo& io);
  ~SwapDevice();
  SwapDevice(const SwapDevice&) = delete;
  SwapDevice& operator=(const SwapDevice&) = delete;

  // npages contiguous free slots: the first one, or 0 when none (swap full).
  int alloc(int npages);
  // Free npages slots starting at slot.
  void free(int slot, int npages);
  bool in_use(int slot) const;

  // Write npages pages from data to slot.. (one pwrite); errno result.
  // On failure the slots' contents are undefined: callers release them.
  int write(int slot, const std::uint8_t* data, int npages);
  // Read one page from slot into data; errno result (the slot keeps its data).
  int read(int slot, std::uint8_t* data);

  // Slots in [start, end) are being turned off: alloc() avoids them.
  void set_off_range(int start, int end) {
    off_start_ = start;
    off_end_ = end;
    generation_++;
  }

  // Changes whenever a slot may have become allocatable (a slot freed, the
  // off range changed): how the page daemon learns that a full swap may
  // take pages again (core/pagedaemon.h, the futile-pass memory).
  std::uint64_t generation() const { return generation_; }

  std::uint64_t nslots() const { return nslots_; }
  std::uint64_t inuse() const { return inuse_; }
  std::uint64_t swpgonly = 0;
  std::uint64_t writes = 0, reads = 0, pages_written = 0;

 private:
  SwapDevice() = default;
  bool bit(std::uint64_t i) const { return map_[i >> 6] >> (i & 63) & 1; }
  void set(std::uint64_t i, bool v) {
    if (v) map_[i >> 6] |= 1ull << (i & 63);
    else map_[i >> 6] &= ~(1ull << (i & 63));
  }

  HostIo* io_ = nullptr;
  int fd_ = -1;
  std::uint64_t nslots_ = 0;
  std::uint64_t inuse_ = 0;
  std::uint64_t rotor_ = 0;
  std::vector<std::uint64_t> map_;  // bit i: slot i+1 in use
  int off_start_ = 0, off_end_ = 0;
  std::uint64_t generation_ = 0;
};

}  // namespace uvmsim
