#include "cli/stats_series.h"

#include <array>
#include <utility>

#include "dump/json_writer.h"
#include "fmt/format.h"

namespace uvmsim::cli {

namespace {

// The series' columns after "line" and "commands", in order.
std::array<std::pair<std::string_view, std::uint64_t>, 21> columns(const UvmExp& s) {
  return {{{"free", s.free},
           {"active", s.active},
           {"inactive", s.inactive},
           {"wired", s.wired},
           {"swapped", s.swpgonly},
           {"swpginuse", s.swpginuse},
           {"anons", s.anons},
           {"amaps", s.amaps},
           {"faults", s.faults},
           {"flt_anon", s.flt_anon},
           {"flt_acow", s.flt_acow},
           {"flt_obj", s.flt_obj},
           {"flt_prcopy", s.flt_prcopy},
           {"flt_przero", s.flt_przero},
           {"fltanget", s.fltanget},
           {"pagecopies", s.pagecopies},
           {"pgswapout", s.pgswapout},
           {"pgswapin", s.pgswapin},
           {"pdscans", s.pdscans},
           {"pdfreed", s.pdfreed},
           {"loanedpages", s.loanedpages}}};
}

}  // namespace

void StatsSeries::sample(const Machine& m, std::uint64_t line, std::uint64_t commands) {
  const auto cols = columns(m.stats());
  if (format_ == Format::kCsv) {
    if (samples_ == 0) {
      out_ << "line,commands";
      for (const auto& [name, v] : cols) out_ << ',' << name;
      out_ << '\n';
    }
    out_ << line << ',' << commands;
    for (const auto& [name, v] : cols) out_ << ',' << v;
    out_ << '\n';
  } else {
    JsonWriter w;
    w.begin_object().field("line", line).field("commands", commands);
    for (const auto& [name, v] : cols) w.field(name, v);
    w.end_object();
    out_ << w.str() << '\n';
  }
  samples_++;
  last_commands_ = commands;
}

}  // namespace uvmsim::cli
