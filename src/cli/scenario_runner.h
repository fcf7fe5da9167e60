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
// the incomplete markers of --stats-json and --trace. With
// RunOptions::check_each_command the invariant checker
// runs after each command; a failure stops the run with
// "NAME:LINE: invariant check failed after this command: ..." and status 3.
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
// RunOptions::check_each_command found the model inconsistent after a command:
// a fault of the simulator, not of the script.
inline constexpr int kExitCheckFailed = 3;


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
  // RunOptions::check_each_command: the checker's verdict after a command.
  Status check_after_command();
  // --dump-after and --stats-every, after a line that ran.
  Status after_line(std::uint64_t line_no);
  // Ends the run on a script error / an interrupt: the message, the status.
  int stop_with_error(std::uint64_t line_no, std::string message);
  int stop_interrupted(std::uint64_t line_no, int signo);

  Session session_;
  std::ostream& err_;
  RunEnd end_;
  // The current line reached a command's executor (for check_after_command).
  bool executed_ = false;
};

// Convenience: a runner used once.
int run_scenario(std::istream& in, std::ostream& out, std::ostream& err,
                 const RunOptions& options = {});

}  // namespace uvmsim::cli
