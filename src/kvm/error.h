// uvmsim::kvm: turning failed system calls and ioctls into Status values.
#pragma once

#include <string_view>

#include "uvmsim/status.h"

namespace uvmsim::kvm {

// A status for a failed call: "KVM_CREATE_VM: EINVAL (Invalid argument)"
// with the absl code that corresponds to `err` (ENOMEM -> ResourceExhausted,
// EINVAL -> InvalidArgument, ...). `what` names the ioctl or system call.
Status sys_error(std::string_view what, int err);
// Same, with extra context appended: "KVM_SET_USER_MEMORY_REGION (slot 3, gpa
// 0x1000): EEXIST (File exists)".
Status sys_error(std::string_view what, std::string_view context, int err);

}  // namespace uvmsim::kvm
