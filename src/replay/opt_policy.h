// OPT (Belady's MIN): evict the page whose next use is farthest in the
// future. It needs the trace ahead: `next_use[i]` is the index of the next
// access to the page of access i (kNever if none). It counts the accesses
// itself from the hooks (one page_inserted or page_referenced per access in
// textbook mode), so it runs only in the textbook replay.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "uvmsim/policy.h"

namespace uvmsim::replay_impl {

inline constexpr std::uint32_t kNever = ~0u;

std::unique_ptr<ReplacementPolicy> make_opt_policy(const std::vector<std::uint32_t>& next_use);

// next_use for a trace of dense page ids (refs: id << 1 | write).
std::vector<std::uint32_t> compute_next_use(const std::vector<std::uint32_t>& refs, std::size_t npages);

}  // namespace uvmsim::replay_impl
