// The seam between the machine and its MMU backends. Core never includes a
// kvm header: the kvm backend (src/kvm/kvm_backend.cpp, compiled into the
// library when UVMSIM_WITH_KVM is ON) defines the kvm_* functions below;
// without it sys/backend.cpp defines them as "not built". The choice between
// backends is the machine's (sys/backend.h).
#pragma once

#include <memory>
#include <string>

#include "core/pmap.h"
#include "core/vmspace.h"
#include "uvmsim/status.h"

namespace uvmsim {

struct Uvm;

// What a backend gives a machine.
struct BackendParts {
  std::unique_ptr<PmapFactory> pmaps;
  std::unique_ptr<MmuAccessor> accessor;
};

// ---- provided by the kvm backend when it is built ----
// Whether this library was built with the kvm backend.
bool kvm_backend_built();
// A kvm backend over uvm.pm: FailedPrecondition (with the cause: no
// /dev/kvm, permission, an ioctl that failed) when it cannot run here.
StatusOr<BackendParts> make_kvm_backend(Uvm& uvm);
// Whether a kvm machine can be created here (cheap after the first call);
// *why gets the cause when not.
bool kvm_backend_usable(std::string* why);
// The platform report (KVM present, flavour, capabilities, invalidation
// strategy and why, measured fault round trip).
std::string kvm_platform_report(int fault_samples);

}  // namespace uvmsim
