#include "policies/evict_loop.h"

namespace uvmsim::policies {

void evict_from_queues(PagedaemonOps& ops) {
  std::uint64_t failures = 0;
  while (!enough(ops)) {
    const std::uint64_t total =
        ops.queue_length(PageQueueId::kInactive) + ops.queue_length(PageQueueId::kActive);
    if (failures > total) break;  // everything left is unevictable
    std::uint32_t pg = ops.first(PageQueueId::kInactive);
    if (pg == PagedaemonOps::kNone) pg = ops.first(PageQueueId::kActive);
    if (pg == PagedaemonOps::kNone) break;
    if (!ops.evict(pg)) {
      failures++;
      ops.activate(pg);  // to the tail: try the others first
    }
  }
}

}  // namespace uvmsim::policies
