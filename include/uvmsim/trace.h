// uvmsim: trace events — what the VM system did, when, for how long.
//
// Install a TraceSink on a Machine to receive an event for every page fault
// (its case, address, process, duration), every page-daemon pass, and every
// loan, unloan and loan break. The `uvmsim run --trace FILE` front end writes
// them as Chrome trace-event JSON, which Perfetto and chrome://tracing open.
#pragma once

#include <cstdint>
#include <string_view>

namespace uvmsim {

struct TraceEvent {
  std::string_view name;      // "fault", "pagedaemon", "loan", "unloan", "loanbreak"
  std::string_view kind;      // fault: "anon", "anon-cow", "object", "promote-copy",
                              // "zero-fill", "pagein", "sigsegv", "sigbus", "nomem", ...
  int pid = 0;                // the process (0: the machine / kernel)
  std::uint64_t ts_ns = 0;    // start, ns since the machine was created
  std::uint64_t dur_ns = 0;   // 0 for instant events
  std::uint64_t addr = 0;     // faulting address / loan start
  std::uint64_t count = 0;    // pages (pagedaemon: freed; loan: pages)
};

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void event(const TraceEvent& e) = 0;
};

}  // namespace uvmsim
