// Script errors: each stops the run with "FILE:LINE: message" and status 2,
// and the failing line prints nothing on standard output.
#include <catch2/catch.hpp>

#include "run_helper.h"

using uvmsim::cli::testing::run_text;

namespace {

// `script`'s last line must fail with `message`; earlier lines must succeed.
void expect_error(const std::string& script, const std::string& message) {
  INFO(script);
  auto r = run_text(script);
  CHECK(r.status == 2);
  CHECK(r.err == "t.scen:" + message + "\n");
}

}  // namespace

TEST_CASE("syntax errors", "[errors][syntax]") {
  expect_error("bogus\n", "1: unknown command 'bogus'");  // a name, but no command after it
  expect_error("spawn p\np\n", "2: 'p': missing command after the process name");
  expect_error("spawn p\np frob 1\n", "2: unknown command 'frob' for process 'p'");
  expect_error("0x10 read\n", "1: unknown command '0x10'");
  expect_error("\"p\" read 0 1\n", "1: unknown command '\"p\"'");
  expect_error("spawn p\nmmap 0x1000 4K rw private anon\n",
               "2: mmap: needs a process name first (P mmap ...)");
  expect_error("spawn p\np read 0x1000\n", "2: read: missing LEN (usage: P read ADDR LEN)");
  expect_error("spawn p\np read 0x1000 1 2\n",
               "2: read: unexpected '2' (usage: P read ADDR LEN)");
  expect_error("spawn p\np mmap 0x1000 4K rwx private\n",
               "2: mmap: missing object (usage: P mmap ADDR LEN PROT SHARING anon | file F OFF)");
  expect_error("spawn p\np mmap 0x1000 4K wr private anon\n",
               "2: mmap: bad PROT 'wr': expected none|r|rw|rx|rwx");
  expect_error("spawn p\np mmap 0x1000 4K rw public anon\n",
               "2: mmap: bad SHARING 'public': expected private|shared");
  expect_error("spawn p\np minherit 0x1000 4K zeroes\n",
               "2: minherit: bad inheritance 'zeroes': expected share|copy|none|zero");
  expect_error("spawn p\np madvise 0x1000 4K later\n",
               "2: madvise: bad advice 'later': expected "
               "normal|random|sequential|willneed|dontneed|free");
  expect_error("spawn p\np write 0x1000 \"unterminated\n",
               "2: unterminated string starting at column 16");
  expect_error("spawn p\np write 0x1000 hello\n",
               "2: write: bad DATA 'hello': data is hex:DIGITS or a \"string\"");
  expect_error("spawn p\np exit now\n", "2: exit: unexpected 'now' (usage: P exit)");
  expect_error("stats now\n", "1: stats: unexpected 'now' (usage: stats)");
}

TEST_CASE("bad numbers", "[errors][numbers]") {
  expect_error("spawn p\np read zz 1\n", "2: read: bad ADDR 'zz': not a number");
  expect_error("spawn p\np read 0x 1\n", "2: read: bad ADDR '0x': not a number");
  expect_error("spawn p\np read 0x1000 4k\n", "2: read: bad LEN '4k': size suffixes are upper case: K, M or G (powers of 1024), not 'k'");
  expect_error("spawn p\np read 0x1000 -1\n", "2: read: bad LEN '-1': not a number");
  expect_error("spawn p\np read 0x1000 \"4\"\n", "2: read: bad LEN '\"4\"': not a number");
  expect_error("spawn p\np read 0x1000 99999999999999999999\n",
               "2: read: bad LEN '99999999999999999999': number too large");
  expect_error("spawn p\np fill 0x1000 1 256\n", "2: fill: bad BYTE '256': a byte is 0..255");
  expect_error("machine mem=lots\n", "1: machine: bad mem= value 'lots': not a number");
}

TEST_CASE("odd and bad hex data", "[errors][data]") {
  expect_error("spawn p\np write 0x1000 hex:abc\n",
               "2: write: bad DATA 'hex:abc': odd number of hex digits");
  expect_error("spawn p\np write 0x1000 hex:0g\n",
               "2: write: bad DATA 'hex:0g': not a hex digit");
}

TEST_CASE("machine line errors", "[errors][machine]") {
  expect_error("spawn p\nmachine mem=16M\n", "2: machine: must be the first command");
  expect_error("machine\nmachine\n", "2: machine: must be the first command");
  expect_error("# comments and blanks do not count\n\nmachine mem=16M\nstats\nmachine\n",
               "5: machine: must be the first command");
  expect_error("machine mem=16M mem=32M\n", "1: machine: mem= given twice");
  expect_error("machine cpus=4\n",
               "1: machine: unknown option 'cpus' (expected mem=, swap=, backend=, anon=, policy= or seed=)");
  expect_error("machine backend=qemu\n",
               "1: machine: bad backend= value 'qemu': expected soft|kvm|auto");
  expect_error("machine anon=mach\n", "1: machine: bad anon= value 'mach': expected amap|shadow");
  expect_error("machine anon=amap anon=shadow\n", "1: machine: anon= given twice");
  expect_error("machine 16M\n", "1: machine: bad option '16M': expected KEY=VALUE");
  expect_error("machine mem=16K\n",
               "1: machine: cannot create the machine (backend=auto): mem=16384 bytes is less "
               "than 16 pages");
}

TEST_CASE("unknown processes", "[errors][names]") {
  expect_error("q read 0 1\n", "1: unknown process 'q'");
  expect_error("spawn p\np exit\np read 0 1\n", "3: unknown process 'p' (it has exited)");
  expect_error("spawn p\np fork c\nc exit\nc fork d\n", "4: unknown process 'c' (it has exited)");
}

TEST_CASE("names are never reused", "[errors][names]") {
  expect_error("spawn p\nspawn p\n",
               "2: spawn: name 'p' is already used (by a process); names are never reused");
  expect_error("spawn p\np fork p\n",
               "2: fork: name 'p' is already used (by a process); names are never reused");
  expect_error("spawn p\np exit\nspawn p\n",
               "3: spawn: name 'p' is already used (by a process that has ended); names are "
               "never reused");
}

TEST_CASE("a global command's name is not a name", "[errors][names]") {
  expect_error("spawn check\n", "1: spawn: bad P 'check': that is the name of a command");
  expect_error("spawn p\np fork file\n", "2: fork: bad C 'file': that is the name of a command");
  expect_error("spawn 9lives\n", "1: spawn: bad P '9lives': a name is [A-Za-z_][A-Za-z0-9_]*");
}

TEST_CASE("unknown files", "[errors][names]") {
  expect_error("truncate data 100\n", "1: unknown file 'data'");
  expect_error("fileread data 0 4\n", "1: unknown file 'data'");
  expect_error("spawn p\np mmap 0x20000000 0x4000 rw shared file data 0\n",
               "2: unknown file 'data'");
  expect_error("spawn data\nfileread data 0 4\n", "2: unknown file 'data'");
  expect_error("file data 4K\ndata read 0 1\n", "2: unknown process 'data'");
  expect_error("file data 4K\nfile data 8K\n",
               "2: file: name 'data' is already used (by a file); names are never reused");
  expect_error("file p 4K\nspawn p\n",
               "2: spawn: name 'p' is already used (by a file); names are never reused");
}

TEST_CASE("loan commands: unknown names and misuse", "[errors][loan]") {
  expect_error("loan L p 0x1000 4K kernel\n", "1: unknown process 'p'");
  expect_error("kread L 0 4\n", "1: unknown loan 'L'");
  expect_error("unloan L\n", "1: unknown loan 'L'");
  expect_error("spawn p\np mmap 0x10000000 4K rw private anon\nloan L p 0x10000000 4K kernel\nunloan L\nkread L 0 1\n",
               "5: unknown loan 'L' (it has been returned)");
  expect_error("spawn p\np mmap 0x10000000 4K rw private anon\nloan L p 0x10000000 4K kernel\nkread L 4000 200\n",
               "4: kread L 4000 200: loan 1: [4000, +200) beyond its 4096 bytes");
  expect_error("spawn p\np mmap 0x10000000 4K rw private anon\nloan p p 0x10000000 4K kernel\n",
               "3: loan: name 'p' is already used (by a process); names are never reused");
}

TEST_CASE("file and loan commands report syntax errors first", "[errors][unsupported]") {
  expect_error("file data\n", "1: file: missing SIZE (usage: file F SIZE [fill=BYTE])");
  expect_error("file data 4K fill=300\n", "1: file: bad fill= value '300': a byte is 0..255");
  expect_error("file data 4K size=3\n", "1: file: unknown option 'size' (expected fill=BYTE)");
  expect_error("fileread data 0 hex:00\n", "1: fileread: bad LEN 'hex:00': not a number");
  expect_error("spawn p\np mmap 0x2000 4K rw shared file data\n",
               "2: mmap: missing OFF (usage: P mmap ADDR LEN PROT SHARING anon | file F OFF)");
  expect_error("spawn p\np msync 0x2000 4K later\n",
               "2: msync: bad mode 'later': expected sync|async|invalidate");
  expect_error("loan L p 0x1000 4K user\n", "1: loan: bad borrower 'user': expected kernel|anon");
  expect_error("unloan\n", "1: unloan: missing L (usage: unloan L)");
}

TEST_CASE("no partial output for the failing line", "[errors]") {
  auto r = run_text("spawn p\np read 0x1000 0\np read 0x1000 0 extra\n");
  CHECK(r.status == 2);
  CHECK(r.out == "p read 0x1000 0 = \n");
}

TEST_CASE("an access range that wraps around is a misuse", "[errors]") {
  expect_error("spawn p\np read 0xffffffffffffffff 2\n",
               "2: read: 0xffffffffffffffff+2 wraps around the address space");
}
