// A real full file system under `uvmsim run --swap-file` and `--file-dir`:
// a swap file too big for its disk is an error before the script runs, and
// an msync that meets a full disk says ENOSPC and keeps the data in memory.
//
// The small disk: as root, a 1 MiB tmpfs mounted in a temporary directory
// (unmounted afterwards); otherwise, or when the mount fails, a 1 MiB file
// size limit (RLIMIT_FSIZE, 6 MiB) on the child that runs uvmsim — there only the
// up-front error can be shown (a file larger than the limit cannot exist).
#include <catch2/catch.hpp>

#ifdef UVMSIM_CLI_BINARY

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr std::uint64_t kDisk = 1 << 20;
// The file size limit when there is no tmpfs: above the simulated memory
// (a memfd of that size is a file too), below the swap asked for.
constexpr std::uint64_t kLimit = 6 << 20;

struct Result {
  int status = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `uvmsim run ARGS SCRIPT` in a child, with a file size limit if asked.
Result run_uvmsim(const std::string& dir, const std::vector<std::string>& args, const std::string& script,
                  bool limit_fsize) {
  const std::string scen = dir + "/t.scen", out = dir + "/out", err = dir + "/err";
  std::ofstream(scen) << script;
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (limit_fsize) {
      // Past the limit a write fails with EFBIG instead of killing us.
      ::signal(SIGXFSZ, SIG_IGN);
      struct rlimit rl {kLimit, kLimit};
      ::setrlimit(RLIMIT_FSIZE, &rl);
    }
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(o, 1);
    ::dup2(e, 2);
    std::vector<std::string> argv_s{UVMSIM_CLI_BINARY, "run"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    argv_s.push_back(scen);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int st = 0;
  REQUIRE(::waitpid(pid, &st, 0) == pid);
  Result r;
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

// A directory whose file system holds kDisk bytes (tmpfs), or "" when it
// cannot be made here.
struct SmallDisk {
  std::string base, disk;
  bool mounted = false;
  SmallDisk() {
    base = std::filesystem::temp_directory_path() / ("uvmsim-disk-" + std::to_string(::getpid()));
    disk = base + "/disk";
    std::filesystem::create_directories(disk);
    if (::geteuid() != 0) return;
    const std::string opts = "size=" + std::to_string(kDisk);
    mounted = ::mount("tmpfs", disk.c_str(), "tmpfs", 0, opts.c_str()) == 0;
    if (!mounted)
      std::cerr << "full_disk_test: cannot mount a tmpfs here (" << std::strerror(errno)
                << "); using a file size limit instead\n";
  }
  ~SmallDisk() {
    if (mounted) ::umount2(disk.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(base, ec);
  }
};

}  // namespace

TEST_CASE("full disk: a swap file that does not fit is an error before the script runs", "[cli][hostio]") {
  SmallDisk d;
  const std::string script =
      "machine mem=4M swap=8M backend=soft\n"
      "spawn p\n"
      "p mmap 0x10000000 4096 rw private anon\n"
      "p read 0x10000000 1\n";
  Result r = run_uvmsim(d.base, {"--swap-file", d.disk + "/swap"}, script, !d.mounted);
  INFO(r.err);
  CHECK(r.status == 2);
  CHECK(r.out.empty());  // nothing ran
  CHECK(r.err.find("swap file") != std::string::npos);
  CHECK(r.err.find("cannot reserve") != std::string::npos);
  CHECK(r.err.find(d.mounted ? "No space left on device" : "File too large") != std::string::npos);
  // The same run with a swap that fits works.
  r = run_uvmsim(d.base, {"--swap-file", d.disk + "/swap"},
                 "machine mem=4M swap=256K backend=soft\nspawn p\np mmap 0x10000000 4096 rw private anon\n"
                 "p read 0x10000000 1\n",
                 !d.mounted);
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "p read 0x10000000 1 = 00\n");
}

TEST_CASE("full disk: msync meets ENOSPC, keeps the data, and writes it once there is room", "[cli][hostio]") {
  SmallDisk d;
  if (!d.mounted) {
    WARN("full disk: no tmpfs here (not root, or mount refused): the msync ENOSPC case is skipped");
    return;
  }
  // g takes half the disk; f (sparse at creation) needs all of it at write-back.
  const std::string script =
      "machine mem=16M swap=1M backend=soft\n"
      "file g 512K fill=0x62\n"
      "file f 1M\n"
      "spawn p\n"
      "p mmap 0x20000000 1M rw shared file f 0\n"
      "p fill 0x20000000 1M 0x61\n"
      "p msync 0x20000000 1M\n"
      "p sum 0x20000000 1M\n"
      "truncate g 0\n"
      "p msync 0x20000000 1M\n"
      "fileread f 1048572 4\n";
  Result r = run_uvmsim(d.base, {"--file-dir", d.disk + "/files"}, script, false);
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  std::istringstream lines(r.out);
  std::string l1, l2, l3, l4;
  std::getline(lines, l1);
  std::getline(lines, l2);
  std::getline(lines, l3);
  std::getline(lines, l4);
  CHECK(l1 == "p msync 0x20000000 1048576 = error ENOSPC");
  // Memory kept every byte: the hash of 1 MiB of 'a' (FNV-1a 64).
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::uint64_t i = 0; i < (1u << 20); i++) h = (h ^ 0x61) * 0x100000001b3ull;
  char want[80];
  std::snprintf(want, sizeof want, "p sum 0x20000000 1048576 = 0x%016llx", static_cast<unsigned long long>(h));
  CHECK(l2 == want);
  // Room made: the pages that failed stayed dirty and reach the file now.
  CHECK(l3 == "fileread f 1048572 4 = 61616161");
  CHECK(l4.empty());
  const std::string stored = slurp(d.disk + "/files/f");
  CHECK(stored == std::string(1u << 20, 'a'));
}

#endif  // UVMSIM_CLI_BINARY
