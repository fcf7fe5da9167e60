// The vnode pager (seed 004, uvm_vnode.c): the seed's behaviours driven
// through the process API over real host files, with the invariant checker
// after every step.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "core/uvm.h"
#include "helpers.h"
#include "pagers/file_table.h"
#include "pagers/vnode.h"

using namespace uvmsim;
using namespace uvmsim::test;

namespace {

constexpr vaddr_t A = 0x10000000;
constexpr vaddr_t B = 0x20000000;
constexpr std::uint64_t P = kPageSize;

FileTable& files(Machine& m) {
  REQUIRE(m.uvm().files);
  return *m.uvm().files;
}

Vnode& vnode(Machine& m, const char* name) {
  Vnode* vn = files(m).find(name);
  REQUIRE(vn != nullptr);
  return *vn;
}

UvmExp vstats(Machine& m) { return m.stats(); }

std::string file_str(Machine& m, const char* name, std::uint64_t off, std::uint64_t len) {
  auto v = m.read_file(name, off, len);
  REQUIRE_OK(v.status());
  return std::string(v->begin(), v->end());
}

std::string bytes(std::uint64_t n, char c) { return std::string(n, c); }

}  // namespace

TEST_CASE("vnode attach sharing: one vnode, shared pages", "[vnode][attach]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", 3 * P, 'a'));
  Process* p1 = spawn(*m, "p1");
  Process* p2 = spawn(*m, "p2");
  REQUIRE(p1->mmap_file(A, 3 * P, RW, Sharing::kShared, "f", 0).ok());
  REQUIRE(p2->mmap_file(B, 3 * P, RW, Sharing::kShared, "f", 0).ok());
  CHECK_INVARIANTS(*m);
  Vnode& vn = vnode(*m, "f");
  CHECK(vn.uo_refs == 2);
  CHECK(vstats(*m).vnode_attach == 2);

  CHECK(read_str(p1, A, 4) == "aaaa");
  const auto before = vstats(*m);
  CHECK(read_str(p2, B, 4) == "aaaa");  // the page p1 brought in
  CHECK(vstats(*m).vnode_pagein == before.vnode_pagein);
  CHECK(vn.memq.size() == 1);

  write_str(p1, A + P + 7, "shared!");
  CHECK(read_str(p2, B + P + 7, 7) == "shared!");
  write_str(p2, B + 2 * P, "back");
  CHECK(read_str(p1, A + 2 * P, 4) == "back");
  CHECK(m->stats().objpages == 3);
  CHECK(m->stats().anons == 0);
  CHECK_INVARIANTS(*m);

  // A mapping at an offset sees the same pages.
  Process* p3 = spawn(*m, "p3");
  REQUIRE(p3->mmap_file(A, P, R, Sharing::kShared, "f", P).ok());
  CHECK(read_str(p3, A + 7, 7) == "shared!");
  CHECK(vn.uo_refs == 3);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("shared-mapping write reaches the file after msync", "[vnode][msync]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", 4 * P, 'a'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(A, 4 * P, RW, Sharing::kShared, "f", 0).ok());
  write_str(p, A + 100, "hello");
  write_str(p, A + 3 * P, "tail");
  CHECK_INVARIANTS(*m);
  // Only in memory so far.
  CHECK(file_str(*m, "f", 100, 5) == "aaaaa");
  const auto before = vstats(*m);
  REQUIRE_OK(p->msync(A, 4 * P, MsyncMode::kSync));
  CHECK_INVARIANTS(*m);
  CHECK(file_str(*m, "f", 100, 5) == "hello");
  CHECK(file_str(*m, "f", 3 * P, 4) == "tail");
  const auto after = vstats(*m);
  CHECK(after.vnode_pageout - before.vnode_pageout == 2);
  CHECK(after.vnode_clusters - before.vnode_clusters == 2);  // pages 0 and 3: not contiguous

  // Clean now: a second msync writes nothing; a new write is seen again.
  REQUIRE_OK(p->msync(A, 4 * P));
  CHECK(vstats(*m).vnode_pageout == after.vnode_pageout);
  write_str(p, A + 100, "again");
  REQUIRE_OK(p->msync(A, P, MsyncMode::kAsync));
  CHECK(file_str(*m, "f", 100, 5) == "again");
  CHECK(vstats(*m).vnode_pageout == after.vnode_pageout + 1);
  // Pages stay resident and mapped after a plain msync.
  CHECK(p->resident_pages() >= 2);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("persistence: the vnode and its pages outlive the last mapping", "[vnode][persist]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", 4 * P, 'a'));
  const auto base_free = m->stats().free;
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(A, 4 * P, RW, Sharing::kShared, "f", 0).ok());
  for (int i = 0; i < 4; i++) CHECK(read_str(p, A + i * P, 1) == "a");
  write_str(p, A + 2 * P, "dirty");
  Vnode& vn = vnode(*m, "f");
  CHECK(vstats(*m).vnode_pagein == 4);

  // Last detach: dirty pages written back, the rest cached (inactive).
  REQUIRE_OK(p->munmap(A, 4 * P));
  CHECK_INVARIANTS(*m);
  CHECK(vn.uo_refs == 0);
  CHECK(vn.persisting());
  CHECK(vn.memq.size() == 4);
  CHECK(files(*m).persisting_pages() == 4);
  CHECK(file_str(*m, "f", 2 * P, 5) == "dirty");
  for (auto& [off, pg] : vn.memq) {
    CHECK((pg->flags & PG_CLEAN));
    CHECK(pg->queue() == PageQueue::kInactive);
  }
  CHECK(m->stats().free == base_free - 4);

  // A new mapping (another process) finds the cached pages: no re-read.
  Process* q = spawn(*m, "q");
  REQUIRE(q->mmap_file(B, 4 * P, R, Sharing::kShared, "f", 0).ok());
  CHECK(vstats(*m).vnode_persist_hits == 1);
  const auto before = vstats(*m);
  for (int i = 0; i < 4; i++) CHECK(read_str(q, B + i * P, 1) == (i == 2 ? "d" : "a"));
  const auto after = vstats(*m);
  CHECK(after.vnode_pagein == before.vnode_pagein);
  CHECK(after.vnode_get_hits > before.vnode_get_hits);
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(q->exit());
  REQUIRE_OK(p->exit());
  CHECK(m->stats().free == base_free - 4);  // exactly the cached pages
  CHECK_INVARIANTS(*m);
}

TEST_CASE("end-of-file rules: partial page zero-filled, SIGBUS past, SIGSEGV read-only", "[vnode][eof]") {
  auto m = make_machine();
  const std::uint64_t size = P + 904;
  REQUIRE_OK(m->create_file("f", size, 'x'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(A, 3 * P, RW, Sharing::kShared, "f", 0).ok());
  REQUIRE(p->mmap_file(B, 3 * P, R, Sharing::kShared, "f", 0).ok());
  const vaddr_t C = 0x30000000;
  REQUIRE(p->mmap_file(C, 3 * P, RW, Sharing::kPrivate, "f", 0).ok());

  // The last partial page: file bytes, then zeros.
  CHECK(read_str(p, A + P, 904) == bytes(904, 'x'));
  CHECK(read_str(p, A + size, P - 904) == bytes(P - 904, '\0'));
  CHECK(read_str(p, C + size, 8) == bytes(8, '\0'));
  CHECK_INVARIANTS(*m);

  // Wholly past end of file: SIGBUS for reads and writes.
  const auto b0 = m->stats().flt_bus;
  CHECK(read_outcome(p, A + 2 * P, 1) == Outcome::kSigbus);
  CHECK(write_outcome(p, A + 2 * P, "x") == Outcome::kSigbus);
  CHECK(read_outcome(p, B + 2 * P, 1) == Outcome::kSigbus);
  CHECK(read_outcome(p, C + 2 * P, 1) == Outcome::kSigbus);
  CHECK(write_outcome(p, C + 2 * P, "x") == Outcome::kSigbus);
  CHECK(m->stats().flt_bus - b0 == 5);
  CHECK(vstats(*m).vnode_get_eof >= 5);
  // Protection is checked first: a write to the read-only mapping is SIGSEGV.
  CHECK(write_outcome(p, B + 2 * P, "x") == Outcome::kSigsegv);
  CHECK(write_outcome(p, B, "x") == Outcome::kSigsegv);
  CHECK_INVARIANTS(*m);

  // A store past end of file inside the last page stays in memory: the
  // write-back stops at end of file and the size does not change.
  write_str(p, A + size - 2, "EOF!");
  REQUIRE_OK(p->msync(A, 3 * P));
  auto sz = m->file_size("f");
  REQUIRE_OK(sz.status());
  CHECK(*sz == size);
  CHECK(file_str(*m, "f", size - 2, 100) == "EO");
  CHECK(read_str(p, A + size - 2, 4) == "EOF!");
  CHECK_INVARIANTS(*m);
}

TEST_CASE("private mapping: shares the file page until written, then promotes", "[amap][vnode][private]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", 2 * P, 'a'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(A, 2 * P, RW, Sharing::kPrivate, "f", 0).ok());
  Process* w = spawn(*m, "writer");
  REQUIRE(w->mmap_file(B, 2 * P, RW, Sharing::kShared, "f", 0).ok());

  // Reads map the file's pages (case 2A, read-only): no anon, no copy.
  CHECK(read_str(p, A, 2) == "aa");
  CHECK(read_str(p, A + P, 2) == "aa");
  CHECK(m->stats().anons == 0);
  CHECK(vnode(*m, "f").memq.size() == 2);
  CHECK_INVARIANTS(*m);

  // First write promotes page 0 to an anon (case 2B).
  const auto s0 = m->stats();
  write_str(p, A, "mine");
  const auto s1 = m->stats();
  CHECK(s1.flt_prcopy - s0.flt_prcopy == 1);
  CHECK(s1.anons == 1);
  CHECK(read_str(p, A, 6) == "mineaa");
  CHECK(read_str(w, B, 4) == "aaaa");  // the file page is untouched
  REQUIRE_OK(p->msync(A, 2 * P));
  CHECK(file_str(*m, "f", 0, 4) == "aaaa");
  CHECK_INVARIANTS(*m);

  // Later writes to the file: not seen through the promoted page, seen
  // through the unpromoted one.
  write_str(w, B, "FILE");
  write_str(w, B + P, "FILE");
  CHECK(read_str(p, A, 4) == "mine");
  CHECK(read_str(p, A + P, 4) == "FILE");
  CHECK_INVARIANTS(*m);

  // Writing the second page now copies the current file data.
  write_str(p, A + P + 4, "!");
  CHECK(read_str(p, A + P, 5) == "FILE!");
  REQUIRE_OK(w->msync(B, 2 * P));
  CHECK(file_str(*m, "f", P, 5) == "FILEa");
  CHECK(m->stats().flt_prcopy - s0.flt_prcopy == 2);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("truncate: pages past the end dropped, bytes before kept, growth reads zeros", "[vnode][truncate]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", 4 * P, 'z'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(A, 4 * P, RW, Sharing::kShared, "f", 0).ok());
  for (int i = 0; i < 4; i++) CHECK(read_str(p, A + i * P, 1) == "z");
  write_str(p, A + 2 * P + 10, "MEM");      // only in memory (no msync)
  write_str(p, A + 2 * P + 100, "PASTEND");  // past the new end below
  write_str(p, A + 3 * P, "gone");
  Vnode& vn = vnode(*m, "f");
  const std::uint64_t newsize = 2 * P + 20;

  REQUIRE_OK(m->truncate_file("f", newsize));
  CHECK_INVARIANTS(*m);
  CHECK(*m->file_size("f") == newsize);
  CHECK(vn.memq.size() == 3);
  CHECK(vstats(*m).vnode_truncated == 1);
  CHECK(read_outcome(p, A + 3 * P, 1) == Outcome::kSigbus);
  CHECK(write_outcome(p, A + 3 * P, "x") == Outcome::kSigbus);
  // The page holding the new end: bytes before it kept, zeros past it.
  CHECK(read_str(p, A + 2 * P, 20) == "zzzzzzzzzzMEMzzzzzzz");
  CHECK(read_str(p, A + 2 * P + 20, 200) == bytes(200, '\0'));
  // ... and the in-memory bytes reach the file.
  REQUIRE_OK(p->msync(A, 4 * P));
  CHECK(file_str(*m, "f", 2 * P, P) == "zzzzzzzzzzMEMzzzzzzz");
  CHECK_INVARIANTS(*m);

  // A store past the end (in memory only), then growth: the new bytes are
  // zeros, in the mapping and in the file.
  write_str(p, A + 2 * P + 30, "junk");
  REQUIRE_OK(m->truncate_file("f", 4 * P));
  CHECK(read_str(p, A + 2 * P + 20, 100) == bytes(100, '\0'));
  CHECK(read_str(p, A + 3 * P, 8) == bytes(8, '\0'));
  REQUIRE_OK(p->msync(A, 4 * P));
  CHECK(file_str(*m, "f", 2 * P, 20) == "zzzzzzzzzzMEMzzzzzzz");
  CHECK(file_str(*m, "f", 2 * P + 20, 2 * P - 20) == bytes(2 * P - 20, '\0'));
  CHECK_INVARIANTS(*m);

  // Truncation to zero: every page gone, every access SIGBUS.
  REQUIRE_OK(m->truncate_file("f", 0));
  CHECK(vn.memq.empty());
  CHECK(read_outcome(p, A, 1) == Outcome::kSigbus);
  CHECK(m->read_file("f", 0, 10)->empty());
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(p->exit());
  CHECK_INVARIANTS(*m);
}

TEST_CASE("truncate keeps private promoted pages and drops wired file pages", "[vnode][truncate]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", 2 * P, 'q'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(A, 2 * P, RW, Sharing::kPrivate, "f", 0).ok());
  REQUIRE(p->mmap_file(B, 2 * P, RW, Sharing::kShared, "f", 0).ok());
  write_str(p, A + P, "anon");  // promoted: an anon, not a file page
  REQUIRE_OK(p->mlock(B, 2 * P));
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(m->truncate_file("f", P));
  CHECK_INVARIANTS(*m);
  CHECK(read_str(p, A + P, 4) == "anon");
  CHECK(read_outcome(p, B + P, 1) == Outcome::kSigbus);
  REQUIRE_OK(p->munlock(B, 2 * P));
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(p->exit());
  CHECK_INVARIANTS(*m);
}

TEST_CASE("flush traversal: by list or by offset, clustered write-back", "[vnode][flush]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", 256 * P, 'a'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(A, 256 * P, RW, Sharing::kShared, "f", 0).ok());
  for (int i = 0; i < 40; i++) write_str(p, A + i * P, "w");
  write_str(p, A + 50 * P, "w");
  for (int i = 60; i < 200; i++) CHECK(read_str(p, A + i * P, 1) == "a");
  Vnode& vn = vnode(*m, "f");
  REQUIRE(vn.memq.size() >= 181);
  CHECK_INVARIANTS(*m);

  // A small range in an object with many pages: look the offsets up.
  auto s0 = vstats(*m);
  REQUIRE_OK(p->msync(A + 50 * P, P));
  auto s1 = vstats(*m);
  CHECK(s1.vnode_flush_byoff - s0.vnode_flush_byoff == 1);
  CHECK(s1.vnode_flush_lookups - s0.vnode_flush_lookups == 1);
  CHECK(s1.vnode_flush_visits == s0.vnode_flush_visits);
  CHECK(s1.vnode_pageout - s0.vnode_pageout == 1);

  // The whole range: walk the page list. Runs of dirty pages go out in
  // clusters of at most kMaxCluster pages: 0-15, 16-31, 32-39.
  REQUIRE_OK(p->msync(A, 256 * P));
  auto s2 = vstats(*m);
  CHECK(s2.vnode_flush_bylist - s1.vnode_flush_bylist == 1);
  CHECK(s2.vnode_flush_visits - s1.vnode_flush_visits == vn.memq.size());
  CHECK(s2.vnode_flush_lookups == s1.vnode_flush_lookups);
  CHECK(s2.vnode_pageout - s1.vnode_pageout == 40);
  CHECK(s2.vnode_clusters - s1.vnode_clusters == 3);
  CHECK(file_str(*m, "f", 39 * P, 1) == "w");
  CHECK(file_str(*m, "f", 40 * P, 1) == "a");
  CHECK_INVARIANTS(*m);

  // Invalidate: clean pages of the range are freed; they are read again
  // on the next access.
  const auto resident = vn.memq.size();
  write_str(p, A + 70 * P, "v");
  REQUIRE_OK(p->msync(A + 64 * P, 16 * P, MsyncMode::kInvalidate));
  CHECK(vn.memq.size() == resident - 16);
  CHECK(file_str(*m, "f", 70 * P, 1) == "v");
  auto s3 = vstats(*m);
  CHECK(read_str(p, A + 70 * P, 1) == "v");
  CHECK(vstats(*m).vnode_pagein - s3.vnode_pagein == 1);
  CHECK_INVARIANTS(*m);

  // A range put of PGO_DEACTIVATE (madvise dontneed) moves pages to the
  // inactive queue; the data stays.
  REQUIRE_OK(p->madvise(A + 100 * P, 4 * P, Madvise::kDontNeed));
  for (int i = 100; i < 104; i++) CHECK(vn.find_page(i * P)->queue() == PageQueue::kInactive);
  CHECK(read_str(p, A + 100 * P, 1) == "a");
  CHECK_INVARIANTS(*m);
}

TEST_CASE("fork with file mappings", "[vnode][fork]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", 2 * P, 'a'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(A, 2 * P, RW, Sharing::kShared, "f", 0).ok());
  REQUIRE(p->mmap_file(B, 2 * P, RW, Sharing::kPrivate, "f", 0).ok());
  write_str(p, B, "parent");  // promoted in the parent before the fork
  auto c = p->fork("c");
  REQUIRE(c.ok());
  CHECK_INVARIANTS(*m);
  Vnode& vn = vnode(*m, "f");
  CHECK(vn.uo_refs == 4);

  // Shared: both see each other's stores.
  write_str(*c, A, "child");
  CHECK(read_str(p, A, 5) == "child");
  // Private: copy-on-write across the fork, the file untouched.
  CHECK(read_str(*c, B, 6) == "parent");
  write_str(*c, B, "kid");
  CHECK(read_str(p, B, 6) == "parent");
  CHECK(read_str(*c, B, 6) == "kident");
  CHECK(read_str(*c, B + P, 1) == "a");
  CHECK_INVARIANTS(*m);

  REQUIRE_OK((*c)->msync(A, 2 * P));
  CHECK(file_str(*m, "f", 0, 5) == "child");
  REQUIRE_OK((*c)->exit());
  CHECK(vn.uo_refs == 2);
  CHECK_INVARIANTS(*m);
  CHECK(read_str(p, A, 5) == "child");
  REQUIRE_OK(p->exit());
  CHECK(vn.uo_refs == 0);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("exit frees everything but the persisting cache", "[vnode][exit]") {
  auto m = make_machine();
  REQUIRE_OK(m->create_file("f", 8 * P, 'a'));
  REQUIRE_OK(m->create_file("g", 3 * P + 5, 'b'));
  const auto base = m->stats();
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(A, 8 * P, RW, Sharing::kShared, "f", 0).ok());
  REQUIRE(p->mmap_file(B, 4 * P, RW, Sharing::kPrivate, "g", 0).ok());
  REQUIRE(p->mmap(0x40000000, 4 * P, RW, Sharing::kPrivate).ok());
  for (int i = 0; i < 8; i++) write_str(p, A + i * P, "F");
  for (int i = 0; i < 4; i++) CHECK(read_str(p, B + i * P, 1) == "b");
  write_str(p, B + P, "G");  // promoted
  write_str(p, 0x40000000, "anon");
  auto c = p->fork("c");
  REQUIRE(c.ok());
  write_str(*c, B + 2 * P, "H");
  CHECK_INVARIANTS(*m);
  REQUIRE_OK((*c)->exit());
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(p->exit());
  CHECK_INVARIANTS(*m);

  const auto end = m->stats();
  const std::uint64_t cached = files(*m).persisting_pages();
  CHECK(cached == 8 + 4);
  CHECK(end.objpages == cached);
  CHECK(end.anons == 0);
  CHECK(end.amaps == 0);
  CHECK(end.free == base.free - cached);
  // The dirty shared pages reached the file at the last detach; the
  // private ones never do.
  CHECK(file_str(*m, "f", 7 * P, 1) == "F");
  CHECK(file_str(*m, "g", P, 1) == "b");

  // The page daemon may take the clean cached pages.
  m->uvm().files->find("f")->put(0, 8 * P, PGO_FREE);
  CHECK(m->stats().free == base.free - 4);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("file pages under memory pressure round-trip through the file", "[vnode][pressure]") {
  auto m = make_machine(64 * P);  // far less memory than the file
  REQUIRE_OK(m->create_file("big", 256 * P, 0));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(A, 256 * P, RW, Sharing::kShared, "big", 0).ok());
  for (int i = 0; i < 256; i++) write_str(p, A + i * P + (i % 100), "page" + std::to_string(i));
  CHECK_INVARIANTS(*m);
  for (int i = 0; i < 256; i++) {
    const std::string want = "page" + std::to_string(i);
    CHECK(read_str(p, A + i * P + (i % 100), want.size()) == want);
  }
  REQUIRE_OK(p->msync(A, 256 * P));
  for (int i = 0; i < 256; i += 17) {
    const std::string want = "page" + std::to_string(i);
    CHECK(file_str(*m, "big", i * P + (i % 100), want.size()) == want);
  }
  CHECK(vstats(*m).vnode_pageout >= 256);
  CHECK_INVARIANTS(*m);
}

namespace {

// Machine destruction with a file still mapped and one persisting: the
// dirty pages reach the files in file_dir, which stay; a private directory
// goes.
void file_dir_survives() {
  char tmpl[] = "/tmp/uvmsim-vnode-test-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  {
    MachineConfig cfg;
    cfg.mem_bytes = 1 << 20;
    cfg.backend = Backend::kSoft;
    cfg.file_dir = dir;
    auto mm = Machine::Create(cfg);
    REQUIRE_OK(mm.status());
    Machine& m = **mm;
    REQUIRE_OK(m.create_file("kept", 2 * P, 'k'));
    REQUIRE_OK(m.create_file("cached", P, 'c'));
    Process* p = spawn(m, "p");
    REQUIRE(p->mmap_file(A, 2 * P, RW, Sharing::kShared, "kept", 0).ok());
    REQUIRE(p->mmap_file(B, P, RW, Sharing::kShared, "cached", 0).ok());
    write_str(p, A + P, "unsynced");
    write_str(p, B, "cache");
    REQUIRE_OK(p->munmap(B, P));  // persisting, already written
    CHECK(files(m).dir() == dir);
    // The machine dies with p still mapping "kept".
  }
  std::ifstream in(dir + "/kept", std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(data.size() == 2 * P);
  CHECK(data.substr(P, 8) == "unsynced");
  CHECK(data.substr(0, 3) == "kkk");
  std::ifstream in2(dir + "/cached", std::ios::binary);
  std::string d2((std::istreambuf_iterator<char>(in2)), std::istreambuf_iterator<char>());
  CHECK(d2.substr(0, 5) == "cache");
  ::unlink((dir + "/kept").c_str());
  ::unlink((dir + "/cached").c_str());
  CHECK(::rmdir(dir.c_str()) == 0);
}

void private_dir_removed() {
  std::string dir;
  {
    std::unique_ptr<Machine> owner = make_machine();
    Machine& m = *owner;
    REQUIRE_OK(m.create_file("f", P, 1));
    dir = files(m).dir();
    struct stat st;
    REQUIRE(::stat(dir.c_str(), &st) == 0);
    Process* p = spawn(m, "p");
    REQUIRE(p->mmap_file(A, P, RW, Sharing::kShared, "f", 0).ok());
    write_str(p, A, "x");
    // Another file cached with a page, unmapped.
    REQUIRE_OK(m.create_file("g", P, 2));
    REQUIRE(p->mmap_file(B, P, R, Sharing::kShared, "g", 0).ok());
    CHECK(read_str(p, B, 1) == "\x02");
    REQUIRE_OK(p->munmap(B, P));
  }
  struct stat st;
  CHECK(::stat(dir.c_str(), &st) != 0);
}

}  // namespace

TEST_CASE("files in file_dir survive the machine with their dirty pages", "[vnode][lifetime]") {
  file_dir_survives();
}

TEST_CASE("private file directory is removed with the machine", "[vnode][lifetime]") {
  private_dir_removed();
}

TEST_CASE("vnode bad input: errno statuses, state unchanged", "[vnode][bad-input]") {
  auto m = make_machine();
  Process* p = spawn(*m, "p");
  // No file table yet.
  CHECK(errno_of(p->mmap_file(A, P, RW, Sharing::kShared, "nope", 0).status()) == ENOENT);
  CHECK(errno_of(m->read_file("nope", 0, 1).status()) == ENOENT);
  CHECK(errno_of(m->file_size("nope").status()) == ENOENT);
  CHECK(errno_of(m->truncate_file("nope", 0)) == ENOENT);
  CHECK(errno_of(m->create_file("", P)) == EINVAL);
  CHECK(errno_of(m->create_file("9lives", P)) == EINVAL);
  CHECK(errno_of(m->create_file("a/b", P)) == EINVAL);
  CHECK(errno_of(m->create_file("..", P)) == EINVAL);
  CHECK(errno_of(m->create_file(std::string(500, 'a'), P)) == EINVAL);
  CHECK(m->uvm().files == nullptr);  // bad input leaves no trace

  REQUIRE_OK(m->create_file("f", 2 * P, 'a'));
  CHECK(errno_of(m->create_file("f", P)) == EEXIST);
  CHECK(errno_of(m->create_file("huge", FileTable::kMaxFileSize + 1)) == EINVAL);
  CHECK(errno_of(m->truncate_file("f", ~0ull)) == EINVAL);
  REQUIRE(p->mmap_file(A, 2 * P, RW, Sharing::kShared, "f", 0).ok());
  write_str(p, A, "keep");

  CHECK(errno_of(p->mmap_file(A + 1, P, RW, Sharing::kShared, "f", 0).status()) == EINVAL);
  CHECK(errno_of(p->mmap_file(A, P, RW, Sharing::kShared, "f", 5).status()) == EINVAL);
  CHECK(errno_of(p->mmap_file(A, 0, RW, Sharing::kShared, "f", 0).status()) == EINVAL);
  CHECK(errno_of(p->mmap_file(A, P, 0x80, Sharing::kShared, "f", 0).status()) == EINVAL);
  CHECK(errno_of(p->mmap_file(A, P, RW, Sharing::kShared, "f", ~0ull & ~kPageMask).status()) == EINVAL);
  CHECK(errno_of(p->mmap_file(A, P, RW, Sharing::kShared, "g", 0).status()) == ENOENT);
  CHECK(errno_of(p->mmap_file(A, P, RW, Sharing::kShared, "f", 0, {.fixed = true, .max_prot = R}).status()) ==
        EACCES);
  CHECK(errno_of(p->mmap_file(kUserMax, P, RW, Sharing::kShared, "f", 0).status()) == EINVAL);
  CHECK(errno_of(p->msync(A + 1, P)) == EINVAL);
  CHECK(errno_of(p->msync(A, 4 * P)) == ENOMEM);  // hole after the mapping
  CHECK(errno_of(p->msync(~0ull & ~kPageMask, 2 * P)) == EINVAL);
  REQUIRE_OK(p->msync(A, 0));
  REQUIRE_OK(p->mlock(A, P));
  CHECK(errno_of(p->msync(A, P, MsyncMode::kInvalidate)) == EBUSY);
  REQUIRE_OK(p->munlock(A, P));  // mlock clipped the entry: one reference each
  auto maps = p->mappings();
  CHECK(vnode(*m, "f").uo_refs == static_cast<int>(maps.size()));
  CHECK(maps.front().start == A);
  CHECK(maps.back().end == A + 2 * P);
  CHECK(read_str(p, A, 4) == "keep");
  auto r = m->read_file("f", 3 * P, 10);  // past end of file: empty
  REQUIRE_OK(r.status());
  CHECK(r->empty());
  auto r2 = m->read_file("f", P, ~0ull);  // clipped at end of file
  REQUIRE_OK(r2.status());
  CHECK(r2->size() == P);
  CHECK_INVARIANTS(*m);

  // A non-fixed mapping with a hint finds room; MAP_FIXED over the same
  // file replaces the mapping without a persist round trip.
  auto va = p->mmap_file(A, P, R, Sharing::kShared, "f", P, {.fixed = false});
  REQUIRE(va.ok());
  CHECK(*va != A);
  REQUIRE(p->mmap_file(A, 2 * P, RW, Sharing::kShared, "f", 0).ok());
  CHECK(read_str(p, A, 4) == "keep");
  CHECK(vnode(*m, "f").uo_refs == 2);  // the hinted mapping and this one
  REQUIRE_OK(p->exit());
  CHECK(errno_of(p->mmap_file(A, P, RW, Sharing::kShared, "f", 0).status()) != 0);
  CHECK(errno_of(p->msync(A, P)) != 0);
  CHECK_INVARIANTS(*m);
}

// Randomized: shared and private mappings of one file in two processes under
// memory pressure, with msync, truncation and remapping, against a byte
// model; the invariant checker after every step.
TEST_CASE("vnode randomized model under memory pressure", "[vnode][random]") {
  constexpr std::uint64_t kPages = 32;  // file + private copies: more than memory
  constexpr vaddr_t kShared[2] = {A, B};
  constexpr vaddr_t kPriv = 0x30000000;
  auto m = make_machine(40 * P);
  REQUIRE_OK(m->create_file("r", kPages * P, 0));
  std::uint64_t size = kPages * P;
  std::vector<std::uint8_t> logical(kPages * P, 0);           // the file as mappings see it
  std::vector<std::vector<std::uint8_t>> priv(kPages);          // promoted private pages
  Process* ps[2] = {spawn(*m, "p0"), spawn(*m, "p1")};
  for (int i = 0; i < 2; i++)
    REQUIRE(ps[i]->mmap_file(kShared[i], kPages * P, RW, Sharing::kShared, "r", 0).ok());
  REQUIRE(ps[0]->mmap_file(kPriv, kPages * P, RW, Sharing::kPrivate, "r", 0).ok());

  std::uint64_t rng = 0x9e3779b97f4a7c15ull;
  auto next = [&](std::uint64_t n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng % n;
  };
  for (int step = 0; step < 1500; step++) {
    INFO("step " << step << " size " << size);
    const std::uint64_t page = next(kPages);
    const std::uint64_t off = page * P + next(P - 64);
    const std::uint64_t len = 1 + next(64);
    const bool in_file = off + len <= size;   // wholly before end of file
    const bool past_eof = page * P >= size;   // page wholly past end of file
    switch (next(10)) {
      case 0: case 1: case 2: {  // shared write
        const int i = static_cast<int>(next(2));
        std::string s(len, static_cast<char>('A' + next(26)));
        if (in_file) {
          write_str(ps[i], kShared[i] + off, s);
          std::memcpy(&logical[off], s.data(), len);
        } else if (past_eof) {
          CHECK(write_outcome(ps[i], kShared[i] + off, s) == Outcome::kSigbus);
        }
        break;
      }
      case 3: case 4: {  // shared read
        const int i = static_cast<int>(next(2));
        if (in_file)
          CHECK(read_str(ps[i], kShared[i] + off, len) ==
                std::string(logical.begin() + off, logical.begin() + off + len));
        else if (past_eof)
          CHECK(read_outcome(ps[i], kShared[i] + off, len) == Outcome::kSigbus);
        break;
      }
      case 5: {  // private write: promote on first write
        std::string s(len, static_cast<char>('a' + next(26)));
        if (in_file) {
          write_str(ps[0], kPriv + off, s);
          if (priv[page].empty())
            priv[page].assign(logical.begin() + page * P, logical.begin() + (page + 1) * P);
          std::memcpy(&priv[page][off - page * P], s.data(), len);
        } else if (past_eof && priv[page].empty()) {
          CHECK(write_outcome(ps[0], kPriv + off, s) == Outcome::kSigbus);
        }
        break;
      }
      case 6: {  // private read
        if (!priv[page].empty()) {
          CHECK(read_str(ps[0], kPriv + off, len) ==
                std::string(priv[page].begin() + (off - page * P), priv[page].begin() + (off - page * P) + len));
        } else if (in_file) {
          CHECK(read_str(ps[0], kPriv + off, len) ==
                std::string(logical.begin() + off, logical.begin() + off + len));
        } else if (past_eof) {
          CHECK(read_outcome(ps[0], kPriv + off, len) == Outcome::kSigbus);
        }
        break;
      }
      case 7: {  // msync: the file holds the logical bytes
        const int i = static_cast<int>(next(2));
        REQUIRE_OK(ps[i]->msync(kShared[i], kPages * P,
                                next(3) == 0 ? MsyncMode::kInvalidate : MsyncMode::kSync));
        auto f = m->read_file("r", 0, kPages * P);
        REQUIRE_OK(f.status());
        REQUIRE(f->size() == size);
        CHECK(std::equal(f->begin(), f->end(), logical.begin()));
        break;
      }
      case 8: {  // truncate (shrink or grow)
        if (next(3) != 0) break;
        const std::uint64_t ns = next(kPages * P + 1);
        REQUIRE_OK(m->truncate_file("r", ns));
        for (std::uint64_t b = ns; b < kPages * P; b++) logical[b] = 0;
        size = ns;
        break;
      }
      case 9: {  // unmap and map the shared mapping again (persistence)
        const int i = static_cast<int>(next(2));
        REQUIRE_OK(ps[i]->munmap(kShared[i], kPages * P));
        REQUIRE(ps[i]->mmap_file(kShared[i], kPages * P, RW, Sharing::kShared, "r", 0).ok());
        break;
      }
    }
    CHECK_INVARIANTS(*m);
  }
  const auto st = vstats(*m);
  CHECK(st.vnode_pageout > 0);
  CHECK(st.vnode_pagein > 0);
  CHECK(m->stats().pdfreed > 0);  // memory pressure did evict pages
  for (Process* p : ps) REQUIRE_OK(p->exit());
  CHECK_INVARIANTS(*m);
  CHECK(m->stats().objpages == files(*m).persisting_pages());
  CHECK(m->stats().anons == 0);
}
