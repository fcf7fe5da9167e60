// uvmsim::kvm: why the guest stopped, decoded from kvm_run.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace uvmsim::kvm {

// A #PF taken in ring 3 (vector 14's hlt stub; frame read from the ring-0
// stack). rip/rsp/rflags are the interrupted ring-3 context.
struct PageFault {
  std::uint64_t cr2 = 0;
  std::uint64_t error_code = 0;  // x86::kPf* bits: 4 read-not-present, 6 write-not-present, 7 write-RO
  std::uint64_t rip = 0, rsp = 0, rflags = 0;
};
// Any other exception (or a #PF taken in ring 0): vector from the stub,
// context from the frame. error_code is 0 for vectors without one.
struct Exception {
  unsigned vector = 0;
  std::uint64_t error_code = 0;
  std::uint64_t rip = 0, cs = 0, rsp = 0, rflags = 0;
};
// A ring-3 routine finished: its MMIO write to the done page.
struct Done {
  std::uint64_t value = 0;
};
// A ring-0 helper reached its final hlt.
struct Ring0Done {};
// An MMIO access to a GPA with no memslot other than the done page.
struct Mmio {
  std::uint64_t gpa = 0;
  bool is_write = false;
  std::uint32_t len = 0;
  std::uint64_t data = 0;
};
struct Shutdown {};  // triple fault
struct InternalError {
  std::uint32_t suberror = 0;
  std::vector<std::uint64_t> data;
};
struct FailEntry {
  std::uint64_t reason = 0;
};
struct Interrupted {};  // KVM_RUN returned EINTR (signal or immediate_exit)
struct OtherExit {
  std::uint32_t reason = 0;
  std::uint64_t rip = 0;
};

using Exit = std::variant<PageFault, Exception, Done, Ring0Done, Mmio, Shutdown, InternalError,
                          FailEntry, Interrupted, OtherExit>;

// One line describing the exit ("page fault at 0x1000 error 0x6 rip ...").
std::string to_string(const Exit& e);

}  // namespace uvmsim::kvm
