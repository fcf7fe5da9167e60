// `uvmsim replay` as a user runs it (the built binary): output forms, the
// miss-ratio table and plot, errors and exit statuses; and a real program's
// memory trace recorded by valgrind's lackey, piped into the command in both
// modes and checked against a reference model written here (textbook) and
// the invariant checker (uvm). Also the scenario side: `machine policy=`
// and `run --policy`.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "run_helper.h"
#include "scratch.h"

namespace uvmsim::cli::testing {
namespace {

#ifdef UVMSIM_BINARY

namespace fs = std::filesystem;


struct Ran {
  int status = -1;
  std::string out, err;
};

// Run a shell command line; stdout and stderr captured.
Ran sh(const Scratch& s, const std::string& cmd) {
  const std::string out = s.path("stdout"), err = s.path("stderr");
  const int rc = std::system(("(" + cmd + ") >" + out + " 2>" + err).c_str());
  Ran r;
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

const std::string kUvmsim = UVMSIM_BINARY;

std::map<std::string, std::string> lines_of(const std::string& out) {
  std::map<std::string, std::string> kv;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    const auto sp = line.find(' ');
    if (sp != std::string::npos) kv[line.substr(0, sp)] = line.substr(sp + 1);
  }
  return kv;
}

TEST_CASE("replay: text and JSON output", "[replay][cli]") {
  Scratch s;
  const std::string t = s.write("belady.pages", "1\n2\n3\n4\n1\n2\n5\n1\n2\n3\n4\n5 W\n");
  Ran r = sh(s, kUvmsim + " replay --format pages --policy fifo --frames 3 " + t);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.starts_with("accesses 12\nfaults 9\nhits 3\nevictions 6\nwritebacks 0\n"));
  auto kv = lines_of(r.out);
  CHECK(kv["policy"] == "fifo");
  CHECK(kv["mode"] == "textbook");
  CHECK(kv["frames"] == "3");
  CHECK(kv["pages"] == "5");

  r = sh(s, "cat " + t + " | " + kUvmsim + " replay --format=pages --policy=opt --frames=4 --json -");
  REQUIRE(r.status == 0);
  for (const char* key : {"\"accesses\": 12", "\"faults\": 6", "\"hits\": 6", "\"evictions\": 2",
                          "\"writebacks\": 0", "\"policy\": \"opt\"", "\"mode\": \"textbook\"", "\"frames\": 4"})
    CHECK(r.out.find(key) != std::string::npos);
  CHECK(r.out.starts_with("{"));
  CHECK(r.out.ends_with("}\n"));

  r = sh(s, kUvmsim + " replay --format pages --mode uvm --mem 64K --policy lru --json --check " + t);
  INFO(r.err);
  REQUIRE(r.status == 0);
  for (const char* key : {"\"accesses\": 12", "\"mode\": \"uvm\"", "\"mem\": 65536", "\"policy\": \"lru\"",
                          "\"faults\": ", "\"hits\": ", "\"evictions\": ", "\"writebacks\": ", "\"uvmexp\": {",
                          "\"check\": \"ok\""})
    CHECK(r.out.find(key) != std::string::npos);
}

TEST_CASE("replay: bad traces and bad command lines", "[replay][cli]") {
  Scratch s;
  const std::string bad = s.write("bad.trace", "I  04010a30,3\n L 0422\n");
  Ran r = sh(s, kUvmsim + " replay " + bad);
  CHECK(r.status == 2);
  CHECK(r.err == "uvmsim replay: " + bad + ":2: truncated record: expected ',SIZE' after the address\n");
  CHECK(r.out.empty());

  r = sh(s, "printf '1\\n2\\nx\\n' | " + kUvmsim + " replay --format pages -");
  CHECK(r.status == 2);
  CHECK(r.err == "uvmsim replay: <stdin>:3: expected a decimal page number\n");

  r = sh(s, kUvmsim + " replay - </dev/null");
  CHECK(r.status == 2);
  CHECK(r.err == "uvmsim replay: <stdin>: empty trace\n");

  r = sh(s, "echo 'I  1ffffffffffffffff,4' | " + kUvmsim + " replay -");
  CHECK(r.status == 2);
  CHECK(r.err == "uvmsim replay: <stdin>:1: address does not fit in 64 bits\n");

  r = sh(s, kUvmsim + " replay " + s.path("missing.trace"));
  CHECK(r.status == 2);
  CHECK(r.err.find("cannot open") != std::string::npos);

  r = sh(s, "echo 1 | " + kUvmsim + " replay --format pages --policy belady -");
  CHECK(r.status == 2);
  CHECK(r.err.find("unknown replacement policy \"belady\"") != std::string::npos);

  r = sh(s, "echo 1 | " + kUvmsim + " replay --format pages --mode uvm --policy opt -");
  CHECK(r.status == 2);
  CHECK(r.err.find("textbook only") != std::string::npos);

  r = sh(s, "echo 1 | " + kUvmsim + " replay --format pages --policy fifo,lru -");
  CHECK(r.status == 2);
  CHECK(r.err.find("several policies need --mrc") != std::string::npos);

  r = sh(s, "echo 1 | " + kUvmsim + " replay --format pages --mrc 5:2 -");
  CHECK(r.status == 2);
  CHECK(r.err.find("need 1 <= LO <= HI") != std::string::npos);

  r = sh(s, kUvmsim + " replay --frobnicate x");
  CHECK(r.status == 2);

  // uvm mode: memory and swap too small for the trace is a failed replay.
  std::string many;
  for (int i = 0; i < 400; i++) many += std::to_string(i) + " W\n";
  const std::string t = s.write("many.pages", many);
  r = sh(s, kUvmsim + " replay --format pages --mode uvm --mem 64K --swap 64K " + t);
  CHECK(r.status == 1);
  CHECK(r.err.find("memory and swap are too small") != std::string::npos);
}

TEST_CASE("replay: miss-ratio table, JSON array and PNG plot", "[replay][cli][mrc]") {
  Scratch s;
  std::string text;
  for (int cycle = 0; cycle < 20; cycle++)
    for (int p = 0; p < 12; p++) text += std::to_string((p * 5 + cycle) % 16) + "\n";
  const std::string t = s.write("t.pages", text);
  Ran r = sh(s, kUvmsim + " replay --format pages --policy lru,fifo,opt --mrc 1:16:3 " + t);
  INFO(r.err);
  REQUIRE(r.status == 0);
  std::istringstream in(r.out);
  std::string line;
  std::getline(in, line);
  CHECK(line.starts_with("# miss ratio"));
  std::getline(in, line);
  CHECK(line.find("frames") != std::string::npos);
  CHECK(line.find("lru") != std::string::npos);
  CHECK(line.find("opt") != std::string::npos);
  int rows = 0;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    double frames, lru, fifo, opt;
    REQUIRE(row >> frames >> lru >> fifo >> opt);
    CHECK(opt <= lru);
    CHECK(opt <= fifo);
    rows++;
  }
  CHECK(rows == 6);  // 1, 4, 7, 10, 13, 16

  r = sh(s, kUvmsim + " replay --format pages --policy fifo --mrc 2:4 --json " + t);
  REQUIRE(r.status == 0);
  CHECK(r.out.starts_with("[{\"policy\": \"fifo\""));
  CHECK(r.out.find("\"frames\": 4") != std::string::npos);
  CHECK(r.out.ends_with("}]\n"));

  const std::string png = s.path("curve.png");
  r = sh(s, kUvmsim + " replay --format pages --policy lru,arc --mrc 1:16 --plot " + png + " " + t);
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::string bytes = slurp(png);
  REQUIRE(bytes.size() > 33);
  CHECK(bytes.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  CHECK(bytes.substr(12, 4) == "IHDR");
  r = sh(s, kUvmsim + " replay --format pages --plot " + png + " " + t);
  CHECK(r.status == 2);
  CHECK(r.err.find("--plot draws a miss-ratio curve") != std::string::npos);
}

// ---- a real program's trace ----

// The test's own reading of lackey output and its own LRU and FIFO.
struct RefCounts {
  std::uint64_t accesses = 0, faults = 0, evictions = 0, writebacks = 0, pages = 0;
};

std::vector<std::pair<std::uint64_t, bool>> read_lackey(const std::string& path) {
  std::vector<std::pair<std::uint64_t, bool>> refs;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    char kind;
    unsigned long long addr, size;
    bool ifetch = line.starts_with("I ");
    if (!ifetch && !(line.size() > 2 && line[0] == ' ' && line[2] == ' ')) continue;
    if (std::sscanf(line.c_str(), " %c %llx,%llu", &kind, &addr, &size) != 3) continue;
    if (size == 0) size = 1;
    for (unsigned long long pg = addr >> 12; pg <= (addr + size - 1) >> 12; pg++) {
      if (kind == 'I' || kind == 'L' || kind == 'M') refs.emplace_back(pg, false);
      if (kind == 'S' || kind == 'M') refs.emplace_back(pg, true);
    }
  }
  return refs;
}

RefCounts reference(const std::vector<std::pair<std::uint64_t, bool>>& refs, std::size_t frames, bool lru) {
  RefCounts c;
  std::deque<std::uint64_t> order;  // front: next victim
  std::map<std::uint64_t, bool> dirty;
  std::set<std::uint64_t> seen;
  for (auto [page, write] : refs) {
    c.accesses++;
    seen.insert(page);
    auto it = dirty.find(page);
    if (it != dirty.end()) {
      it->second = it->second || write;
      if (lru) {
        order.erase(std::find(order.begin(), order.end(), page));
        order.push_back(page);
      }
      continue;
    }
    c.faults++;
    if (order.size() == frames) {
      const std::uint64_t v = order.front();
      order.pop_front();
      c.evictions++;
      if (dirty[v]) c.writebacks++;
      dirty.erase(v);
    }
    order.push_back(page);
    dirty[page] = write;
  }
  c.pages = seen.size();
  return c;
}

TEST_CASE("replay: a real program's lackey trace, piped in, in both modes", "[replay][cli][valgrind]") {
  Scratch s;
  REQUIRE(std::system("valgrind --version >/dev/null 2>&1") == 0);  // scripts/deps.sh installs it
  std::string input;
  for (int i = 0; i < 300; i++) input += std::to_string((i * 7919) % 1000) + "\n";
  const std::string in = s.write("numbers", input);
  const std::string trace = s.path("sort.lackey");
  // valgrind's own lines and sort's output go into the pipe too: the
  // replay skips them. tee keeps what was piped for the reference model.
  const std::string record = "valgrind --tool=lackey --trace-mem=yes sort -n " + in + " 2>&1 | tee " + trace + " | ";
  // Each mode reads valgrind's pipe once; the second policy reads the copy.
  auto source = [&](bool first) { return first ? record : "cat " + trace + " | "; };
  for (const char* policy : {"lru", "fifo"}) {
    INFO(policy);
    Ran r = sh(s, source(std::string(policy) == "lru") + kUvmsim + " replay --format lackey --policy " + policy +
                      " --frames 48 -");
    INFO(r.err);
    REQUIRE(r.status == 0);
    const auto refs = read_lackey(trace);
    REQUIRE(refs.size() > 50000);
    const RefCounts want = reference(refs, 48, std::string(policy) == "lru");
    auto kv = lines_of(r.out);
    CHECK(kv["accesses"] == std::to_string(want.accesses));
    CHECK(kv["faults"] == std::to_string(want.faults));
    CHECK(kv["hits"] == std::to_string(want.accesses - want.faults));
    CHECK(kv["evictions"] == std::to_string(want.evictions));
    CHECK(kv["writebacks"] == std::to_string(want.writebacks));
    CHECK(kv["pages"] == std::to_string(want.pages));
    CHECK(std::stoull(kv["skipped_lines"]) > 300);  // valgrind's banner and sort's 300 lines
  }
  // uvm mode: the same kind of trace on the model, small enough memory to page.
  for (const char* policy : {"clock", "arc"}) {
    INFO(policy);
    Ran r = sh(s, source(std::string(policy) == "clock") + kUvmsim +
                      " replay --format lackey --mode uvm --mem 512K --check --policy " + policy + " -");
    INFO(r.err);
    REQUIRE(r.status == 0);
    auto kv = lines_of(r.out);
    const auto refs = read_lackey(trace);
    std::set<std::uint64_t> pages;
    for (auto& [pg, w] : refs) pages.insert(pg);
    CHECK(kv["accesses"] == std::to_string(refs.size()));
    CHECK(std::stoull(kv["faults"]) + std::stoull(kv["hits"]) == refs.size());
    CHECK(std::stoull(kv["faults"]) >= pages.size() / 2);  // fault-ahead may map some pages for free
    CHECK(std::stoull(kv["uvmexp.pgswapout"]) > 0);        // 128 pages of memory: it paged
    CHECK(r.out.find("check ok\n") != std::string::npos);
  }
}

#endif  // UVMSIM_BINARY

// ---- the scenario side ----

TEST_CASE("scenarios: machine policy= and its errors", "[replay][cli][policy]") {
  const std::string body =
      "spawn p\n"
      "p mmap 0x10000000 1M rw private anon\n"
      "p fill 0x10000000 1M 7\n"
      "p read 0x10000000 4\n"
      "check\n";
  for (const char* policy : {"clock", "second-chance", "fifo", "lru", "random", "aging", "wsclock", "arc"}) {
    INFO(policy);
    auto r = run_text(std::string("machine mem=512K swap=4M backend=soft policy=") + policy + " seed=3\n" + body);
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(r.out.find("check ok") != std::string::npos);
  }
  auto r = run_text("machine policy=belady\n" + body);
  CHECK(r.status == 2);
  CHECK(r.err.find("t.scen:1:") == 0);
  CHECK(r.err.find("unknown replacement policy \"belady\"") != std::string::npos);
  r = run_text("machine policy=opt\n" + body);
  CHECK(r.status == 2);
  r = run_text("machine policy=fifo policy=lru\n" + body);
  CHECK(r.status == 2);
}

#ifdef UVMSIM_BINARY
TEST_CASE("uvmsim run --policy overrides the script's policy", "[replay][cli][policy]") {
  Scratch s;
  const std::string scen = s.write("p.scen",
                                   "machine mem=512K swap=4M backend=soft policy=lru\n"
                                   "spawn p\n"
                                   "p mmap 0x10000000 1M rw private anon\n"
                                   "p fill 0x10000000 1M 7\n");
  // The page daemon's passes are traced with the policy's name.
  Ran r = sh(s, kUvmsim + " run --policy wsclock --trace " + s.path("t.json") + " " + scen);
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::string trace = slurp(s.path("t.json"));
  CHECK(trace.find("wsclock") != std::string::npos);
  CHECK(trace.find("\"lru\"") == std::string::npos);
  r = sh(s, kUvmsim + " run --policy belady " + scen);
  CHECK(r.status == 2);
  CHECK(r.err.find("unknown replacement policy \"belady\"") != std::string::npos);
}
#endif

}  // namespace
}  // namespace uvmsim::cli::testing
