// The miss-ratio curve: Mattson's stack algorithm for LRU (one pass), one
// replay per point for every other policy, the points spread over threads.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <thread>

#include "fmt/format.h"
#include "replay/opt_policy.h"
#include "replay/replay_internal.h"

namespace uvmsim {

std::vector<std::uint64_t> lru_stack_faults(const LoadedTrace& trace, std::uint64_t max_frames) {
  // LRU is a stack algorithm (Mattson, Gecsei, Slutz and Traiger, 1970):
  // with c frames an access hits iff its stack distance — the number of
  // distinct pages used since the previous use of its page, plus one — is at
  // most c. The distance is counted with a Fenwick tree over access times in
  // which only each page's latest access is marked (Bennett and Kruskal).
  const std::size_t n = trace.refs.size();
  std::vector<std::uint32_t> tree(n + 1, 0);
  auto add = [&](std::size_t i, std::int32_t v) {
    for (i++; i <= n; i += i & (~i + 1)) tree[i] += static_cast<std::uint32_t>(v);
  };
  auto prefix = [&](std::size_t i) {  // marks at times <= i
    std::uint64_t s = 0;
    for (i++; i > 0; i -= i & (~i + 1)) s += tree[i];
    return s;
  };
  std::vector<std::uint32_t> last(trace.pages.size(), replay_impl::kNever);
  std::vector<std::uint64_t> hist(max_frames + 2, 0);  // [d]: distance d; [max+1]: beyond
  std::uint64_t cold = 0, distinct = 0;
  for (std::size_t t = 0; t < n; t++) {
    const std::uint32_t id = trace.refs[t] >> 1;
    if (last[id] == replay_impl::kNever) {
      cold++;
      distinct++;
    } else {
      const std::uint64_t d = distinct - prefix(last[id]) + 1;
      hist[std::min<std::uint64_t>(d, max_frames + 1)]++;
      add(last[id], -1);
    }
    add(t, 1);
    last[id] = static_cast<std::uint32_t>(t);
  }
  // faults(c) = cold misses + accesses with distance > c.
  std::vector<std::uint64_t> faults(max_frames + 1, 0);
  std::uint64_t beyond = hist[max_frames + 1];
  for (std::uint64_t c = max_frames; c >= 1; c--) {
    faults[c] = cold + beyond;
    beyond += hist[c];
  }
  return faults;
}

StatusOr<std::vector<MrcPoint>> miss_ratio_curve(const LoadedTrace& trace, const ReplayConfig& config,
                                                 MrcRange range, unsigned threads) {
  if (range.lo == 0 || range.hi < range.lo || range.step == 0)
    return errno_status(EINVAL, fmt::format("bad range {}:{}:{}: need 1 <= LO <= HI and STEP >= 1", range.lo,
                                            range.hi, range.step));
  const std::uint64_t npoints = (range.hi - range.lo) / range.step + 1;
  if (npoints > 100000) return errno_status(EINVAL, fmt::format("{} points: at most 100000", npoints));
  std::vector<MrcPoint> points(npoints);
  for (std::uint64_t i = 0; i < npoints; i++) points[i].frames = range.lo + i * range.step;
  ReplayConfig base = config;
  base.progress = nullptr;

  if (config.mode == ReplayMode::kTextbook && config.policy == "lru" && !config.make_policy) {
    if (range.hi >= (1ull << 31)) return errno_status(EINVAL, "frames must be below 2^31");
    const std::vector<std::uint64_t> faults = lru_stack_faults(trace, range.hi);
    for (MrcPoint& p : points) {
      p.result.mode = ReplayMode::kTextbook;
      p.result.policy = "lru";
      p.result.frames = p.frames;
      p.result.accesses = trace.refs.size();
      p.result.faults = faults[p.frames];
      p.result.hits = p.result.accesses - p.result.faults;
      p.result.pages = trace.pages.size();
      // Every fault beyond the first `frames` distinct pages evicts one.
      p.result.evictions = p.result.faults - std::min<std::uint64_t>(p.frames, trace.pages.size());
    }
    return points;
  }

  std::vector<std::uint32_t> next_use;
  if (config.mode == ReplayMode::kTextbook && config.policy == "opt" && !config.make_policy)
    next_use = replay_impl::compute_next_use(trace.refs, trace.pages.size());
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::uint64_t>(threads, npoints));
  std::atomic<std::uint64_t> next{0};
  std::vector<Status> errors(npoints);
  auto worker = [&] {
    for (std::uint64_t i; (i = next.fetch_add(1)) < npoints;) {
      ReplayConfig c = base;
      if (c.mode == ReplayMode::kTextbook) c.frames = points[i].frames;
      else c.mem_bytes = points[i].frames << 12;
      auto r = replay_impl::replay_loaded(trace, c, next_use.empty() ? nullptr : &next_use);
      if (r.ok()) points[i].result = std::move(*r);
      else errors[i] = r.status();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; t++) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  for (std::uint64_t i = 0; i < npoints; i++)
    if (!errors[i].ok())
      return errno_status(errno_of(errors[i]),
                          fmt::format("{} frames: {}", points[i].frames, std::string(errors[i].message())));
  return points;
}

}  // namespace uvmsim
