#include "core/host_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace uvmsim {

// Every rule that matches the call counts it (so "after" counts calls, not
// calls no earlier rule took); the first rule whose turn it is decides.
int HostIo::take(IoOp op, IoFile file, std::string_view name) {
  int result = 0;
  for (Rule& r : rules_) {
    if (r.f.op != op || r.f.file != file) continue;
    if (!r.f.name.empty() && r.f.name != name) continue;
    const std::uint64_t k = r.seen++;
    if (result != 0 || k < r.f.after) continue;
    if (r.f.count != IoFault::kForever && k - r.f.after >= r.f.count) continue;
    result = r.f.error != 0 ? r.f.error : kShort;
  }
  if (result != 0) injected_++;
  return result;
}

namespace {

// A short transfer: half of n, at least one byte.
std::size_t shortened(std::size_t n) { return std::max<std::size_t>(1, n / 2); }

}  // namespace

int HostIo::write(int fd, IoFile file, std::string_view name, const void* buf, std::size_t n,
                  std::uint64_t off) {
  const auto* p = static_cast<const std::uint8_t*>(buf);
  std::size_t done = 0;
  while (done < n) {
    std::size_t want = n - done;
    if (const int f = take(IoOp::kWrite, file, name); f > 0) return f;
    else if (f == kShort) want = shortened(want);
    const ssize_t w = ::pwrite(fd, p + done, want, static_cast<off_t>(off + done));
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (w == 0) return EIO;  // no progress: treat as a device error
    done += static_cast<std::size_t>(w);
  }
  return 0;
}

int HostIo::writev(int fd, IoFile file, std::string_view name, std::vector<iovec>& iov, std::uint64_t off) {
  std::size_t first = 0;
  while (first < iov.size()) {
    int cnt = static_cast<int>(iov.size() - first);
    std::size_t restore = 0, cut = 0;  // a short transfer cuts the first iovec
    if (const int f = take(IoOp::kWrite, file, name); f > 0) return f;
    else if (f == kShort) {
      cnt = 1;
      restore = iov[first].iov_len;
      cut = shortened(restore);
      iov[first].iov_len = cut;
    }
    const ssize_t w = ::pwritev(fd, iov.data() + first, cnt, static_cast<off_t>(off));
    if (cut) iov[first].iov_len = restore;
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (w == 0) return EIO;
    off += static_cast<std::uint64_t>(w);
    auto left = static_cast<std::uint64_t>(w);
    while (first < iov.size() && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (first < iov.size()) {
      iov[first].iov_base = static_cast<std::uint8_t*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return 0;
}

std::int64_t HostIo::read(int fd, IoFile file, std::string_view name, void* buf, std::size_t n,
                          std::uint64_t off) {
  auto* p = static_cast<std::uint8_t*>(buf);
  std::size_t got = 0;
  while (got < n) {
    std::size_t want = n - got;
    if (const int f = take(IoOp::kRead, file, name); f > 0) return -f;
    else if (f == kShort) want = shortened(want);
    const ssize_t r = ::pread(fd, p + got, want, static_cast<off_t>(off + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (r == 0) break;  // end of the host file
    got += static_cast<std::size_t>(r);
  }
  return static_cast<std::int64_t>(got);
}

int HostIo::truncate(int fd, IoFile file, std::string_view name, std::uint64_t size) {
  if (const int f = take(IoOp::kTruncate, file, name); f != 0) return f > 0 ? f : EIO;
  while (::ftruncate(fd, static_cast<off_t>(size)) != 0)
    if (errno != EINTR) return errno;
  return 0;
}

int HostIo::allocate(int fd, IoFile file, std::string_view name, std::uint64_t size) {
  if (const int f = take(IoOp::kAllocate, file, name); f != 0) return f > 0 ? f : ENOSPC;
  if (size == 0) return 0;
  int err;
  while ((err = ::posix_fallocate(fd, 0, static_cast<off_t>(size))) == EINTR) {
  }
  return err;
}

}  // namespace uvmsim
