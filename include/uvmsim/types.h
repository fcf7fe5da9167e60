// uvmsim: basic types shared by the public API and the model.
//
// Names follow NetBSD UVM (vaddr_t, voff_t, vm_prot_t, inheritance and
// advice values) so that code can be read next to the UVM sources.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace uvmsim {

using vaddr_t = std::uint64_t;  // virtual address in a simulated process
using paddr_t = std::uint64_t;  // (guest-)physical address of a page frame
using voff_t = std::uint64_t;   // offset inside a uvm_object
using vsize_t = std::uint64_t;

inline constexpr unsigned kPageShift = 12;
inline constexpr std::uint64_t kPageSize = 1ull << kPageShift;
inline constexpr std::uint64_t kPageMask = kPageSize - 1;

// The user part of every simulated address space: [kUserMin, kUserMax).
// The top of the canonical lower half is reserved (the kvm backend maps its
// ring-3 access code and the stub pages there); processes cannot map it.
inline constexpr vaddr_t kUserMin = 0x1000;
inline constexpr vaddr_t kUserMax = 0x00007f0000000000ull;

constexpr vaddr_t trunc_page(vaddr_t a) { return a & ~kPageMask; }
constexpr vaddr_t round_page(vaddr_t a) { return (a + kPageMask) & ~kPageMask; }
constexpr std::uint64_t atop(std::uint64_t a) { return a >> kPageShift; }
constexpr std::uint64_t ptoa(std::uint64_t p) { return p << kPageShift; }

// vm_prot_t
using Prot = std::uint8_t;
inline constexpr Prot kProtNone = 0;
inline constexpr Prot kProtRead = 1;
inline constexpr Prot kProtWrite = 2;
inline constexpr Prot kProtExec = 4;
inline constexpr Prot kProtAll = kProtRead | kProtWrite | kProtExec;

// What a memory access wants (the fault handler's access_type).
enum class Access : std::uint8_t { kRead, kWrite, kExec };
constexpr Prot access_prot(Access a) {
  return a == Access::kWrite ? kProtWrite : a == Access::kExec ? kProtExec : kProtRead;
}

// vm_inherit_t (MAP_INHERIT_*)
enum class Inherit : std::uint8_t { kShare, kCopy, kNone, kZero };

// Per-entry advice (UVM_ADV_*); it selects the fault-ahead window.
enum class Advice : std::uint8_t { kNormal, kRandom, kSequential };

// madvise(2) behaviours beyond the three entry advices.
enum class Madvise : std::uint8_t { kNormal, kRandom, kSequential, kWillNeed, kDontNeed, kFree };

enum class Sharing : std::uint8_t { kPrivate, kShared };

// Which MMU the machine drives.
enum class Backend : std::uint8_t { kAuto, kSoft, kKvm };

// How the machine keeps anonymous memory: UVM's amaps of anons, or the BSD
// VM's chains of shadow objects (FreeBSD vm_object).
enum class AnonModel : std::uint8_t { kAmap, kShadow };

std::string_view to_string(Inherit);
std::string_view to_string(Advice);
std::string_view to_string(Backend);
std::string_view to_string(AnonModel);
std::string prot_string(Prot);

}  // namespace uvmsim
