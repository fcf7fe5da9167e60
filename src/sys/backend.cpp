#include "sys/backend.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "core/soft_pmap.h"
#include "core/uvm.h"
#include "fmt/format.h"
#include "uvmsim/platform.h"

namespace uvmsim {

namespace {

void install_soft(Uvm& uvm) {
  uvm.backend = Backend::kSoft;
  auto pmaps = std::make_unique<SoftPmapFactory>();
  uvm.accessor = std::make_unique<SoftAccessor>(pmaps->soft_ptm());
  uvm.pmaps = std::move(pmaps);
}

bool quiet() {
  const char* q = std::getenv("UVMSIM_QUIET");
  return q != nullptr && *q != '\0' && std::strcmp(q, "0") != 0;
}

}  // namespace

Status install_backend(Uvm& uvm) {
  switch (uvm.config.backend) {
    case Backend::kSoft:
      install_soft(uvm);
      return absl::OkStatus();
    case Backend::kKvm:
    case Backend::kAuto: {
      auto parts = make_kvm_backend(uvm);
      if (parts.ok()) {
        uvm.backend = Backend::kKvm;
        uvm.pmaps = std::move(parts->pmaps);
        uvm.accessor = std::move(parts->accessor);
        return absl::OkStatus();
      }
      if (uvm.config.backend == Backend::kKvm) return parts.status();
      static std::once_flag noticed;
      std::call_once(noticed, [&] {
        if (!quiet())
          std::fprintf(stderr, "uvmsim: backend=auto: using the soft MMU (kvm: %s)\n",
                       std::string(parts.status().message()).c_str());
      });
      install_soft(uvm);
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError("machine: unknown backend");
}

bool kvm_usable(std::string* why) {
  std::string w;
  const bool ok = kvm_backend_usable(&w);
  if (why) *why = w;
  return ok;
}

std::string platform_report(int fault_samples) {
  std::string s = fmt::format("kvm backend: {}\n", kvm_backend_built() ? "built" : "not built");
  return s + kvm_platform_report(fault_samples);
}

#ifndef UVMSIM_HAVE_KVM
bool kvm_backend_built() { return false; }
StatusOr<BackendParts> make_kvm_backend(Uvm&) {
  return absl::FailedPreconditionError(
      "machine: backend=kvm: this uvmsim was built without the kvm backend (UVMSIM_WITH_KVM=OFF)");
}
bool kvm_backend_usable(std::string* why) {
  *why = "built without the kvm backend (UVMSIM_WITH_KVM=OFF)";
  return false;
}
std::string kvm_platform_report(int) { return "kvm: not built (UVMSIM_WITH_KVM=OFF)\n"; }
#endif

}  // namespace uvmsim
