// The researcher's view from the command: `dump`, --json result objects,
// --dump-after, --stats-every series, per-process stats, the streamed trace
// with its model clock, and the error messages users act on.
#include <catch2/catch.hpp>

#include <sstream>

#include "cli/cost_model.h"
#include "cli/printable.h"
#include "cli/scenario_args.h"
#include "cli/stats_series.h"
#include "cli/trace_writer.h"
#include "run_helper.h"

using namespace uvmsim;
using namespace uvmsim::cli;
using namespace uvmsim::cli::testing;

namespace {

// fork + copy-on-write + a kernel loan + a shared file page.
const char* kScript = R"J(machine mem=1M swap=4M backend=soft
file data 16384 fill=0x61
spawn p
p mmap 0x10000000 0x8000 rw private anon
p fill 0x10000000 0x8000 0x41
p mmap 0x20000000 0x4000 rw shared file data 0
p read 0x20000000 4
p fork c
c write 0x10000000 "child"
loan L p 0x10002000 0x2000 kernel
p read 0x10003000 2
c read 0x30000000 1
dump p
)J";

std::size_t count(const std::string& s, std::string_view what) {
  std::size_t n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) n++;
  return n;
}

}  // namespace

TEST_CASE("dump prints the entries, the amap, shared anons, the loan and the file", "[cli][dump]") {
  auto r = run_text(kScript);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("dump p (pid 1, anon model amap): 2 entries, 1 amaps, 1 objects\n") != std::string::npos);
  CHECK(r.out.find("entry 0x10000000-0x10008000 (8 pages) private rw max rwx inherit copy") != std::string::npos);
  CHECK(r.out.find("loaned 1") != std::string::npos);
  CHECK(r.out.find("also in c") != std::string::npos);
  CHECK(r.out.find("object #0 vnode 'data'") != std::string::npos);
  CHECK(r.out.find("\nqueues: 256 pages: ") != std::string::npos);
}

TEST_CASE("dump P json and dot, a bad format, an unknown process", "[cli][dump]") {
  auto j = run_text("spawn p\np mmap 0x1000 0x1000 rw private anon\np fill 0x1000 1 1\ndump p json\n");
  REQUIRE(j.status == 0);
  CHECK(j.out.starts_with("{\"schema\": 1, \"process\": \"p\""));
  CHECK(count(j.out, "\n") == 1);  // one document, one line
  auto d = run_text("spawn p\ndump p dot\n");
  REQUIRE(d.status == 0);
  CHECK(d.out.starts_with("digraph uvmsim {"));
  CHECK(d.out.ends_with("}\n"));
  auto bad = run_text("spawn p\ndump p png\n");
  CHECK(bad.status == 2);
  CHECK(bad.err.find("t.scen:2: dump:") != std::string::npos);
  auto unknown = run_text("dump q\n");
  CHECK(unknown.status == 2);
  CHECK(unknown.err == "t.scen:1: unknown process 'q'\n");
  auto name = run_text("spawn dump\n");
  CHECK(name.status == 2);
}

TEST_CASE("json output: one object per result line with the command's fields", "[cli][json]") {
  RunOptions o;
  o.json = true;
  auto r = run_text(kScript, o);
  REQUIRE(r.status == 0);
  auto plain = run_text(kScript);
  // As many objects as the plain form has results; dump is one object.
  CHECK(count(r.out, "\n") == 4);
  CHECK(r.out.find(R"J({"line": 7, "cmd": "read", "text": "p read 0x20000000 4 = 61616161", "proc": "p", )J"
                   R"J("addr": 536870912, "len": 4, "result": "ok", "hex": "61616161"})J") != std::string::npos);
  CHECK(r.out.find(R"J({"line": 12, "cmd": "read", "text": "c read 0x30000000 1 = SIGSEGV", "proc": "c", )J"
                   R"J("addr": 805306368, "len": 1, "result": "SIGSEGV")J") != std::string::npos);
  CHECK(r.out.find(R"J({"line": 13, "cmd": "dump", "text": "dump p (pid 1, anon model amap)J") != std::string::npos);
  // errno results
  auto e = run_text("spawn p\np mprotect 0x1001 0x1000 r\n", o);
  CHECK(e.out == R"J({"line": 2, "cmd": "mprotect", "text": "p mprotect 0x1001 4096 = error EINVAL", "proc": "p", )J"
                 R"J("addr": 4097, "len": 4096, "result": "error", "errno": "EINVAL"})J"
                 "\n");
  // dump json is embedded as the "dump" field.
  auto dj = run_text("spawn p\ndump p json\n", o);
  CHECK(dj.out.find(R"J(, "proc": "p", "dump": {"schema": 1, )J") != std::string::npos);
  // stats carries the machine's and every process's counters.
  auto st = run_text("spawn p\nstats\n", o);
  CHECK(st.out.find(R"J("stats": {"faults": 0, )J") != std::string::npos);
  CHECK(st.out.find(R"J("processes": {"p": {"faults": 0, )J") != std::string::npos);
}

TEST_CASE("dump-after LINE dumps every live process after that line", "[cli][dump]") {
  RunOptions o;
  o.dump_after = {3};
  auto r = run_text("spawn p\nspawn q\n# nothing\np mmap 0x1000 0x1000 rw private anon\n", o);
  REQUIRE(r.status == 0);
  CHECK(r.out.starts_with("dump p (pid 1"));
  CHECK(r.out.find("\ndump q (pid 2") != std::string::npos);
  CHECK(count(r.out, "entry ") == 0);  // the mmap on line 4 comes after
}

TEST_CASE("stats: per-process counters next to the machine's", "[cli][stats]") {
  auto r = run_text("spawn p\np mmap 0x1000 0x2000 rw private anon\np fill 0x1000 0x2000 1\np fork c\n"
                    "c write 0x1000 hex:00\nstats\n");
  REQUIRE(r.status == 0);
  CHECK(r.out.find("\nprocess p: faults 2 flt_anon 0 flt_acow 0 flt_obj 0 flt_prcopy 0 flt_przero 2 ") !=
        std::string::npos);
  CHECK(r.out.find("\nprocess c: faults 1 flt_anon 0 flt_acow 1 ") != std::string::npos);
  CHECK(r.out.find(" forks 1 resident 2 ") != std::string::npos);
}

TEST_CASE("stats-every: a sample every N commands and one at the end, JSON lines or CSV", "[cli][stats]") {
  const std::string script = "spawn p\np mmap 0x1000 0x4000 rw private anon\n# c\np fill 0x1000 0x4000 1\n"
                             "p munmap 0x1000 0x4000\np fill 0x1000 1 1\n";
  std::ostringstream js;
  StatsSeries series(js, StatsSeries::Format::kJsonLines);
  RunOptions o;
  o.series = &series;
  o.stats_every = 2;
  auto r = run_text(script, o);
  REQUIRE(r.status == 0);
  // 5 commands: samples after commands 2 and 4, and after the last (5).
  CHECK(series.samples() == 3);
  const std::string s = js.str();
  CHECK(s.starts_with(R"J({"line": 2, "commands": 2, "free": )J"));
  CHECK(s.find(R"J({"line": 5, "commands": 4, )J") != std::string::npos);
  CHECK(s.find(R"J({"line": 6, "commands": 5, )J") != std::string::npos);
  CHECK(s.find(R"J("flt_przero": 4, )J") != std::string::npos);
  std::ostringstream csv;
  StatsSeries cs(csv, StatsSeries::Format::kCsv);
  o.series = &cs;
  REQUIRE(run_text(script, o).status == 0);
  CHECK(csv.str().starts_with("line,commands,free,active,inactive,wired,swapped,"));
  CHECK(count(csv.str(), "\n") == 4);
}

namespace {

std::string traced(const std::string& script, TraceClock clock, CostModel costs = {}) {
  std::ostringstream t;
  {
    TraceWriter w(t, clock, costs);
    RunOptions o;
    o.trace = &w;
    REQUIRE(run_text(script, o).status == 0);
  }
  return t.str();
}

const char* kPaging = R"J(machine mem=256K swap=4M backend=soft
spawn p
p mmap 0x10000000 0x80000 rw private anon
p fill 0x10000000 0x80000 0x5a
p sum 0x10000000 0x80000
p fork c
c write 0x10000000 "x"
c exit
)J";

}  // namespace

TEST_CASE("trace: named tracks, per-page paging, I/O, fork and exit", "[cli][trace]") {
  const std::string t = traced(kPaging, TraceClock::kModel);
  CHECK(t.find(R"J("args": {"name": "p"}})J") != std::string::npos);
  CHECK(t.find(R"J("args": {"name": "c"}})J") != std::string::npos);
  CHECK(t.find("\"name\": \"pageout (anon)\"") != std::string::npos);
  CHECK(t.find("\"name\": \"pagein (anon)\"") != std::string::npos);
  CHECK(t.find(R"J("name": "swap-write", "cat": "io")J") != std::string::npos);
  CHECK(t.find(R"J("name": "swap-read", "cat": "io")J") != std::string::npos);
  CHECK(t.find(R"J("name": "fork")J") != std::string::npos);
  CHECK(t.find(R"J("name": "exit")J") != std::string::npos);
  CHECK(t.find(R"J("name": "anon-cow", "cat": "fault")J") != std::string::npos);
  // Page-outs name the process and the address they were mapped at.
  CHECK(t.find("\"name\": \"pageout (anon)\", \"cat\": \"paging\", \"ph\": \"i\", \"s\": \"t\", \"ts\": ") != std::string::npos);
  CHECK(t.find(R"J(, "pid": 1, "tid": 1, "args": {"addr": "0x100)J") != std::string::npos);
  CHECK(t.ends_with("}}\n"));
  CHECK(t.find("\"modelled_total_ns\": ") != std::string::npos);
}

TEST_CASE("trace: the model clock gives byte-identical traces, and costs can be overridden", "[cli][trace]") {
  const std::string a = traced(kPaging, TraceClock::kModel);
  const std::string b = traced(kPaging, TraceClock::kModel);
  CHECK(a == b);
  CostModel slow;
  std::istringstream in("# slower swap\nio.swap-read 1000000\n\nio.swap-write 1000000\n");
  REQUIRE(slow.load(in, "costs").ok());
  CHECK(slow.get("io.swap-read") == 1000000);
  const std::string c = traced(kPaging, TraceClock::kModel, slow);
  CHECK(c != a);
  auto total = [](const std::string& t) {
    const std::size_t at = t.find("\"modelled_total_ns\": ") + 21;
    return std::stoull(t.substr(at));
  };
  CHECK(total(c) > total(a));
  // Host-clock traces still carry the same events.
  const std::string h = traced(kPaging, TraceClock::kHost);
  CHECK(count(h, "\"cat\": \"fault\"") == count(a, "\"cat\": \"fault\""));
  CHECK(h.find("\"clock\": \"host\"") != std::string::npos);
}

TEST_CASE("cost table errors name the line and the known costs", "[cli][trace]") {
  CostModel m;
  std::istringstream unknown("io.swap-read 5\nio.tape 7\n");
  auto st = m.load(unknown, "c.txt");
  REQUIRE(!st.ok());
  CHECK(std::string(st.message()).starts_with("c.txt:2: unknown cost 'io.tape' (known: "));
  std::istringstream bad("fork 12x\n");
  st = m.load(bad, "c.txt");
  REQUIRE(!st.ok());
  CHECK(std::string(st.message()) == "c.txt:1: expected 'NAME NANOSECONDS', e.g. 'io.swap-read 80000'");
}

TEST_CASE("messages: size suffixes, escaped bytes, no repeated words", "[cli][errors]") {
  CHECK(std::string(parse_number("1T").status().message()) ==
        "unknown size suffix 'T': the suffixes are K, M and G (powers of 1024)");
  CHECK(std::string(parse_number("4k").status().message()) ==
        "size suffixes are upper case: K, M or G (powers of 1024), not 'k'");
  CHECK(parse_number("0xff").ok());
  CHECK(*parse_number("4K") == 4096);
  CHECK(printable("a\x01\x7f\\b") == "a\\x01\\x7f\\\\b");
  auto r = run_text("spawn p\x01q\n");
  CHECK(r.status == 2);
  CHECK(r.err.find("'p\\x01q'") != std::string::npos);
  auto f = run_text("file f 0x8000000000000\n");
  CHECK(f.status == 2);
  INFO(f.err);
  CHECK(f.err.find("file f: ") != std::string::npos);
  CHECK(f.err.find("file: file") == std::string::npos);
  CHECK(count(f.err, "file f") == 1);
}
