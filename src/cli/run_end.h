// How a `uvmsim run` ended: to its end, at a script error, or at a signal.
// The runner records it; --stats-json and --trace write it into their
// documents so that a reader can tell a complete run from a partial one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace uvmsim::cli {

struct RunEnd {
  bool complete = true;    // the script ran to its end
  int signal = 0;          // the SIGINT or SIGTERM that stopped it
  std::string error;       // the script error that stopped it (the message, no position)
  // Where it stopped: every script line before this one ran; this one
  // failed (error) or did not run, or ran only partly (interrupted). For a
  // complete run, the number of lines.
  std::uint64_t line = 0;

  // The key that says why the run is incomplete: "interrupted" or "error".
  std::string_view why() const { return signal != 0 ? "interrupted" : "error"; }
};

// The JSON fields (no braces) that describe `end`: "complete": true, or
// "complete": false, "interrupted": "SIGINT" | "error": "message", "line": N.
std::string run_end_json_fields(const RunEnd& end);

}  // namespace uvmsim::cli
