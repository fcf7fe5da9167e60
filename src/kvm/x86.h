// uvmsim::kvm: x86-64 architectural constants used by the guest layout and
// by the pmap (paging bits, selectors, control-register values).
#pragma once

#include <cstdint>

namespace uvmsim::kvm::x86 {

// Page-table entry bits (all four levels; PS only in PDPTE/PDE).
inline constexpr std::uint64_t kPteP = 1ull << 0;     // present
inline constexpr std::uint64_t kPteW = 1ull << 1;     // writable
inline constexpr std::uint64_t kPteU = 1ull << 2;     // user-accessible
inline constexpr std::uint64_t kPtePwt = 1ull << 3;
inline constexpr std::uint64_t kPtePcd = 1ull << 4;
inline constexpr std::uint64_t kPteA = 1ull << 5;     // accessed (set by the MMU)
inline constexpr std::uint64_t kPteD = 1ull << 6;     // dirty (set by the MMU, leaf only)
inline constexpr std::uint64_t kPtePs = 1ull << 7;    // 2 MiB page in a PDE
inline constexpr std::uint64_t kPteG = 1ull << 8;     // global
inline constexpr std::uint64_t kPteNx = 1ull << 63;   // no-execute (EFER.NXE is set)
inline constexpr std::uint64_t kPteAddrMask = 0x000ffffffffff000ull;

// Index of `va` in the table at `level` (4 = PML4 ... 1 = PT).
constexpr unsigned pt_index(std::uint64_t va, int level) {
  return static_cast<unsigned>((va >> (12 + 9 * (level - 1))) & 511);
}
// The canonical address whose PML4 index is `slot` (sign-extended).
constexpr std::uint64_t pml4_slot_base(unsigned slot) {
  std::uint64_t a = static_cast<std::uint64_t>(slot) << 39;
  return (a & (1ull << 47)) ? (a | 0xffff000000000000ull) : a;
}

// #PF error code bits.
inline constexpr std::uint64_t kPfPresent = 1 << 0;
inline constexpr std::uint64_t kPfWrite = 1 << 1;
inline constexpr std::uint64_t kPfUser = 1 << 2;
inline constexpr std::uint64_t kPfRsvd = 1 << 3;
inline constexpr std::uint64_t kPfFetch = 1 << 4;

// Exception vectors.
inline constexpr unsigned kVecDE = 0, kVecUD = 6, kVecDF = 8, kVecGP = 13, kVecPF = 14;
// Vectors for which the CPU pushes an error code.
constexpr bool vector_has_error_code(unsigned v) {
  return v == 8 || v == 10 || v == 11 || v == 12 || v == 13 || v == 14 || v == 17 ||
         v == 21 || v == 29 || v == 30;
}

// GDT selectors (see guest_layout.cpp for the descriptors).
inline constexpr std::uint16_t kSelKernelCode = 0x08;
inline constexpr std::uint16_t kSelKernelData = 0x10;
inline constexpr std::uint16_t kSelUserData = 0x18;  // DPL 3
inline constexpr std::uint16_t kSelUserCode = 0x20;  // DPL 3, 64-bit
inline constexpr std::uint16_t kSelTss = 0x28;       // 16-byte system descriptor

// Control registers for a 64-bit paged guest.
inline constexpr std::uint64_t kCr0 = 0x80050033;  // PE|MP|ET|NE|WP|AM|PG
inline constexpr std::uint64_t kCr4Pae = 1ull << 5;
inline constexpr std::uint64_t kEferSce = 1ull << 0, kEferLme = 1ull << 8,
                               kEferLma = 1ull << 10, kEferNxe = 1ull << 11;
inline constexpr std::uint64_t kRflagsRing3 = 0x202;  // IF | reserved bit 1

}  // namespace uvmsim::kvm::x86
