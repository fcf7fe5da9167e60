// Host I/O: the one door through which the simulator reads and writes its
// host files — the swap device (core/swap.h) and the backing files of the
// vnode pager (pagers/vnode.h, pagers/file_table.h).
//
// It does whole transfers (retrying interrupted and short host calls) and it
// is the test seam for failing disks: inject() makes chosen host calls fail,
// with an errno (EIO, ENOSPC, ...) or by transferring fewer bytes than asked,
// chosen by operation, kind of file, file name and count. An injected
// failure takes exactly the path a real one takes, so what tests see of a
// failing swap device or a full file system is what a user would see:
//   - a swap write that fails leaves the page dirty in memory (its slot
//     released, the page daemon tries again later);
//   - a swap read that fails gives the faulting access SIGBUS and keeps the
//     data in swap;
//   - a file write-back that fails returns the errno to its caller (msync)
//     and keeps the pages dirty in memory.
//
// One HostIo per machine (Uvm::io). Single-threaded, like the model.
#pragma once

#include <sys/uio.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace uvmsim {

enum class IoOp : std::uint8_t { kRead, kWrite, kTruncate, kAllocate };
enum class IoFile : std::uint8_t { kSwap, kBacking };

// One failure rule: among the host calls of kind `op` on files of kind
// `file` (and, for backing files, named `name` unless it is empty), let
// `after` through, then fail the next `count` (kForever: until clear()).
// error != 0: the call fails with that errno and transfers nothing.
// error == 0: a short transfer — half the bytes asked (at least one) move;
// the layer goes on with the rest, as it must for a real short write.
struct IoFault {
  static constexpr std::uint64_t kForever = ~std::uint64_t{0};
  IoOp op = IoOp::kWrite;
  IoFile file = IoFile::kSwap;
  std::string name{};
  int error = EIO;
  std::uint64_t after = 0;
  std::uint64_t count = 1;
};

class HostIo {
 public:
  // n bytes from buf at off, in as many host calls as it takes: 0 or an errno.
  int write(int fd, IoFile file, std::string_view name, const void* buf, std::size_t n, std::uint64_t off);
  // The bytes of iov at off (iov is consumed as it goes): 0 or an errno.
  int writev(int fd, IoFile file, std::string_view name, std::vector<iovec>& iov, std::uint64_t off);
  // Up to n bytes at off, short only at end of file: the bytes read, or -errno.
  std::int64_t read(int fd, IoFile file, std::string_view name, void* buf, std::size_t n, std::uint64_t off);
  // ftruncate and posix_fallocate(0, size): 0 or an errno. They move no
  // bytes to cut short: a short rule fails them (EIO, ENOSPC).
  int truncate(int fd, IoFile file, std::string_view name, std::uint64_t size);
  int allocate(int fd, IoFile file, std::string_view name, std::uint64_t size);

  // The test seam.
  void inject(IoFault fault) { rules_.push_back(Rule{std::move(fault)}); }
  // The disk is well again: every rule goes.
  void clear() { rules_.clear(); }
  // Host calls failed or shortened by the seam so far.
  std::uint64_t injected() const { return injected_; }

 private:
  struct Rule {
    IoFault f;
    std::uint64_t seen = 0;
  };
  // What the seam does to this host call: 0 (nothing), an errno, or kShort.
  static constexpr int kShort = -1;
  int take(IoOp op, IoFile file, std::string_view name);

  std::vector<Rule> rules_;
  std::uint64_t injected_ = 0;
};

}  // namespace uvmsim
