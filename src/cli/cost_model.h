// `uvmsim run --clock model`: a deterministic cost model for trace
// timestamps. Every traced event costs a fixed number of nanoseconds from a
// table (defaults below, documented in docs/user-guide.md); a researcher
// overrides any of them from a file of "NAME NANOSECONDS" lines
// (--cost-table FILE). Two runs of the same script give byte-identical
// traces, and the trace's end is the modelled total time.
//
// The defaults are round figures for a current x86-64 machine with an NVMe
// swap device, for shape, not for prediction: a fault's handler work by
// case (a copy or zero-fill included in the cases that do one), a 4 KiB
// swap or file transfer, a page-daemon pass and its per-page work, fork and
// exit, loans per page.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <string>
#include <string_view>

#include "uvmsim/status.h"

namespace uvmsim::cli {

class CostModel {
 public:
  CostModel();  // the defaults
  // Reads "NAME NS" lines ('#' comments, blank lines). An unknown name or a
  // bad number is an error naming the line and the known names.
  Status load(std::istream& in, std::string_view what);
  // The cost of NAME; 0 for names the table does not have.
  std::uint64_t get(std::string_view name) const;
  const std::map<std::string, std::uint64_t, std::less<>>& table() const { return table_; }

 private:
  std::map<std::string, std::uint64_t, std::less<>> table_;
};

}  // namespace uvmsim::cli
