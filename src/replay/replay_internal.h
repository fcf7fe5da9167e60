// Shared between the replay drivers and the miss-ratio curve.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "uvmsim/replay.h"

namespace uvmsim::replay_impl {

Status validate(const ReplayConfig& c);
// The policy a textbook replay runs ("clock" is second-chance; "opt" needs
// next_use).
StatusOr<std::unique_ptr<ReplacementPolicy>> textbook_policy(const ReplayConfig& c,
                                                             const std::vector<std::uint32_t>* next_use);
// Replay a loaded trace; next_use shared by the points of a curve (OPT).
StatusOr<ReplayResult> replay_loaded(const LoadedTrace& trace, const ReplayConfig& c,
                                     const std::vector<std::uint32_t>* next_use);

}  // namespace uvmsim::replay_impl
