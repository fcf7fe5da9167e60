// bigmem_bench: a whole multi-GiB workload on the soft backend against the
// same work done by a real host process, side by side in one run.
//
// The workload, for a machine of M bytes (swap M/4):
//   p mmap 3M/4 rw private anon;  p fill 3M/4 0x5a        (fill)
//   p fork c                                               (fork)
//   c fill M/4 0x33                                        (cow: child writes)
//   p sum 3M/4;  c sum 3M/4                                (sums, FNV-1a)
// The host does the same in a real process: mmap, memset, fork, the child's
// memset, both FNV-1a sums (same function), the parent waiting for the child.
// The two must compute the same hashes (checked: a mismatch is an error).
//
// Before every run the benchmark touches and frees as much host memory as the
// run will use (warm_host_memory): on a virtualised host, memory the host
// kernel has not used for a while is handed back to the hypervisor, and its
// next first touch costs 20-40x more (measured on the reference host: 2.4-4.7
// s per GiB cold against 0.06-0.5 s warm). How much is cold depends on what
// ran before, not on the program measured, so without this the larger sizes
// pay it in some rounds and not in others, on either side.
//
// Each run is a child process of the benchmark, so its peak resident memory
// (wait4's ru_maxrss) is its own: for uvmsim that is the host memory the
// simulated machine costs, to compare with the simulated memory.
//
//   bigmem_bench [--sizes 1,2,4] [--reps N] [--json FILE]   (sizes in GiB)
//   bigmem_bench --mib 64,128 ...                           (sizes in MiB)
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "uvmsim/machine.h"
#include "uvmsim/process.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint64_t kBase = 0x10000000;
constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ull;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// What one run reports through its pipe to the benchmark.
struct Phases {
  double fill = 0, fork = 0, cow = 0, sum_parent = 0, sum_child = 0, whole = 0;
  std::uint64_t hash_parent = 0, hash_child = 0;
  int error = 0;  // nonzero: the run failed (the figures are meaningless)
};

std::uint64_t fnv1a(const std::uint8_t* p, std::uint64_t n) {
  std::uint64_t h = kFnvOffset;
  for (std::uint64_t i = 0; i < n; i++) h = (h ^ p[i]) * kFnvPrime;
  return h;
}

bool write_all(int fd, const void* buf, std::size_t n) {
  return ::write(fd, buf, n) == static_cast<ssize_t>(n);
}
bool read_all(int fd, void* buf, std::size_t n) {
  auto* p = static_cast<std::uint8_t*>(buf);
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

// ---- the host: the workload in real processes
Phases host_run(std::uint64_t mem) {
  Phases ph;
  const std::uint64_t len = mem / 4 * 3, cow = mem / 4;
  const auto t0 = Clock::now();
  auto* p = static_cast<std::uint8_t*>(
      ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (p == MAP_FAILED) return Phases{.error = 1};
  auto t = Clock::now();
  std::memset(p, 0x5a, len);
  ph.fill = since(t);
  // The child writes, then waits for the parent's sum before its own (the
  // scenario's order); it sends its figures back through `back`.
  int go[2], back[2];
  if (::pipe(go) != 0 || ::pipe(back) != 0) return Phases{.error = 1};
  t = Clock::now();
  pid_t c = ::fork();
  if (c < 0) return Phases{.error = 1};
  if (c == 0) {
    const auto tc = Clock::now();
    std::memset(p, 0x33, cow);
    double child[2] = {since(tc), 0};
    char x;
    if (!write_all(back[1], child, sizeof(double)) || !read_all(go[0], &x, 1)) ::_exit(1);
    const auto ts = Clock::now();
    std::uint64_t h = fnv1a(p, len);
    child[1] = since(ts);
    if (!write_all(back[1], &child[1], sizeof(double)) || !write_all(back[1], &h, sizeof h)) ::_exit(1);
    ::_exit(0);
  }
  ph.fork = since(t);
  if (!read_all(back[0], &ph.cow, sizeof(double))) return Phases{.error = 1};
  t = Clock::now();
  ph.hash_parent = fnv1a(p, len);
  ph.sum_parent = since(t);
  if (!write_all(go[1], "g", 1) || !read_all(back[0], &ph.sum_child, sizeof(double)) ||
      !read_all(back[0], &ph.hash_child, sizeof(std::uint64_t)))
    return Phases{.error = 1};
  int status = 0;
  ::waitpid(c, &status, 0);
  ::munmap(p, len);
  ph.whole = since(t0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ph.error = 1;
  return ph;
}

// ---- uvmsim: the same through the library, soft backend
Phases uvmsim_run(std::uint64_t mem) {
  using namespace uvmsim;
  Phases ph;
  const std::uint64_t len = mem / 4 * 3, cow = mem / 4;
  const auto t0 = Clock::now();
  MachineConfig cfg;
  cfg.mem_bytes = mem;
  cfg.swap_bytes = mem / 4;
  cfg.backend = Backend::kSoft;
  auto m = Machine::Create(cfg);
  if (!m.ok()) {
    std::fprintf(stderr, "bigmem_bench: %s\n", std::string(m.status().message()).c_str());
    return Phases{.error = 1};
  }
  auto p = (*m)->spawn("p");
  if (!p.ok() || !(*p)->mmap(kBase, len, kProtRead | kProtWrite, Sharing::kPrivate).ok())
    return Phases{.error = 1};
  auto ok = [](const StatusOr<AccessResult>& r) { return r.ok() && r->ok(); };
  auto t = Clock::now();
  if (!ok((*p)->fill(kBase, len, 0x5a))) return Phases{.error = 1};
  ph.fill = since(t);
  t = Clock::now();
  auto c = (*p)->fork("c");
  if (!c.ok()) return Phases{.error = 1};
  ph.fork = since(t);
  t = Clock::now();
  if (!ok((*c)->fill(kBase, cow, 0x33))) return Phases{.error = 1};
  ph.cow = since(t);
  t = Clock::now();
  auto hp = (*p)->sum(kBase, len);
  ph.sum_parent = since(t);
  t = Clock::now();
  auto hc = (*c)->sum(kBase, len);
  ph.sum_child = since(t);
  if (!ok(hp) || !ok(hc)) return Phases{.error = 1};
  ph.hash_parent = hp->hash;
  ph.hash_child = hc->hash;
  m->reset();
  ph.whole = since(t0);
  return ph;
}

// Touches bytes of fresh anonymous memory (huge pages where the host allows)
// and gives it back, so the run that follows gets memory the host kernel has
// just used (see the header).
void warm_host_memory(std::uint64_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return;  // a warm-up only: the run does without
  auto* b = static_cast<std::uint8_t*>(p);
#ifdef MADV_HUGEPAGE
  (void)::madvise(p, bytes, MADV_HUGEPAGE);
#endif
  for (std::uint64_t off = 0; off < bytes; off += 4096) b[off] = 1;
  ::munmap(p, bytes);
}

struct Sample {
  Phases ph;
  double maxrss_mib = 0;
};

// Runs fn in a child process; its phases come back through a pipe, its peak
// resident memory from wait4.
template <typename Fn>
Sample isolated(std::uint64_t mem, Fn fn) {
  Sample s;
  // The simulated memory or the host's mapping, the swap file's page cache
  // and the bookkeeping: mem + mem/4 + 64 MiB covers either side.
  warm_host_memory(mem + mem / 4 + (64ull << 20));
  int fds[2];
  if (::pipe(fds) != 0) return Sample{.ph = {.error = 1}};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    Phases ph = fn();
    ::_exit(write_all(fds[1], &ph, sizeof ph) ? 0 : 1);
  }
  ::close(fds[1]);
  if (pid < 0 || !read_all(fds[0], &s.ph, sizeof s.ph)) s.ph.error = 1;
  ::close(fds[0]);
  int status = 0;
  struct rusage ru {};
  if (pid > 0) ::wait4(pid, &status, 0, &ru);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) s.ph.error = 1;
  s.maxrss_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;
  return s;
}

std::vector<std::uint64_t> parse_sizes(const char* arg, std::uint64_t unit) {
  std::vector<std::uint64_t> out;
  std::string s(arg);
  std::size_t at = 0;
  while (at <= s.size()) {
    std::size_t comma = s.find(',', at);
    if (comma == std::string::npos) comma = s.size();
    const std::uint64_t v = std::strtoull(s.substr(at, comma - at).c_str(), nullptr, 10);
    if (v == 0) {
      std::fprintf(stderr, "bigmem_bench: bad size list '%s'\n", arg);
      std::exit(2);
    }
    out.push_back(v * unit);
    at = comma + 1;
  }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : (v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2);
}

std::string phases_json(const std::vector<Sample>& v) {
  auto col = [&](auto get) {
    std::string a = "[";
    for (std::size_t i = 0; i < v.size(); i++) a += fmt::format("{}{:.4f}", i ? ", " : "", get(v[i]));
    return a + "]";
  };
  return fmt::format(
      "{{\"fill\": {}, \"fork\": {}, \"cow\": {}, \"sum_parent\": {}, \"sum_child\": {}, \"whole\": {}, "
      "\"maxrss_mib\": {}}}",
      col([](const Sample& s) { return s.ph.fill; }), col([](const Sample& s) { return s.ph.fork; }),
      col([](const Sample& s) { return s.ph.cow; }), col([](const Sample& s) { return s.ph.sum_parent; }),
      col([](const Sample& s) { return s.ph.sum_child; }), col([](const Sample& s) { return s.ph.whole; }),
      col([](const Sample& s) { return s.maxrss_mib; }));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::uint64_t> sizes = {1ull << 30, 2ull << 30, 4ull << 30};
  int reps = 3;
  const char* json = nullptr;
  std::string only;  // "uvmsim": one uvmsim run in this process (for profilers)
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--sizes" && i + 1 < argc) sizes = parse_sizes(argv[++i], 1ull << 30);
    else if (a == "--mib" && i + 1 < argc) sizes = parse_sizes(argv[++i], 1ull << 20);
    else if (a == "--reps" && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
    else if (a == "--json" && i + 1 < argc) json = argv[++i];
    else if (a == "--only-uvmsim") only = "uvmsim";
    else {
      std::fprintf(stderr, "usage: bigmem_bench [--sizes GiB,...|--mib MiB,...] [--reps N] [--json FILE] [--only-uvmsim]\n");
      return 2;
    }
  }
  if (only == "uvmsim") {
    for (std::uint64_t mem : sizes) {
      Phases ph = uvmsim_run(mem);
      fmt::print("{:5} MiB uvmsim {:.2f} s (fill {:.2f} fork {:.3f} cow {:.2f} sums {:.2f}){}\n", mem >> 20, ph.whole,
                 ph.fill, ph.fork, ph.cow, ph.sum_parent + ph.sum_child, ph.error ? " FAILED" : "");
    }
    return 0;
  }
  // One unrecorded run of each side at the largest size first: the host's
  // first touch of memory it has never handed out costs far more than of
  // memory it has (on a virtualised host, several times), and without a
  // warm-up only the first measured runs would pay it.
  {
    const std::uint64_t mem = *std::max_element(sizes.begin(), sizes.end());
    if (isolated(mem, [&] { return host_run(mem); }).ph.error || isolated(mem, [&] { return uvmsim_run(mem); }).ph.error) {
      std::fprintf(stderr, "bigmem_bench: the warm-up run failed\n");
      return 1;
    }
  }
  std::vector<std::vector<Sample>> host(sizes.size()), sim(sizes.size());
  // Interleaved: every round runs each size once on each side, alternating
  // which side goes first, so drift of the host hits both alike.
  for (int r = 0; r < reps; r++) {
    for (std::size_t i = 0; i < sizes.size(); i++) {
      const std::uint64_t mem = sizes[i];
      Sample h, u;
      if ((r + static_cast<int>(i)) % 2 == 0) {
        h = isolated(mem, [&] { return host_run(mem); });
        u = isolated(mem, [&] { return uvmsim_run(mem); });
      } else {
        u = isolated(mem, [&] { return uvmsim_run(mem); });
        h = isolated(mem, [&] { return host_run(mem); });
      }
      if (h.ph.error || u.ph.error) {
        std::fprintf(stderr, "bigmem_bench: the %s run of %llu MiB failed\n", h.ph.error ? "host" : "uvmsim",
                     static_cast<unsigned long long>(mem >> 20));
        return 1;
      }
      if (h.ph.hash_parent != u.ph.hash_parent || h.ph.hash_child != u.ph.hash_child) {
        std::fprintf(stderr, "bigmem_bench: uvmsim's sums differ from the host's at %llu MiB\n",
                     static_cast<unsigned long long>(mem >> 20));
        return 1;
      }
      fmt::print("{:5} MiB round {}: host {:.2f} s  uvmsim {:.2f} s  (fill {:.2f}/{:.2f} fork {:.3f}/{:.3f} "
                 "cow {:.2f}/{:.2f} sums {:.2f}/{:.2f})  uvmsim rss {:.0f} MiB\n",
                 mem >> 20, r, h.ph.whole, u.ph.whole, h.ph.fill, u.ph.fill, h.ph.fork, u.ph.fork, h.ph.cow,
                 u.ph.cow, h.ph.sum_parent + h.ph.sum_child, u.ph.sum_parent + u.ph.sum_child, u.maxrss_mib);
      std::fflush(stdout);
      host[i].push_back(h);
      sim[i].push_back(u);
    }
  }
  for (std::size_t i = 0; i < sizes.size(); i++) {
    std::vector<double> ratio;
    for (int r = 0; r < reps; r++) ratio.push_back(sim[i][r].ph.whole / host[i][r].ph.whole);
    fmt::print("{:5} MiB: uvmsim/host whole {:.2f} (median of {} rounds)\n", sizes[i] >> 20, median(ratio), reps);
  }
  if (json) {
    std::string out = "{\"runs\": [";
    for (std::size_t i = 0; i < sizes.size(); i++)
      out += fmt::format("{}{{\"mem_mib\": {}, \"host\": {}, \"uvmsim\": {}}}", i ? ", " : "", sizes[i] >> 20,
                         phases_json(host[i]), phases_json(sim[i]));
    out += "]}\n";
    FILE* f = std::fopen(json, "w");
    if (!f || std::fputs(out.c_str(), f) < 0 || std::fclose(f) != 0) {
      std::fprintf(stderr, "bigmem_bench: cannot write %s\n", json);
      return 1;
    }
  }
  return 0;
}
