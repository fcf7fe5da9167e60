// Per-process counters (Process::stats()) in the `stats` command, --stats
// and --stats-json: one line per live process after the machine's counters,
// or one JSON object per process keyed by its name.
#pragma once

#include <string>

#include "uvmsim/machine.h"

namespace uvmsim::cli {

// "process NAME: faults N flt_anon N ...\n" for every live process.
std::string process_stats_text(const Machine& m);
// {"NAME": {"faults": N, ...}, ...}
std::string process_stats_json(const Machine& m);
// The --stats-json document: the machine's counters, flat as before, plus
// "processes": process_stats_json.
std::string stats_json_document(const Machine& m);

}  // namespace uvmsim::cli
