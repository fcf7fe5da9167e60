#include "uvmsim/status.h"

#include <cerrno>
#include <string>

#include "absl/strings/cord.h"

namespace uvmsim {

namespace {
constexpr char kErrnoUrl[] = "uvmsim/errno";

absl::StatusCode code_for(int err) {
  switch (err) {
    case EINVAL: return absl::StatusCode::kInvalidArgument;
    case ENOMEM: return absl::StatusCode::kResourceExhausted;
    case EACCES: return absl::StatusCode::kPermissionDenied;
    case EAGAIN: return absl::StatusCode::kUnavailable;
    case EBUSY: return absl::StatusCode::kFailedPrecondition;
    case EFAULT: return absl::StatusCode::kOutOfRange;
    case ENOENT: return absl::StatusCode::kNotFound;
    case ENOSPC: return absl::StatusCode::kResourceExhausted;
    case EEXIST: return absl::StatusCode::kAlreadyExists;
    case EFBIG: return absl::StatusCode::kResourceExhausted;
    case EOPNOTSUPP: return absl::StatusCode::kUnimplemented;
    default: return absl::StatusCode::kInternal;
  }
}
}  // namespace

Status errno_status(int err, std::string_view message) {
  Status s(code_for(err), absl::string_view(message.data(), message.size()));
  s.SetPayload(kErrnoUrl, absl::Cord(std::to_string(err)));
  return s;
}

int errno_of(const Status& s) {
  if (s.ok()) return 0;
  if (auto p = s.GetPayload(kErrnoUrl)) return std::stoi(std::string(*p));
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument: return EINVAL;
    case absl::StatusCode::kResourceExhausted: return ENOMEM;
    case absl::StatusCode::kPermissionDenied: return EACCES;
    case absl::StatusCode::kUnavailable: return EAGAIN;
    case absl::StatusCode::kNotFound: return ENOENT;
    case absl::StatusCode::kOutOfRange: return EFAULT;
    default: return EIO;
  }
}

std::string_view errno_name(int err) {
  switch (err) {
    case 0: return "OK";
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EAGAIN: return "EAGAIN";
    case EBUSY: return "EBUSY";
    case EFAULT: return "EFAULT";
    case ENOENT: return "ENOENT";
    case ENOSPC: return "ENOSPC";
    case EEXIST: return "EEXIST";
    case EFBIG: return "EFBIG";
    case EIO: return "EIO";
    case E2BIG: return "E2BIG";
    case EPERM: return "EPERM";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    default: return "EUNKNOWN";
  }
}

}  // namespace uvmsim
