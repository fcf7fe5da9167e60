#include "kvm/error.h"

#include <cstring>
#include <string>

#include <fmt/format.h>

namespace uvmsim::kvm {
namespace {

const char* errno_symbol(int err) {
  switch (err) {
#define E(x) case x: return #x;
    E(EPERM) E(ENOENT) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(EBADF) E(EAGAIN) E(ENOMEM)
    E(EACCES) E(EFAULT) E(EBUSY) E(EEXIST) E(ENODEV) E(EINVAL) E(EMFILE) E(ENFILE)
    E(ENOSPC) E(ERANGE) E(ENOSYS) E(EOPNOTSUPP) E(ENOTTY)
#undef E
    default: return "errno";
  }
}

}  // namespace

Status sys_error(std::string_view what, int err) { return sys_error(what, "", err); }

Status sys_error(std::string_view what, std::string_view context, int err) {
  std::string msg = context.empty()
                        ? fmt::format("{}: {} ({})", what, errno_symbol(err), std::strerror(err))
                        : fmt::format("{} ({}): {} ({})", what, context, errno_symbol(err),
                                      std::strerror(err));
  return Status(absl::ErrnoToStatusCode(err), msg);
}

}  // namespace uvmsim::kvm
