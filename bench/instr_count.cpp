// instr_count: one kind of operation, many times, with callgrind collecting
// instructions only around the operations themselves. Host timing here
// varies by 25-100 % between runs; instruction counts do not, so two
// revisions' per-operation costs can be compared exactly
// (scripts/instr_compare.sh builds this program against each revision's
// library; it uses only the public API, which both must share).
//
//   valgrind --tool=callgrind --collect-atstart=no instr_count OP N
//
//   dz      N demand-zero faults (one byte written to each of N fresh pages)
//   cow     N copy-on-write faults (the child of a fork writes N pages)
//   read    N reads of one byte of a resident page (the no-fault path)
//   fork    fork + child exit of a process with N touched pages, 20 times;
//           the parent's pages are written again before each fork (outside
//           the measurement), as a running process's would be
//   warm    (third argument) bring the machine to a steady state first:
//           freed frames, backed by the host (warm_up below)
//
// Prints "OP N OPS NS": the number of operations measured, to divide the
// callgrind total by, and the host time they took in nanoseconds (read just
// outside the collected region, so the counts do not include the clock).
// Without valgrind the program just runs: scripts/instr_compare.sh --wall
// compares revisions by that time, in many short interleaved runs.
#include <valgrind/callgrind.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "uvmsim/machine.h"
#include "uvmsim/process.h"

namespace {

using namespace uvmsim;

constexpr vaddr_t kBase = 0x10000000;
constexpr int kForkRounds = 20;

[[noreturn]] void die(const char* what, const Status& s) {
  std::fprintf(stderr, "instr_count: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

void must(const Status& s, const char* what) {
  if (!s.ok()) die(what, s);
}

template <typename T>
T must(StatusOr<T> v, const char* what) {
  if (!v.ok()) die(what, v.status());
  return *std::move(v);
}

// The measured region: callgrind collects inside it; its host time adds up.
struct Region {
  std::chrono::steady_clock::time_point t0;
  long long ns = 0;
  void begin() {
    t0 = std::chrono::steady_clock::now();
    CALLGRIND_TOGGLE_COLLECT;
  }
  void end() {
    CALLGRIND_TOGGLE_COLLECT;
    ns += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
  }
};

void touch(Process* p, long n, std::uint8_t value) {
  for (long i = 0; i < n; i++) must(p->fill(kBase + static_cast<vaddr_t>(i) * kPageSize, 1, value), "fill");
}

// Steady state, outside the measurement. A fresh machine hands out its
// frames in ascending order before any freed one, and a first touch of host
// memory costs the host more than the simulated fault does. So a process
// touches the machine's memory down to the page daemon's threshold and
// exits (its frames go to the tail of the free list), and a second one
// takes the frames never touched (at the head) and stays. Every frame an
// operation takes after this is one the host has backed and uvmsim must
// zero (uvmsim_bench's "warm" figures).
std::uint64_t touch_while_free(Machine& m, Process* p, std::uint64_t max, std::uint64_t floor) {
  must(p->mmap(kBase, max * kPageSize, kProtRead | kProtWrite, Sharing::kPrivate).status(), "mmap");
  // stats() gathers gauges over the whole machine: read it every 64 pages.
  std::uint64_t i = 0;
  while (i < max && m.stats().free > floor)
    for (const std::uint64_t end = std::min(max, i + 64); i < end; i++)
      must(p->fill(kBase + i * kPageSize, 1, 1), "fill");
  return i;
}

void warm_up(Machine& m) {
  const UvmExp start = m.stats();
  const std::uint64_t floor = start.freemin + 128;
  Process* a = must(m.spawn("warm-up"), "spawn");
  const std::uint64_t touched = touch_while_free(m, a, start.npages, floor);
  must(a->exit(), "exit");
  Process* b = must(m.spawn("never-touched"), "spawn");
  touch_while_free(m, b, start.free - touched, floor);
}

}  // namespace

int main(int argc, char** argv) {
  const bool warm = argc == 4 && std::string(argv[3]) == "warm";
  if (argc != 3 && !warm) {
    std::fprintf(stderr, "usage: instr_count dz|cow|read|fork N [warm]\n");
    return 2;
  }
  const std::string op = argv[1];
  const long n = std::atol(argv[2]);
  if (n < 0 || n > (1L << 16)) {
    std::fprintf(stderr, "instr_count: N must be 0 .. 65536\n");
    return 2;
  }
  // Room for N twice (a fork's copies) and more, no paging: 1 GiB for the
  // largest N.
  const std::uint64_t mem = std::max<std::uint64_t>(32ull << 20, 4ull * static_cast<std::uint64_t>(n) * kPageSize);
  auto m = must(Machine::Create({.mem_bytes = mem, .swap_bytes = 0, .backend = Backend::kSoft}), "machine");
  if (warm) warm_up(*m);
  Process* p = must(m->spawn("p"), "spawn");
  if (n > 0)
    must(p->mmap(kBase, static_cast<std::uint64_t>(n) * kPageSize, kProtRead | kProtWrite, Sharing::kPrivate).status(),
         "mmap");
  long ops = 0;
  Region region;
  if (op == "dz") {
    region.begin();
    touch(p, n, 1);
    region.end();
    ops = n;
  } else if (op == "cow") {
    touch(p, n, 1);
    Process* c = must(p->fork("c"), "fork");
    region.begin();
    touch(c, n, 2);
    region.end();
    ops = n;
  } else if (op == "read") {
    touch(p, n, 1);
    std::uint8_t b[1];
    region.begin();
    for (long i = 0; i < n; i++) must(p->read(kBase + static_cast<vaddr_t>(i) * kPageSize, b), "read");
    region.end();
    ops = n;
  } else if (op == "fork") {
    for (int r = 0; r < kForkRounds; r++) {
      touch(p, n, static_cast<std::uint8_t>(r + 1));
      region.begin();
      Process* c = must(p->fork("c"), "fork");
      must(c->exit(), "exit");
      region.end();
    }
    ops = kForkRounds;
  } else {
    std::fprintf(stderr, "instr_count: unknown operation '%s'\n", op.c_str());
    return 2;
  }
  std::printf("%s %ld %ld %lld\n", op.c_str(), n, ops, region.ns);
  return 0;
}
