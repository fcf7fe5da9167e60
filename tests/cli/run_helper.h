// Runs a scenario in-process and captures what it printed.
#pragma once

#include <sstream>
#include <string>

#include "cli/scenario_runner.h"

namespace uvmsim::cli::testing {

struct RunOutput {
  int status = -1;
  std::string out, err;
};

inline RunOutput run_text(const std::string& script, RunOptions options = {}) {
  if (options.display_name == "<stdin>") options.display_name = "t.scen";
  std::istringstream in(script);
  std::ostringstream out, err;
  RunOutput r;
  r.status = run_scenario(in, out, err, options);
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace uvmsim::cli::testing
