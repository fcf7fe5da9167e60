// Randomized test: thousands of operations over several processes, the
// invariant checker after every operation, and every read compared with a
// simple reference model of what each process must see.
//
// The model: each mapped page of a process points at a Cell (4 KiB of bytes).
// Pages that share memory point at the same Cell; fork copies Cells for
// `copy` inheritance, shares them for `share`, makes zero Cells for `zero`.
// (minherit copy of a *shared* mapping is left out: UVM gives the child a
// copy-on-write view of the object that still tracks the parent's writes to
// pages the child has not written, which this model does not express.)
#include <catch2/catch.hpp>

#include <cstdlib>


#include <map>
#include <memory>
#include <random>

#include "helpers.h"

using namespace uvmsim;
using namespace uvmsim::test;

namespace {

constexpr vaddr_t kBase = 0x40000000;
constexpr int kWindow = 48;  // pages per process address window
constexpr int kMaxProcs = 6;

using Cell = std::shared_ptr<std::vector<std::uint8_t>>;
Cell zero_cell() { return std::make_shared<std::vector<std::uint8_t>>(kPageSize, 0); }

struct PageModel {
  Cell cell;
  Prot prot = kProtNone;
  Inherit inherit = Inherit::kCopy;
  bool shared_mapping = false;
  bool wired = false;
};

// A loan and what its borrower must see: the pages as they were when lent.
struct LoanModel {
  LoanHandle h;
  std::vector<std::vector<std::uint8_t>> snapshot;
};

struct ProcModel {
  Process* p = nullptr;
  std::map<int, PageModel> pages;  // page index in window -> state
};

struct RandomRun {
  std::mt19937_64 rng;
  std::unique_ptr<Machine> m;
  std::vector<ProcModel> procs;
  std::vector<LoanModel> loans;
  bool with_loans = false;
  int forks_failed = 0;
  int kills = 0;
  int kread_failures = 0;
  int step = 0;

  RandomRun(std::uint64_t seed, bool ppref, std::uint64_t mem = 8ull << 20) : rng(seed) {
    m = make_machine(mem, ppref);
    ProcModel pm;
    pm.p = spawn(*m, "init");
    procs.push_back(std::move(pm));
  }

  int rnd(int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); }
  vaddr_t va_of(int page) { return kBase + static_cast<vaddr_t>(page) * kPageSize; }

  void range(int* first, int* count) {
    *first = rnd(kWindow);
    *count = 1 + rnd(std::min(8, kWindow - *first));
  }

  bool covered(ProcModel& pm, int first, int count) {
    for (int i = first; i < first + count; i++)
      if (!pm.pages.count(i)) return false;
    return true;
  }

  void op_mmap(ProcModel& pm) {
    int first, count;
    range(&first, &count);
    const bool shared = rnd(4) == 0;
    const Prot prot = rnd(5) == 0 ? R : RW;
    auto r = pm.p->mmap(va_of(first), count * kPageSize, prot, shared ? Sharing::kShared : Sharing::kPrivate);
    REQUIRE(r.ok());
    for (int i = first; i < first + count; i++)
      pm.pages[i] = PageModel{zero_cell(), prot, shared ? Inherit::kShare : Inherit::kCopy, shared, false};
  }

  void op_munmap(ProcModel& pm) {
    int first, count;
    range(&first, &count);
    REQUIRE_OK(pm.p->munmap(va_of(first), count * kPageSize));
    for (int i = first; i < first + count; i++) pm.pages.erase(i);
  }

  void op_mprotect(ProcModel& pm) {
    int first, count;
    range(&first, &count);
    const Prot choices[] = {kProtNone, R, RW, RW};
    const Prot prot = choices[rnd(4)];
    Status s = pm.p->mprotect(va_of(first), count * kPageSize, prot);
    if (!covered(pm, first, count)) {
      REQUIRE(errno_of(s) == ENOMEM);
      return;
    }
    REQUIRE_OK(s);
    for (int i = first; i < first + count; i++) pm.pages[i].prot = prot;
  }

  void op_minherit(ProcModel& pm) {
    int first, count;
    range(&first, &count);
    const Inherit choices[] = {Inherit::kShare, Inherit::kCopy, Inherit::kNone, Inherit::kZero};
    Inherit inh = choices[rnd(4)];
    bool any_shared = false;
    for (int i = first; i < first + count; i++)
      if (pm.pages.count(i) && pm.pages[i].shared_mapping) any_shared = true;
    if (inh == Inherit::kCopy && any_shared) inh = Inherit::kShare;
    REQUIRE_OK(pm.p->minherit(va_of(first), count * kPageSize, inh));
    for (int i = first; i < first + count; i++)
      if (pm.pages.count(i)) pm.pages[i].inherit = inh;
  }

  // mlock/munlock with NetBSD's errors (sys_mlock, uvm_map_pageable):
  // EAGAIN past a third of memory wired, checked first; ENOMEM when the
  // range begins unmapped; EINVAL for a hole, a PROT_NONE page (mlock) or a
  // page not wired (munlock).
  void op_mlock(ProcModel& pm) {
    int first, count;
    range(&first, &count);
    const bool lock = rnd(2) == 0;
    const UvmExp before = m->stats();
    Status s = lock ? pm.p->mlock(va_of(first), count * kPageSize) : pm.p->munlock(va_of(first), count * kPageSize);
    int want = 0;
    if (lock && static_cast<std::uint64_t>(count) + before.wired > before.npages / 3) {
      want = EAGAIN;
    } else if (!pm.pages.count(first)) {
      want = ENOMEM;
    } else {
      for (int i = first; i < first + count && want == 0; i++) {
        auto it = pm.pages.find(i);
        if (it == pm.pages.end() || (lock ? it->second.prot == kProtNone : !it->second.wired)) want = EINVAL;
      }
    }
    INFO("step " << step << (lock ? " mlock " : " munlock ") << first << "+" << count << ": " << s.ToString());
    if (want != 0) {
      REQUIRE(errno_of(s) == want);
      return;
    }
    // Wiring copies what the process may write later (cow_now): on the tiny
    // machines of the pressure runs that can find no memory; nothing changes.
    if (lock && !s.ok() && errno_of(s) == ENOMEM && m->config().mem_bytes < (1ull << 20)) return;
    REQUIRE_OK(s);
    for (int i = first; i < first + count; i++) pm.pages[i].wired = lock;
  }

  // madvise: dontneed looks for holes (uvm_map_clean: EFAULT), the other
  // advice values do not.
  void op_madvise(ProcModel& pm) {
    int first, count;
    range(&first, &count);
    const Madvise choices[] = {Madvise::kNormal, Madvise::kRandom, Madvise::kSequential, Madvise::kWillNeed,
                               Madvise::kDontNeed};
    const Madvise adv = choices[rnd(5)];
    Status s = pm.p->madvise(va_of(first), count * kPageSize, adv);
    if (adv == Madvise::kDontNeed && !covered(pm, first, count)) {
      REQUIRE(errno_of(s) == EFAULT);
      return;
    }
    REQUIRE_OK(s);
  }

  // The expected outcome of touching [off, off+len) of the window.
  std::uint64_t model_ok_bytes(ProcModel& pm, std::uint64_t off, std::uint64_t len, bool write) {
    for (std::uint64_t b = 0; b < len; b++) {
      const int page = static_cast<int>((off + b) / kPageSize);
      auto it = pm.pages.find(page);
      if (it == pm.pages.end()) return b;
      const Prot need = write ? kProtWrite : kProtRead;
      if (!(it->second.prot & need)) return b;
    }
    return len;
  }

  // Out of memory and swap with nothing left to page out (every frame
  // wired or lent, possible on the tiny machines of the pressure runs): the
  // faulting process is killed, as the OOM test expects. The run drops it
  // from the model after the step.
  bool killed(ProcModel& pm, Outcome outcome) {
    if (outcome != Outcome::kKilled) return false;
    REQUIRE(m->config().mem_bytes < (1ull << 20));
    REQUIRE_FALSE(pm.p->alive());
    REQUIRE(pm.p->killed_reason().find("out of memory") != std::string::npos);
    kills++;
    return true;
  }

  void op_write(ProcModel& pm) {
    const std::uint64_t off = rng() % (kWindow * kPageSize - 1);
    const std::uint64_t len = 1 + rng() % std::min<std::uint64_t>(3 * kPageSize, kWindow * kPageSize - off);
    std::vector<std::uint8_t> data(len);
    const std::uint8_t seedbyte = static_cast<std::uint8_t>(rng());
    for (std::uint64_t i = 0; i < len; i++) data[i] = static_cast<std::uint8_t>(seedbyte + i * 7);
    auto r = pm.p->write(kBase + off, data);
    REQUIRE(r.ok());
    std::uint64_t ok = model_ok_bytes(pm, off, len, true);
    if (killed(pm, r->outcome)) {
      REQUIRE(r->done <= ok);  // what was written before the kill stays
      ok = r->done;
    } else {
      REQUIRE(r->done == ok);
    }
    if (r->outcome != Outcome::kKilled) {
      REQUIRE((r->outcome == Outcome::kOk) == (ok == len));
      if (ok < len) REQUIRE(r->outcome == Outcome::kSigsegv);
    }
    for (std::uint64_t b = 0; b < ok; b++) {
      const std::uint64_t a = off + b;
      (*pm.pages[static_cast<int>(a / kPageSize)].cell)[a % kPageSize] = data[b];
    }
  }

  void op_read(ProcModel& pm) {
    const std::uint64_t off = rng() % (kWindow * kPageSize - 1);
    const std::uint64_t len = 1 + rng() % std::min<std::uint64_t>(3 * kPageSize, kWindow * kPageSize - off);
    std::vector<std::uint8_t> buf(len, 0xee);
    auto r = pm.p->read(kBase + off, buf);
    REQUIRE(r.ok());
    std::uint64_t ok = model_ok_bytes(pm, off, len, false);
    INFO("step " << step << " pid " << pm.p->pid() << " read off " << off << " len " << len);
    if (killed(pm, r->outcome)) {
      REQUIRE(r->done <= ok);
      ok = r->done;
    } else {
      REQUIRE(r->done == ok);
      if (ok < len) REQUIRE(r->outcome == Outcome::kSigsegv);
    }
    for (std::uint64_t b = 0; b < ok; b++) {
      const std::uint64_t a = off + b;
      const std::uint8_t want = (*pm.pages[static_cast<int>(a / kPageSize)].cell)[a % kPageSize];
      if (buf[b] != want) {
        FAIL("byte " << (kBase + a) << " reads " << int(buf[b]) << " expected " << int(want));
      }
    }
  }

  void op_loan(ProcModel& pm) {
    int first, count;
    range(&first, &count);
    const LoanTo to = rnd(2) ? LoanTo::kKernel : LoanTo::kAnon;
    auto h = m->loan(*pm.p, va_of(first), count * kPageSize, to);
    // uvm_loan's errors: ENOENT for a hole; EINVAL for a page that cannot
    // be lent. A wired page cannot; wiring is per page, and a page can be
    // shared copy-on-write with a process that wired it, which the model
    // does not track: any wiring anywhere makes EINVAL acceptable, and so
    // does a tiny machine (no memory to bring a page in). Protection is not
    // checked.
    bool any_wired = false;
    for (auto& q : procs)
      for (auto& [i, pg] : q.pages) any_wired |= pg.wired;
    if (!h.ok()) {
      INFO(h.status().ToString());
      const int err = errno_of(h.status());
      REQUIRE((err == ENOENT || err == EINVAL));
      if (err == ENOENT) REQUIRE_FALSE(covered(pm, first, count));
      if (err == EINVAL) REQUIRE((any_wired || m->config().mem_bytes < (1ull << 20)));
      return;
    }
    REQUIRE(covered(pm, first, count));
    LoanModel lm{*h, {}};
    for (int i = first; i < first + count; i++) lm.snapshot.push_back(*pm.pages[i].cell);
    loans.push_back(std::move(lm));
  }

  void op_kread() {
    if (loans.empty()) return;
    LoanModel& lm = loans[rnd(static_cast<int>(loans.size()))];
    const std::uint64_t total = lm.snapshot.size() * kPageSize;
    const std::uint64_t off = rng() % total;
    const std::uint64_t len = 1 + rng() % (total - off);
    auto r = m->loan_read(lm.h, off, len);
    if (!r.ok()) {
      // A lent page the page daemon sent to swap cannot come back when every
      // frame is wired or lent (possible on the tiny machines of the pressure
      // runs): a simulated failure (ENOMEM), the loan stays as it was.
      INFO("step " << step << ": " << r.status().ToString());
      REQUIRE(errno_of(r.status()) == ENOMEM);
      REQUIRE(m->config().mem_bytes < (1ull << 20));
      kread_failures++;
      return;
    }
    for (std::uint64_t b = 0; b < len; b++) {
      const std::uint64_t a = off + b;
      if ((*r)[b] != lm.snapshot[a / kPageSize][a % kPageSize])
        FAIL("step " << step << ": borrower byte " << a << " changed under the loan");
    }
  }

  void op_unloan() {
    if (loans.empty()) return;
    const std::size_t i = static_cast<std::size_t>(rnd(static_cast<int>(loans.size())));
    REQUIRE_OK(m->unloan(loans[i].h));
    loans.erase(loans.begin() + static_cast<long>(i));
  }

  void op_fork(ProcModel& pm) {
    if (procs.size() >= kMaxProcs) return;
    auto c = pm.p->fork();
    if (!c.ok()) {
      // Under memory pressure a fork that must copy wired or loaned pages
      // now can run out of memory: a clear ENOMEM that changes nothing (the
      // checker and every later read verify that).
      INFO(c.status().ToString());
      REQUIRE(errno_of(c.status()) == ENOMEM);
      REQUIRE(m->config().mem_bytes < (1ull << 20));
      forks_failed++;
      return;
    }
    ProcModel cm;
    cm.p = *c;
    for (auto& [i, pg] : pm.pages) {
      switch (pg.inherit) {
        case Inherit::kNone: break;
        case Inherit::kShare: cm.pages[i] = pg; break;
        case Inherit::kCopy:
          cm.pages[i] = pg;
          cm.pages[i].cell = std::make_shared<std::vector<std::uint8_t>>(*pg.cell);
          break;
        case Inherit::kZero:
          cm.pages[i] = pg;
          cm.pages[i].cell = zero_cell();
          cm.pages[i].shared_mapping = false;
          break;
      }
      if (cm.pages.count(i)) cm.pages[i].wired = false;  // wiring is not inherited
    }
    procs.push_back(std::move(cm));
  }

  void op_exit(std::size_t idx) {
    if (procs.size() <= 1) return;
    REQUIRE_OK(procs[idx].p->exit());
    procs.erase(procs.begin() + static_cast<long>(idx));
  }

  void run(int steps) {
    for (step = 0; step < steps; step++) {
      const std::size_t idx = static_cast<std::size_t>(rnd(static_cast<int>(procs.size())));
      ProcModel& pm = procs[idx];
      const int op = rnd(100);
      if (op < 12) op_mmap(pm);
      else if (op < 18) op_munmap(pm);
      else if (op < 25) op_mprotect(pm);
      else if (op < 31) op_minherit(pm);
      else if (op < 35) op_mlock(pm);
      else if (op < 39) op_madvise(pm);
      else if (op < 64) op_write(pm);
      else if (op < 88) op_read(pm);
      else if (op < 95) op_fork(pm);
      else op_exit(idx);
      std::erase_if(procs, [](const ProcModel& q) { return !q.p->alive(); });
      if (procs.empty()) break;  // every process was killed: nothing left to run
      if (with_loans) {
        const int lop = rnd(100);
        if (lop < 8) op_loan(procs[static_cast<std::size_t>(rnd(static_cast<int>(procs.size())))]);
        else if (lop < 20) op_kread();
        else if (lop < 25) op_unloan();
      }
      Status s = m->check();
      if (!s.ok()) FAIL("step " << step << " op " << op << ": " << s.ToString());
    }
    // Every process's full window agrees with the model at the end.
    for (auto& pm : procs)
      for (auto& [i, pg] : pm.pages)
        if (pg.prot & kProtRead) {
          std::vector<std::uint8_t> buf(kPageSize);
          auto r = pm.p->read(va_of(i), buf);
          REQUIRE(r.ok());
          REQUIRE(r->outcome == Outcome::kOk);
          REQUIRE(buf == *pg.cell);
        }
    for (auto& pm : procs) REQUIRE_OK(pm.p->exit());
    // Loans outlive their lenders: the borrowers still see their snapshots.
    while (!loans.empty()) {
      op_kread();
      op_unloan();
      CHECK_INVARIANTS(*m);
    }
    const auto s = m->stats();
    CHECK(s.free + (s.objpages) == s.npages);  // the shared zero page may stay
    CHECK(s.loanedpages == 0);
    CHECK(s.swpginuse == 0);
    CHECK(s.swpgonly == 0);
    CHECK(s.anons == 0);
    CHECK(s.amaps == 0);
    CHECK_INVARIANTS(*m);
  }
};

}  // namespace

TEST_CASE("randomized operations agree with the reference model", "[random]") {
  for (std::uint64_t seed : {1ull, 2ull, 3ull, 4ull}) {
    DYNAMIC_SECTION("seed " << seed) {
      RandomRun r(seed, true);
      r.run(2500);
    }
  }
}

TEST_CASE("randomized operations without ppref", "[random][ppref]") {
  for (std::uint64_t seed : {11ull, 12ull}) {
    DYNAMIC_SECTION("seed " << seed) {
      RandomRun r(seed, false);
      r.run(2000);
    }
  }
}

TEST_CASE("randomized operations under memory pressure (paging to swap)", "[random][swap]") {
  for (std::uint64_t seed : {21ull, 22ull, 23ull}) {
    DYNAMIC_SECTION("seed " << seed) {
      RandomRun r(seed, true, 40 * kPageSize);  // far less than the working set
      r.run(2500);
      CHECK(r.m->stats().pgswapout > 0);
    }
  }
}

TEST_CASE("randomized loans mixed with writes, forks, unmaps and page-outs", "[random][loan]") {
  for (std::uint64_t seed : {31ull, 32ull, 33ull}) {
    DYNAMIC_SECTION("seed " << seed << " (no pressure)") {
      RandomRun r(seed, true);
      r.with_loans = true;
      r.run(2500);
      CHECK(r.m->stats().loan_break_anon + r.m->stats().loan_break_obj + r.m->stats().flt_acow > 0);
    }
    DYNAMIC_SECTION("seed " << seed << " (paging)") {
      RandomRun r(seed, true, 48 * kPageSize);
      r.with_loans = true;
      r.run(2500);
      CHECK(r.m->stats().pgswapout > 0);
      CHECK(r.m->stats().unloans > 0);
    }
  }
}

// A wider sweep: 60 seeds mixing ppref on/off, paging and loans. A review
// found a swap-accounting bug (O->A adoption of a clean aobj page) with 19
// of these seeds that the handful above never hit.
#if defined(__SANITIZE_ADDRESS__)
constexpr std::uint64_t kSweepSeeds = 16;  // the sanitizer build is ~50x slower here
#else
constexpr std::uint64_t kSweepSeeds = 60;
#endif

// UVMSIM_SWEEP_SEEDS=N runs N seeds instead (a longer bug hunt by hand).
std::uint64_t sweep_seeds() {
  const char* env = std::getenv("UVMSIM_SWEEP_SEEDS");
  return env && *env ? std::strtoull(env, nullptr, 10) : kSweepSeeds;
}

TEST_CASE("randomized sweep over many seeds (loans, paging, ppref)", "[random][sweep]") {
  const std::uint64_t n = sweep_seeds();
  for (std::uint64_t seed = 100; seed < 100 + n; seed++) {
    DYNAMIC_SECTION("seed " << seed) {
      RandomRun r(seed, seed % 3 != 0, seed % 2 ? 48 * kPageSize : (8ull << 20));
      r.with_loans = seed % 4 != 0;
      r.run(3000);
    }
  }
}
