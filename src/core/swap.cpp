#include "core/swap.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "fmt/format.h"
#include "uvmsim/types.h"

namespace uvmsim {

StatusOr<std::unique_ptr<SwapDevice>> SwapDevice::Create(std::uint64_t nslots, const std::string& path,
                                                        HostIo& io) {
  if (nslots == 0 || nslots > (1ull << 30))
    return errno_status(EINVAL, fmt::format("swap: {} slots", nslots));
  std::unique_ptr<SwapDevice> d(new SwapDevice());
  d->io_ = &io;
  if (path.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = fmt::format("{}/uvmsim-swap-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    d->fd_ = ::mkostemp(templ.data(), O_CLOEXEC);
    if (d->fd_ < 0) return errno_status(errno, fmt::format("swap: mkstemp {}: {}", templ, std::strerror(errno)));
    ::unlink(templ.c_str());
  } else {
    d->fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (d->fd_ < 0) return errno_status(errno, fmt::format("swap: open {}: {}", path, std::strerror(errno)));
  }
  const std::uint64_t bytes = nslots << kPageShift;
  if (!path.empty()) {
    // A swap file the user placed: reserve all of it now. A file system
    // too small fails here, before anything ran, not at some page-out.
    if (int err = io.allocate(d->fd_, IoFile::kSwap, "", bytes); err != 0) {
      ::unlink(path.c_str());  // leave no half-reserved file behind
      return errno_status(err == EFBIG ? EFBIG : (err == EIO ? EIO : ENOSPC),
                          fmt::format("swap file {}: cannot reserve {} bytes: {}", path, bytes, std::strerror(err)));
    }
  }
  // The temporary device is sparse: blocks are allocated as slots are written.
  if (int err = io.truncate(d->fd_, IoFile::kSwap, "", bytes); err != 0)
    return errno_status(err, fmt::format("swap: ftruncate: {}", std::strerror(err)));
  d->nslots_ = nslots;
  d->map_.assign((nslots + 63) / 64, 0);
  return d;
}

SwapDevice::~SwapDevice() {
  if (fd_ >= 0) ::close(fd_);
}

int SwapDevice::alloc(int npages) {
  if (npages <= 0 || static_cast<std::uint64_t>(npages) > nslots_ - inuse_) return 0;
  const std::uint64_t n = static_cast<std::uint64_t>(npages);
  auto usable = [&](std::uint64_t i) {
    const int slot = static_cast<int>(i + 1);
    return !bit(i) && !(slot >= off_start_ && slot < off_end_);
  };
  // Next fit: runs starting in [from, to).
  auto try_from = [&](std::uint64_t from, std::uint64_t to) -> int {
    std::uint64_t i = from;
    while (i < to && i + n <= nslots_) {
      std::uint64_t run = 0;
      while (run < n && usable(i + run)) run++;
      if (run == n) {
        for (std::uint64_t k = 0; k < n; k++) set(i + k, true);
        inuse_ += n;
        rotor_ = (i + n) % nslots_;
        return static_cast<int>(i + 1);
      }
      i += run + 1;
    }
    return 0;
  };
  int slot = try_from(rotor_, nslots_);
  if (slot == 0) slot = try_from(0, rotor_);
  return slot;
}

void SwapDevice::free(int slot, int npages) {
  for (int k = 0; k < npages; k++) {
    const std::uint64_t i = static_cast<std::uint64_t>(slot - 1 + k);
    if (i < nslots_ && bit(i)) {
      set(i, false);
      inuse_--;
      generation_++;
    }
  }
}

bool SwapDevice::in_use(int slot) const {
  return slot >= 1 && static_cast<std::uint64_t>(slot) <= nslots_ && bit(static_cast<std::uint64_t>(slot - 1));
}

int SwapDevice::write(int slot, const std::uint8_t* data, int npages) {
  const std::size_t len = static_cast<std::size_t>(npages) << kPageShift;
  const std::uint64_t off = static_cast<std::uint64_t>(slot - 1) << kPageShift;
  if (int err = io_->write(fd_, IoFile::kSwap, "", data, len, off); err != 0) return err;
  writes++;
  pages_written += static_cast<std::uint64_t>(npages);
  return 0;
}

int SwapDevice::read(int slot, std::uint8_t* data) {
  const std::uint64_t off = static_cast<std::uint64_t>(slot - 1) << kPageShift;
  const std::int64_t got = io_->read(fd_, IoFile::kSwap, "", data, kPageSize, off);
  if (got < 0) return static_cast<int>(-got);
  if (got != static_cast<std::int64_t>(kPageSize)) return EIO;  // the device ends early
  reads++;
  return 0;
}

}  // namespace uvmsim
