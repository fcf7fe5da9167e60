#include "cli/doctor.h"
#include "cli/scenario_session.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli/version.h"
#include "fmt/format.h"
#include "uvmsim/machine.h"
#include "uvmsim/platform.h"

namespace uvmsim::cli {

namespace {

constexpr const char* kKvmDevice = "/dev/kvm";

void report_kvm_device(std::ostream& out) {
  struct stat st;
  if (stat(kKvmDevice, &st) != 0) {
    out << fmt::format("{}: absent ({})\n", kKvmDevice, std::strerror(errno));
    return;
  }
  const int fd = open(kKvmDevice, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    out << fmt::format("{}: present, not openable read/write ({})\n", kKvmDevice,
                       std::strerror(errno));
    return;
  }
  const int version = ioctl(fd, KVM_GET_API_VERSION, 0);
  close(fd);
  out << fmt::format("{}: present, openable read/write\n", kKvmDevice);
  if (version < 0) out << fmt::format("KVM API version: unknown ({})\n", std::strerror(errno));
  else out << fmt::format("KVM API version: {}\n", version);
}

// Creates a smallest machine with `backend` and reports what it resolved to.
bool report_backend(std::ostream& out, Backend backend) {
  MachineConfig config;
  config.mem_bytes = 1 << 20;
  config.swap_bytes = 0;
  config.backend = backend;
  auto m = Machine::Create(config);
  if (!m.ok()) {
    out << fmt::format("backend {}: not usable: {}\n", to_string(backend), std::string(m.status().message()));
    return false;
  }
  if (backend == Backend::kAuto) {
    out << fmt::format("backend auto resolves to: {}\n", to_string((*m)->backend()));
    if ((*m)->backend() == Backend::kKvm) out << "  note: " << kKvmAutoNotice << '\n';
  } else
    out << fmt::format("backend {}: usable\n", to_string(backend));
  return true;
}

}  // namespace

int run_doctor(std::ostream& out) {
  out << fmt::format("uvmsim {} doctor\n", kVersion);
  out << fmt::format("host page size: {}\n", sysconf(_SC_PAGESIZE));
  report_kvm_device(out);
  const bool auto_ok = report_backend(out, Backend::kAuto);
  report_backend(out, Backend::kSoft);
  report_backend(out, Backend::kKvm);
  // The kvm platform: flavour, capabilities, invalidation strategy and why,
  // measured fault round trip.
  out << "\nkvm platform report:\n" << platform_report();
  return auto_ok ? 0 : 1;
}

}  // namespace uvmsim::cli
