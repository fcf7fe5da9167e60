// `uvmsim run --trace FILE`: writes the machine's trace events as Chrome
// trace-event JSON ({"traceEvents": [...]}), which Perfetto
// (ui.perfetto.dev) and chrome://tracing open. Events are written as they
// happen (streamed): memory does not grow with the run.
//
// Tracks: one per process, named by its script name (pid = tid = process
// id), and "kernel" (pid 0) for the page daemon. Faults are complete events
// ("ph":"X") named by their case; page-ins and page-outs are instant events
// per page with the process and address when there is one; swap and file
// I/O are complete events; loans, unloans, fork and exit are instant events.
//
// Clocks: kHost stamps events with the host's monotonic clock (wall time of
// the simulation itself); kModel with a CostModel (cost_model.h), so that
// two runs of a script give byte-identical traces and the end of the trace
// is the modelled total time ("otherData": {"modelled_total_ns": N}).
//
// The end of the document says whether the run finished: otherData holds
// "complete": true, or "complete": false with why ("interrupted": "SIGINT",
// or "error": the script error's message) and the script "line" it stopped
// at. An interrupted or failed run still closes the JSON document, so the
// events so far open as usual.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/cost_model.h"
#include "cli/run_end.h"
#include "uvmsim/trace.h"

namespace uvmsim::cli {

enum class TraceClock { kHost, kModel };

class TraceWriter final : public TraceSink {
 public:
  TraceWriter(std::ostream& out, TraceClock clock, CostModel costs = {});
  ~TraceWriter() override;
  void event(const TraceEvent& e) override;
  // How the run ended (run_end.h), written into otherData by finish();
  // a run never marked is complete.
  void set_run_end(const RunEnd& end);
  // Closes the JSON document (also done by the destructor).
  void finish();
  std::uint64_t events() const { return events_; }
  std::uint64_t model_now_ns() const { return now_; }

 private:
  void write(const std::string& json);
  std::uint64_t charge(std::uint64_t ns);

  std::ostream& out_;
  TraceClock clock_;
  CostModel costs_;
  bool first_ = true;
  bool finished_ = false;
  RunEnd end_;
  std::uint64_t events_ = 0;
  std::uint64_t now_ = 0;               // model clock
  std::vector<std::uint64_t> open_;     // model start times of open faults / daemon passes
};

}  // namespace uvmsim::cli
