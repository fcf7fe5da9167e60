// `uvmsim run --stats-every N --series FILE`: a time series of the machine's
// state, one sample after every N commands (and one after the last), as JSON
// lines or CSV. scripts/plot_series.py draws it.
//
// Columns: the script line and command count of the sample, the page
// gauges (free, active, inactive, wired; swapped = swap slots whose page is
// not resident; swap slots in use) and the main event counters.
#pragma once

#include <cstdint>
#include <ostream>
#include <string_view>

#include "uvmsim/machine.h"

namespace uvmsim::cli {

class StatsSeries {
 public:
  enum class Format { kJsonLines, kCsv };
  StatsSeries(std::ostream& out, Format format) : out_(out), format_(format) {}

  // One sample of m's counters after `commands` commands, at script line `line`.
  void sample(const Machine& m, std::uint64_t line, std::uint64_t commands);
  std::uint64_t samples() const { return samples_; }
  std::uint64_t last_commands() const { return last_commands_; }

 private:
  std::ostream& out_;
  Format format_;
  std::uint64_t samples_ = 0;
  std::uint64_t last_commands_ = ~0ull;
};

}  // namespace uvmsim::cli
