// Backend choice (the machine's MMU): soft or kvm, or kvm when usable
// (auto). The kvm backend's side of the seam is declared in core/backend.h.
#pragma once

#include "core/backend.h"
#include "uvmsim/status.h"

namespace uvmsim {

struct Uvm;

// Installs the backend uvm.config.backend asks for into uvm (pmaps,
// accessor, backend). uvm.pm must exist (the kvm backend registers it as
// guest memory). kKvm that cannot run: FailedPrecondition naming the cause.
// kAuto: kvm when usable, else soft with a one-line notice on stderr (once
// per process; none when the environment has UVMSIM_QUIET=1).
Status install_backend(Uvm& uvm);

}  // namespace uvmsim
