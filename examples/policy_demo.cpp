// policy_demo: page-replacement policies of one's own (include/uvmsim/policy.h).
//
// "clean-first" evicts pages that are clean (their data is already in swap or
// in their file, so freeing them costs no write) before dirty ones, oldest
// first; then falls back to FIFO. It works on the page queues alone.
//
// "lfu" uses the hooks: it counts each page's references (page_referenced),
// keeps the counts of evicted pages by their identity key (a ghost table, so
// a page that comes back keeps its history) and evicts the least used
// resident page. The same class runs on the UVM model and in the textbook
// trace replay (uvmsim/replay.h).
//
// The same workload runs under NetBSD's clock, clean-first and lfu, and the
// counters say how many pages each one wrote to swap; then a page string is
// replayed under lfu and the library's lru.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "uvmsim/machine.h"
#include "uvmsim/policy.h"
#include "uvmsim/process.h"
#include "uvmsim/replay.h"

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

class LfuPolicy final : public ReplacementPolicy {
 public:
  std::string_view name() const override { return "lfu"; }
  PolicyNeeds needs() const override { return {.references = true}; }
  void page_inserted(const PageIdentity& pg) override {
    auto ghost = history_.find(pg.key);
    resident_[pg.frame] = {pg.key, ghost == history_.end() ? 1 : ghost->second + 1};
    if (ghost != history_.end()) history_.erase(ghost);
  }
  void page_referenced(const PageIdentity& pg) override {
    auto it = resident_.find(pg.frame);
    if (it != resident_.end()) it->second.count++;
  }
  void page_removed(const PageIdentity& pg, RemoveReason why) override {
    auto it = resident_.find(pg.frame);
    if (it == resident_.end()) return;
    if (why == RemoveReason::kEvicted) history_[it->second.key] = it->second.count / 2;
    resident_.erase(it);
  }
  void run(PagedaemonOps& ops) override {
    std::uint64_t failures = 0;
    while (ops.free_pages() < ops.free_target() && failures < resident_.size()) {
      std::uint32_t victim = PagedaemonOps::kNone;
      std::uint64_t least = ~0ull;
      for (const auto& [frame, info] : resident_)
        if (info.count < least || (info.count == least && frame < victim)) victim = frame, least = info.count;
      if (victim == PagedaemonOps::kNone) break;
      if (!ops.evict(victim)) {
        resident_[victim].count += 1000;  // busy or wired: try the others first
        failures++;
      }
    }
  }

 private:
  struct Info {
    std::uint64_t key, count;
  };
  std::unordered_map<std::uint32_t, Info> resident_;  // by frame
  std::unordered_map<std::uint64_t, std::uint64_t> history_;  // by identity key
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

// A page string with a frequently used page among a scan: replayed in the
// textbook model (8 frames) under lfu and the library's lru.
int replay_demo() {
  std::string pages;
  for (int i = 0; i < 400; i++) pages += std::to_string(i % 3 == 0 ? 1 : 100 + i % 40) + "\n";
  for (const char* policy : {"lfu", "lru"}) {
    auto trace = TraceReader::FromString(pages, "demo", TraceFormat::kPages);
    ReplayConfig config{.policy = policy, .frames = 8};
    if (std::string_view(policy) == "lfu") config.make_policy = [] { return std::make_unique<LfuPolicy>(); };
    auto r = replay(*trace, config);
    if (!r.ok()) {
      std::fprintf(stderr, "policy_demo: %s\n", r.status().ToString().c_str());
      return 1;
    }
    std::printf("replay %-4s faults %llu of %llu accesses\n", r->policy.c_str(),
                static_cast<unsigned long long>(r->faults), static_cast<unsigned long long>(r->accesses));
  }
  return 0;
}

int main() {
  if (int rc = workload(nullptr); rc != 0) return rc;  // the default: clock
  if (int rc = workload(std::make_unique<CleanFirstPolicy>()); rc != 0) return rc;
  if (int rc = workload(std::make_unique<LfuPolicy>()); rc != 0) return rc;
  return replay_demo();
}
