// The eviction loop the list-based policies share, and the fallback for
// pages a policy does not know about.
#pragma once

#include <cstdint>

#include "uvmsim/policy.h"

namespace uvmsim::policies {

inline bool enough(const PagedaemonOps& ops) { return ops.free_pages() >= ops.free_target(); }

// Free pages in the order `pick()` proposes (PagedaemonOps::kNone: no more
// candidates) until the target is met. A page that cannot be freed now (uvm
// mode: busy, wired, lent, swap full) goes to `skip(frame)`, which must move
// it out of the way (e.g. to the tail of the policy's list); after more
// failures than `known()` pages the policy gives up on its own order.
// Successful evictions reach the policy through page_removed (the host calls
// it from inside ops.evict), which is where it unlinks the page.
template <typename Known, typename Pick, typename Skip>
void evict_in_order(PagedaemonOps& ops, Known known, Pick pick, Skip skip) {
  std::uint64_t failures = 0;
  while (!enough(ops)) {
    const std::uint32_t f = pick();
    if (f == PagedaemonOps::kNone) break;
    if (!ops.evict(f)) {
      skip(f);
      if (++failures > known()) break;
    }
  }
}

// Oldest first over the inactive then the active queue, for the pages a
// policy was never told about (a policy installed while pages were resident,
// a wrapper that forwards run() but not the hooks, pages that could not be
// freed in the policy's own order). This is the FIFO of the queues.
void evict_from_queues(PagedaemonOps& ops);

// A 64-bit pseudo-random generator (splitmix64): small, fast, and exactly
// reproducible from its seed, so random policies give the same run twice.
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
};

}  // namespace uvmsim::policies
