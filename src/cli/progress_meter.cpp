#include "cli/progress_meter.h"

#include "fmt/format.h"

namespace uvmsim::cli {

namespace {
// Carriage return, then ANSI "erase to end of line".
constexpr const char* kErase = "\r\x1b[K";
}  // namespace

ProgressMeter::ProgressMeter(std::ostream& out, bool terminal, bool results_on_terminal,
                             std::uint64_t total_lines)
    : out_(out),
      terminal_(terminal),
      results_on_terminal_(terminal && results_on_terminal),
      total_(total_lines),
      start_(Clock::now()),
      last_(start_) {}

void ProgressMeter::tick(std::uint64_t done) {
  if (!terminal_ || finished_) return;
  // Reading the clock costs tens of nanoseconds; a script line can cost
  // less, so look at it only every 64th call.
  if ((++calls_ & 63) != 0) return;
  const Clock::time_point now = Clock::now();
  if (now - last_ < kInterval) return;
  last_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  std::string text = total_ > 0 ? fmt::format("uvmsim run: {} of {} lines ({}%), {:.0f} lines/s", done,
                                              total_, done * 100 / total_, rate)
                                : fmt::format("uvmsim run: {} lines, {:.0f} lines/s", done, rate);
  out_ << kErase << text << std::flush;
  shown_ = true;
}

void ProgressMeter::before_output() {
  if (!shown_) return;
  out_ << kErase << std::flush;
  shown_ = false;
}

void ProgressMeter::finish() {
  if (finished_) return;
  finished_ = true;
  before_output();
}

}  // namespace uvmsim::cli
