// replay(): the drivers. A streaming textbook replay keeps only the page ->
// dense id table and the frames; OPT and the miss-ratio curve load the
// trace first (load_trace).
#include <cerrno>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "fmt/format.h"
#include "replay/opt_policy.h"
#include "replay/replay_internal.h"
#include "replay/textbook_memory.h"
#include "replay/uvm_replay.h"

namespace uvmsim {

using replay_impl::TextbookMemory;

namespace {

constexpr std::size_t kBatch = 1 << 16;
constexpr std::uint64_t kProgressEvery = 1 << 20;

// Page number -> dense id, with a one-entry cache: consecutive accesses to
// the same page are the rule in instruction-level traces.
class PageIds {
 public:
  std::uint32_t id(std::uint64_t page) {
    if (page == last_page_) return last_id_;
    auto [it, fresh] = ids_.try_emplace(page, static_cast<std::uint32_t>(ids_.size()));
    last_page_ = page;
    last_id_ = it->second;
    return last_id_;
  }
  std::size_t size() const { return ids_.size(); }

 private:
  absl::flat_hash_map<std::uint64_t, std::uint32_t> ids_;
  std::uint64_t last_page_ = ~0ull;
  std::uint32_t last_id_ = 0;
};

constexpr std::uint64_t kMaxPages = 1ull << 31;

Status broken_policy(const ReplayConfig& c, std::uint64_t at) {
  return errno_status(EIO, fmt::format("policy \"{}\" freed no frame at the miss of access {}", c.policy, at));
}

// The textbook run's figures, as both replays report them.
void textbook_counts(const ReplayConfig& c, const ReplacementPolicy& policy, const TextbookMemory& mem,
                     ReplayResult* res) {
  res->policy = c.make_policy ? std::string(policy.name()) : c.policy;
  res->frames = c.frames;
  res->accesses = mem.accesses;
  res->faults = mem.faults;
  res->hits = mem.hits;
  res->evictions = mem.evictions;
  res->writebacks = mem.writebacks;
}

}  // namespace

namespace replay_impl {

Status validate(const ReplayConfig& c) {
  if (c.mode == ReplayMode::kTextbook) {
    if (c.frames == 0 || c.frames >= (1ull << 31))
      return errno_status(EINVAL, fmt::format("frames must be between 1 and 2^31-1 (got {})", c.frames));
  } else if (c.policy == "opt" && !c.make_policy) {
    return errno_status(EINVAL, "policy \"opt\" needs the future: it runs in --mode textbook only");
  }
  return absl::OkStatus();
}

StatusOr<std::unique_ptr<ReplacementPolicy>> textbook_policy(const ReplayConfig& c,
                                                             const std::vector<std::uint32_t>* next_use) {
  if (c.make_policy) {
    auto p = c.make_policy();
    if (!p) return errno_status(EINVAL, "ReplayConfig::make_policy returned no policy");
    return p;
  }
  if (c.policy == "opt") {
    if (!next_use) return errno_status(EINVAL, "policy \"opt\" needs the whole trace (load_trace)");
    return make_opt_policy(*next_use);
  }
  // The classical simulators' "clock" is the one-handed second chance;
  // NetBSD's two-queue clock is the uvm mode's.
  return make_replacement_policy(c.policy == "clock" ? "second-chance" : c.policy, c.policy_options);
}

StatusOr<ReplayResult> replay_loaded(const LoadedTrace& trace, const ReplayConfig& c,
                                     const std::vector<std::uint32_t>* next_use) {
  if (Status s = validate(c); !s.ok()) return s;
  ReplayResult res;
  res.mode = c.mode;
  res.skipped_lines = trace.skipped_lines;
  res.pages = trace.pages.size();
  if (c.mode == ReplayMode::kUvm) {
    auto u = UvmReplay::Create(c);
    if (!u.ok()) return u.status();
    for (std::size_t i = 0; i < trace.refs.size(); i++) {
      const std::uint32_t r = trace.refs[i];
      if (Status s = (*u)->access(trace.pages[r >> 1], r & 1); !s.ok()) return s;
      if (c.progress && (i + 1) % kProgressEvery == 0) c.progress(i + 1);
    }
    ReplayResult out = (*u)->finish(c);
    out.skipped_lines = res.skipped_lines;
    out.pages = res.pages;
    return out;
  }
  std::vector<std::uint32_t> own_next;
  if (c.policy == "opt" && !c.make_policy && !next_use) {
    own_next = compute_next_use(trace.refs, trace.pages.size());
    next_use = &own_next;
  }
  auto policy = textbook_policy(c, next_use);
  if (!policy.ok()) return policy.status();
  TextbookMemory mem(**policy, c.frames);
  for (std::size_t i = 0; i < trace.refs.size(); i++) {
    const std::uint32_t r = trace.refs[i];
    if (!mem.access(r >> 1, trace.pages[r >> 1], r & 1)) return broken_policy(c, i + 1);
    if (c.progress && (i + 1) % kProgressEvery == 0) c.progress(i + 1);
  }
  textbook_counts(c, **policy, mem, &res);
  return res;
}

}  // namespace replay_impl

StatusOr<LoadedTrace> load_trace(TraceReader& trace) {
  LoadedTrace t;
  PageIds ids;
  std::vector<TraceAccess> buf(kBatch);
  for (;;) {
    auto n = trace.read(buf.data(), buf.size());
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    for (std::size_t i = 0; i < *n; i++) {
      const std::uint32_t id = ids.id(buf[i].page());
      if (id == t.pages.size()) {
        if (t.pages.size() >= kMaxPages) return errno_status(ENOMEM, "more than 2^31 distinct pages in the trace");
        t.pages.push_back(buf[i].page());
      }
      t.refs.push_back(id << 1 | (buf[i].write() ? 1u : 0u));
    }
    if (t.refs.size() >= (1ull << 32) - 1)
      return errno_status(ENOMEM, "the trace has more than 2^32-1 accesses: too long to hold in memory");
  }
  t.skipped_lines = trace.skipped_lines();
  return t;
}

StatusOr<ReplayResult> replay(const LoadedTrace& trace, const ReplayConfig& config) {
  return replay_impl::replay_loaded(trace, config, nullptr);
}

StatusOr<ReplayResult> replay(TraceReader& trace, const ReplayConfig& c) {
  if (Status s = replay_impl::validate(c); !s.ok()) return s;
  if (c.policy == "opt" && !c.make_policy) {
    // OPT reads ahead: hold the trace (a pipe cannot be read twice).
    auto loaded = load_trace(trace);
    if (!loaded.ok()) return loaded.status();
    return replay(*loaded, c);
  }
  std::vector<TraceAccess> buf(kBatch);
  std::uint64_t done = 0, next_progress = kProgressEvery;
  if (c.mode == ReplayMode::kUvm) {
    auto u = replay_impl::UvmReplay::Create(c);
    if (!u.ok()) return u.status();
    absl::flat_hash_set<std::uint64_t> seen;  // distinct pages
    std::uint64_t last = ~0ull;
    for (;;) {
      auto n = trace.read(buf.data(), buf.size());
      if (!n.ok()) return n.status();
      if (*n == 0) break;
      for (std::size_t i = 0; i < *n; i++) {
        const std::uint64_t page = buf[i].page();
        if (page != last) seen.insert(page), last = page;
        if (Status s = (*u)->access(page, buf[i].write()); !s.ok()) return s;
      }
      done += *n;
      if (c.progress && done >= next_progress) c.progress(done), next_progress = done + kProgressEvery;
    }
    ReplayResult res = (*u)->finish(c);
    res.pages = seen.size();
    res.skipped_lines = trace.skipped_lines();
    return res;
  }
  auto policy = replay_impl::textbook_policy(c, nullptr);
  if (!policy.ok()) return policy.status();
  TextbookMemory mem(**policy, c.frames);
  PageIds ids;
  for (;;) {
    auto n = trace.read(buf.data(), buf.size());
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    for (std::size_t i = 0; i < *n; i++) {
      const std::uint64_t page = buf[i].page();
      if (!mem.access(ids.id(page), page, buf[i].write())) return broken_policy(c, done + i + 1);
    }
    if (ids.size() >= kMaxPages) return errno_status(ENOMEM, "more than 2^31 distinct pages in the trace");
    done += *n;
    if (c.progress && done >= next_progress) c.progress(done), next_progress = done + kProgressEvery;
  }
  ReplayResult res;
  res.mode = c.mode;
  textbook_counts(c, **policy, mem, &res);
  res.pages = ids.size();
  res.skipped_lines = trace.skipped_lines();
  return res;
}

}  // namespace uvmsim
