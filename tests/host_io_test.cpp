// Host I/O failures (core/host_io.h): the swap device and the backing files
// made to fail through the seam — errnos and short transfers, by operation,
// file and count — and what the model does with each: nothing is lost, and
// every byte reads back once the failure clears.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "core/uvm.h"
#include "fmt/format.h"
#include "helpers.h"

using namespace uvmsim;
using namespace uvmsim::test;

namespace {
constexpr vaddr_t A = 0x10000000;
constexpr vaddr_t F = 0x20000000;
constexpr std::uint64_t P = kPageSize;

std::uint8_t pattern(int tag, int page, int byte) {
  return static_cast<std::uint8_t>(tag * 29 + page * 11 + (byte % 241));
}

void write_pages(Process* p, vaddr_t base, int pages, int tag) {
  std::vector<std::uint8_t> buf(P);
  for (int i = 0; i < pages; i++) {
    for (std::size_t b = 0; b < P; b++) buf[b] = pattern(tag, i, static_cast<int>(b));
    auto r = p->write(base + i * P, buf);
    REQUIRE(r.ok());
    REQUIRE(r->outcome == Outcome::kOk);
  }
}

void verify_pages(Process* p, vaddr_t base, int pages, int tag) {
  std::vector<std::uint8_t> buf(P);
  for (int i = 0; i < pages; i++) {
    auto r = p->read(base + i * P, buf);
    REQUIRE(r.ok());
    REQUIRE(r->outcome == Outcome::kOk);
    for (std::size_t b = 0; b < P; b++)
      if (buf[b] != pattern(tag, i, static_cast<int>(b))) FAIL("page " << i << " byte " << b << " wrong");
  }
}

void verify_file(Machine& m, const char* name, int pages, int tag) {
  auto got = m.read_file(name, 0, pages * P);
  REQUIRE(got.ok());
  REQUIRE(got->size() == pages * P);
  for (int i = 0; i < pages; i++)
    for (std::size_t b = 0; b < P; b++)
      if ((*got)[i * P + b] != pattern(tag, i, static_cast<int>(b)))
        FAIL("file page " << i << " byte " << b << " wrong");
}

IoFault fault(IoOp op, IoFile file, int error, std::uint64_t count = 1, std::string name = "") {
  IoFault f;
  f.op = op;
  f.file = file;
  f.error = error;
  f.count = count;
  f.name = std::move(name);
  return f;
}
}  // namespace

TEST_CASE("host I/O: a failed swap write keeps the pages dirty in memory, tried again later", "[hostio][swap]") {
  const int err = GENERATE(EIO, ENOSPC);
  auto m = make_machine(64 * P, true, 256 * P);
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 160 * P, RW, Sharing::kPrivate).ok());
  m->uvm().io.inject(fault(IoOp::kWrite, IoFile::kSwap, err, 3));
  write_pages(p, A, 160, 1);
  const UvmExp s = m->stats();
  CHECK(m->uvm().io.injected() == 3);
  CHECK(s.pgswapouterr >= 3);  // clusters: each failed write counts its pages
  CHECK(s.pgswapout > 0);      // and later writes went out
  CHECK(s.oom_kills == 0);
  CHECK_INVARIANTS(*m);
  verify_pages(p, A, 160, 1);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("host I/O: a failed swap write of shared anonymous memory keeps the page", "[hostio][swap][aobj]") {
  auto m = make_machine(64 * P, true, 256 * P);
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 160 * P, RW, Sharing::kShared).ok());
  m->uvm().io.inject(fault(IoOp::kWrite, IoFile::kSwap, EIO, 4));
  write_pages(p, A, 160, 2);
  CHECK(m->uvm().io.injected() == 4);
  CHECK(m->stats().pgswapouterr >= 4);
  CHECK_INVARIANTS(*m);
  verify_pages(p, A, 160, 2);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("host I/O: a failed swap read is SIGBUS and keeps the data in swap", "[hostio][swap]") {
  const Sharing sharing = GENERATE(Sharing::kPrivate, Sharing::kShared);
  auto m = make_machine(64 * P, true, 256 * P);
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 160 * P, RW, sharing).ok());
  write_pages(p, A, 160, 3);
  REQUIRE(m->stats().swpgonly > 0);  // the first pages are in swap only
  m->uvm().io.inject(fault(IoOp::kRead, IoFile::kSwap, EIO, IoFault::kForever));
  CHECK(read_outcome(p, A, 16) == Outcome::kSigbus);
  CHECK(read_outcome(p, A, 16) == Outcome::kSigbus);  // still there, still failing
  CHECK(m->stats().pgswapinerr == 2);
  CHECK(p->alive());
  CHECK_INVARIANTS(*m);
  m->uvm().io.clear();  // the device is well again: every byte comes back
  verify_pages(p, A, 160, 3);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("host I/O: short swap reads and writes are completed", "[hostio][swap]") {
  auto m = make_machine(64 * P, true, 256 * P);
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap(A, 160 * P, RW, Sharing::kPrivate).ok());
  m->uvm().io.inject(fault(IoOp::kWrite, IoFile::kSwap, 0, 5));
  m->uvm().io.inject(fault(IoOp::kRead, IoFile::kSwap, 0, 5));
  write_pages(p, A, 160, 4);
  verify_pages(p, A, 160, 4);
  CHECK(m->uvm().io.injected() == 10);
  CHECK(m->stats().pgswapouterr == 0);
  CHECK(m->stats().pgswapinerr == 0);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("host I/O: msync whose write-back fails returns the errno and keeps the pages dirty", "[hostio][vnode][msync]") {
  const int err = GENERATE(EIO, ENOSPC);
  const bool short_first = GENERATE(false, true);
  auto m = make_machine(256 * P);
  REQUIRE_OK(m->create_file("f", 4 * P, 'a'));
  REQUIRE_OK(m->create_file("g", 4 * P, 'b'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(F, 4 * P, RW, Sharing::kShared, "f", 0).ok());
  write_pages(p, F, 4, 5);
  // A rule for another file does nothing here.
  m->uvm().io.inject(fault(IoOp::kWrite, IoFile::kBacking, EIO, IoFault::kForever, "g"));
  // Optionally a short write first: part of the cluster reaches the file, then the error.
  if (short_first) m->uvm().io.inject(fault(IoOp::kWrite, IoFile::kBacking, 0, 1, "f"));
  IoFault f = fault(IoOp::kWrite, IoFile::kBacking, err, 1, "f");
  f.after = short_first ? 1 : 0;
  m->uvm().io.inject(f);
  const std::uint64_t ioerr = m->stats().vnode_ioerr;
  CHECK(errno_of(p->msync(F, 4 * P, MsyncMode::kSync)) == err);
  CHECK(m->stats().vnode_ioerr == ioerr + 1);
  verify_pages(p, F, 4, 5);  // memory has every byte
  CHECK_INVARIANTS(*m);
  // The pages stayed dirty: the next msync (the rule is spent) writes them.
  REQUIRE_OK(p->msync(F, 4 * P, MsyncMode::kSync));
  verify_file(*m, "f", 4, 5);
}

TEST_CASE("host I/O: a failed page-out of a dirty file page keeps it; msync writes it later", "[hostio][vnode][pagedaemon]") {
  auto m = make_machine(64 * P, true, 512 * P);
  REQUIRE_OK(m->create_file("f", 48 * P));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(F, 48 * P, RW, Sharing::kShared, "f", 0).ok());
  write_pages(p, F, 48, 6);
  // Every write to the file fails while anonymous memory pushes the file out.
  m->uvm().io.inject(fault(IoOp::kWrite, IoFile::kBacking, EIO, IoFault::kForever, "f"));
  REQUIRE(p->mmap(A, 128 * P, RW, Sharing::kPrivate).ok());
  write_pages(p, A, 128, 7);
  CHECK(m->stats().vnode_ioerr > 0);
  CHECK(m->stats().oom_kills == 0);
  CHECK_INVARIANTS(*m);
  CHECK(errno_of(p->msync(F, 48 * P, MsyncMode::kSync)) == EIO);
  m->uvm().io.clear();
  REQUIRE_OK(p->msync(F, 48 * P, MsyncMode::kSync));
  verify_file(*m, "f", 48, 6);
  verify_pages(p, F, 48, 6);
  verify_pages(p, A, 128, 7);
  CHECK_INVARIANTS(*m);
}

TEST_CASE("host I/O: a failed truncate returns the errno and changes nothing", "[hostio][vnode][truncate]") {
  auto m = make_machine(256 * P);
  REQUIRE_OK(m->create_file("f", 4 * P));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(F, 4 * P, RW, Sharing::kShared, "f", 0).ok());
  write_pages(p, F, 4, 8);
  m->uvm().io.inject(fault(IoOp::kTruncate, IoFile::kBacking, EIO, 1, "f"));
  CHECK(errno_of(m->truncate_file("f", P + 100)) == EIO);
  CHECK(*m->file_size("f") == 4 * P);
  verify_pages(p, F, 4, 8);  // nothing dropped, nothing zeroed
  CHECK_INVARIANTS(*m);
  REQUIRE_OK(p->msync(F, 4 * P, MsyncMode::kSync));
  verify_file(*m, "f", 4, 8);
  REQUIRE_OK(m->truncate_file("f", P + 100));  // the disk is well: it works
  CHECK(*m->file_size("f") == P + 100);
}

TEST_CASE("host I/O: a failed file read is SIGBUS; the page reads once the disk is well", "[hostio][vnode]") {
  auto m = make_machine(256 * P);
  REQUIRE_OK(m->create_file("f", 2 * P, 'z'));
  Process* p = spawn(*m, "p");
  REQUIRE(p->mmap_file(F, 2 * P, R, Sharing::kShared, "f", 0).ok());
  m->uvm().io.inject(fault(IoOp::kRead, IoFile::kBacking, EIO, 1, "f"));
  CHECK(read_outcome(p, F, 8) == Outcome::kSigbus);
  CHECK(m->stats().vnode_ioerr == 1);
  CHECK(read_str(p, F, 8) == "zzzzzzzz");
  // A short read of the next page is completed.
  m->uvm().io.inject(fault(IoOp::kRead, IoFile::kBacking, 0, 1, "f"));
  CHECK(read_str(p, F + P, 8) == "zzzzzzzz");
  CHECK_INVARIANTS(*m);
}

TEST_CASE("host I/O: a swap file the caller places is reserved whole at creation", "[hostio][swap][config]") {
  const std::string dir = std::filesystem::temp_directory_path() / fmt::format("uvmsim-hostio-{}", ::getpid());
  std::filesystem::create_directories(dir);
  MachineConfig cfg;
  cfg.mem_bytes = 64 * P;
  cfg.swap_bytes = 300 * P;
  cfg.backend = test_backend();
  cfg.swap_path = dir + "/swap";
  cfg.file_dir = dir + "/files";
  {
    auto m = Machine::Create(cfg);
    INFO(m.status().ToString());
    REQUIRE(m.ok());
    struct stat st {};
    REQUIRE(::stat(cfg.swap_path.c_str(), &st) == 0);
    CHECK(static_cast<std::uint64_t>(st.st_size) == 300 * P);
    CHECK(static_cast<std::uint64_t>(st.st_blocks) * 512 >= 300 * P);  // allocated, not sparse
    CHECK(std::filesystem::is_directory(cfg.file_dir));                 // made at creation
    REQUIRE_OK((*m)->create_file("kept", P, 'k'));
  }
  CHECK(std::filesystem::file_size(cfg.file_dir + "/kept") == P);
  // A file_dir that is a file is refused at creation.
  MachineConfig bad = cfg;
  bad.swap_path.clear();
  bad.file_dir = cfg.file_dir + "/kept";
  CHECK(errno_of(Machine::Create(bad).status()) == EINVAL);
  std::filesystem::remove_all(dir);
}
