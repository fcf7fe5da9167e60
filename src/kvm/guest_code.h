// uvmsim::kvm: the guest code assembled from guest_code.S, as byte ranges
// the host copies into guest frames, and the offsets of its entry points.
#pragma once

#include <cstdint>
#include <span>

namespace uvmsim::kvm::guest_code {

// Ring-0 code: 256 one-byte hlt stubs at offset v for vector v, then helpers.
std::span<const std::uint8_t> ring0();
// Ring-3 access routines.
std::span<const std::uint8_t> ring3();

// Offsets inside ring0().
std::uint64_t r0_invlpg();       // rdi = VA array, rsi = count
std::uint64_t r0_cr3_reload();
std::uint64_t r0_store();        // rdi = VA, rsi = value
std::uint64_t r0_done();         // the hlt every helper ends on

// Offsets inside ring3(). All end with an MMIO write to (%r15).
std::uint64_t r3_copy();         // rsi = src, rdi = dst, rcx = n
std::uint64_t r3_fill();         // rdi = dst, al = byte, rcx = n
std::uint64_t r3_fnv1a();        // rsi = src, rcx = n, rax = state, r8 = prime
std::uint64_t r3_touch_read();   // rsi = r10 = addr, rcx = r11 = count, rdx = stride, r9 = passes
std::uint64_t r3_touch_write();  // rsi = addr, rcx = count, rdx = stride, al = byte
std::uint64_t r3_spin();         // rcx = iterations

}  // namespace uvmsim::kvm::guest_code
