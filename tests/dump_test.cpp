// Structure dumps (include/uvmsim/dump.h) and per-process counters
// (Process::stats): what they report must be what the model holds after
// fork, copy-on-write, loans, paging and shared file mappings.
#include <catch2/catch.hpp>

#include "helpers.h"
#include "uvmsim/dump.h"

using namespace uvmsim;
using namespace uvmsim::test;

namespace {

constexpr vaddr_t kA = 0x10000000;

const DumpEntry* entry_at(const SpaceDump& d, vaddr_t va) {
  for (const DumpEntry& e : d.entries)
    if (e.start <= va && va < e.end) return &e;
  return nullptr;
}

const DumpAnon* anon_at(const DumpEntry& e, vaddr_t va) {
  for (const DumpAnon& a : e.anons)
    if (a.va == va) return &a;
  return nullptr;
}

}  // namespace

TEST_CASE("dump: fork shares anons, a COW write gives the writer its own", "[amap][dump]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(kA, 4 * kPageSize, kProtRead | kProtWrite, Sharing::kPrivate).ok());
  REQUIRE(p->fill(kA, 4 * kPageSize, 0x41)->ok());
  auto c = p->fork("c");
  REQUIRE(c.ok());
  write_str(*c, kA, "child");

  auto dp = dump_process(*p);
  REQUIRE(dp.ok());
  REQUIRE(dp->entries.size() == 1);
  const DumpEntry& e = dp->entries[0];
  CHECK(e.start == kA);
  CHECK(e.end == kA + 4 * kPageSize);
  CHECK(e.prot == (kProtRead | kProtWrite));
  CHECK(e.cow);
  REQUIRE(e.amap >= 0);
  REQUIRE(e.anons.size() == 4);
  // Page 0: the child copied it, so p's anon is its own; pages 1-3 are
  // shared with c (an_ref 2) and the dump names c.
  const DumpAnon* a0 = anon_at(e, kA);
  REQUIRE(a0);
  CHECK(a0->refs == 1);
  CHECK(a0->shared_with.empty());
  for (int i = 1; i < 4; i++) {
    const DumpAnon* a = anon_at(e, kA + ptoa(static_cast<std::uint64_t>(i)));
    REQUIRE(a);
    CHECK(a->refs == 2);
    CHECK(a->resident);
    REQUIRE(a->shared_with.size() == 1);
    CHECK(a->shared_with[0].process == "c");
  }
  auto dc = dump_process(**c);
  REQUIRE(dc.ok());
  const DumpAnon* c0 = anon_at(dc->entries.at(0), kA);
  REQUIRE(c0);
  CHECK(c0->refs == 1);
  CHECK(c0->id != a0->id);
  CHECK(c0->page.frame != a0->page.frame);

  // Text and dot collapse the three shared anons into one run.
  const std::string text = dump_text(*dp);
  CHECK(text.find("anons slots 1-3") != std::string::npos);
  CHECK(text.find("also in c") != std::string::npos);
  const std::string dot = dump_dot(*dp);
  CHECK(dot.starts_with("digraph uvmsim {"));
  CHECK(dot.find("3 anons") != std::string::npos);
  CHECK(dot.find("\"proc_c\"") != std::string::npos);
  const std::string json = dump_json(*dp);
  CHECK(json.starts_with("{\"schema\": 1, \"process\": \"p\""));
  CHECK(json.find("\"shared_with\": [{\"process\": \"c\"") != std::string::npos);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("dump: loans, wiring and swapped anons", "[amap][dump]") {
  auto m = make_machine(1ull << 20, true, 8ull << 20);  // 256 pages
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(kA, 2 * kPageSize, kProtRead | kProtWrite, Sharing::kPrivate).ok());
  REQUIRE(p->fill(kA, 2 * kPageSize, 1)->ok());
  auto loan = m->loan(*p, kA, kPageSize, LoanTo::kKernel);
  REQUIRE(loan.ok());
  REQUIRE(p->mlock(kA + kPageSize, kPageSize).ok());
  // A second region big enough to push the rest of memory out.
  const vaddr_t big = 0x40000000;
  REQUIRE(p->mmap(big, 512 * kPageSize, kProtRead | kProtWrite, Sharing::kPrivate).ok());
  REQUIRE(p->fill(big, 512 * kPageSize, 7)->ok());

  auto d = dump_process(*p);
  REQUIRE(d.ok());
  const DumpEntry* e = entry_at(*d, kA);
  REQUIRE(e);
  const DumpAnon* lent = anon_at(*e, kA);
  REQUIRE(lent);
  CHECK(lent->resident);  // loaned pages are not paged out
  CHECK(lent->page.loan_count == 1);
  const DumpEntry* w = entry_at(*d, kA + kPageSize);
  REQUIRE(w);
  CHECK(w->wired_count == 1);
  const DumpAnon* wired = anon_at(*w, kA + kPageSize);
  REQUIRE(wired);
  CHECK(wired->page.wire_count == 1);
  std::uint64_t swapped = 0;
  for (const DumpEntry& x : d->entries)
    for (const DumpAnon& a : x.anons)
      if (!a.resident) {
        CHECK(a.swslot > 0);
        swapped++;
      }
  CHECK(swapped > 0);
  const ProcessStats ps = p->stats();
  CHECK(ps.swapped == swapped);
  CHECK(ps.loaned == 1);
  CHECK(ps.loans == 1);
  CHECK(d->queues.npages == 256);
  REQUIRE_OK(m->unloan(*loan));
  CHECK_INVARIANTS(*m);
}

TEST_CASE("dump: a shared file mapping names the file and the other mapper", "[dump]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("data", 4 * kPageSize, 0x61));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(0x20000000, 4 * kPageSize, kProtRead | kProtWrite, Sharing::kShared, "data", 0).ok());
  std::uint8_t b[1];
  REQUIRE(p->read(0x20000000, b)->ok());
  auto c = p->fork("c");
  REQUIRE(c.ok());
  REQUIRE((*c)->read(0x20000000, b)->ok());
  auto d = dump_process(*p);
  REQUIRE(d.ok());
  REQUIRE(d->objects.size() == 1);
  CHECK(d->objects[0].kind == "vnode");
  CHECK(d->objects[0].name == "data");
  CHECK(d->objects[0].refs == 2);
  REQUIRE(d->objects[0].mapped_by.size() == 1);
  CHECK(d->objects[0].mapped_by[0].process == "c");
  const DumpEntry& e = d->entries.at(0);
  REQUIRE(e.object_pages.size() >= 1);
  CHECK(e.object_pages[0].offset == 0);
  REQUIRE(e.object_pages[0].shared_with.size() == 1);
  CHECK(e.object_pages[0].shared_with[0].process == "c");
}

TEST_CASE("dump: an exited process is an error, not a crash", "[dump]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE_OK(p->exit());
  auto d = dump_process(*p);
  REQUIRE(!d.ok());
  CHECK(d.status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("dump: a long fill collapses into few runs, JSON lists every anon", "[amap][dump]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(kA, 1000 * kPageSize, kProtRead | kProtWrite, Sharing::kPrivate).ok());
  REQUIRE(p->fill(kA, 1000 * kPageSize, 3)->ok());
  auto d = dump_process(*p);
  REQUIRE(d.ok());
  std::size_t anons = 0;
  for (const DumpEntry& e : d->entries) anons += e.anons.size();
  CHECK(anons == 1000);
  const std::string text = dump_text(*d);
  std::size_t lines = 0;
  for (char ch : text) lines += ch == '\n';
  // amap_copy chunks: about 1000 / 16 entries, each one run of anons.
  CHECK(lines < 3 * d->entries.size() + 4);
  const std::string dot = dump_dot(*d);
  std::size_t nodes = 0;
  for (std::size_t at = dot.find("[label="); at != std::string::npos; at = dot.find("[label=", at + 1)) nodes++;
  CHECK(nodes < 1000 / 3);
  CHECK(dot.find("16 anons") != std::string::npos);
}

TEST_CASE("process counters: faults by case are charged to the faulting process", "[stats]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(kA, 4 * kPageSize, kProtRead | kProtWrite, Sharing::kPrivate).ok());
  REQUIRE(p->fill(kA, 4 * kPageSize, 1)->ok());
  auto c = p->fork("c");
  REQUIRE(c.ok());
  write_str(*c, kA, "x");
  write_str(*c, kA + kPageSize, "y");
  std::uint8_t b[1];
  REQUIRE((*c)->read(kA + 2 * kPageSize, b)->ok());

  const ProcessStats ps = p->stats();
  const ProcessStats cs = (*c)->stats();
  CHECK(ps.flt_przero == 4);
  CHECK(ps.zeropages == 4);
  CHECK(ps.flt_acow == 0);
  CHECK(ps.forks == 1);
  CHECK(cs.flt_acow == 2);
  CHECK(cs.pagecopies == 2);
  CHECK(cs.flt_przero == 0);
  CHECK(cs.forks == 0);
  CHECK(cs.resident == (*c)->resident_pages());
  // Every fault of the machine was charged to one of them.
  const UvmExp s = m->stats();
  CHECK(ps.flt_przero + cs.flt_przero == s.flt_przero);
  CHECK(ps.flt_acow + cs.flt_acow == s.flt_acow);
  CHECK(ps.faults + cs.faults <= s.faults);
  CHECK(ps.faults + cs.faults > 0);
  CHECK(ProcessStats{}.to_json().starts_with("{\"faults\": 0"));
}

TEST_CASE("process counters: swapped pages of a shared anonymous mapping are those only in swap", "[stats]") {
  auto m = make_machine(1ull << 20, true, 8ull << 20);  // 256 pages
  Process* p = spawn(*m, "p");
  constexpr std::uint64_t kPages = 400;
  REQUIRE(p->mmap(kA, kPages * kPageSize, kProtRead | kProtWrite, Sharing::kShared).ok());
  REQUIRE(p->fill(kA, kPages * kPageSize, 9)->ok());
  // Read the first pages back: paged in, they keep their swap slots.
  auto s = p->sum(kA, 32 * kPageSize);
  REQUIRE(s.ok());
  REQUIRE(s->ok());
  auto d = dump_process(*p);
  REQUIRE(d.ok());
  REQUIRE(d->entries.size() == 1);
  const std::uint64_t resident = d->entries[0].object_pages.size();
  REQUIRE(d->objects.at(0).kind == "aobj");
  CHECK(resident < kPages);
  // Every page was written: each is resident or only in swap.
  CHECK(p->stats().swapped == kPages - resident);
  CHECK(d->objects[0].swap_blocks >= kPages - resident);
  CHECK_INVARIANTS(*m);
}
