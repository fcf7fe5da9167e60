// Fuzz target: a byte-driven sequence of public API calls (include/uvmsim)
// on one machine, with Machine::check() after every step. Each input runs
// twice: on the amap model, then on the shadow-object model.
//
// The first bytes choose the machine: backend (soft, kvm, auto — kvm falls
// back to soft where it cannot run, so the same input runs everywhere),
// memory, swap, ppref, fault-ahead and the replacement policy. Then each
// step is one call: mmap (anonymous or file), munmap, mprotect, minherit,
// madvise, mlock, munlock, msync, read, write, fill, sum, fork, exit, spawn,
// loan, loan_read, unloan, files (create, truncate, read), swapoff, swapon,
// the page daemon, a policy change, dumps and the read-only queries — on
// live and exited processes alike.
//
// Addresses and sizes come mostly from a small window (so calls meet each
// other's mappings), and otherwise from the edges: unaligned values, 0,
// the ends of user space, 2^31, 2^32 and 2^35 pages, random 64-bit values.
//
// A finding is a crash, a sanitizer report, an exception, a hang, or the
// checker failing after a step (the steps so far are printed).
//
// Caps (docs/fuzzing.md):
// - the bytes an access call moves (read, write, fill, sum, loan, loan_read,
//   read_file, and creating a file filled with a byte other than 0, which
//   writes it whole to the host disk) are at most 1 MiB: 256 pages, as much
//   as or more than the memory of three of the four machine sizes, so they
//   page. An access walks its
//   range page by page, so a 2^35-page fill would run until memory and swap
//   are full, and even 16 MiB accesses made a run of 256 steps take half a
//   minute: the search would spend its time waiting.
// - map_bytes_cap(): the sizes of map calls and files, 2^18 pages (1 GiB)
//   by default, for speed: huge mappings work (lazily) or fail with ENOMEM
//   (fuzz/regressions/scenario/ holds the two faults they once caused), but
//   an amap may have up to 2^24 slots, and the checker walks every amap
//   after every step, so inputs with several large amaps run for seconds
//   each. UVMSIM_FUZZ_MAP_PAGES_CAP=N sets the cap (0: none).
//
// UVMSIM_FUZZ_VERBOSE=1 in the environment prints each step as it runs (to
// read a crash's reproducer).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "fmt/ranges.h"
#include "fuzz_bytes.h"
#include "uvmsim/dump.h"
#include "uvmsim/machine.h"
#include "uvmsim/policy.h"
#include "uvmsim/process.h"
#include "uvmsim/trace.h"

namespace {

using namespace uvmsim;
using uvmsim::fuzz::FuzzBytes;

constexpr vaddr_t kWindow = 0x10000000;           // where most calls land
constexpr std::uint64_t kWindowPages = 64;
constexpr std::uint64_t kMaxAccess = 1ull << 20;  // the access cap above
constexpr std::uint64_t kMaxBuffer = 64ull << 10;  // read buffers
constexpr int kMaxSteps = 256;
constexpr std::size_t kMaxProcesses = 16;

class CountingSink final : public TraceSink {
 public:
  void event(const TraceEvent&) override { events_++; }

 private:
  std::uint64_t events_ = 0;
};

struct State {
  std::unique_ptr<Machine> m;
  std::vector<Process*> procs;  // live and exited
  std::vector<LoanHandle> loans;
  std::vector<std::string> files;
  std::string log;  // the steps so far, printed with a finding
  int forks = 0;
};

vaddr_t pick_addr(FuzzBytes& in) {
  switch (in.pick(16)) {
    case 0: return 0;
    case 1: return kUserMin;
    case 2: return kUserMax - kPageSize;
    case 3: return kUserMax;
    case 4: return 1ull << 47;
    case 5: return ~0ull - kPageMask;
    case 6: return in.u64();
    case 7: return kWindow + in.pick(kWindowPages * kPageSize);  // unaligned
    default: return kWindow + in.pick(kWindowPages) * kPageSize;
  }
}

std::uint64_t pick_len(FuzzBytes& in, vaddr_t addr) {
  switch (in.pick(16)) {
    case 0: return 0;
    case 1: return in.pick(2 * kPageSize);  // bytes, unaligned
    case 2: return (1ull << 31) * kPageSize;
    case 3: return (1ull << 32) * kPageSize;
    case 4: return (1ull << 35) * kPageSize;
    case 5: return ((1ull << 31) + 1) * kPageSize;
    case 6: return addr < kUserMax ? kUserMax - addr : kPageSize;  // the rest of user space
    case 7: return in.u64();
    default: return (1 + in.pick(16)) * kPageSize;
  }
}

// The map cap above, in bytes.
std::uint64_t map_bytes_cap() {
  static const std::uint64_t cap = [] {
    std::uint64_t pages = 1ull << 18;
    if (const char* e = std::getenv("UVMSIM_FUZZ_MAP_PAGES_CAP")) pages = std::strtoull(e, nullptr, 0);
    return pages == 0 || pages >= (1ull << 52) ? ~0ull : pages * kPageSize;
  }();
  return cap;
}

// A size for a map call or a file: pick_len() under the map cap (keeping an
// unaligned size unaligned).
std::uint64_t pick_map_len(FuzzBytes& in, vaddr_t addr) {
  const std::uint64_t len = pick_len(in, addr);
  return len > map_bytes_cap() ? map_bytes_cap() - (len & kPageMask) : len;
}

std::uint64_t pick_access_len(FuzzBytes& in, vaddr_t addr) {
  return std::min(pick_len(in, addr), kMaxAccess);
}

bool verbose() {
  static const bool v = std::getenv("UVMSIM_FUZZ_VERBOSE") != nullptr;
  return v;
}

Prot pick_prot(FuzzBytes& in) { return static_cast<Prot>(in.pick(8)); }

Process* pick_proc(State& s, FuzzBytes& in) {
  if (s.procs.empty()) return nullptr;
  return s.procs[in.pick(s.procs.size())];
}

std::string pick_file(State& s, FuzzBytes& in) {
  static const char* const kNames[] = {"f0", "f1", "f2", "bad name", ""};
  if (!s.files.empty() && in.flag()) return s.files[in.pick(s.files.size())];
  return kNames[in.pick(5)];
}

const char* prot_word(Prot p) {
  static const char* const kWords[] = {"none", "r", "w", "rw", "x", "rx", "wx", "rwx"};
  return kWords[p & 7];
}

// The scenario line of a call, so that a finding reads as a script (and most
// findings replay with `uvmsim run`); calls the language has no command for
// are comments.
void note(State& s, const std::string& line) {
  s.log += line;
  s.log += '\n';
  if (verbose()) std::fprintf(stderr, "%s\n", line.c_str());
}

std::string name_of(const Process* p) { return p->alive() ? p->name() : p->name() + " (exited)"; }

// Every choice is read into a local before the call: the order in which a
// call's arguments are evaluated is the compiler's, and the replay build
// (g++) must read the same bytes in the same order as the fuzzer (clang).
void step(State& s, FuzzBytes& in) {
  Machine& m = *s.m;
  const std::size_t op = in.pick(30);
  Process* p = pick_proc(s, in);
  const vaddr_t a = pick_addr(in);
  const std::uint64_t len = pick_map_len(in, a);
  if (op == 0) {
    if (s.procs.size() >= kMaxProcesses) return;
    const std::string name = fmt::format("s{}", s.procs.size());
    note(s, fmt::format("spawn {}", name));
    auto q = m.spawn(name);
    if (q.ok()) s.procs.push_back(*q);
    return;
  }
  if (p == nullptr) return;
  const std::string P = name_of(p);
  switch (op) {
    case 1:
    case 2:
    case 3: {
      const bool fixed = in.pick(4) != 0;
      const Prot max_prot = in.flag() ? kProtAll : pick_prot(in);
      const Prot prot = pick_prot(in);
      const Sharing sharing = in.flag() ? Sharing::kShared : Sharing::kPrivate;
      const char* sh = sharing == Sharing::kShared ? "shared" : "private";
      const MmapFlags f{.fixed = fixed, .max_prot = max_prot};
      const std::string flags =
          fixed && max_prot == kProtAll ? "" : fmt::format("  # fixed={} max_prot={}", fixed, prot_word(max_prot));
      if (op != 3) {
        note(s, fmt::format("{} mmap {:#x} {:#x} {} {} anon{}", P, a, len, prot_word(prot), sh, flags));
        (void)p->mmap(a, len, prot, sharing, f);
        return;
      }
      const std::string file = pick_file(s, in);
      const bool small_off = in.flag();
      const voff_t off = small_off ? in.pick(8) * kPageSize : pick_map_len(in, 0);
      note(s, fmt::format("{} mmap {:#x} {:#x} {} {} file {} {:#x}{}", P, a, len, prot_word(prot), sh, file, off,
                          flags));
      (void)p->mmap_file(a, len, prot, sharing, file, off, f);
      return;
    }
    case 4:
      note(s, fmt::format("{} munmap {:#x} {:#x}", P, a, len));
      (void)p->munmap(a, len);
      return;
    case 5: {
      const Prot prot = pick_prot(in);
      note(s, fmt::format("{} mprotect {:#x} {:#x} {}", P, a, len, prot_word(prot)));
      (void)p->mprotect(a, len, prot);
      return;
    }
    case 6: {
      static const char* const kWords[] = {"share", "copy", "none", "zero"};
      const std::size_t i = in.pick(4);
      note(s, fmt::format("{} minherit {:#x} {:#x} {}", P, a, len, kWords[i]));
      (void)p->minherit(a, len, static_cast<Inherit>(i));
      return;
    }
    case 7: {
      static const char* const kWords[] = {"normal", "random", "sequential", "willneed", "dontneed", "free"};
      const std::size_t i = in.pick(6);
      note(s, fmt::format("{} madvise {:#x} {:#x} {}", P, a, len, kWords[i]));
      (void)p->madvise(a, len, static_cast<Madvise>(i));
      return;
    }
    case 8:
      note(s, fmt::format("{} mlock {:#x} {:#x}", P, a, len));
      (void)p->mlock(a, len);
      return;
    case 9:
      note(s, fmt::format("{} munlock {:#x} {:#x}", P, a, len));
      (void)p->munlock(a, len);
      return;
    case 10: {
      static const char* const kWords[] = {"sync", "async", "invalidate"};
      const std::size_t i = in.pick(3);
      note(s, fmt::format("{} msync {:#x} {:#x} {}", P, a, len, kWords[i]));
      (void)p->msync(a, len, static_cast<MsyncMode>(i));
      return;
    }
    case 11: {
      std::vector<std::uint8_t> buf(std::min(len, kMaxBuffer));
      note(s, fmt::format("{} read {:#x} {:#x}", P, a, buf.size()));
      (void)p->read(a, buf);
      return;
    }
    case 12: {
      const std::vector<std::uint8_t> data = in.bytes(64);
      note(s, fmt::format("{} write {:#x} hex:{:02x}", P, a, fmt::join(data, "")));
      (void)p->write(a, data);
      return;
    }
    case 13: {
      const std::uint8_t byte = in.byte();
      note(s, fmt::format("{} fill {:#x} {:#x} {}", P, a, std::min(len, kMaxAccess), byte));
      (void)p->fill(a, std::min(len, kMaxAccess), byte);
      return;
    }
    case 14:
      note(s, fmt::format("{} sum {:#x} {:#x}", P, a, std::min(len, kMaxAccess)));
      (void)p->sum(a, std::min(len, kMaxAccess));
      return;
    case 15: {
      if (s.procs.size() >= kMaxProcesses) return;
      const std::string child = fmt::format("c{}", s.forks++);
      note(s, fmt::format("{} fork {}", P, child));
      auto c = p->fork(child);
      if (c.ok()) s.procs.push_back(*c);
      return;
    }
    case 16:
      note(s, fmt::format("{} exit", P));
      (void)p->exit();
      return;
    case 17: {
      const LoanTo to = in.flag() ? LoanTo::kAnon : LoanTo::kKernel;
      note(s, fmt::format("loan L{} {} {:#x} {:#x} {}", s.loans.size(), P, a, std::min(len, kMaxAccess),
                          to == LoanTo::kAnon ? "anon" : "kernel"));
      auto h = m.loan(*p, a, std::min(len, kMaxAccess), to);
      if (h.ok()) s.loans.push_back(*h);
      return;
    }
    case 18: {
      LoanHandle h{in.pick(4)};  // also ids that were never lent
      const bool known = !s.loans.empty() && in.flag();
      if (known) h = s.loans[in.pick(s.loans.size())];
      const std::uint64_t off = pick_access_len(in, 0);
      note(s, fmt::format("kread <loan id {}> {:#x} {:#x}", h.id, off, std::min(len, kMaxBuffer)));
      (void)m.loan_read(h, off, std::min(len, kMaxBuffer));
      return;
    }
    case 19: {
      if (s.loans.empty()) return;
      const std::size_t i = in.pick(s.loans.size());
      note(s, fmt::format("unloan <loan id {}>", s.loans[i].id));
      (void)m.unloan(s.loans[i]);  // twice for some: the second is ENOENT
      if (in.flag()) s.loans.erase(s.loans.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
    case 20: {
      const std::string f = pick_file(s, in);
      const bool big = in.flag();
      const std::uint8_t fill = in.byte();
      // A file filled with a byte other than 0 is written whole to the host
      // disk: the access cap applies (a zero-filled one is sparse).
      const std::uint64_t size = big ? (fill != 0 ? std::min(len, kMaxAccess) : len) : in.pick(8 * kPageSize);
      note(s, fmt::format("file {} {:#x} fill={}", f, size, fill));
      if (m.create_file(f, size, fill).ok()) s.files.push_back(f);
      return;
    }
    case 21: {
      const std::string f = pick_file(s, in);
      const bool big = in.flag();
      const std::uint64_t size = big ? len : in.pick(8 * kPageSize);
      note(s, fmt::format("truncate {} {:#x}", f, size));
      (void)m.truncate_file(f, size);
      return;
    }
    case 22: {
      const std::string f = pick_file(s, in);
      const std::uint64_t off = pick_len(in, 0);
      note(s, fmt::format("fileread {} {:#x} {:#x}", f, off, std::min(len, kMaxBuffer)));
      (void)m.read_file(f, off, std::min(len, kMaxBuffer));
      (void)m.file_size(f);
      return;
    }
    case 23:
      note(s, "# swapoff");
      (void)m.swapoff();
      return;
    case 24:
      note(s, "# swapon");
      (void)m.swapon();
      return;
    case 25:
      note(s, "# run_pagedaemon");
      (void)m.run_pagedaemon();
      return;
    case 26: {
      const auto names = replacement_policy_names();
      const std::string& name = names[in.pick(names.size())];
      const std::uint8_t seed = in.byte();
      note(s, fmt::format("# set_replacement_policy {} seed={}", name, seed));
      auto pol = make_replacement_policy(name, {.seed = seed});
      if (pol.ok()) m.set_replacement_policy(std::move(*pol));
      return;
    }
    case 27: {
      note(s, fmt::format("dump {}", P));
      auto d = dump_process(*p);
      if (d.ok()) (void)(dump_text(*d).size() + dump_json(*d).size() + dump_dot(*d).size());
      return;
    }
    default: {
      note(s, "stats");
      (void)m.stats().to_string();
      (void)p->stats();
      (void)p->mappings();
      (void)p->resident_pages();
      (void)m.loans_outstanding();
      return;
    }
  }
}

// One run of the input on a machine of the given anonymous-memory model.
void run_input(const std::uint8_t* data, std::size_t size, AnonModel model) {
  FuzzBytes in(data, size);
  static const std::uint64_t kMemPages[] = {16, 64, 256, 1024};
  static const std::uint64_t kSwapPages[] = {0, 16, 256, 4096};
  static const Backend kBackends[] = {Backend::kSoft, Backend::kKvm, Backend::kAuto};
  MachineConfig cfg;
  cfg.backend = kBackends[in.pick(3)];
  cfg.mem_bytes = kMemPages[in.pick(4)] * kPageSize;
  cfg.swap_bytes = kSwapPages[in.pick(4)] * kPageSize;
  cfg.ppref = in.flag();
  cfg.fault_ahead = in.flag();
  const auto names = replacement_policy_names();
  cfg.replacement = names[in.pick(names.size())];
  cfg.seed = in.byte();
  cfg.anon_model = model;
  const bool trace = in.flag();

  CountingSink sink;  // outlives the machine, which may trace as it goes
  State s;
  auto m = Machine::Create(cfg);
  if (!m.ok() && cfg.backend == Backend::kKvm) {  // kvm not usable here: the same run on soft
    cfg.backend = Backend::kSoft;
    m = Machine::Create(cfg);
  }
  if (!m.ok()) {
    std::fprintf(stderr, "api_fuzzer: a valid machine was refused: %s\n", m.status().ToString().c_str());
    std::abort();
  }
  s.m = std::move(*m);
  note(s, fmt::format("machine mem={} swap={} backend={} anon={} policy={} seed={}  # ppref={} fault_ahead={} trace={}",
                      cfg.mem_bytes, cfg.swap_bytes, to_string(cfg.backend), to_string(cfg.anon_model),
                      cfg.replacement, cfg.seed, cfg.ppref, cfg.fault_ahead, trace));
  if (trace) s.m->set_trace_sink(&sink);
  note(s, "spawn p");
  if (auto p = s.m->spawn("p"); p.ok()) s.procs.push_back(*p);

  for (int i = 0; i < kMaxSteps && !in.empty(); i++) {
    step(s, in);
    if (Status st = s.m->check(); !st.ok()) {
      std::fprintf(stderr, "api_fuzzer: the invariant checker failed after step %d:\n%s\nthe steps:\n%s", i,
                   st.ToString().c_str(), s.log.c_str());
      std::abort();
    }
  }
  s.m->set_trace_sink(nullptr);
}

}  // namespace

// Every input runs on both anonymous-memory models, one after the other: the
// same calls meet amaps and anons, then shadow-object chains (the bytes mean
// the same on both, so the corpus and every reproducer cover both designs).
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  run_input(data, size, AnonModel::kAmap);
  run_input(data, size, AnonModel::kShadow);
  return 0;
}
