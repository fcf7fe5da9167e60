// `uvmsim run --trace FILE`: collects the machine's trace events and writes
// them as Chrome trace-event JSON ({"traceEvents": [...]}), which Perfetto
// (ui.perfetto.dev) and chrome://tracing open. Faults are complete events
// ("ph":"X") on the faulting process's track (pid = tid = process id), with
// their case as the event name; page-daemon passes are complete events on the
// kernel track (pid 0); loans and unloans are instant events.
#pragma once

#include <ostream>
#include <vector>

#include "uvmsim/trace.h"

namespace uvmsim::cli {

class TraceWriter final : public TraceSink {
 public:
  void event(const TraceEvent& e) override;
  void write_json(std::ostream& out) const;
  std::size_t size() const { return events_.size(); }

 private:
  struct Stored {
    std::string name, kind;
    int pid;
    std::uint64_t ts_ns, dur_ns, addr, count;
  };
  std::vector<Stored> events_;
};

}  // namespace uvmsim::cli
