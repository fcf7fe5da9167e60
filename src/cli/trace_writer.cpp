#include "cli/trace_writer.h"

#include <string>

#include "dump/json_writer.h"
#include "fmt/format.h"

namespace uvmsim::cli {

namespace {

// Timestamps are microseconds in the format; keep ns precision, printed
// from integers so that a model-clock trace is byte-identical across runs.
std::string us(std::uint64_t ns) { return fmt::format("{}.{:03}", ns / 1000, ns % 1000); }

}  // namespace

TraceWriter::TraceWriter(std::ostream& out, TraceClock clock, CostModel costs)
    : out_(out), clock_(clock), costs_(std::move(costs)) {
  out_ << "{\"displayTimeUnit\": \"ns\", \"traceEvents\": [\n";
  write(R"J({"name": "process_name", "ph": "M", "pid": 0, "tid": 0, "args": {"name": "kernel"}})J");
}

TraceWriter::~TraceWriter() { finish(); }

void TraceWriter::write(const std::string& json) {
  if (!first_) out_ << ",\n";
  first_ = false;
  out_ << json;
  events_++;
}

std::uint64_t TraceWriter::charge(std::uint64_t ns) {
  const std::uint64_t at = now_;
  now_ += ns;
  return at;
}

void TraceWriter::event(const TraceEvent& e) {
  if (finished_) return;
  const bool model = clock_ == TraceClock::kModel;
  const std::string name(e.name), kind(e.kind);

  if (e.name == "fault-begin" || e.name == "pagedaemon-begin") {
    // Only the model clock needs the start: the host clock's end events
    // carry their own start time.
    if (model) open_.push_back(now_);
    return;
  }
  auto close_span = [&](std::uint64_t cost, std::uint64_t* ts, std::uint64_t* dur) {
    if (!model) {
      *ts = e.ts_ns;
      *dur = e.dur_ns;
      return;
    }
    const std::uint64_t start = open_.empty() ? now_ : open_.back();
    if (!open_.empty()) open_.pop_back();
    now_ += cost;
    *ts = start;
    *dur = now_ - start;
  };
  const int pid = e.pid;
  if (e.name == "fault") {
    std::uint64_t ts = 0, dur = 0;
    close_span(costs_.get("fault." + kind) + e.count * costs_.get("fault.ahead"), &ts, &dur);
    write(fmt::format(R"J({{"name": {}, "cat": "fault", "ph": "X", "ts": {}, "dur": {}, "pid": {}, "tid": {}, )J"
                      R"J("args": {{"addr": "{:#x}", "mapped_ahead": {}}}}})J",
                      json_escape(kind), us(ts), us(dur), pid, pid, e.addr, e.count));
  } else if (e.name == "pagedaemon") {
    std::uint64_t ts = 0, dur = 0;
    close_span(costs_.get("pagedaemon") + e.count * costs_.get("pagedaemon.page"), &ts, &dur);
    write(fmt::format(R"J({{"name": "pagedaemon", "cat": "pagedaemon", "ph": "X", "ts": {}, "dur": {}, "pid": 0, "tid": 0, )J"
                      R"J("args": {{"policy": {}, "freed": {}}}}})J",
                      us(ts), us(dur), json_escape(kind), e.count));
  } else if (e.name == "io") {
    const std::uint64_t cost = e.count * costs_.get("io." + kind);
    const std::uint64_t ts = model ? charge(cost) : e.ts_ns;
    write(fmt::format(R"J({{"name": {}, "cat": "io", "ph": "X", "ts": {}, "dur": {}, "pid": {}, "tid": {}, )J"
                      R"J("args": {{"pages": {}}}}})J",
                      json_escape(kind), us(ts), us(model ? cost : 0), pid, pid, e.count));
  } else if (e.name == "spawn") {
    // Name the track after the script's name for the process.
    write(fmt::format(R"J({{"name": "process_name", "ph": "M", "pid": {}, "tid": {}, "args": {{"name": {}}}}})J",
                      pid, pid, json_escape(kind)));
    write(fmt::format(R"J({{"name": "thread_name", "ph": "M", "pid": {}, "tid": {}, "args": {{"name": {}}}}})J",
                      pid, pid, json_escape(kind)));
    const std::uint64_t ts = model ? charge(costs_.get("spawn")) : e.ts_ns;
    write(fmt::format(R"J({{"name": "spawn", "cat": "process", "ph": "i", "s": "t", "ts": {}, "pid": {}, "tid": {}}})J",
                      us(ts), pid, pid));
  } else {
    // Instant events: pagein, pageout, loan, unloan, fork, exit.
    std::uint64_t cost = 0;
    std::string cat = "vm";
    std::string args = fmt::format(R"J("addr": "{:#x}", "pages": {})J", e.addr, e.count);
    if (e.name == "loan") {
      cost = e.count * costs_.get("loan.page");
      cat = "loan";
    } else if (e.name == "unloan") {
      cost = e.count * costs_.get("unloan.page");
      cat = "loan";
    } else if (e.name == "loanbreak") {
      cat = "loan";  // its copy is in the fault's cost
    } else if (e.name == "fork") {
      cost = costs_.get("fork");
      cat = "process";
      args = fmt::format(R"J("child": {}, "child_pid": {})J", json_escape(kind), e.count);
    } else if (e.name == "exit") {
      cost = costs_.get("exit");
      cat = "process";
      args = fmt::format(R"J("how": {})J", json_escape(kind));
    } else if (e.name == "pagein" || e.name == "pageout") {
      cat = "paging";
    }
    const std::uint64_t ts = model ? charge(cost) : e.ts_ns;
    const std::string label = (e.name == "fork" || e.name == "exit") ? name : name + " (" + kind + ")";
    write(fmt::format(R"J({{"name": {}, "cat": "{}", "ph": "i", "s": "t", "ts": {}, "pid": {}, "tid": {}, "args": {{{}}}}})J",
                      json_escape(label), cat, us(ts), pid, pid, args));
  }
  // Stream: a crash or a kill later still leaves every event so far on disk.
  if (events_ % 256 == 0) out_.flush();
}

void TraceWriter::set_run_end(const RunEnd& end) { end_ = end; }

void TraceWriter::finish() {
  if (finished_) return;
  finished_ = true;
  out_ << "\n],\n\"otherData\": {\"clock\": \"" << (clock_ == TraceClock::kModel ? "model" : "host") << "\"";
  if (clock_ == TraceClock::kModel) out_ << ", \"modelled_total_ns\": " << now_;
  out_ << ", " << run_end_json_fields(end_);
  out_ << "}}\n";
  out_.flush();
}

}  // namespace uvmsim::cli
