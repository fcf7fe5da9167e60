// uvmsim: what this host offers the simulator (for `uvmsim doctor` and for
// programs that want to choose a backend themselves).
#pragma once

#include <string>

namespace uvmsim {

// Whether Backend::kKvm machines can be created here; *why (optional) gets
// the cause when not (built without kvm, no /dev/kvm, permission, an ioctl
// that failed).
bool kvm_usable(std::string* why = nullptr);

// A multi-line report: /dev/kvm present and usable, the KVM flavour (PVM,
// VMX, SVM) and its MMU, the relevant capabilities and guest CPU features,
// the invalidation self-test with the strategy chosen and why, and the
// measured #PF round trip (median of `fault_samples` faults; 0: skip). Takes
// a few milliseconds plus the measurement. Never fails: problems are in the
// text.
std::string platform_report(int fault_samples = 200);

}  // namespace uvmsim
