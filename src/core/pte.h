// x86-64 page-table entry format, used by both pmaps: the soft pmap's tables
// are walked by the software MMU, the kvm pmap's by the real CPU.
#pragma once

#include <cstdint>

namespace uvmsim {

inline constexpr std::uint64_t PTE_P = 1ull << 0;    // present
inline constexpr std::uint64_t PTE_W = 1ull << 1;    // writable
inline constexpr std::uint64_t PTE_U = 1ull << 2;    // user
inline constexpr std::uint64_t PTE_A = 1ull << 5;    // accessed (set by the MMU)
inline constexpr std::uint64_t PTE_D = 1ull << 6;    // dirty (set by the MMU)
inline constexpr std::uint64_t PTE_PS = 1ull << 7;   // large page (not used by the model)
inline constexpr std::uint64_t PTE_WIRED = 1ull << 9;  // software bit: wired mapping
inline constexpr std::uint64_t PTE_NX = 1ull << 63;  // no execute
inline constexpr std::uint64_t PTE_FRAME = 0x000ffffffffff000ull;

// Page-fault error code bits, as the CPU pushes them.
inline constexpr std::uint32_t PGEX_P = 0x01;  // protection violation (else not present)
inline constexpr std::uint32_t PGEX_W = 0x02;  // write access
inline constexpr std::uint32_t PGEX_U = 0x04;  // user mode
inline constexpr std::uint32_t PGEX_RSVD = 0x08;
inline constexpr std::uint32_t PGEX_I = 0x10;  // instruction fetch

inline constexpr int pt_index(std::uint64_t va, int level) {  // level 4..1
  return static_cast<int>((va >> (12 + 9 * (level - 1))) & 511);
}

}  // namespace uvmsim
