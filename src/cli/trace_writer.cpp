#include "cli/trace_writer.h"

#include <algorithm>
#include <string>

#include "fmt/format.h"

namespace uvmsim::cli {

void TraceWriter::event(const TraceEvent& e) {
  events_.push_back(Stored{std::string(e.name), std::string(e.kind), e.pid, e.ts_ns, e.dur_ns, e.addr, e.count});
}

void TraceWriter::write_json(std::ostream& out) const {
  out << "{\"displayTimeUnit\": \"ns\", \"traceEvents\": [\n";
  bool first = true;
  auto sep = [&] {
    if (!first) out << ",\n";
    first = false;
  };
  // Name the tracks.
  std::vector<int> pids;
  for (const auto& e : events_)
    if (std::find(pids.begin(), pids.end(), e.pid) == pids.end()) pids.push_back(e.pid);
  for (int pid : pids) {
    sep();
    out << fmt::format(R"J({{"name": "process_name", "ph": "M", "pid": {}, "args": {{"name": "{}"}}}})J", pid,
                       pid == 0 ? std::string("kernel") : fmt::format("process {}", pid));
  }
  for (const auto& e : events_) {
    sep();
    // Timestamps are in microseconds in the format; keep ns precision.
    const double ts = static_cast<double>(e.ts_ns) / 1000.0;
    const double dur = static_cast<double>(e.dur_ns) / 1000.0;
    if (e.name == "fault") {
      out << fmt::format(
          R"J({{"name": "{}", "cat": "fault", "ph": "X", "ts": {:.3f}, "dur": {:.3f}, "pid": {}, "tid": {}, )J"
          R"J("args": {{"addr": "{:#x}", "mapped_ahead": {}}}}})J",
          e.kind, ts, dur, e.pid, e.pid, e.addr, e.count);
    } else if (e.name == "pagedaemon") {
      out << fmt::format(
          R"J({{"name": "pagedaemon", "cat": "pagedaemon", "ph": "X", "ts": {:.3f}, "dur": {:.3f}, "pid": 0, "tid": 0, )J"
          R"J("args": {{"policy": "{}", "freed": {}}}}})J",
          ts, dur, e.kind, e.count);
    } else {
      out << fmt::format(
          R"J({{"name": "{} ({})", "cat": "loan", "ph": "i", "s": "p", "ts": {:.3f}, "pid": {}, "tid": {}, )J"
          R"J("args": {{"addr": "{:#x}", "pages": {}}}}})J",
          e.name, e.kind, ts, e.pid, e.pid, e.addr, e.count);
    }
  }
  out << "\n]}\n";
}

}  // namespace uvmsim::cli
