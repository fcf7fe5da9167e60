// uvmsim scenario language: running a script, line by line.
//
// Each line is tokenized, its command looked up and its arguments parsed
// completely before anything runs; then the machine is created if this is the
// first command (with the defaults, unless the line is `machine`), the
// process prefix is resolved, and the command executes. The first error stops
// the run: "NAME:LINE: message" on `err`, exit status 2, nothing on `out`
// for that line.
#pragma once

#include <istream>
#include <ostream>

#include "cli/scenario_session.h"
#include "uvmsim/machine.h"

namespace uvmsim::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitScriptError = 2;

class ScenarioRunner {
 public:
  ScenarioRunner(RunOptions options, std::ostream& out, std::ostream& err);

  // Runs `in` to its end or its first error; returns the exit status.
  int run(std::istream& in);
  // The machine the script ran on (null if it was never created).
  const Machine* machine() const { return session_.machine_or_null(); }

 private:
  Status run_line(std::string_view line);
  // --dump-after and --stats-every, after a line that ran.
  Status after_line(std::uint64_t line_no);

  Session session_;
  std::ostream& err_;
};

// Convenience: a runner used once.
int run_scenario(std::istream& in, std::ostream& out, std::ostream& err,
                 const RunOptions& options = {});

}  // namespace uvmsim::cli
