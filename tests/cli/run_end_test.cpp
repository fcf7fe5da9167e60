// How `uvmsim run` ends when it does not run to the end of its script:
// SIGINT and SIGTERM (real signals to the real binary), script errors, output
// paths that cannot be opened; '-' as an output path; --progress on a
// pseudo-terminal and off one; and the page batches that make one long
// command interruptible without changing what it does.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include <map>

#include <unistd.h>

#include "cli/run_interrupt.h"
#include "fmt/format.h"
#include "json_check.h"
#include "run_helper.h"
#include "scratch.h"
#include "subprocess.h"
#include "uvmsim/machine.h"
#include "uvmsim/platform.h"
#include "uvmsim/process.h"
#include "uvmsim/trace.h"

namespace uvmsim::cli::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// ---- in process: page batches and the interrupt flag ----

TEST_CASE("run: long accesses in page batches give what one call gives", "[cli][batches]") {
  // 3 MiB + 4 KiB spans four batches, not aligned to one; the reference is
  // the library called once on the same contents.
  const std::string setup =
      "machine mem=16M swap=16M backend=soft\nspawn p\np mmap 0x10000000 0x301000 rw private anon\n"
      "p fill 0x10000000 0x301000 0x5a\np write 0x10123456 \"batch\"\n";
  auto r = run_text(setup + "p sum 0x10000000 0x301000\np read 0x102ffffe 4\n");
  REQUIRE(r.status == 0);
  MachineConfig cfg;
  cfg.mem_bytes = 16 << 20;
  cfg.swap_bytes = 16 << 20;
  cfg.backend = Backend::kSoft;
  auto m = Machine::Create(cfg);
  REQUIRE(m.ok());
  auto p = (*m)->spawn("p");
  REQUIRE(p.ok());
  REQUIRE((*p)->mmap(0x10000000, 0x301000, kProtRead | kProtWrite, Sharing::kPrivate).ok());
  REQUIRE((*p)->fill(0x10000000, 0x301000, 0x5a)->ok());
  const std::string word = "batch";
  REQUIRE((*p)->write(0x10123456, std::span(reinterpret_cast<const std::uint8_t*>(word.data()), 5))->ok());
  auto whole = (*p)->sum(0x10000000, 0x301000);
  REQUIRE(whole.ok());
  CHECK(r.out == fmt::format("p sum 0x10000000 3149824 = {:#018x}\np read 0x102ffffe 4 = 5a5a5a5a\n", whole->hash));

  // A hole in the third batch: the failure is at the hole, as in one call.
  auto h = run_text(setup + "p munmap 0x10280000 4K\np sum 0x10000000 0x301000\n"
                            "p fill 0x10000000 0x301000 1\np read 0x1027f000 4\np read 0x10281000 4\n");
  REQUIRE(h.status == 0);
  CHECK(h.out ==
        "p sum 0x10000000 3149824 = SIGSEGV\np fill 0x10000000 3149824 = SIGSEGV\n"
        "p read 0x1027f000 4 = 01010101\np read 0x10281000 4 = 5a5a5a5a\n");
  RunOptions json;
  json.json = true;
  auto j = run_text(setup + "p munmap 0x10280000 4K\np sum 0x10000000 0x301000\n", json);
  CHECK(j.out.find(fmt::format("\"fault_addr\": {}", 0x10280000)) != std::string::npos);
}

TEST_CASE("run: an interrupt stops the run between lines and inside a long command", "[cli][interrupt]") {
  set_run_interrupt_signal(SIGINT);
  auto r = run_text("spawn p\np mmap 0x10000000 4K rw private anon\np read 0x10000000 1\n");
  set_run_interrupt_signal(0);
  CHECK(r.status == 130);
  CHECK(r.out.empty());
  CHECK(r.err == "t.scen:1: interrupted (SIGINT)\n");

  // Inside a command: a signal that comes during the first batch of a 4 MiB
  // fill (here: raised by the trace sink at its first fault) stops the fill
  // at the next batch, and the run there.
  struct RaiseAtFirstFault : TraceSink {
    bool armed = false;
    void event(const TraceEvent& e) override {
      if (armed && e.name == "fault") set_run_interrupt_signal(SIGINT);
    }
  } sink;
  std::ostringstream out, err;
  RunOptions o;
  o.display_name = "t.scen";
  o.trace = &sink;
  ScenarioRunner runner(o, out, err);
  // Armed after line 3's fault: the read's fault-in is line 3's only fault.
  std::istringstream head("spawn p\np mmap 0x10000000 4M rw private anon\np read 0x10000000 1\n");
  CHECK(runner.run(head) == 0);
  CHECK(runner.end().complete);
  CHECK(runner.end().line == 3);
  sink.armed = true;
  std::istringstream rest("p fill 0x10000000 4M 1\np read 0x10000000 1\n");
  const int status = runner.run(rest);
  set_run_interrupt_signal(0);
  CHECK(status == 130);
  CHECK(out.str() == "p read 0x10000000 1 = 00\n");
  CHECK(err.str() == "t.scen:1: interrupted (SIGINT)\n");
  CHECK_FALSE(runner.end().complete);
  CHECK(runner.end().signal == SIGINT);
  // One batch (256 pages) of the fill ran, not the whole 1024.
  const std::uint64_t zero_fills = runner.machine()->stats().flt_przero;
  CHECK(zero_fills >= 256);
  CHECK(zero_fills < 1024);
}

#ifdef UVMSIM_CLI_BINARY

const std::string kUvmsim = UVMSIM_CLI_BINARY;


// `n` reads that print, each of its own page; then `tail`.
std::string reads_then(int n, const std::string& tail, const std::string& backend = "soft") {
  std::string s = "machine mem=16M swap=16M backend=" + backend +
                  "\nspawn p\np mmap 0x10000000 1M rw private anon\np fill 0x10000000 1M 0x11\n";
  for (int i = 0; i < n; i++) s += fmt::format("p read {:#x} 2\n", 0x10000000 + (i % 256) * 4096);
  return s + tail;
}
std::string expected_reads(int n) {
  std::string s;
  for (int i = 0; i < n; i++) s += fmt::format("p read {:#x} 2 = 1111\n", 0x10000000 + (i % 256) * 4096);
  return s;
}
// A command that runs for tens of seconds: the hash of a 16 GiB file mapping
// (every page read in, the page daemon recycling 16 MiB of memory). The read
// just before it prints a line: once that line is out, the next command is
// the long one, so a signal then stops the run at the sum's line.
const std::string kLongSum =
    "file f 16G\np mmap 0x100000000 16G r private file f 0\np read 0x100000000 2\np sum 0x100000000 16G\n";
const std::string kBeforeLongSum = "p read 0x100000000 2 = 0000\n";
constexpr int kLongSumLine = 4 + 4;  // after the reads: file, mmap, read, sum

// Runs n printing reads then the long sum on a machine of `backend`, sends
// SIGINT once the sum has started, and checks what every backend must give:
// exit status 130, the lines printed so far, the interrupted line named, and
// --stats-json written, marked incomplete, with the counters of what ran.
// `extra` adds options; the stats are returned for further checks.
std::map<std::string, std::string> interrupt_long_sum(Scratch& s, const std::string& backend, int n,
                                                      const std::vector<std::string>& extra) {
  const std::string script = s.write("long.scen", reads_then(n, kLongSum, backend));
  std::vector<std::string> argv{kUvmsim, "run", "--stats-json", s.path("stats.json")};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(script);
  Child c(argv);
  REQUIRE(c.started());
  // The lines come out while the long sum runs (written in batches).
  REQUIRE(c.wait_for_lines(n + 1, 30s));
  c.signal(SIGINT);
  CHECK(c.wait(20s) == 130);
  CHECK(c.out() == expected_reads(n) + kBeforeLongSum);
  CHECK(c.err() == fmt::format("{}:{}: interrupted (SIGINT)\n", script, n + kLongSumLine));
  auto stats = JsonCheck::object(slurp(s.path("stats.json")));
  REQUIRE(stats);
  CHECK((*stats)["complete"] == "false");
  CHECK((*stats)["interrupted"] == "\"SIGINT\"");
  CHECK((*stats)["line"] == std::to_string(n + kLongSumLine));
  CHECK(std::stoull((*stats)["faults"]) >= 256);  // the counters of the lines that ran
  return *stats;
}

TEST_CASE("run: SIGINT inside a long command keeps the lines, marks stats and trace incomplete, exits 130",
          "[cli][interrupt][signal]") {
  Scratch s;
  const int n = 2000;
  auto stats = interrupt_long_sum(s, "soft", n, {"--trace", s.path("trace.json")});
  CHECK(stats.count("processes") == 1);

  auto trace = JsonCheck::object(slurp(s.path("trace.json")));
  REQUIRE(trace);
  CHECK(trace->count("traceEvents") == 1);
  auto other = JsonCheck::object((*trace)["otherData"]);
  REQUIRE(other);
  CHECK((*other)["complete"] == "false");
  CHECK((*other)["interrupted"] == "\"SIGINT\"");
  CHECK((*other)["line"] == std::to_string(n + kLongSumLine));
}

// On a kvm machine the accesses run as guest code: a signal that lands inside
// KVM_RUN ends it with EINTR and the guest is entered again (a ring-3 test in
// tests/kvm makes that happen on purpose); either way the run stops between
// batches as on the soft MMU.
TEST_CASE("run: SIGINT on a kvm machine stops the run as on the soft MMU, exit 130", "[cli][interrupt][signal]") {
  std::string why;
  if (!uvmsim::kvm_usable(&why)) {
    WARN("kvm backend not usable here (" << why << "); skipped");
    return;
  }
  Scratch s;
  interrupt_long_sum(s, "kvm", 200, {});
}

TEST_CASE("run: SIGTERM between short commands exits 143 with the lines and the counters so far",
          "[cli][interrupt][signal]") {
  Scratch s;
  const int n = 1000;
  // Then many short commands that print nothing (each a 1 MiB fill).
  std::string tail;
  for (int i = 0; i < 200000; i++) tail += fmt::format("p fill 0x10000000 1M {}\n", i % 256);
  const std::string script = s.write("many.scen", reads_then(n, tail));
  Child c({kUvmsim, "run", "--stats-json", s.path("stats.json"), script});
  REQUIRE(c.started());
  REQUIRE(c.wait_for_lines(n, 30s));
  c.signal(SIGTERM);
  CHECK(c.wait(20s) == 143);
  CHECK(c.out() == expected_reads(n));
  CHECK(c.err().find(": interrupted (SIGTERM)\n") != std::string::npos);
  auto stats = JsonCheck::object(slurp(s.path("stats.json")));
  REQUIRE(stats);
  CHECK((*stats)["complete"] == "false");
  CHECK((*stats)["interrupted"] == "\"SIGTERM\"");
  const auto line = std::stoull((*stats)["line"]);
  CHECK(line > static_cast<unsigned long long>(n + 4));
  CHECK(line <= static_cast<unsigned long long>(n + 4 + 200000));
}

TEST_CASE("run: a script error still writes the stats and trace of what ran, marked incomplete",
          "[cli][errors]") {
  Scratch s;
  const std::string script = s.write("bad.scen", reads_then(3, "p frob 1\n"));
  Child c({kUvmsim, "run", "--stats-json", s.path("stats.json"), "--trace", s.path("trace.json"), script});
  CHECK(c.wait(30s) == 2);
  CHECK(c.out() == expected_reads(3));
  CHECK(c.err() == script + ":8: unknown command 'frob' for process 'p'\n");
  auto stats = JsonCheck::object(slurp(s.path("stats.json")));
  REQUIRE(stats);
  CHECK((*stats)["complete"] == "false");
  CHECK((*stats)["error"] == "\"unknown command 'frob' for process 'p'\"");
  CHECK((*stats)["line"] == "8");
  CHECK((*stats)["flt_przero"] == "256");
  auto trace = JsonCheck::object(slurp(s.path("trace.json")));
  REQUIRE(trace);
  auto other = JsonCheck::object((*trace)["otherData"]);
  REQUIRE(other);
  CHECK((*other)["complete"] == "false");
  CHECK((*other)["line"] == "8");
  CHECK((*trace)["traceEvents"].find("\"zero-fill\"") != std::string::npos);

  // An error before the machine exists: how the run ended, no counters.
  const std::string first = s.write("first.scen", "bogus\n");
  Child c2({kUvmsim, "run", "--stats-json", s.path("stats2.json"), first});
  CHECK(c2.wait(30s) == 2);
  CHECK(slurp(s.path("stats2.json")) ==
        "{\"complete\": false, \"error\": \"unknown command 'bogus'\", \"line\": 1}\n");

  // A complete run says so.
  const std::string good = s.write("good.scen", reads_then(1, ""));
  Child c3({kUvmsim, "run", "--stats-json", s.path("stats3.json"), good});
  CHECK(c3.wait(30s) == 0);
  auto st3 = JsonCheck::object(slurp(s.path("stats3.json")));
  REQUIRE(st3);
  CHECK((*st3)["complete"] == "true");
  CHECK(st3->count("error") == 0);
}

TEST_CASE("run: an output path that cannot be opened is exit status 2 before any command runs",
          "[cli][errors]") {
  Scratch s;
  // The script would print at once and then run for a long time.
  const std::string script = s.write("long.scen", reads_then(1, kLongSum));
  for (const char* opt : {"--stats-json", "--trace", "--series"}) {
    INFO(opt);
    std::vector<std::string> argv{kUvmsim, "run", opt, s.path("no-such-dir/out")};
    if (std::string(opt) == "--series") argv.insert(argv.end(), {"--stats-every", "1"});
    argv.push_back(script);
    Child c(argv);
    CHECK(c.wait(20s) == 2);
    CHECK(c.out().empty());
    CHECK(c.err() == fmt::format("uvmsim run: {} {}: cannot create: No such file or directory\n", opt,
                                 s.path("no-such-dir/out")));
  }
  // A missing script creates no output file.
  Child c({kUvmsim, "run", "--stats-json", s.path("made.json"), s.path("missing.scen")});
  CHECK(c.wait(20s) == 2);
  CHECK(!fs::exists(s.path("made.json")));
}

TEST_CASE("run: '-' as an output path is standard output, after the result lines", "[cli][output]") {
  Scratch s;
  const std::string script = s.write("short.scen", reads_then(3, ""));
  Child c({kUvmsim, "run", "--stats-json", "-", script});
  REQUIRE(c.wait(30s) == 0);
  REQUIRE(c.out().starts_with(expected_reads(3)));
  auto stats = JsonCheck::object(c.out().substr(expected_reads(3).size()));
  REQUIRE(stats);
  CHECK((*stats)["complete"] == "true");
  CHECK(!fs::exists(fs::current_path() / "-"));

  // --stats too: the text counters, then the JSON.
  Child c2({kUvmsim, "run", "--stats", "--stats-json=-", script});
  REQUIRE(c2.wait(30s) == 0);
  const auto js = c2.out().rfind("\n{\"complete\": true, ");
  REQUIRE(js != std::string::npos);
  CHECK(c2.out().find("--- stats ---\n") < js);
  CHECK(JsonCheck::object(c2.out().substr(js + 1)));

  // The streamed trace is held back until the lines are out.
  Child c3({kUvmsim, "run", "--trace", "-", script});
  REQUIRE(c3.wait(30s) == 0);
  REQUIRE(c3.out().starts_with(expected_reads(3)));
  auto trace = JsonCheck::object(c3.out().substr(expected_reads(3).size()));
  REQUIRE(trace);
  CHECK(JsonCheck::object((*trace)["otherData"]));

  Child c4({kUvmsim, "run", "--trace", "-", "--stats-json", "-", script});
  CHECK(c4.wait(30s) == 2);
  CHECK(c4.out().empty());
  CHECK(c4.err().starts_with(
      "uvmsim run: only one of --stats-json, --trace and --series can be '-' (standard output)\n"));
}

TEST_CASE("run: --progress prints nothing when standard error is not a terminal", "[cli][progress]") {
  Scratch s;
  const std::string script = s.write("short.scen", reads_then(500, ""));
  Child c({kUvmsim, "run", "--progress", script});
  CHECK(c.wait(30s) == 0);
  CHECK(c.out() == expected_reads(500));
  CHECK(c.err().empty());
}

TEST_CASE("run: --progress on a terminal shows lines done of the total and the rate, erased at the end",
          "[cli][progress]") {
  Scratch s;
  const int n = 20;
  const std::string script = s.write("long.scen", reads_then(n, kLongSum));
  const std::string total = std::to_string(4 + n + 4);
  Child c({kUvmsim, "run", "--progress", script}, Child::Stderr::kTerminal);
  REQUIRE(c.started());
  // Drawn while the long sum runs: every line before it is done.
  const std::string status = fmt::format("\r\x1b[Kuvmsim run: {} of {} lines (", 4 + n + 3, total);
  REQUIRE(c.wait_for_stderr(status, 30s));
  c.signal(SIGINT);
  CHECK(c.wait(20s) == 130);
  const std::string& e = c.err();
  CHECK(e.find(" lines/s") != std::string::npos);
  // Erased before the message: the terminal shows only the message.
  CHECK(e.ends_with(fmt::format("\r\x1b[K{}:{}: interrupted (SIGINT)\r\n", script, total)));
  CHECK(c.out() == expected_reads(n) + kBeforeLongSum);
}

#endif  // UVMSIM_CLI_BINARY

}  // namespace
}  // namespace uvmsim::cli::testing
