// The seam between the machine and its MMU backends. Core never includes a
// kvm header: the kvm backend (src/kvm/kvm_backend.cpp, compiled into the
// library when UVMSIM_WITH_KVM is ON) defines the kvm_* functions below;
// without it backend.cpp defines them as "not built".
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

// Installs the backend uvm.config.backend asks for into uvm (pmaps,
// accessor, backend). uvm.pm must exist (the kvm backend registers it as
// guest memory). kKvm that cannot run: FailedPrecondition naming the cause.
// kAuto: kvm when usable, else soft with a one-line notice on stderr (once
// per process; none when the environment has UVMSIM_QUIET=1).
Status install_backend(Uvm& uvm);

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
