// Factories of the shipped policies (one file each); make_replacement_policy
// (registry.cpp) is the public door.
#pragma once

#include <cstdint>
#include <memory>

#include "uvmsim/policy.h"

namespace uvmsim::policies {

std::unique_ptr<ReplacementPolicy> make_second_chance_policy();
std::unique_ptr<ReplacementPolicy> make_lru_policy();
std::unique_ptr<ReplacementPolicy> make_random_policy(std::uint64_t seed);
std::unique_ptr<ReplacementPolicy> make_aging_policy(std::uint64_t interval);
std::unique_ptr<ReplacementPolicy> make_wsclock_policy(std::uint64_t tau);
std::unique_ptr<ReplacementPolicy> make_arc_policy();

}  // namespace uvmsim::policies
