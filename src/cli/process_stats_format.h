// Per-process counters (Process::stats()) in the `stats` command, --stats
// and --stats-json: one line per live process after the machine's counters,
// or one JSON object per process keyed by its name.
#pragma once

#include <string>

#include "cli/run_end.h"
#include "uvmsim/machine.h"

namespace uvmsim::cli {

// "process NAME: faults N flt_anon N ...\n" for every live process.
std::string process_stats_text(const Machine& m);
// {"NAME": {"faults": N, ...}, ...}
std::string process_stats_json(const Machine& m);
// The --stats-json document: how the run ended (run_end_json_fields:
// "complete": true, or false with why and the line), the machine's counters,
// flat, and "processes": process_stats_json. `m` is null when the run
// stopped before the machine was created: then only how it ended.
std::string stats_json_document(const Machine* m, const RunEnd& end);

}  // namespace uvmsim::cli
