#include "kvm/guest_code.h"

extern "C" {
extern const std::uint8_t uvmsim_guest_ring0_begin[], uvmsim_guest_ring0_end[];
extern const std::uint8_t uvmsim_r0_invlpg[], uvmsim_r0_cr3_reload[], uvmsim_r0_store[],
    uvmsim_r0_done[];
extern const std::uint8_t uvmsim_guest_ring3_begin[], uvmsim_guest_ring3_end[];
extern const std::uint8_t uvmsim_r3_copy[], uvmsim_r3_fill[], uvmsim_r3_fnv1a[],
    uvmsim_r3_touch_read[], uvmsim_r3_touch_write[],
    uvmsim_r3_spin[];
}

namespace uvmsim::kvm::guest_code {
namespace {
std::uint64_t off0(const std::uint8_t* p) {
  return static_cast<std::uint64_t>(p - uvmsim_guest_ring0_begin);
}
std::uint64_t off3(const std::uint8_t* p) {
  return static_cast<std::uint64_t>(p - uvmsim_guest_ring3_begin);
}
}  // namespace

std::span<const std::uint8_t> ring0() {
  return {uvmsim_guest_ring0_begin, uvmsim_guest_ring0_end};
}
std::span<const std::uint8_t> ring3() {
  return {uvmsim_guest_ring3_begin, uvmsim_guest_ring3_end};
}
std::uint64_t r0_invlpg() { return off0(uvmsim_r0_invlpg); }
std::uint64_t r0_cr3_reload() { return off0(uvmsim_r0_cr3_reload); }
std::uint64_t r0_store() { return off0(uvmsim_r0_store); }
std::uint64_t r0_done() { return off0(uvmsim_r0_done); }
std::uint64_t r3_copy() { return off3(uvmsim_r3_copy); }
std::uint64_t r3_fill() { return off3(uvmsim_r3_fill); }
std::uint64_t r3_fnv1a() { return off3(uvmsim_r3_fnv1a); }
std::uint64_t r3_touch_read() { return off3(uvmsim_r3_touch_read); }
std::uint64_t r3_touch_write() { return off3(uvmsim_r3_touch_write); }
std::uint64_t r3_spin() { return off3(uvmsim_r3_spin); }

}  // namespace uvmsim::kvm::guest_code
