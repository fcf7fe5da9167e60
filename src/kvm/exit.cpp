#include "kvm/exit.h"

#include <fmt/format.h>

namespace uvmsim::kvm {
namespace {

struct Describe {
  std::string operator()(const PageFault& p) const {
    return fmt::format("page fault at {:#x} error {:#x} rip {:#x}", p.cr2, p.error_code, p.rip);
  }
  std::string operator()(const Exception& e) const {
    return fmt::format("exception vector {} error {:#x} rip {:#x} cs {:#x} (ring {})", e.vector,
                       e.error_code, e.rip, e.cs, e.cs & 3);
  }
  std::string operator()(const Done& d) const { return fmt::format("done ({:#x})", d.value); }
  std::string operator()(const Ring0Done&) const { return "ring-0 helper done"; }
  std::string operator()(const Mmio& m) const {
    return fmt::format("MMIO {} of {} bytes at gpa {:#x} (no memslot there)",
                       m.is_write ? "write" : "read", m.len, m.gpa);
  }
  std::string operator()(const Shutdown&) const {
    return "KVM_EXIT_SHUTDOWN (triple fault: the guest layout is broken)";
  }
  std::string operator()(const InternalError& e) const {
    std::string s = fmt::format("KVM_EXIT_INTERNAL_ERROR suberror {}", e.suberror);
    if (e.suberror == 1) s += " (emulation failure)";
    for (auto d : e.data) s += fmt::format(" {:#x}", d);
    return s;
  }
  std::string operator()(const FailEntry& f) const {
    return fmt::format("KVM_EXIT_FAIL_ENTRY hardware reason {:#x}", f.reason);
  }
  std::string operator()(const Interrupted&) const { return "KVM_RUN interrupted (EINTR)"; }
  std::string operator()(const OtherExit& o) const {
    return fmt::format("unexpected exit reason {} at rip {:#x}", o.reason, o.rip);
  }
};

}  // namespace

std::string to_string(const Exit& e) { return std::visit(Describe{}, e); }

}  // namespace uvmsim::kvm
