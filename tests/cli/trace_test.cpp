// --trace: the trace events a scenario produces, as Chrome trace JSON.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "cli/scenario_runner.h"
#include "cli/trace_writer.h"

using namespace uvmsim;
using namespace uvmsim::cli;

TEST_CASE("trace option records faults by case, page-daemon passes and loans", "[cli][trace]") {
  std::istringstream in(
      "machine mem=1M swap=8M backend=soft\n"
      "spawn p\n"
      "p mmap 0x10000000 2M rw private anon\n"
      "p fill 0x10000000 2M 0x5a\n"  // 512 pages in 256: the page daemon runs
      "p fork c\n"
      "c write 0x10000000 \"x\"\n"
      "loan L c 0x10000000 4K kernel\n"  // c's own copy (an_ref 1)
      "c write 0x10000000 \"y\"\n"      // breaks the loan: the borrower keeps the old page
      "unloan L\n"
      "c read 0x30000000 1\n");
  std::ostringstream out, err, js;
  TraceWriter trace(js, TraceClock::kHost);
  RunOptions opts;
  opts.display_name = "t.scen";
  opts.trace = &trace;
  REQUIRE(run_scenario(in, out, err, opts) == 0);
  INFO(err.str());
  trace.finish();
  const std::string j = js.str();
  CHECK(j.rfind("{\"displayTimeUnit\": \"ns\", \"traceEvents\": [", 0) == 0);
  CHECK(j.find("\"name\": \"zero-fill\", \"cat\": \"fault\", \"ph\": \"X\"") != std::string::npos);
  CHECK(j.find("\"name\": \"anon-cow\"") != std::string::npos);
  CHECK(j.find("\"name\": \"pagedaemon\"") != std::string::npos);
  CHECK(j.find("\"name\": \"loan (kernel)\"") != std::string::npos);
  CHECK(j.find("\"name\": \"unloan (kernel)\"") != std::string::npos);
  CHECK(j.find("\"name\": \"loanbreak (anon)\", \"cat\": \"loan\"") != std::string::npos);
  CHECK(j.find("\"name\": \"sigsegv\"") != std::string::npos);
  CHECK(j.find("\"name\": \"process_name\"") != std::string::npos);
  // Balanced brackets: the document closes, and says the run was whole.
  CHECK(j.find("\n],\n\"otherData\": {\"clock\": \"host\", \"complete\": true}}\n") != std::string::npos);
  CHECK(trace.events() > 512);
}
