// The runner's output, line by line, as the spec's "Output" section says.
#include <catch2/catch.hpp>

#include "run_helper.h"

using uvmsim::cli::RunOptions;
using uvmsim::cli::testing::run_text;

namespace {

// Runs a script that must succeed; returns its standard output.
std::string ok_output(const std::string& script) {
  auto r = run_text(script);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.err.empty());
  return r.out;
}

}  // namespace

TEST_CASE("the spec's example", "[runner][spec]") {
  const char* script = R"(machine mem=16M swap=64M
file data 16384 fill=0x61
spawn p
p mmap 0x10000000 0x4000 rw private anon
p write 0x10000000 "parent"
p minherit 0x10003000 0x1000 zero
p fill 0x10003000 4096 0x7f
p fork c
c write 0x10000000 "child!"
p read 0x10000000 6        # p read 0x10000000 6 = 706172656e74
c read 0x10000000 6        # c read 0x10000000 6 = 6368696c6421
c sum 0x10003000 4096      # hash of 4096 zero bytes
p mmap 0x20000000 0x4000 rw shared file data 0
p write 0x20000000 "XY"
p msync 0x20000000 0x4000 sync
fileread data 0 4          # fileread data 0 4 = 58596161
)";
  // FNV-1a 64 of 4096 zero bytes, computed independently (python3).
  CHECK(ok_output(script) ==
        "p read 0x10000000 6 = 706172656e74\n"
        "c read 0x10000000 6 = 6368696c6421\n"
        "c sum 0x10003000 4096 = 0xb93a0c83ce3b6325\n"
        "fileread data 0 4 = 58596161\n");
}

TEST_CASE("fileread prints OFF and LEN in decimal, and only bytes before end of file",
          "[runner][output][files]") {
  CHECK(ok_output("file f 0x2000 fill=0x62\nfileread f 0x1ffe 0x10\nfileread f 8K 1\n") ==
        "fileread f 8190 16 = 6262\n"
        "fileread f 8192 1 = \n");
}

TEST_CASE("file pages past end of file: SIGBUS, but protection is checked first",
          "[runner][output][files]") {
  CHECK(ok_output("file f 4K fill=1\nspawn p\n"
                  "p mmap 0x10000000 8K rw shared file f 0\n"
                  "p mmap 0x20000000 8K r shared file f 0\n"
                  "p read 0x10000ffe 4\n"       // the second page is wholly past EOF
                  "p write 0x10001000 \"x\"\n"
                  "p write 0x20001000 \"x\"\n"  // read-only: SIGSEGV, not SIGBUS
                  "p read 0x10000ffe 2\n") ==
        "p read 0x10000ffe 4 = SIGBUS\n"
        "p write 0x10001000 1 = SIGBUS\n"
        "p write 0x20001000 1 = SIGSEGV\n"
        "p read 0x10000ffe 2 = 0101\n");
}

TEST_CASE("truncate keeps the bytes before the new end, also those only in memory",
          "[runner][output][files]") {
  CHECK(ok_output("file f 8K\nspawn p\np mmap 0x10000000 8K rw shared file f 0\n"
                  "p write 0x10000000 \"kept\"\ntruncate f 4K\n"
                  "p read 0x10000000 4\np read 0x10001000 1\n") ==
        "p read 0x10000000 4 = 6b657074\n"
        "p read 0x10001000 1 = SIGBUS\n");
}

TEST_CASE("mmap of a file at an unaligned offset is EINVAL", "[runner][output][files]") {
  CHECK(ok_output("file f 8K\nspawn p\np mmap 0x10000000 4K rw private file f 100\n") ==
        "p mmap 0x10000000 4096 = error EINVAL\n");
}

TEST_CASE("ADDR prints as 0x lowercase hex, LEN as decimal, whatever the notation",
          "[runner][output]") {
  // FNV-1a 64 of 1024 zero bytes, computed independently (python3).
  CHECK(ok_output("spawn p\np mmap 0x10000000 8K rw private anon\n"
                  "p read 268435456 0x3\np sum 0x1000000A 1K\n") ==
        "p read 0x10000000 3 = 000000\n"
        "p sum 0x1000000a 1024 = 0x51d88627df287325\n");
}

TEST_CASE("read and sum of LEN 0", "[runner][output]") {
  // Even with no mapping: nothing is accessed.
  CHECK(ok_output("spawn p\np read 0x5000 0\np sum 0x5000 0\n") ==
        "p read 0x5000 0 = \n"
        "p sum 0x5000 0 = 0xcbf29ce484222325\n");
}

TEST_CASE("failing accesses print SIGSEGV in place of their line", "[runner][output]") {
  CHECK(ok_output("spawn p\n"
                  "p read 0x5000 4\n"
                  "p sum 0x5000 4\n"
                  "p write 0x5000 \"hello\"\n"
                  "p write 0x5000 hex:\n"  // nothing to store: no access at all
                  "p fill 0x5000 3 0x41\n") ==
        "p read 0x5000 4 = SIGSEGV\n"
        "p sum 0x5000 4 = SIGSEGV\n"
        "p write 0x5000 5 = SIGSEGV\n"
        "p fill 0x5000 3 = SIGSEGV\n");
}

TEST_CASE("bytes before the faulting byte are stored", "[runner][output]") {
  CHECK(ok_output("spawn p\np mmap 0x10000000 4K rw private anon\n"
                  "p write 0x10000ffd \"abcdef\"\np read 0x10000ffd 3\n") ==
        "p write 0x10000ffd 6 = SIGSEGV\n"
        "p read 0x10000ffd 3 = 616263\n");
}

TEST_CASE("failing mapping calls print the errno with the script's ADDR and LEN",
          "[runner][output]") {
  CHECK(ok_output("spawn p\n"
                  "p mmap 0x1001 4K rw private anon\n"
                  "p mmap 0x2000 0 rw shared anon\n"
                  "p mprotect 0x10000000 4K r\n"
                  "p munmap 0x10000000 4K\n"  // munmap of nothing succeeds
                  "p mlock 0x10000010 16\n"
                  "p munlock 0x10000010 16\n") ==
        "p mmap 0x1001 4096 = error EINVAL\n"
        "p mmap 0x2000 0 = error EINVAL\n"
        "p mprotect 0x10000000 4096 = error ENOMEM\n"
        "p mlock 0x10000010 16 = error ENOMEM\n"
        "p munlock 0x10000010 16 = error ENOMEM\n");
}

TEST_CASE("mlock rounds ADDR down", "[runner][output]") {
  // FNV-1a 64 of 1024 zero bytes, computed independently (python3).
  CHECK(ok_output("spawn p\np mmap 0x10000000 8K rw private anon\n"
                  "p mlock 0x10000ff0 0x20\np munlock 0x10000ff0 0x20\n")
            .empty());
}

TEST_CASE("a process killed for want of memory prints its line and is gone",
          "[runner][output]") {
  // 16 pages of RAM and no swap: touching 32 pages cannot succeed.
  auto r = run_text(
      "machine mem=64K swap=0\nspawn p\np mmap 0x10000000 128K rw private anon\n"
      "p fill 0x10000000 128K 1\nspawn q\nq mmap 0x10000000 4K rw private anon\n"
      "q write 0x10000000 \"alive\"\nq read 0x10000000 5\ncheck\np read 0x10000000 1\n");
  CHECK(r.out ==
        "p killed out of memory and swap\n"
        "q read 0x10000000 5 = 616c697665\n"
        "check ok\n");
  CHECK(r.status == 2);
  CHECK(r.err ==
        "t.scen:10: process 'p' was killed (out of memory and swap); it cannot be named any "
        "more\n");
}

TEST_CASE("check and stats", "[runner][output]") {
  const std::string out = ok_output("spawn p\ncheck\nstats\n");
  REQUIRE(out.starts_with("check ok\nfaults 0\n"));
  CHECK(out.find("\nprocesses 1\n") != std::string::npos);
}

TEST_CASE("a failed fork prints its line and leaves the name free", "[runner][output]") {
  // The parent fills 12 of 16 pages (no swap) and wires 5 of them (at most
  // a third of memory can be wired); the child's copy of the wired entry is
  // made at fork (amap_cow_now) and cannot fit in the 4 pages left.
  auto r = run_text(
      "machine mem=64K swap=0\nspawn p\np mmap 0x10000000 48K rw private anon\n"
      "p fill 0x10000000 48K 1\np mlock 0x10000000 20K\np fork c\nspawn c\ncheck\n");
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "p fork c = error ENOMEM\ncheck ok\n");
}

TEST_CASE("an empty script runs (on a default machine)", "[runner]") {
  auto r = run_text("");
  CHECK(r.status == 0);
  CHECK(r.out.empty());
  CHECK(r.err.empty());
}

TEST_CASE("the --backend option overrides the machine line", "[runner]") {
  RunOptions soft;
  soft.backend_override = uvmsim::Backend::kSoft;
  auto r = run_text("machine backend=kvm\nspawn p\n", soft);
  CHECK(r.status == 0);
  CHECK(r.err.empty());
}
