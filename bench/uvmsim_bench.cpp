// uvmsim_bench: uvmsim against the host kernel, side by side in one run.
//
// Figures (docs/results.md explains each; scripts/bench.sh regenerates it):
//   dz      demand-zero fault: touch N fresh pages of private anonymous memory,
//           one byte each (uvmsim: Process::fill(va, 1) per page; host: mmap
//           MAP_PRIVATE|MAP_ANONYMOUS without MAP_POPULATE + one store per
//           page). Per page. uvmexp deltas prove one zero-fill fault per touch.
//   fork    fork of a process with N touched pages, N = 2^10 .. 2^18.
//           uvmsim: Process::fork alone, and fork + child exit. Host: fork()
//           alone, timed in the parent from the call until it returns there
//           (the child _exits at once and is reaped after the timer stops),
//           and fork + child _exit + waitpid. Before every repetition the
//           parent re-touches its N pages so they are writable again (the
//           state a fork finds in a process that has been running).
//   cow     copy-on-write fault after fork: the child writes one byte to each
//           of M pages it shares with the parent. Per page.
//   lookup  VmMap::lookup in a map of 10^5 non-mergeable entries
//           (alternating protections), random and sequential addresses; and
//           demand-zero faults in random order in that map.
//   meta    metadata bytes per resident page: by structure (sizeof() times
//           live counts: pages, anons, amaps, pv chain entries, map entries,
//           object page indexes) and by heap growth (mallinfo2); page-table
//           pages reported apart as pmap overhead.
//   kvm     dz and cow on the kvm backend when Machine::Create accepts it.
//
// Host measurements run in a child process started with exec (this binary,
// "--host ..."), so that the host fork copies only the footprint under test
// plus a small baseline (measured as N = 0), not the simulator's heap.
//
// Usage: uvmsim_bench [--json FILE] [--reps R] [--quick] [--meta-only]
#include <malloc.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/amap.h"
#include "core/anon.h"
#include "core/page.h"
#include "core/physmem.h"
#include "core/pmap.h"
#include "core/uvm.h"
#include "core/uvm_object.h"
#include "core/vm_map.h"
#include "core/vmspace.h"
#include "uvmsim/machine.h"
#include "uvmsim/process.h"

using namespace uvmsim;
using Clock = std::chrono::steady_clock;

namespace {

double ns_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::nano>(b - a).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "uvmsim_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T must(StatusOr<T> s, const char* what) {
  if (!s.ok()) die(fmt::format("{}: {}", what, s.status().ToString()));
  return *std::move(s);
}
void must(const Status& s, const char* what) {
  if (!s.ok()) die(fmt::format("{}: {}", what, s.ToString()));
}

std::string json_array(const std::vector<double>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); i++) s += fmt::format("{}{:.3f}", i ? ", " : "", v[i]);
  return s + "]";
}

std::string json_escape(const std::string& in) {
  std::string s;
  for (char c : in) {
    if (c == '"' || c == '\\') s += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) s += c;
  }
  return s;
}

std::string read_first_line(const char* path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto p = line.find(':');
      if (p != std::string::npos) return line.substr(p + 2);
    }
  }
  return "unknown";
}

// ---------------------------------------------------------------------------
// Host side (runs in the exec'd helper).

constexpr size_t kPg = 4096;

char* host_map(size_t pages, bool thp) {
  void* p = ::mmap(nullptr, pages * kPg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
  if (p == MAP_FAILED) die(fmt::format("mmap {} pages: {}", pages, std::strerror(errno)));
  // "4k": 4 KiB pages, like uvmsim's (MADV_NOHUGEPAGE, whatever the host's
  // THP policy). "thp": transparent huge pages requested (MADV_HUGEPAGE).
  if (::madvise(p, pages * kPg, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) != 0)
    die(fmt::format("madvise: {}", std::strerror(errno)));
  return static_cast<char*>(p);
}

void host_touch(char* p, size_t pages, char v) {
  volatile char* q = p;
  for (size_t i = 0; i < pages; i++) q[i * kPg] = v;
}

// Prints one line per repetition (after one warm-up): ns per page.
void host_dz(size_t pages, int reps, bool thp) {
  for (int r = -1; r < reps; r++) {
    char* p = host_map(pages, thp);
    auto t0 = Clock::now();
    host_touch(p, pages, 1);
    auto t1 = Clock::now();
    ::munmap(p, pages * kPg);
    if (r >= 0) std::printf("%.3f\n", ns_between(t0, t1) / pages);
  }
}

// Prints "fork_ns forkwait_ns" per repetition.
void host_fork(size_t pages, int reps, bool thp) {
  char* p = pages ? host_map(pages, thp) : nullptr;
  for (int r = -1; r < reps; r++) {
    if (pages) host_touch(p, pages, static_cast<char>(r + 2));  // writable, resident
    std::fflush(stdout);
    auto t0 = Clock::now();
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    auto t1 = Clock::now();
    if (pid < 0) die(fmt::format("fork: {}", std::strerror(errno)));
    int st = 0;
    ::waitpid(pid, &st, 0);
    auto t2 = Clock::now();
    if (r >= 0) std::printf("%.1f %.1f\n", ns_between(t0, t1), ns_between(t0, t2));
  }
  if (p) ::munmap(p, pages * kPg);
}

// The child writes one byte to each of `pages` shared pages; it times that
// and sends ns per page through a pipe. Prints one line per repetition.
void host_cow(size_t pages, int reps) {
  char* p = host_map(pages, false);
  for (int r = -1; r < reps; r++) {
    host_touch(p, pages, static_cast<char>(r + 2));
    int fds[2];
    if (::pipe(fds) != 0) die("pipe");
    std::fflush(stdout);
    pid_t pid = ::fork();
    if (pid == 0) {
      auto t0 = Clock::now();
      host_touch(p, pages, 0x77);
      auto t1 = Clock::now();
      double ns = ns_between(t0, t1) / pages;
      (void)!::write(fds[1], &ns, sizeof ns);
      ::_exit(0);
    }
    if (pid < 0) die("fork");
    double ns = 0;
    if (::read(fds[0], &ns, sizeof ns) != sizeof ns) die("pipe read");
    ::waitpid(pid, nullptr, 0);
    ::close(fds[0]);
    ::close(fds[1]);
    if (r >= 0) std::printf("%.3f\n", ns);
  }
  ::munmap(p, pages * kPg);
}

int host_main(int argc, char** argv) {
  if (argc < 5) die("--host CASE PAGES REPS [thp]");
  std::string what = argv[2];
  size_t pages = std::strtoull(argv[3], nullptr, 10);
  int reps = std::atoi(argv[4]);
  bool thp = argc > 5 && std::string(argv[5]) == "thp";
  if (what == "dz") host_dz(pages, reps, thp);
  else if (what == "fork") host_fork(pages, reps, thp);
  else if (what == "cow") host_cow(pages, reps);
  else die("unknown host case " + what);
  return 0;
}

// Runs this binary with --host ... and returns its output lines, each split
// into numbers.
std::vector<std::vector<double>> run_host(const std::vector<std::string>& args) {
  // /proc/self/exe inside popen's shell would be the shell: use our own path.
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) die("readlink /proc/self/exe");
  self[n] = 0;
  std::string cmd = fmt::format("'{}' --host", self);
  for (const auto& a : args) cmd += " " + a;
  std::fflush(stdout);
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) die("popen " + cmd);
  std::vector<std::vector<double>> rows;
  char line[256];
  while (std::fgets(line, sizeof line, f)) {
    std::istringstream is(line);
    std::vector<double> row;
    double x;
    while (is >> x) row.push_back(x);
    if (!row.empty()) rows.push_back(row);
  }
  if (::pclose(f) != 0) die("host helper failed: " + cmd);
  return rows;
}

std::vector<double> column(const std::vector<std::vector<double>>& rows, size_t i) {
  std::vector<double> v;
  for (const auto& r : rows) v.push_back(r.at(i));
  return v;
}

// ---------------------------------------------------------------------------
// uvmsim side.

constexpr vaddr_t kBase = 0x100000000ull;

struct Counters {
  UvmExp before, after;
  std::uint64_t d(std::uint64_t UvmExp::*f) const { return after.*f - before.*f; }
};

void touch_pages(Process* p, vaddr_t va, std::uint64_t pages, std::uint8_t v) {
  for (std::uint64_t i = 0; i < pages; i++) {
    auto r = p->fill(va + i * kPageSize, 1, v);
    if (!r.ok() || !r->ok()) die(fmt::format("fill {:#x} failed", va + i * kPageSize));
  }
}

// One demand-zero pass: a fresh mapping, one byte per page, unmapped after.
// Returns ns per page; counters of the touch loop in *c.
double sim_dz_pass(Machine& m, Process* p, std::uint64_t pages, Counters* c) {
  must(p->mmap(kBase, pages * kPageSize, kProtRead | kProtWrite, Sharing::kPrivate).status(),
       "mmap");
  c->before = m.stats();
  auto t0 = Clock::now();
  touch_pages(p, kBase, pages, 0x5a);
  auto t1 = Clock::now();
  c->after = m.stats();
  must(p->munmap(kBase, pages * kPageSize), "munmap");
  return ns_between(t0, t1) / pages;
}

// A touch of resident pages: the access path without a fault.
double sim_resident_pass(Process* p, std::uint64_t pages) {
  auto t0 = Clock::now();
  touch_pages(p, kBase, pages, 0x6b);
  auto t1 = Clock::now();
  return ns_between(t0, t1) / pages;
}

// Pre-fault the machine's memory so that frames are host-resident: what a
// simulator that has been running for a while sees.
void populate_physmem(Machine& m) {
  PhysMem& pm = *m.uvm().pm;
  if (::madvise(pm.base(), pm.bytes(), MADV_POPULATE_WRITE) != 0) {
    volatile std::uint8_t* b = pm.base();
    for (std::uint64_t off = 0; off < pm.bytes(); off += kPageSize) b[off] = b[off];
  }
}

std::string counters_json(const Counters& c) {
  return fmt::format(
      R"({{"faults": {}, "flt_przero": {}, "flt_acow": {}, "flt_anon": {}, "zeropages": {}, "pagecopies": {}, "fltamcopy": {}, "amap_copy": {}, "amap_takeover": {}, "amap_chunk": {}}})",
      c.d(&UvmExp::faults), c.d(&UvmExp::flt_przero), c.d(&UvmExp::flt_acow),
      c.d(&UvmExp::flt_anon), c.d(&UvmExp::zeropages), c.d(&UvmExp::pagecopies),
      c.d(&UvmExp::fltamcopy), c.d(&UvmExp::amap_copy), c.d(&UvmExp::amap_takeover),
      c.d(&UvmExp::amap_chunk));
}

struct DzResult {
  std::vector<double> warm, nofault;
  double cold = 0;
  Counters counters;
};

DzResult sim_dz(Machine& m, std::uint64_t pages, int reps, bool measure_cold) {
  DzResult out;
  Process* p = must(m.spawn("dz"), "spawn");
  Counters c;
  double first = sim_dz_pass(m, p, pages, &c);  // warm-up (cold memory if fresh)
  if (measure_cold) out.cold = first;
  if (measure_cold) populate_physmem(m);
  for (int r = 0; r < reps; r++) out.warm.push_back(sim_dz_pass(m, p, pages, &out.counters));
  must(p->mmap(kBase, pages * kPageSize, kProtRead | kProtWrite, Sharing::kPrivate).status(),
       "mmap");
  touch_pages(p, kBase, pages, 1);
  for (int r = 0; r < reps; r++) out.nofault.push_back(sim_resident_pass(p, pages));
  must(p->exit(), "exit");
  return out;
}

struct CowResult {
  std::vector<double> ns;
  Counters counters;
};

CowResult sim_cow(Machine& m, std::uint64_t pages, int reps) {
  CowResult out;
  Process* p = must(m.spawn("cow-parent"), "spawn");
  must(p->mmap(kBase, pages * kPageSize, kProtRead | kProtWrite, Sharing::kPrivate).status(),
       "mmap");
  for (int r = -1; r < reps; r++) {
    touch_pages(p, kBase, pages, static_cast<std::uint8_t>(r + 2));
    Process* c = must(p->fork("cow-child"), "fork");
    Counters k;
    k.before = m.stats();
    auto t0 = Clock::now();
    touch_pages(c, kBase, pages, 0x77);
    auto t1 = Clock::now();
    k.after = m.stats();
    must(c->exit(), "exit");
    if (r >= 0) {
      out.ns.push_back(ns_between(t0, t1) / pages);
      out.counters = k;
    }
  }
  must(p->exit(), "exit");
  return out;
}

struct ForkResult {
  std::uint64_t n = 0;
  std::vector<double> fork_ns, fork_exit_ns;
  std::uint64_t entries = 0, ptpages = 0;
};

ForkResult sim_fork(Machine& m, std::uint64_t pages, int reps) {
  ForkResult out;
  out.n = pages;
  Process* p = must(m.spawn("fork-parent"), "spawn");
  if (pages)
    must(p->mmap(kBase, pages * kPageSize, kProtRead | kProtWrite, Sharing::kPrivate).status(),
         "mmap");
  for (int r = -1; r < reps; r++) {
    if (pages) touch_pages(p, kBase, pages, static_cast<std::uint8_t>(r + 2));
    if (r == 0) {
      out.entries = p->vmspace().map->nentries();
      out.ptpages = m.stats().ptpages;
    }
    auto t0 = Clock::now();
    Process* c = must(p->fork("fork-child"), "fork");
    auto t1 = Clock::now();
    must(c->exit(), "exit");
    auto t2 = Clock::now();
    if (r >= 0) {
      out.fork_ns.push_back(ns_between(t0, t1));
      out.fork_exit_ns.push_back(ns_between(t0, t2));
    }
  }
  must(p->exit(), "exit");
  return out;
}

struct LookupResult {
  std::uint64_t entries = 0;
  double random_ns = 0, seq_ns = 0, fault_random_ns = 0;
  std::uint64_t fault_count = 0;
};

LookupResult sim_lookup(Machine& m, std::uint64_t nentries, int reps) {
  LookupResult out;
  populate_physmem(m);
  Process* p = must(m.spawn("lookup"), "spawn");
  const vaddr_t base = 0x200000000ull;
  for (std::uint64_t i = 0; i < nentries; i++) {
    Prot prot = (i & 1) ? kProtRead : (kProtRead | kProtWrite);
    must(p->mmap(base + i * kPageSize, kPageSize, prot, Sharing::kPrivate).status(), "mmap");
  }
  VmMap& map = *p->vmspace().map;
  out.entries = map.nentries();
  if (out.entries != nentries) die(fmt::format("expected {} entries, map has {}", nentries, out.entries));
  const std::uint64_t nq = 1'000'000;
  std::vector<vaddr_t> qs(nq);
  std::uint64_t x = 0x9e3779b97f4a7c15ull;
  for (auto& q : qs) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    q = base + (x % nentries) * kPageSize + (x >> 52);
  }
  std::uintptr_t sink = 0;
  std::vector<double> rnd, seq;
  for (int r = -1; r < reps; r++) {
    auto t0 = Clock::now();
    for (vaddr_t q : qs) sink += reinterpret_cast<std::uintptr_t>(map.lookup(q));
    auto t1 = Clock::now();
    for (std::uint64_t i = 0; i < nq; i++)
      sink += reinterpret_cast<std::uintptr_t>(map.lookup(base + (i % nentries) * kPageSize));
    auto t2 = Clock::now();
    if (r >= 0) {
      rnd.push_back(ns_between(t0, t1) / nq);
      seq.push_back(ns_between(t1, t2) / nq);
    }
  }
  if (sink == 1) std::puts("");
  out.random_ns = median(rnd);
  out.seq_ns = median(seq);
  // Demand-zero faults on the writable entries in random order.
  std::vector<vaddr_t> order;
  for (std::uint64_t i = 0; i < nentries; i += 2) order.push_back(base + i * kPageSize);
  for (size_t i = order.size(); i > 1; i--) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    std::swap(order[i - 1], order[x % i]);
  }
  UvmExp b = m.stats();
  auto t0 = Clock::now();
  for (vaddr_t va : order) {
    auto res = p->fill(va, 1, 0x11);
    if (!res.ok() || !res->ok()) die("fill (lookup)");
  }
  auto t1 = Clock::now();
  out.fault_count = m.stats().faults - b.faults;
  out.fault_random_ns = ns_between(t0, t1) / order.size();
  must(p->exit(), "exit");
  return out;
}

// Metadata per resident page. Two independent measures:
//  - by structure: sizeof() of every structure UVM keeps, times its live
//    count, divided by the resident pages R = npages - free. The Page array
//    covers every frame, free or not; it is counted once per resident page.
//  - by heap: the growth of glibc's in-use heap (mallinfo2().uordblks) over
//    the workload, which catches what sizeof misses (B-tree nodes, hash-set
//    slots, vector slack, slab tails), plus the Page array.
// Page-table pages are the pmap's (the MMU's format, 8 B per PTE, 4 KiB per
// table); issue 5 accounts them separately as pmap overhead, and so do we:
// they are reported next to the UVM figure, not inside it.
struct MetaResult {
  std::string name;
  std::uint64_t resident = 0, anons = 0, amaps = 0, amap_bytes = 0, pv_chain = 0, mappings = 0,
                ptpages = 0, entries = 0, memq = 0, loan_anons = 0, processes = 0;
  double page_b = 0, anon_b = 0, amap_b = 0, pv_b = 0, entry_b = 0, memq_b = 0, side_b = 0;
  double uvm_b = 0;        // by structure, everything but page tables
  double pt_b = 0;         // page tables (pmap overhead)
  double heap_uvm_b = 0;   // by heap: Page + heap growth - page tables
  double mappings_per_page = 0;
};

std::uint64_t heap_in_use() { return mallinfo2().uordblks; }

// A 4 KiB aligned_alloc holds 4096 + 16 bytes of heap once its alignment
// slack is split off; the soft pmap allocates its tables that way.
constexpr double kPtHeapBytes = 4096 + 16;

MetaResult measure_meta(Machine& m, const std::string& name, std::uint64_t heap0) {
  const std::uint64_t heap1 = heap_in_use();
  MetaResult r;
  r.name = name;
  UvmExp s = m.stats();
  Uvm& u = m.uvm();
  r.resident = s.npages - s.free;
  r.anons = s.anons;
  r.amaps = s.amaps;
  r.ptpages = s.ptpages;
  for (Amap* a : u.amaps) {
    r.amap_bytes += sizeof(Amap) + a->am_maxslot * sizeof(a->am_anon[0]);
    if (amap_has_ppref(a)) r.amap_bytes += a->am_maxslot * sizeof(int);
  }
  for (UvmObject* o : u.objects) r.memq += o->memq.size();
  r.pv_chain = u.pv.live();
  r.loan_anons = u.loan_anons.size();
  for (Process* p : m.processes()) {
    if (!p->alive()) continue;
    r.processes++;
    r.mappings += p->vmspace().pmap->resident_count();
    r.entries += p->vmspace().map->nentries();
  }
  const double R = static_cast<double>(r.resident);
  r.page_b = sizeof(Page);
  r.anon_b = r.anons * sizeof(Anon) / R;
  r.amap_b = r.amap_bytes / R;
  r.pv_b = r.pv_chain * sizeof(PvChainEntry) / R;
  r.entry_b = r.entries * sizeof(MapEntry) / R;
  // memq is an absl::btree_map<voff_t, Page*>: 16 B per value (node
  // overhead is in the heap figure).
  r.memq_b = r.memq * 16.0 / R;
  r.side_b = r.loan_anons * 16.0 / R;
  r.uvm_b = r.page_b + r.anon_b + r.amap_b + r.pv_b + r.entry_b + r.memq_b + r.side_b;
  r.pt_b = r.ptpages * 4096.0 / R;
  const double heap = static_cast<double>(heap1) - static_cast<double>(heap0);
  r.heap_uvm_b = r.page_b + (heap - r.ptpages * kPtHeapBytes) / R;
  r.mappings_per_page = r.mappings / R;
  return r;
}

std::vector<MetaResult> sim_meta() {
  std::vector<MetaResult> out;
  const MachineConfig cfg{.mem_bytes = 512ull << 20, .swap_bytes = 0, .backend = Backend::kSoft};
  {
    // Anonymous: one process, 2^16 pages of a private heap touched.
    auto m = must(Machine::Create(cfg), "Machine::Create");
    const std::uint64_t heap0 = heap_in_use();
    Process* p = must(m->spawn("dense"), "spawn");
    const std::uint64_t n = 1 << 16;
    must(p->mmap(kBase, n * kPageSize, kProtRead | kProtWrite, Sharing::kPrivate).status(), "mmap");
    touch_pages(p, kBase, n, 1);
    out.push_back(measure_meta(*m, "anonymous: 1 process, 65536 pages touched", heap0));
  }
  {
    // File: one process maps a 2^16-page file shared and reads all of it
    // (the file's contents — the "disk" — exist before the measurement).
    auto m = must(Machine::Create(cfg), "Machine::Create");
    const std::uint64_t n = 1 << 16;
    must(m->create_file("data", n * kPageSize, 7), "create_file");
    const std::uint64_t heap0 = heap_in_use();
    Process* p = must(m->spawn("reader"), "spawn");
    must(p->mmap_file(kBase, n * kPageSize, kProtRead, Sharing::kShared, "data", 0).status(),
         "mmap_file");
    must(p->sum(kBase, n * kPageSize).status(), "sum");
    out.push_back(measure_meta(*m, "file: 1 process, 65536 file pages read", heap0));
  }
  {
    // Mixed: a parent with a 16384-page heap (all touched), a 4096-page
    // region with every 4th page touched, 64 small 4-page mappings; fork;
    // the child writes a quarter of the heap (COW) and a grandchild is
    // forked from the child and writes an eighth.
    auto m = must(Machine::Create(cfg), "Machine::Create");
    const std::uint64_t heap0 = heap_in_use();
    Process* p = must(m->spawn("parent"), "spawn");
    const std::uint64_t heap = 1 << 14;
    must(p->mmap(kBase, heap * kPageSize, kProtRead | kProtWrite, Sharing::kPrivate).status(), "mmap");
    touch_pages(p, kBase, heap, 1);
    const vaddr_t sparse = 0x300000000ull;
    must(p->mmap(sparse, 4096 * kPageSize, kProtRead | kProtWrite, Sharing::kPrivate).status(), "mmap");
    for (int i = 0; i < 4096; i += 4) touch_pages(p, sparse + i * kPageSize, 1, 2);
    for (int i = 0; i < 64; i++) {
      vaddr_t va = 0x400000000ull + i * 0x100000ull;
      must(p->mmap(va, 4 * kPageSize, kProtRead | kProtWrite, Sharing::kPrivate).status(), "mmap");
      touch_pages(p, va, 4, 3);
    }
    // Each child reads the whole heap (mapping the shared pages: several pv
    // entries per page) and then writes part of it.
    Process* c = must(p->fork("child"), "fork");
    must(c->sum(kBase, heap * kPageSize).status(), "sum");
    touch_pages(c, kBase, heap / 4, 4);
    Process* g = must(c->fork("grandchild"), "fork");
    must(g->sum(kBase, heap * kPageSize).status(), "sum");
    touch_pages(g, kBase + (heap / 2) * kPageSize, heap / 8, 5);
    out.push_back(measure_meta(*m, "fork mix: 3 processes, COW-shared heap read by all", heap0));
  }
  return out;
}

void print_meta(const std::vector<MetaResult>& meta) {
  for (const auto& r : meta)
    std::printf("  %-52s R %6" PRIu64 "  page %.0f anon %.1f amap %.1f pv %.1f entries %.1f memq %.1f"
                " side %.1f = UVM %.1f (heap-measured %.1f); page tables %.1f; %.2f mappings/page\n",
                r.name.c_str(), r.resident, r.page_b, r.anon_b, r.amap_b, r.pv_b, r.entry_b, r.memq_b,
                r.side_b, r.uvm_b, r.heap_uvm_b, r.pt_b, r.mappings_per_page);
}

struct KvmResult {
  bool usable = false;
  std::string why;
  std::uint64_t pages = 0;
  std::vector<double> dz, nofault, cow;
  Counters dz_counters, cow_counters;
};

KvmResult sim_kvm(std::uint64_t pages, int reps) {
  KvmResult out;
  out.pages = pages;
  auto mk = Machine::Create({.mem_bytes = 256ull << 20, .swap_bytes = 0, .backend = Backend::kKvm});
  if (!mk.ok()) {
    out.why = mk.status().ToString();
    return out;
  }
  Machine& m = **mk;
  // A probe: one mapping, one write, one read back.
  Process* probe = must(m.spawn("probe"), "spawn");
  must(probe->mmap(kBase, kPageSize, kProtRead | kProtWrite, Sharing::kPrivate).status(), "mmap");
  auto w = probe->fill(kBase, 1, 0x42);
  std::uint8_t b = 0;
  auto rd = probe->read(kBase, std::span<std::uint8_t>(&b, 1));
  if (!w.ok() || !w->ok() || !rd.ok() || !rd->ok() || b != 0x42) {
    out.why = "Machine::Create(kvm) succeeded but a write/read probe failed";
    return out;
  }
  must(probe->exit(), "exit");
  populate_physmem(m);
  out.usable = true;
  DzResult dz = sim_dz(m, pages, reps, false);
  out.dz = dz.warm;
  out.nofault = dz.nofault;
  out.dz_counters = dz.counters;
  CowResult cw = sim_cow(m, pages, reps);
  out.cow = cw.ns;
  out.cow_counters = cw.counters;
  return out;
}

std::string stats_json(const std::vector<double>& v) {
  const double lo = v.empty() ? 0 : *std::min_element(v.begin(), v.end());
  const double hi = v.empty() ? 0 : *std::max_element(v.begin(), v.end());
  return fmt::format(R"({{"median": {:.3f}, "min": {:.3f}, "max": {:.3f}, "samples": {}}})",
                     median(v), lo, hi, json_array(v));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--host") return host_main(argc, argv);
  std::string json_path;
  int reps = 7;
  bool quick = false, meta_only = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--json" && i + 1 < argc) json_path = argv[++i];
    else if (a == "--reps" && i + 1 < argc) reps = std::atoi(argv[++i]);
    else if (a == "--quick") quick = true;
    else if (a == "--meta-only") meta_only = true;
    else die("usage: uvmsim_bench [--json FILE] [--reps R] [--quick] [--meta-only]");
  }
  if (meta_only) {  // the metadata figures alone (seconds; no timing involved)
    print_meta(sim_meta());
    return 0;
  }
  const auto wall0 = Clock::now();
  const std::string load_start = read_first_line("/proc/loadavg");
  const std::uint64_t dz_pages = quick ? 1 << 12 : 1 << 15;
  const std::uint64_t cow_pages = quick ? 1 << 12 : 1 << 15;
  const int max_log = quick ? 14 : 18;
  const std::string thp = read_first_line("/sys/kernel/mm/transparent_hugepage/enabled");

  // One machine for dz, cow and fork: 1.25 GiB of simulated memory (the
  // memory is populated after the first, cold, demand-zero pass).
  auto machine = must(Machine::Create({.mem_bytes = 1280ull << 20, .swap_bytes = 0,
                                       .backend = Backend::kSoft}),
                      "Machine::Create(soft)");
  Machine& m = *machine;

  std::printf("uvmsim_bench: %s, %d repetitions (median), soft backend\n", cpu_model().c_str(), reps);

  // 1. demand-zero
  DzResult dz = sim_dz(m, dz_pages, reps, true);
  auto h4k = column(run_host({"dz", std::to_string(dz_pages), std::to_string(reps), "4k"}), 0);
  auto hthp = column(run_host({"dz", std::to_string(dz_pages), std::to_string(reps), "thp"}), 0);
  std::printf("\n[demand-zero fault, %" PRIu64 " pages, ns per page]\n", dz_pages);
  std::printf("  uvmsim soft (warm memory) %9.1f   faults/touch %.2f  przero/touch %.2f\n",
              median(dz.warm), double(dz.counters.d(&UvmExp::faults)) / dz_pages,
              double(dz.counters.d(&UvmExp::flt_przero)) / dz_pages);
  std::printf("  uvmsim soft (cold memory) %9.1f\n", dz.cold);
  std::printf("  uvmsim access, no fault  %9.1f\n", median(dz.nofault));
  std::printf("  host 4 KiB pages         %9.1f   uvmsim/host %.2f\n", median(h4k),
              median(dz.warm) / median(h4k));
  std::printf("  host THP (MADV_HUGEPAGE)  %9.1f\n", median(hthp));

  // 3. COW
  CowResult cow = sim_cow(m, cow_pages, reps);
  auto hcow = column(run_host({"cow", std::to_string(cow_pages), std::to_string(reps)}), 0);
  std::printf("\n[COW fault after fork, child writes %" PRIu64 " pages, ns per page]\n", cow_pages);
  std::printf("  uvmsim soft %9.1f   acow/touch %.2f  copies/touch %.2f\n", median(cow.ns),
              double(cow.counters.d(&UvmExp::flt_acow)) / cow_pages,
              double(cow.counters.d(&UvmExp::pagecopies)) / cow_pages);
  std::printf("  host 4 KiB  %9.1f   uvmsim/host %.2f\n", median(hcow), median(cow.ns) / median(hcow));

  // 2. fork
  struct ForkRow {
    ForkResult sim;
    std::vector<double> host_fork, host_wait, thp_fork, thp_wait;
  };
  std::vector<ForkRow> forks;
  std::printf("\n[fork, N touched pages; us; host fork = fork() in the parent, child _exits at once]\n");
  std::printf("  %8s %11s %11s %11s %11s %7s %11s %8s\n", "N", "uvmsim", "uvm+exit", "host",
              "host+wait", "ratio", "host THP", "entries");
  std::vector<std::uint64_t> ns_list = {0};
  for (int l = 10; l <= max_log; l++) ns_list.push_back(1ull << l);
  for (std::uint64_t n : ns_list) {
    ForkRow row;
    row.sim = sim_fork(m, n, reps);
    auto h = run_host({"fork", std::to_string(n), std::to_string(reps), "4k"});
    row.host_fork = column(h, 0);
    row.host_wait = column(h, 1);
    auto t = run_host({"fork", std::to_string(n), std::to_string(reps), "thp"});
    row.thp_fork = column(t, 0);
    row.thp_wait = column(t, 1);
    std::printf("  %8" PRIu64 " %11.1f %11.1f %11.1f %11.1f %7.2f %11.1f %8" PRIu64 "\n", n,
                median(row.sim.fork_ns) / 1e3, median(row.sim.fork_exit_ns) / 1e3,
                median(row.host_fork) / 1e3, median(row.host_wait) / 1e3,
                median(row.sim.fork_ns) / median(row.host_fork), median(row.thp_fork) / 1e3,
                row.sim.entries);
    std::fflush(stdout);
    forks.push_back(std::move(row));
  }
  machine.reset();

  // 4. map lookup
  auto lk_m = must(Machine::Create({.mem_bytes = 512ull << 20, .swap_bytes = 0,
                                    .backend = Backend::kSoft}),
                   "Machine::Create");
  LookupResult lk = sim_lookup(*lk_m, 100000, reps);
  lk_m.reset();
  std::printf("\n[map lookup, %" PRIu64 " entries]\n", lk.entries);
  std::printf("  VmMap::lookup random      %7.1f ns\n", lk.random_ns);
  std::printf("  VmMap::lookup sequential  %7.1f ns (hint)\n", lk.seq_ns);
  std::printf("  demand-zero fault, random entry order %7.1f ns (%" PRIu64 " faults)\n",
              lk.fault_random_ns, lk.fault_count);

  // 5. metadata
  auto meta = sim_meta();
  std::printf("\n[metadata bytes per resident page]\n");
  print_meta(meta);

  // kvm
  KvmResult kvm = sim_kvm(quick ? 256 : 2048, reps);
  std::printf("\n[kvm backend]\n");
  if (!kvm.usable) {
    std::printf("  not measured: %s\n", kvm.why.c_str());
  } else {
    std::printf("  demand-zero %9.1f ns/page (faults/touch %.2f)\n", median(kvm.dz),
                double(kvm.dz_counters.d(&UvmExp::faults)) / kvm.pages);
    std::printf("  access, no fault %9.1f ns/page\n", median(kvm.nofault));
    std::printf("  COW         %9.1f ns/page (acow/touch %.2f)\n", median(kvm.cow),
                double(kvm.cow_counters.d(&UvmExp::flt_acow)) / kvm.pages);
  }
  const double wall = ns_between(wall0, Clock::now()) / 1e9;
  std::printf("\nbench wall time %.1f s\n", wall);

  if (!json_path.empty()) {
    utsname u{};
    ::uname(&u);
    char date[64];
    std::time_t now = std::time(nullptr);
    std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S %Z", std::localtime(&now));
    std::string j = "{\n";
    j += fmt::format(
        R"(  "platform": {{"cpu": "{}", "ncpu": {}, "kernel": "{} {}", "date": "{}", "thp": "{}", "max_map_count": "{}"}},)"
        "\n",
        json_escape(cpu_model()), ::sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release, date,
        json_escape(thp), json_escape(read_first_line("/proc/sys/vm/max_map_count")));
    j += fmt::format(R"(  "config": {{"reps": {}, "quick": {}, "wall_s": {:.1f}, "sim_mem_bytes": {}, "loadavg_start": "{}", "loadavg_end": "{}"}},)"
                     "\n",
                     reps, quick ? "true" : "false", wall, 1280ull << 20, load_start,
                     read_first_line("/proc/loadavg"));
    j += fmt::format(
        R"(  "dz": {{"pages": {}, "uvmsim_warm": {}, "uvmsim_cold_ns": {:.3f}, "uvmsim_nofault": {}, "host_4k": {}, "host_thp": {}, "counters": {}}},)"
        "\n",
        dz_pages, stats_json(dz.warm), dz.cold, stats_json(dz.nofault), stats_json(h4k),
        stats_json(hthp), counters_json(dz.counters));
    j += fmt::format(R"(  "cow": {{"pages": {}, "uvmsim": {}, "host_4k": {}, "counters": {}}},)" "\n",
                     cow_pages, stats_json(cow.ns), stats_json(hcow), counters_json(cow.counters));
    j += "  \"fork\": [\n";
    for (size_t i = 0; i < forks.size(); i++) {
      const auto& f = forks[i];
      j += fmt::format(
          R"(    {{"n": {}, "uvmsim_fork": {}, "uvmsim_fork_exit": {}, "host_fork": {}, "host_fork_wait": {}, "host_thp_fork": {}, "host_thp_fork_wait": {}, "uvmsim_entries": {}, "uvmsim_ptpages": {}}}{})"
          "\n",
          f.sim.n, stats_json(f.sim.fork_ns), stats_json(f.sim.fork_exit_ns),
          stats_json(f.host_fork), stats_json(f.host_wait), stats_json(f.thp_fork),
          stats_json(f.thp_wait), f.sim.entries, f.sim.ptpages, i + 1 < forks.size() ? "," : "");
    }
    j += "  ],\n";
    j += fmt::format(
        R"(  "lookup": {{"entries": {}, "random_ns": {:.2f}, "sequential_ns": {:.2f}, "fault_random_ns": {:.1f}, "fault_count": {}}},)"
        "\n",
        lk.entries, lk.random_ns, lk.seq_ns, lk.fault_random_ns, lk.fault_count);
    j += fmt::format(
        R"(  "sizes": {{"Page": {}, "Anon": {}, "PvChainEntry": {}, "Amap": {}, "MapEntry": {}, "anon_slot": {}}},)"
        "\n",
        sizeof(Page), sizeof(Anon), sizeof(PvChainEntry), sizeof(Amap), sizeof(MapEntry),
        sizeof(std::uint32_t));
    j += "  \"meta\": [\n";
    for (size_t i = 0; i < meta.size(); i++) {
      const auto& r = meta[i];
      j += fmt::format(
          R"(    {{"name": "{}", "processes": {}, "resident": {}, "anons": {}, "amaps": {}, "amap_bytes": {}, "pv_chain": {}, "mappings": {}, "ptpages": {}, "entries": {}, "memq": {}, "loan_anons": {}, "page_b": {:.2f}, "anon_b": {:.2f}, "amap_b": {:.2f}, "pv_b": {:.2f}, "entry_b": {:.2f}, "memq_b": {:.2f}, "side_b": {:.2f}, "uvm_b": {:.2f}, "heap_uvm_b": {:.2f}, "pt_b": {:.2f}, "mappings_per_page": {:.3f}}}{})"
          "\n",
          r.name, r.processes, r.resident, r.anons, r.amaps, r.amap_bytes, r.pv_chain, r.mappings,
          r.ptpages, r.entries, r.memq, r.loan_anons, r.page_b, r.anon_b, r.amap_b, r.pv_b,
          r.entry_b, r.memq_b, r.side_b, r.uvm_b, r.heap_uvm_b, r.pt_b, r.mappings_per_page,
          i + 1 < meta.size() ? "," : "");
    }
    j += "  ],\n";
    if (kvm.usable) {
      j += fmt::format(
          R"(  "kvm": {{"usable": true, "pages": {}, "dz": {}, "nofault": {}, "cow": {}, "dz_counters": {}, "cow_counters": {}}})"
          "\n",
          kvm.pages, stats_json(kvm.dz), stats_json(kvm.nofault), stats_json(kvm.cow),
          counters_json(kvm.dz_counters), counters_json(kvm.cow_counters));
    } else {
      j += fmt::format(R"(  "kvm": {{"usable": false, "why": "{}"}})" "\n", json_escape(kvm.why));
    }
    j += "}\n";
    std::ofstream f(json_path);
    f << j;
    if (!f) die("cannot write " + json_path);
    std::printf("wrote %s\n", json_path.c_str());
  }
  return 0;
}
