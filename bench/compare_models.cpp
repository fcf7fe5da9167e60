// compare_models: UVM's amaps against the BSD VM's shadow-object chains on
// the same workloads, the same machine and the same pmap (soft backend, and
// kvm where usable). scripts/compare.sh runs it and turns its JSON into
// docs/comparison.md and docs/img/compare_*.png.
//
// Every workload runs once per model (and backend). After each step the
// machine's counters are recorded (a "series"), so the report can show how
// chain depth, hidden pages and memory held evolve, not only where they end.
// The cost figures (fork+exit, COW fault) are timed per model in interleaved
// rounds and reported as shadow/amap ratios measured in one run.
//
//   compare_models [--json FILE] [--reps N] [--quick]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "uvmsim/machine.h"
#include "uvmsim/platform.h"
#include "uvmsim/process.h"
#include "uvmsim/stats.h"

namespace {

using namespace uvmsim;
using Clock = std::chrono::steady_clock;

constexpr vaddr_t kBase = 0x10000000;
constexpr Prot kRW = kProtRead | kProtWrite;

[[noreturn]] void die(const std::string& what, const Status& s) {
  std::fprintf(stderr, "compare_models: %s: %s\n", what.c_str(), std::string(s.message()).c_str());
  std::exit(1);
}
template <typename T>
T must(StatusOr<T> v, const std::string& what) {
  if (!v.ok()) die(what, v.status());
  return *std::move(v);
}
void must(const Status& s, const std::string& what) {
  if (!s.ok()) die(what, s);
}
void must_access(const StatusOr<AccessResult>& r, const std::string& what) {
  if (!r.ok()) die(what, r.status());
  if (!r->ok()) die(what, absl::InternalError(fmt::format("outcome {}", to_string(r->outcome))));
}

// The counters each step records: faults by kind, copies, memory and swap
// held, and each model's own structures.
const char* const kFields[] = {
    "faults",      "flt_anon",        "flt_acow",       "flt_obj",          "flt_prcopy",   "flt_przero",
    "fltanget",    "pagecopies",      "zeropages",      "pgswapout",        "pgswapin",     "pdpageouts",
    "free",        "anonpages",       "objpages",       "swpginuse",        "swpgonly",     "oom_kills",
    "amaps",       "anons",           "amap_copy",      "amap_cownow",      "ppref_establish", "amap_extend",
    "objects",     "object_allocs",   "object_shadows", "object_shadow_skips", "object_collapses",
    "object_bypasses", "object_splits", "object_coalesces", "cow_faults",   "cow_optim",    "object_fork_copies",
    "chain_max",   "chain_mean_x100", "chains_1",       "chains_2",         "chains_3_4",   "chains_5_8",
    "chains_9_16", "chains_17up",     "hidden_pages",   "hidden_swslots",   "map_entries_merged"};

std::map<std::string, std::uint64_t> snapshot(const Machine& m) {
  std::map<std::string, std::uint64_t> all;
  m.stats().for_each([&](const char* name, std::uint64_t v, const char*) { all[name] = v; });
  std::map<std::string, std::uint64_t> out;
  for (const char* f : kFields)
    if (auto it = all.find(f); it != all.end()) out[f] = it->second;
  return out;
}

struct Step {
  std::string label;
  std::map<std::string, std::uint64_t> c;
};

class Recorder {
 public:
  explicit Recorder(Machine& m) : m_(m) {}
  void step(std::string label) { steps_.push_back({std::move(label), snapshot(m_)}); }
  const std::vector<Step>& steps() const { return steps_; }

 private:
  Machine& m_;
  std::vector<Step> steps_;
};

struct Workload {
  const char* name;
  const char* what;
  std::uint64_t mem, swap;
  std::function<void(Machine&, Recorder&)> run;
};

void fill_pages(Process* p, std::uint64_t first, std::uint64_t n, std::uint8_t b) {
  must_access(p->fill(kBase + first * kPageSize, n * kPageSize, b), "fill");
}

// A process with `pages` of private anonymous memory at kBase, all written.
Process* spawn_filled(Machine& m, const char* name, std::uint64_t pages) {
  Process* p = must(m.spawn(name), "spawn");
  must(p->mmap(kBase, pages * kPageSize, kRW, Sharing::kPrivate).status(), "mmap");
  fill_pages(p, 0, pages, 1);
  return p;
}

// 1. fork-write chains: each generation forks, the child writes an eighth
// of the memory, the parent exits; the child carries on.
void fork_chain(Machine& m, Recorder& r, int generations) {
  constexpr std::uint64_t kPages = 1024;
  Process* p = spawn_filled(m, "g0", kPages);
  r.step("start");
  for (int g = 1; g <= generations; g++) {
    Process* c = must(p->fork(fmt::format("g{}", g)), "fork");
    fill_pages(c, static_cast<std::uint64_t>(g % 8) * (kPages / 8), kPages / 8, static_cast<std::uint8_t>(g));
    must(p->exit(), "exit");
    p = c;
    r.step(fmt::format("gen {}", g));
  }
  must(p->exit(), "exit");
  r.step("all exited");
}

// 1b. the same, but the parents stay alive (a process tree, not a line):
// the chains the BSD VM cannot collapse.
void fork_tree(Machine& m, Recorder& r, int generations) {
  constexpr std::uint64_t kPages = 1024;
  std::vector<Process*> alive;
  Process* p = spawn_filled(m, "g0", kPages);
  alive.push_back(p);
  r.step("start");
  for (int g = 1; g <= generations; g++) {
    Process* c = must(p->fork(fmt::format("g{}", g)), "fork");
    fill_pages(c, static_cast<std::uint64_t>(g % 8) * (kPages / 8), kPages / 8, static_cast<std::uint8_t>(g));
    alive.push_back(c);
    p = c;
    r.step(fmt::format("gen {}", g));
  }
  for (Process* q : alive) must(q->exit(), "exit");
  r.step("all exited");
}

// 1c. fork, then both rewrite everything: the pages they shared are now in
// neither's view. UVM frees them at the second write (the anon's last
// reference goes); the BSD VM keeps them in the backing object, which both
// shadows still reference, until one side exits and the chain collapses.
void both_write(Machine& m, Recorder& r) {
  constexpr std::uint64_t kPages = 1024;
  Process* p = spawn_filled(m, "p", kPages);
  Process* c = must(p->fork("c"), "fork");
  r.step("forked");
  fill_pages(c, 0, kPages, 2);
  r.step("child rewrote all");
  fill_pages(p, 0, kPages, 3);
  r.step("parent rewrote all");
  must(c->exit(), "exit");
  r.step("child exited");
  must(p->exit(), "exit");
  r.step("all exited");
}

// 2. a long-lived server forking short-lived workers; four workers alive
// at a time, each writing a sixteenth of the shared heap; the server writes
// a little between forks.
void server_workers(Machine& m, Recorder& r, int workers) {
  constexpr std::uint64_t kPages = 2048;
  Process* s = spawn_filled(m, "server", kPages);
  r.step("start");
  std::vector<Process*> live;
  for (int w = 1; w <= workers; w++) {
    Process* c = must(s->fork(fmt::format("w{}", w)), "fork");
    fill_pages(c, static_cast<std::uint64_t>((w * 5) % 16) * (kPages / 16), kPages / 16, static_cast<std::uint8_t>(w));
    fill_pages(s, static_cast<std::uint64_t>(w % 128) * 16, 16, 0xee);
    live.push_back(c);
    if (live.size() > 4) {
      must(live.front()->exit(), "exit");
      live.erase(live.begin());
    }
    r.step(fmt::format("worker {}", w));
  }
  for (Process* c : live) must(c->exit(), "exit");
  r.step("workers exited");
  must(s->exit(), "exit");
  r.step("all exited");
}

// 3. partial unmap of copy-on-write memory after fork.
void partial_unmap(Machine& m, Recorder& r) {
  constexpr std::uint64_t kPages = 1024, kHalf = kPages / 2 * kPageSize;
  Process* p = spawn_filled(m, "p", kPages);
  Process* c = must(p->fork("c"), "fork");
  r.step("forked");
  fill_pages(c, 0, kPages, 2);
  r.step("child wrote all");
  must(p->munmap(kBase, kHalf), "munmap");
  r.step("parent unmapped first half");
  must(c->munmap(kBase + kHalf, kHalf), "munmap");
  r.step("child unmapped second half");
  must(p->munmap(kBase + kHalf, kHalf), "munmap");
  r.step("parent unmapped the rest");
  must(c->exit(), "exit");
  must(p->exit(), "exit");
  r.step("all exited");
}

// 4. memory pressure with swap: 1.5x memory forked and partly rewritten by
// both sides (the pages, some in swap, that neither can see any more).
void pressure(Machine& m, Recorder& r) {
  const std::uint64_t pages = m.stats().npages * 3 / 2;
  Process* p = must(m.spawn("p"), "spawn");
  must(p->mmap(kBase, pages * kPageSize, kRW, Sharing::kPrivate).status(), "mmap");
  fill_pages(p, 0, pages, 1);
  r.step("filled 1.5x memory");
  Process* c = must(p->fork("c"), "fork");
  fill_pages(c, 0, pages / 3, 2);
  r.step("child rewrote a third");
  fill_pages(p, 0, pages / 3, 4);
  r.step("parent rewrote the same third");
  must_access(p->sum(kBase, pages * kPageSize), "sum");
  must_access(c->sum(kBase, pages * kPageSize), "sum");
  r.step("both read all");
  must(p->exit(), "exit");
  r.step("parent exited");
  fill_pages(c, pages / 3, pages / 3, 3);
  r.step("child rewrote another third");
  must(c->exit(), "exit");
  r.step("all exited");
}

// 5. private file mappings (promotion from the file) and stack-like growth
// (mappings added next to each other, each touched).
void file_and_growth(Machine& m, Recorder& r) {
  constexpr std::uint64_t kFilePages = 512;
  must(m.create_file("data", kFilePages * kPageSize, 0x11), "create_file");
  Process* p = must(m.spawn("p"), "spawn");
  must(p->mmap_file(kBase, kFilePages * kPageSize, kRW, Sharing::kPrivate, "data", 0).status(), "mmap_file");
  must_access(p->sum(kBase, kFilePages * kPageSize), "sum");
  for (std::uint64_t i = 0; i < kFilePages; i += 2) fill_pages(p, i, 1, 0x22);
  r.step("file: half the pages written");
  Process* c = must(p->fork("c"), "fork");
  for (std::uint64_t i = 1; i < kFilePages; i += 4) fill_pages(c, i, 1, 0x33);
  r.step("file: child wrote a quarter");
  must(c->exit(), "exit");
  // Growth: 64 mappings of 16 pages, each just below the last (a stack).
  const vaddr_t top = 0x40000000;
  for (int i = 1; i <= 64; i++) {
    const vaddr_t at = top - static_cast<vaddr_t>(i) * 16 * kPageSize;
    must(p->mmap(at, 16 * kPageSize, kRW, Sharing::kPrivate).status(), "mmap (growth)");
    must_access(p->fill(at, 16 * kPageSize, static_cast<std::uint8_t>(i)), "fill (growth)");
  }
  r.step("stack grew 64 times");
  must(p->exit(), "exit");
  r.step("all exited");
}

// ---- costs, timed
// A 256 MiB machine without swap for the timed figures.
std::unique_ptr<Machine> cost_machine(AnonModel model, Backend backend) {
  MachineConfig cfg{.mem_bytes = 256ull << 20, .swap_bytes = 0, .backend = backend};
  cfg.anon_model = model;
  return must(Machine::Create(cfg), "Machine::Create");
}

double fork_exit_ns(AnonModel model, Backend backend, std::uint64_t pages, int reps) {
  auto m = cost_machine(model, backend);
  Process* p = spawn_filled(*m, "p", pages);
  std::vector<double> t;
  for (int i = 0; i < reps; i++) {
    fill_pages(p, 0, pages, static_cast<std::uint8_t>(i));  // dirty again: each fork has work
    const auto t0 = Clock::now();
    Process* c = must(p->fork("c"), "fork");
    must(c->exit(), "exit");
    t.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

double cow_fault_ns(AnonModel model, Backend backend, std::uint64_t pages, int reps) {
  auto m = cost_machine(model, backend);
  Process* p = spawn_filled(*m, "p", pages);
  std::vector<double> t;
  for (int i = 0; i < reps; i++) {
    Process* c = must(p->fork("c"), "fork");
    const auto t0 = Clock::now();
    for (std::uint64_t pg = 0; pg < pages; pg++) must_access(c->fill(kBase + pg * kPageSize, 1, 9), "cow write");
    t.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(pages));
    must(c->exit(), "exit");
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

std::string json_str(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

int main(int argc, char** argv) {
  const char* json = nullptr;
  int reps = 9;
  bool quick = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--json" && i + 1 < argc) json = argv[++i];
    else if (a == "--reps" && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
    else if (a == "--quick") quick = true;
    else {
      std::fprintf(stderr, "usage: compare_models [--json FILE] [--reps N] [--quick]\n");
      return 2;
    }
  }
  const int gens = quick ? 8 : 32;
  const std::vector<Workload> kit = {
      {"fork_chain", "fork, the child writes 1/8, the parent exits; repeated", 64ull << 20, 64ull << 20,
       [&](Machine& m, Recorder& r) { fork_chain(m, r, gens); }},
      {"fork_tree", "fork, the child writes 1/8, every parent stays alive; repeated", 64ull << 20, 64ull << 20,
       [&](Machine& m, Recorder& r) { fork_tree(m, r, gens); }},
      {"both_write", "fork, then parent and child both rewrite everything", 64ull << 20, 64ull << 20,
       [](Machine& m, Recorder& r) { both_write(m, r); }},
      {"server_workers", "a server forks workers (4 alive at a time) that write 1/16 of its heap", 64ull << 20,
       64ull << 20, [&](Machine& m, Recorder& r) { server_workers(m, r, gens); }},
      {"partial_unmap", "copy-on-write memory after fork, unmapped half by half", 64ull << 20, 64ull << 20,
       [](Machine& m, Recorder& r) { partial_unmap(m, r); }},
      {"pressure", "1.5x memory forked, a third rewritten by both, read, under swap", 16ull << 20, 64ull << 20,
       [](Machine& m, Recorder& r) { pressure(m, r); }},
      {"file_and_growth", "private file mapping written, forked; then a stack growing down", 64ull << 20,
       64ull << 20, [](Machine& m, Recorder& r) { file_and_growth(m, r); }},
  };
  std::vector<Backend> backends = {Backend::kSoft};
  if (kvm_usable(nullptr)) backends.push_back(Backend::kKvm);
  const AnonModel models[] = {AnonModel::kAmap, AnonModel::kShadow};

  std::string out = "{\"workloads\": [";
  bool first = true;
  for (const Workload& w : kit) {
    for (Backend b : backends) {
      for (AnonModel model : models) {
        MachineConfig cfg{.mem_bytes = w.mem, .swap_bytes = w.swap, .backend = b};
        cfg.anon_model = model;
        auto m = must(Machine::Create(cfg), "Machine::Create");
        Recorder r(*m);
        const auto t0 = Clock::now();
        w.run(*m, r);
        const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
        must(m->check(), fmt::format("{} on {}: the invariant checker", w.name, to_string(model)));
        const auto& last = r.steps().back().c;
        fmt::print("{:16} {:6} {:4}  {:7.3f} s  pagecopies {:6}  chain_max {:3}  hidden {:5}  end anonpages {} "
                   "objpages {} swpginuse {}\n",
                   w.name, to_string(model), to_string(b), secs, last.at("pagecopies"),
                   last.count("chain_max") ? last.at("chain_max") : 0,
                   last.count("hidden_pages") ? last.at("hidden_pages") : 0, last.at("anonpages"),
                   last.at("objpages"), last.at("swpginuse"));
        std::fflush(stdout);
        out += fmt::format("{}{{\"name\": {}, \"what\": {}, \"model\": {}, \"backend\": {}, \"mem_mib\": {}, "
                           "\"seconds\": {:.6f}, \"steps\": [",
                           first ? "" : ", ", json_str(w.name), json_str(w.what), json_str(std::string(to_string(model))),
                           json_str(std::string(to_string(b))), w.mem >> 20, secs);
        first = false;
        for (std::size_t i = 0; i < r.steps().size(); i++) {
          const Step& s = r.steps()[i];
          out += fmt::format("{}{{\"label\": {}", i ? ", " : "", json_str(s.label));
          for (const auto& [k, v] : s.c) out += fmt::format(", \"{}\": {}", k, v);
          out += "}";
        }
        out += "]}";
      }
    }
  }
  out += "], \"costs\": [";
  // Costs: both models in interleaved rounds, the ratio per round.
  first = true;
  const std::uint64_t fork_sizes[] = {16, 1024, quick ? 4096u : 16384u};
  for (Backend b : backends) {
    for (std::uint64_t n : fork_sizes) {
      std::vector<double> amap, shadow;
      for (int round = 0; round < 3; round++) {
        amap.push_back(fork_exit_ns(AnonModel::kAmap, b, n, reps));
        shadow.push_back(fork_exit_ns(AnonModel::kShadow, b, n, reps));
      }
      out += fmt::format("{}{{\"figure\": \"fork+exit\", \"pages\": {}, \"backend\": {}, \"amap_ns\": [{}], "
                         "\"shadow_ns\": [{}]}}",
                         first ? "" : ", ", n, json_str(std::string(to_string(b))), fmt::join(amap, ", "),
                         fmt::join(shadow, ", "));
      first = false;
      fmt::print("fork+exit {:6} pages {:4}: amap {:10.0f} ns  shadow {:10.0f} ns\n", n, to_string(b), amap[1],
                 shadow[1]);
    }
    std::vector<double> amap, shadow;
    for (int round = 0; round < 3; round++) {
      amap.push_back(cow_fault_ns(AnonModel::kAmap, b, 4096, std::max(3, reps / 3)));
      shadow.push_back(cow_fault_ns(AnonModel::kShadow, b, 4096, std::max(3, reps / 3)));
    }
    out += fmt::format(", {{\"figure\": \"cow fault\", \"pages\": 4096, \"backend\": {}, \"amap_ns\": [{}], "
                       "\"shadow_ns\": [{}]}}",
                       json_str(std::string(to_string(b))), fmt::join(amap, ", "), fmt::join(shadow, ", "));
    fmt::print("cow fault (4096 pages) {:4}: amap {:6.0f} ns  shadow {:6.0f} ns\n", to_string(b), amap[1], shadow[1]);
  }
  out += "]}\n";
  if (json) {
    FILE* f = std::fopen(json, "w");
    if (!f || std::fputs(out.c_str(), f) < 0 || std::fclose(f) != 0) {
      std::fprintf(stderr, "compare_models: cannot write %s\n", json);
      return 1;
    }
  }
  return 0;
}
