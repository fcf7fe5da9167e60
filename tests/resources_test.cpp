// Resources: many machines created, used and destroyed in one host process
// leave nothing behind — no file descriptors (physical memory's memfd, the
// swap file, backing files, kvm's VM and vCPU descriptors), no threads, no
// memory, no temporary files. Runs on each backend (helpers.h).
#include <catch2/catch.hpp>

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "helpers.h"

using namespace uvmsim;
using namespace uvmsim::test;

namespace {

namespace fs = std::filesystem;

// Sanitizers make every machine several times slower; the count is scaled
// down there so that the test stays within its time limit. The leak it
// looks for grows with the count either way.
//
// Under AddressSanitizer the RSS bound is not checked: ASan keeps freed
// memory in its quarantine (256 MiB by default) and grows its shadow, so RSS
// grows without a leak; there LeakSanitizer checks the heap at exit instead,
// and the descriptor count still catches a machine whose memory mapping
// (a memfd) was not released.
#if defined(__SANITIZE_ADDRESS__)
#define UVMSIM_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UVMSIM_TEST_ASAN 1
#endif
#endif
#ifdef UVMSIM_TEST_ASAN
constexpr int kMachines = 2000;
constexpr bool kCheckRss = false;
#else
constexpr int kMachines = 10000;
constexpr bool kCheckRss = true;
#endif
constexpr int kWarmUp = kMachines / 10;

std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) n++;
  return n;
}

// A field of /proc/self/status ("Threads", "VmRSS" in kB).
std::uint64_t status_field(const std::string& name) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(name + ":")) return std::stoull(line.substr(name.size() + 1));
  return 0;
}

// One machine's life: memory and swap, a process that maps, touches, maps a
// file, forks; the child writes (a copy-on-write fault) and both exit. Few
// pages are touched: every first touch of a frame is a host page fault in
// the new memfd, which would make the test slow without finding more.
void one_machine(int i) {
  MachineConfig cfg;
  cfg.mem_bytes = 64 * kPageSize;
  cfg.swap_bytes = 64 * kPageSize;
  cfg.backend = test_backend();
  auto m = Machine::Create(cfg);
  INFO(i << ": " << m.status().ToString());
  REQUIRE(m.ok());
  Process* p = spawn(**m, "p");
  REQUIRE((*m)->create_file("f", kPageSize, 0x33).ok());
  REQUIRE(p->mmap(0x10000000, 4 * kPageSize, RW, Sharing::kPrivate).ok());
  REQUIRE(p->mmap_file(0x20000000, kPageSize, RW, Sharing::kShared, "f", 0).ok());
  REQUIRE(p->fill(0x10000000, 2 * kPageSize, static_cast<std::uint8_t>(i))->ok());
  write_str(p, 0x20000000, "resource");
  auto c = p->fork("c");
  REQUIRE(c.ok());
  write_str(*c, 0x10000000, "child");
  REQUIRE(read_str(p, 0x20000000, 8) == "resource");
  REQUIRE((*c)->exit().ok());
  REQUIRE(p->exit().ok());
}

}  // namespace

TEST_CASE("resources: machines created, used and destroyed leave no descriptors, threads, memory or files",
          "[resources]") {
  // Temporary files (swap, the backing-file directory) go to a directory of
  // the test's own, which must be empty at the end.
  const char* old_tmp = std::getenv("TMPDIR");
  const std::optional<std::string> saved = old_tmp ? std::optional<std::string>(old_tmp) : std::nullopt;
  char tmpl[] = "/tmp/uvmsim-resources-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  ::setenv("TMPDIR", tmpl, 1);

  for (int i = 0; i < kWarmUp; i++) one_machine(i);
  const std::size_t fds = open_fds();
  const std::uint64_t threads = status_field("Threads");
  const std::uint64_t rss_kb = status_field("VmRSS");
  for (int i = kWarmUp; i < kMachines; i++) one_machine(i);
  const std::size_t fds_end = open_fds();
  const std::uint64_t threads_end = status_field("Threads");
  const std::uint64_t rss_end_kb = status_field("VmRSS");

  std::size_t left = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(tmpl)) left++;
  if (saved) ::setenv("TMPDIR", saved->c_str(), 1);
  else ::unsetenv("TMPDIR");
  std::error_code ec;
  fs::remove_all(tmpl, ec);

  INFO(kMachines << " machines; RSS after warm-up " << rss_kb << " kB, at the end " << rss_end_kb << " kB");
  CHECK(fds_end == fds);
  CHECK(threads_end == threads);
  CHECK(left == 0);
  // Each machine has 256 KiB of frames and as much of swap file, and its
  // metadata: a leak of even one frame or page of metadata per machine would
  // show as megabytes.
  // The bound allows for the allocator's own fluctuation.
  if (kCheckRss) CHECK(rss_end_kb <= rss_kb + 4096);
}
