// The policy interface on the UVM model: every shipped policy pages a
// workload out and back correctly, the hooks report pages with their
// identity (inserted, referenced, evicted or freed), the tick comes once
// per daemon pass, and names are checked.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "helpers.h"

namespace uvmsim::test {
namespace {

constexpr vaddr_t kBase = 0x10000000;

// Records every hook call and evicts oldest-inserted first.
class RecordingPolicy final : public ReplacementPolicy {
 public:
  struct Log {
    std::vector<PageIdentity> inserted, referenced;
    std::vector<std::pair<PageIdentity, RemoveReason>> removed;
    int ticks = 0, runs = 0;
  };
  explicit RecordingPolicy(Log* log) : log_(log) {}
  std::string_view name() const override { return "recording"; }
  PolicyNeeds needs() const override { return {.references = true, .tick_every = 1}; }
  void page_inserted(const PageIdentity& pg) override {
    log_->inserted.push_back(pg);
    order_.push_back(pg.frame);
  }
  void page_referenced(const PageIdentity& pg) override { log_->referenced.push_back(pg); }
  void page_removed(const PageIdentity& pg, RemoveReason why) override {
    log_->removed.emplace_back(pg, why);
    std::erase(order_, pg.frame);
  }
  void tick(PagedaemonOps&) override { log_->ticks++; }
  void run(PagedaemonOps& ops) override {
    log_->runs++;
    std::size_t failures = 0;
    while (ops.free_pages() < ops.free_target() && !order_.empty() && failures <= order_.size()) {
      const std::uint32_t f = order_.front();
      if (!ops.evict(f)) {
        failures++;
        std::erase(order_, f);
        order_.push_back(f);
      }
    }
  }

 private:
  Log* log_;
  std::vector<std::uint32_t> order_;
};

TEST_CASE("every shipped policy pages a workload out and back on the model", "[policy][pagedaemon]") {
  for (const std::string& name : replacement_policy_names()) {
    INFO(name);
    MachineConfig cfg;
    cfg.mem_bytes = 1 << 20;  // 256 pages
    cfg.swap_bytes = 8 << 20;
    cfg.backend = test_backend();
    cfg.replacement = name;
    cfg.seed = 11;
    auto m = Machine::Create(cfg);
    REQUIRE(m.ok());
    CHECK((*m)->replacement_policy() == name);
    Process* p = spawn(**m, "p");
    const vsize_t len = 2 << 20;  // twice the memory
    REQUIRE_OK(p->mmap(kBase, len, RW, Sharing::kPrivate).status());
    for (vaddr_t off = 0; off < len; off += kPageSize) write_str(p, kBase + off, "pg" + std::to_string(off >> 12));
    // A hot set read again and again while the rest streams by.
    for (int round = 0; round < 3; round++)
      for (vaddr_t off = 0; off < len; off += kPageSize) {
        CHECK(read_str(p, kBase + (off % (64 * kPageSize)), 2) == "pg");
        CHECK(read_str(p, kBase + off, 2) == "pg");
      }
    for (vaddr_t off = 0; off < len; off += 37 * kPageSize) {
      const std::string want = "pg" + std::to_string(off >> 12);
      CHECK(read_str(p, kBase + off, want.size()) == want);
    }
    const UvmExp s = (*m)->stats();
    CHECK(s.pgswapout > 0);
    CHECK(s.pgswapin > 0);
    CHECK_INVARIANTS(**m);
  }
}

TEST_CASE("unknown policy names are errors", "[policy]") {
  MachineConfig cfg;
  cfg.backend = test_backend();
  cfg.replacement = "lru-2";
  auto m = Machine::Create(cfg);
  REQUIRE_FALSE(m.ok());
  CHECK(errno_of(m.status()) == EINVAL);
  CHECK(std::string(m.status().message()).find("unknown replacement policy \"lru-2\"") != std::string::npos);
  cfg.replacement = "opt";
  CHECK_FALSE(Machine::Create(cfg).ok());
  CHECK_FALSE(make_replacement_policy("").ok());
  for (const std::string& n : replacement_policy_names()) {
    auto p = make_replacement_policy(n);
    REQUIRE(p.ok());
    CHECK((*p)->name() == n);
  }
}

TEST_CASE("policy hooks: identity, references, evictions, frees and ticks", "[amap][policy][pagedaemon]") {
  RecordingPolicy::Log log;
  auto m = make_machine(1 << 20, true, 8 << 20);
  Process* p = spawn(*m, "p");
  // Pages resident before the policy comes are reported when it is installed.
  REQUIRE_OK(p->mmap(kBase, 4 * kPageSize, RW, Sharing::kPrivate).status());
  write_str(p, kBase, "early");
  m->set_replacement_policy(std::make_unique<RecordingPolicy>(&log));
  REQUIRE(log.inserted.size() == 1);
  CHECK(log.inserted[0].vaddr == kBase);
  CHECK(log.inserted[0].owner == PageOwner::kAnon);
  CHECK(log.inserted[0].anonymous);
  CHECK(log.inserted[0].space != 0);
  const std::uint32_t space = log.inserted[0].space;

  const vsize_t len = 2 << 20;
  REQUIRE_OK(p->mmap(kBase + (16 << 20), len, RW, Sharing::kPrivate).status());
  for (vaddr_t off = 0; off < len; off += kPageSize) write_str(p, kBase + (16 << 20) + off, "x");
  CHECK(log.runs > 0);
  CHECK(log.ticks == static_cast<int>(m->stats().pdwoke));
  // Every insertion names the page's mapping in this process, once per
  // residency; evictions come through page_removed with the same key.
  std::set<std::uint64_t> keys;
  for (const PageIdentity& id : log.inserted) {
    CHECK(id.space == space);
    CHECK(id.vaddr >= kBase);
    CHECK(id.frame != PageIdentity::kNoFrame);
    keys.insert(id.key);
  }
  std::size_t evicted = 0;
  for (const auto& [id, why] : log.removed) {
    CHECK(keys.contains(id.key));
    if (why == RemoveReason::kEvicted) evicted++;
  }
  CHECK(evicted > 0);
  CHECK(evicted <= m->stats().pdfreed);
  // The daemon samples reference bits for policies that ask: the pages just
  // written were referenced.
  CHECK_FALSE(log.referenced.empty());

  // A page paged out and back keeps its key (ghost lists need that).
  const std::uint64_t first_key = log.inserted[1].key;
  const vaddr_t first_va = log.inserted[1].vaddr;
  bool was_evicted = false;
  for (const auto& [id, why] : log.removed)
    if (id.key == first_key && why == RemoveReason::kEvicted) was_evicted = true;
  REQUIRE(was_evicted);
  const std::size_t before = log.inserted.size();
  CHECK(read_str(p, first_va, 1) == "x");
  bool back = false;
  for (std::size_t i = before; i < log.inserted.size(); i++)
    if (log.inserted[i].key == first_key && log.inserted[i].vaddr == first_va) back = true;
  CHECK(back);

  // munmap frees pages: removed as freed, not evicted.
  CHECK(read_str(p, kBase, 5) == "early");  // resident again if it was paged out
  const std::size_t removed_before = log.removed.size();
  REQUIRE_OK(p->munmap(kBase, 4 * kPageSize));
  REQUIRE(log.removed.size() == removed_before + 1);
  CHECK(log.removed.back().first.vaddr == kBase);
  CHECK(log.removed.back().second == RemoveReason::kFreed);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("policy hooks see file pages as vnode pages", "[policy][pagedaemon]") {
  RecordingPolicy::Log log;
  auto m = make_machine(1 << 20, true, 8 << 20);
  m->set_replacement_policy(std::make_unique<RecordingPolicy>(&log));
  REQUIRE_OK(m->create_file("f", 8 * kPageSize, 0x41));
  Process* p = spawn(*m, "p");
  REQUIRE_OK(p->mmap_file(kBase, 8 * kPageSize, RW, Sharing::kShared, "f", 0).status());
  CHECK(read_str(p, kBase + 3 * kPageSize, 1) == "A");
  bool seen = false;
  for (const PageIdentity& id : log.inserted)
    if (id.owner == PageOwner::kVnode && id.offset == 3 * kPageSize) {
      seen = true;
      CHECK_FALSE(id.anonymous);
    }
  CHECK(seen);
  CHECK_INVARIANTS(*m);
}

}  // namespace
}  // namespace uvmsim::test
