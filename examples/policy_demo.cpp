// policy_demo: a page-replacement policy of one's own (include/uvmsim/policy.h).
//
// "clean-first" evicts pages that are clean (their data is already in swap or
// in their file, so freeing them costs no write) before dirty ones, oldest
// first; then falls back to FIFO. The same workload runs under NetBSD's
// clock and under clean-first, and the counters say how many pages each one
// wrote to swap.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "uvmsim/machine.h"
#include "uvmsim/policy.h"
#include "uvmsim/process.h"

using namespace uvmsim;

namespace {

class CleanFirstPolicy final : public ReplacementPolicy {
 public:
  std::string_view name() const override { return "clean-first"; }

  void run(PagedaemonOps& ops) override {
    // Pass 1: clean pages, inactive queue then active, oldest first.
    for (PageQueueId q : {PageQueueId::kInactive, PageQueueId::kActive}) {
      std::uint64_t budget = ops.queue_length(q);
      std::uint32_t pg = ops.first(q);
      while (pg != PagedaemonOps::kNone && budget-- > 0 && !enough(ops)) {
        std::uint32_t next = ops.next(pg);
        if (!ops.dirty(pg)) ops.evict(pg);
        // Eviction may take neighbours along: restart if `next` left the queue.
        if (next != PagedaemonOps::kNone && !ops.on_queue(next, q)) next = ops.first(q);
        pg = next;
      }
    }
    // Pass 2: anything, oldest first (dirty pages are written to swap).
    std::uint64_t failures = 0;
    while (!enough(ops)) {
      std::uint32_t pg = ops.first(PageQueueId::kInactive);
      if (pg == PagedaemonOps::kNone) pg = ops.first(PageQueueId::kActive);
      if (pg == PagedaemonOps::kNone) break;
      if (!ops.evict(pg)) {
        ops.activate(pg);  // busy, wired or loaned: to the tail
        if (++failures > ops.queue_length(PageQueueId::kActive) +
                             ops.queue_length(PageQueueId::kInactive))
          break;
      }
    }
  }

 private:
  static bool enough(PagedaemonOps& ops) { return ops.free_pages() >= ops.free_target(); }
};

// 4 MiB of memory, a 6 MiB working set written once, then read back twice:
// the page daemon must page out, and pages read back from swap are clean.
int workload(std::unique_ptr<ReplacementPolicy> policy) {
  auto created = Machine::Create({.mem_bytes = 4 << 20, .swap_bytes = 16 << 20,
                                  .backend = Backend::kSoft});
  if (!created.ok()) {
    std::fprintf(stderr, "policy_demo: %s\n", created.status().ToString().c_str());
    return 1;
  }
  Machine& m = **created;
  if (policy) m.set_replacement_policy(std::move(policy));

  constexpr vaddr_t kBase = 0x10000000;
  constexpr vsize_t kLen = 6 << 20;
  auto ran = [](const StatusOr<AccessResult>& r) { return r.ok() && r->ok(); };
  Process* p = *m.spawn("p");
  if (!p->mmap(kBase, kLen, kProtRead | kProtWrite, Sharing::kPrivate).ok()) return 1;
  if (!ran(p->fill(kBase, kLen, 0x5a))) return 1;
  for (int pass = 0; pass < 2; pass++)
    if (!ran(p->sum(kBase, kLen))) return 1;

  const UvmExp s = m.stats();
  std::printf("%-11s pages written to swap %5llu, read from swap %5llu, freed %5llu, check %s\n",
              std::string(m.replacement_policy()).c_str(),
              static_cast<unsigned long long>(s.pgswapout),
              static_cast<unsigned long long>(s.pgswapin),
              static_cast<unsigned long long>(s.pdfreed), m.check().ok() ? "ok" : "FAILED");
  return 0;
}

}  // namespace

int main() {
  if (int rc = workload(nullptr); rc != 0) return rc;  // the default: clock
  return workload(std::make_unique<CleanFirstPolicy>());
}
