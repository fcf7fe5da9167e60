// uvmsim scenario language: running a script, line by line.
//
// Each line is tokenized, its command looked up and its arguments parsed
// completely before anything runs; then the machine is created if this is the
// first command (with the defaults, unless the line is `machine`), the
// process prefix is resolved, and the command executes. The first error stops
// the run: "NAME:LINE: message" on `err`, exit status 2, nothing on `out`
// for that line.
//
// Result lines are written out as their commands complete: at once on a
// terminal, else in batches at most Session::kFlushInterval apart, and
// always when the run ends, however it ends. A SIGINT or SIGTERM (run_interrupt.h) stops the
// run between lines, or between page batches of a long access: the command
// it stopped prints nothing, "NAME:LINE: interrupted (SIGINT)" goes to `err`
// (LINE: the first line that did not run to its end)
// and the exit status is 128 + the signal. end() says how the run ended, for
// the incomplete markers of --stats-json and --trace.
#pragma once

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>

#include "cli/run_end.h"
#include "cli/scenario_session.h"
#include "uvmsim/machine.h"

namespace uvmsim::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitScriptError = 2;


class ScenarioRunner {
 public:
  ScenarioRunner(RunOptions options, std::ostream& out, std::ostream& err);

  // Runs `in` to its end, its first error or an interrupt; returns the exit
  // status.
  int run(std::istream& in);
  const RunEnd& end() const { return end_; }
  // The machine the script ran on (null if it was never created).
  const Machine* machine() const { return session_.machine_or_null(); }

 private:
  Status run_line(std::string_view line);
  // --dump-after and --stats-every, after a line that ran.
  Status after_line(std::uint64_t line_no);
  // Ends the run on a script error / an interrupt: the message, the status.
  int stop_with_error(std::uint64_t line_no, std::string message);
  int stop_interrupted(std::uint64_t line_no, int signo);

  Session session_;
  std::ostream& err_;
  RunEnd end_;
};

// Convenience: a runner used once.
int run_scenario(std::istream& in, std::ostream& out, std::ostream& err,
                 const RunOptions& options = {});

}  // namespace uvmsim::cli
