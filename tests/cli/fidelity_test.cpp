// Scenario-level tests of where uvmsim follows NetBSD's own code
// (docs/design.md): each script runs on the soft backend and, where this
// host can run it, on kvm, and must print exactly the expected lines.
#include <catch2/catch.hpp>

#include "run_helper.h"
#include "uvmsim/machine.h"

using uvmsim::Backend;
using uvmsim::cli::RunOptions;
using uvmsim::cli::testing::run_text;

namespace {

bool kvm_usable() {
  uvmsim::MachineConfig c;
  c.mem_bytes = 1 << 20;
  c.backend = Backend::kKvm;
  return uvmsim::Machine::Create(c).ok();
}

// Runs `script` on both backends; both must succeed and print `want`.
void expect_output(const std::string& script, const std::string& want) {
  for (Backend b : {Backend::kSoft, Backend::kKvm}) {
    if (b == Backend::kKvm && !kvm_usable()) {
      WARN("kvm backend not usable here; the kvm run is skipped");
      continue;
    }
    RunOptions opts;
    opts.backend_override = b;
    auto r = run_text(script, opts);
    INFO("backend " << uvmsim::to_string(b) << "\n" << r.err);
    CHECK(r.status == 0);
    CHECK(r.err.empty());
    CHECK(r.out == want);
  }
}

}  // namespace

TEST_CASE("scenario: a write promoting into a shared amap is seen by the other sharer", "[fidelity][cli]") {
  expect_output(R"(file f 8192 fill=0x61
spawn p
p mmap 0x10000000 0x2000 rw private file f 0
p minherit 0x10000000 0x2000 share
p read 0x10000000 1
p fork c
c read 0x10000000 1
p write 0x10000000 "P"
c read 0x10000000 1
c write 0x10001000 "C"
p read 0x10001000 1
check
fileread f 0 2
)",
                "p read 0x10000000 1 = 61\n"
                "c read 0x10000000 1 = 61\n"
                "c read 0x10000000 1 = 50\n"
                "p read 0x10001000 1 = 43\n"
                "check ok\n"
                "fileread f 0 2 = 6161\n");
}

TEST_CASE("scenario: mlock of a read-only private file mapping copies its pages (maximum protection)",
          "[fidelity][cli]") {
  expect_output(R"(file f 4096 fill=0x61
spawn p
spawn q
p mmap 0x10000000 0x1000 r private file f 0
p mlock 0x10000000 0x1000
q mmap 0x10000000 0x1000 rw shared file f 0
q write 0x10000000 "Z"
p read 0x10000000 1
p mprotect 0x10000000 0x1000 rw
p write 0x10000000 "w"
q read 0x10000000 1
check
)",
                "p read 0x10000000 1 = 61\n"
                "q read 0x10000000 1 = 5a\n"
                "check ok\n");
}

TEST_CASE("scenario: mlock and munlock errors", "[fidelity][cli]") {
  expect_output(R"(machine mem=384K swap=1M
file g 4096
spawn p
p mmap 0x10000000 0x2000 rw private anon
p mmap 0x10003000 0x1000 rw private anon
p mmap 0x10004000 0x1000 none private anon
p mlock 0x0fff0000 0x2000
p mlock 0x0ffff000 0x2000
p mlock 0x10000000 0x4000
p mlock 0x10003000 0x2000
p munlock 0x10000000 0x1000
p mlock 0x10000000 0x1000
p munlock 0x10000000 0x2000
p munlock 0x10000000 0x1000
p mmap 0x20000000 0x2000 rw shared file g 0
p mlock 0x20000000 0x2000
p mmap 0x30000000 0x40000 rw private anon
p mlock 0x30000000 0x21000
p mlock 0x30000000 0x20000
p mlock 0x30020000 0x1000
check
)",
                "p mlock 0xfff0000 8192 = error ENOMEM\n"
                "p mlock 0xffff000 8192 = error ENOMEM\n"
                "p mlock 0x10000000 16384 = error EINVAL\n"
                "p mlock 0x10003000 8192 = error EINVAL\n"
                "p munlock 0x10000000 4096 = error EINVAL\n"
                "p munlock 0x10000000 8192 = error EINVAL\n"
                "p mlock 0x20000000 8192 = error EINVAL\n"
                "p mlock 0x30000000 135168 = error EAGAIN\n"
                "p mlock 0x30020000 4096 = error EAGAIN\n"
                "check ok\n");
}

TEST_CASE("scenario: madvise free and dontneed as uvm_map_clean does them", "[fidelity][cli]") {
  expect_output(R"(spawn p
p mmap 0x10000000 0x2000 rw private anon
p write 0x10000000 "x"
p fork c
p madvise 0x10000000 0x2000 free
p read 0x10000000 1
c write 0x10000000 "c"
p madvise 0x10000000 0x2000 free
p read 0x10000000 1
c read 0x10000000 1
p mlock 0x10000000 0x1000
p madvise 0x10000000 0x1000 free
p madvise 0x10000000 0x4000 dontneed
p madvise 0x10008000 0x1000 free
p madvise 0x10000000 0x4000 random
p mmap 0x20000000 0x1000 rw shared anon
p write 0x20000000 "s"
p madvise 0x20000000 0x1000 free
p read 0x20000000 1
p mmap 0x30000000 0x1000 rw private anon
p write 0x30000000 "lent"
loan k p 0x30000000 0x1000 kernel
p madvise 0x30000000 0x1000 free
p read 0x30000000 4
kread k 0 4
unloan k
check
)",
                "p read 0x10000000 1 = 78\n"
                "p read 0x10000000 1 = 00\n"
                "c read 0x10000000 1 = 63\n"
                "p madvise 0x10000000 4096 = error EBUSY\n"
                "p madvise 0x10000000 16384 = error EFAULT\n"
                "p madvise 0x10008000 4096 = error EFAULT\n"
                "p read 0x20000000 1 = 00\n"
                "p read 0x30000000 4 = 00000000\n"
                "kread k 0 4 = 6c656e74\n"
                "check ok\n");
}

TEST_CASE("scenario: msync of anonymous memory never fails, and length 0 means the whole entry",
          "[fidelity][cli]") {
  expect_output(R"(machine mem=16M swap=0
file f 16384 fill=0x61
spawn p
p mmap 0x10000000 0x2000 rw shared anon
p mmap 0x10002000 0x2000 rw private anon
p write 0x10000000 "s"
p write 0x10002000 "p"
p msync 0x10000000 0x4000 sync
p msync 0x10000000 0x4000 async
p msync 0x10000000 0x4000 invalidate
p read 0x10000000 1
p read 0x10002000 1
p mmap 0x20000000 0x4000 rw shared file f 0
p write 0x20003000 "end"
p msync 0x20001000 0 sync
fileread f 12288 3
p msync 0x28000000 0 sync
p msync 0x20000000 0x8000 sync
check
)",
                "p read 0x10000000 1 = 73\n"
                "p read 0x10002000 1 = 70\n"
                "fileread f 12288 3 = 656e64\n"
                "p msync 0x28000000 0 = error EINVAL\n"
                "p msync 0x20000000 32768 = error ENOMEM\n"
                "check ok\n");
}

TEST_CASE("scenario: loan errors are uvm_loan's, and protection is not checked", "[fidelity][cli]") {
  expect_output(R"(file f 4096 fill=0x61
spawn p
p mmap 0x10000000 0x2000 rw private anon
p write 0x10000000 "x"
p write 0x10001000 "h"
loan a p 0x10002000 0x1000 kernel
loan a2 p 0x10001000 0x2000 anon
p mlock 0x10000000 0x1000
loan b p 0x10000000 0x1000 kernel
p mmap 0x20000000 0x2000 rw shared file f 0
loan c p 0x20000000 0x2000 kernel
p mprotect 0x10001000 0x1000 none
loan d p 0x10001000 0x1000 kernel
kread d 0 1
p read 0x10001000 1
unloan d
check
)",
                "loan a = error ENOENT\n"
                "loan a2 = error ENOENT\n"
                "loan b = error EINVAL\n"
                "loan c = error EINVAL\n"
                "kread d 0 1 = 68\n"
                "p read 0x10001000 1 = SIGSEGV\n"
                "check ok\n");
}

TEST_CASE("scenario: truncating inside a lent page leaves the borrower its bytes", "[fidelity][cli]") {
  expect_output(R"(file f 8192 fill=0x61
spawn p
p mmap 0x10000000 0x2000 rw shared file f 0
p write 0x10000064 "kept"
loan k p 0x10000000 0x1000 kernel
loan a p 0x10000000 0x1000 anon
truncate f 50
kread k 100 4
kread a 100 4
p read 0x10000031 2
p read 0x10000064 4
check
unloan k
unloan a
check
)",
                "kread k 100 4 = 6b657074\n"
                "kread a 100 4 = 6b657074\n"
                "p read 0x10000031 2 = 6100\n"
                "p read 0x10000064 4 = 00000000\n"
                "check ok\n"
                "check ok\n");
}

TEST_CASE("scenario: a kread that cannot bring its lent page back prints an error line and the run goes on",
          "[fidelity][cli]") {
  // 32 frames: h's 32 pages lent to the kernel pin every frame, after the
  // page daemon sent the anon lent to `l` to swap; bringing it back finds no
  // frame and nothing left to page out.
  expect_output(R"(machine mem=128K swap=256K
spawn p
p mmap 0x10000000 0x1000 rw private anon
p write 0x10000000 "lent"
loan l p 0x10000000 0x1000 anon
p munmap 0x10000000 0x1000
spawn h
h mmap 0x20000000 0x20000 rw private anon
h fill 0x20000000 0x20000 1
loan k h 0x20000000 0x20000 kernel
kread l 0 4
unloan k
kread l 0 4
check
)",
                "kread l 0 4 = error ENOMEM\n"
                "kread l 0 4 = 6c656e74\n"
                "check ok\n");
}

TEST_CASE("scenario: mappings of 2^31 and 2^32 pages work lazily; a shared fork of one is ENOMEM", "[sizes][cli]") {
  for (const char* len : {"0x80000000000", "0x100000000000"}) {
    INFO("LEN " << len);
    const std::string l = len;
    expect_output("machine mem=16M swap=16M\nspawn p\n"
                  "p mmap 0x10000000 " + l + " rw private anon\n"
                  "p read 0x10000000 1\n"
                  "p write 0x10000000 \"hi\"\n"
                  "p fork c\n"
                  "c write 0x10000000 \"yo\"\n"
                  "p read 0x10000000 2\n"
                  "c read 0x10000000 2\n"
                  "p mlock 0x10000000 " + l + "\n"
                  "p minherit 0x10000000 " + l + " share\n"
                  "p fork d\n"
                  "check\n",
                  "p read 0x10000000 1 = 00\n"
                  "p read 0x10000000 2 = 6869\n"
                  "c read 0x10000000 2 = 796f\n"
                  "p mlock 0x10000000 " + std::to_string(std::stoull(l, nullptr, 16)) + " = error EAGAIN\n"
                  "p fork d = error ENOMEM\n"
                  "check ok\n");
  }
}
