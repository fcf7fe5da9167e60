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
//
// Prints "OP N OPS": the number of operations measured, to divide the
// callgrind total by. Without valgrind the program just runs.
#include <valgrind/callgrind.h>

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

void touch(Process* p, long n, std::uint8_t value) {
  for (long i = 0; i < n; i++) must(p->fill(kBase + static_cast<vaddr_t>(i) * kPageSize, 1, value), "fill");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: instr_count dz|cow|read|fork N\n");
    return 2;
  }
  const std::string op = argv[1];
  const long n = std::atol(argv[2]);
  if (n < 0 || n > (1L << 20)) {
    std::fprintf(stderr, "instr_count: N must be 0 .. 1048576\n");
    return 2;
  }
  // 1 GiB: room for the largest N with its fork's copies, no paging.
  auto m = must(Machine::Create({.mem_bytes = 1ull << 30, .swap_bytes = 0, .backend = Backend::kSoft}), "machine");
  Process* p = must(m->spawn("p"), "spawn");
  if (n > 0)
    must(p->mmap(kBase, static_cast<std::uint64_t>(n) * kPageSize, kProtRead | kProtWrite, Sharing::kPrivate).status(),
         "mmap");
  long ops = 0;
  if (op == "dz") {
    CALLGRIND_TOGGLE_COLLECT;
    touch(p, n, 1);
    CALLGRIND_TOGGLE_COLLECT;
    ops = n;
  } else if (op == "cow") {
    touch(p, n, 1);
    Process* c = must(p->fork("c"), "fork");
    CALLGRIND_TOGGLE_COLLECT;
    touch(c, n, 2);
    CALLGRIND_TOGGLE_COLLECT;
    ops = n;
  } else if (op == "read") {
    touch(p, n, 1);
    std::uint8_t b[1];
    CALLGRIND_TOGGLE_COLLECT;
    for (long i = 0; i < n; i++) must(p->read(kBase + static_cast<vaddr_t>(i) * kPageSize, b), "read");
    CALLGRIND_TOGGLE_COLLECT;
    ops = n;
  } else if (op == "fork") {
    for (int r = 0; r < kForkRounds; r++) {
      touch(p, n, static_cast<std::uint8_t>(r + 1));
      CALLGRIND_TOGGLE_COLLECT;
      Process* c = must(p->fork("c"), "fork");
      must(c->exit(), "exit");
      CALLGRIND_TOGGLE_COLLECT;
    }
    ops = kForkRounds;
  } else {
    std::fprintf(stderr, "instr_count: unknown operation '%s'\n", op.c_str());
    return 2;
  }
  std::printf("%s %ld %ld\n", op.c_str(), n, ops);
  return 0;
}
