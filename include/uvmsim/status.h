// uvmsim: errors.
//
// The public API returns absl::Status / absl::StatusOr<T>. Every error made by
// the VM model carries the errno a BSD kernel would return (EINVAL, ENOMEM,
// EACCES, ...) as a payload so that front ends (the scenario language) can
// print it exactly; errno_of() reads it back.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace uvmsim {

using absl::Status;
using absl::StatusOr;

// Make a status for errno `err` (EINVAL, ENOMEM, ...) with a message.
Status errno_status(int err, std::string_view message);

// The errno carried by `s` (0 for OK). A status without an errno payload is
// mapped from its code (InvalidArgument -> EINVAL, ResourceExhausted -> ENOMEM,
// PermissionDenied -> EACCES, ...; anything else -> EIO).
int errno_of(const Status& s);

// "EINVAL", "ENOMEM", ... for the errnos the model uses.
std::string_view errno_name(int err);

}  // namespace uvmsim
