// `uvmsim run --progress`: a one-line status on standard error — script lines
// done of the total, and the rate — redrawn in place at most four times a
// second and erased when the run ends.
//
// Only when standard error is a terminal: a status line redrawn with
// carriage returns is noise in a log file, so when standard error is
// redirected --progress prints nothing and the error stream holds only
// messages.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>

namespace uvmsim::cli {

class ProgressMeter {
 public:
  // `total_lines`: the script's line count, 0 when unknown (standard input).
  // `terminal`: `out` is a terminal (else nothing is drawn);
  // `results_on_terminal`: the result lines go to a terminal too (the same
  // screen), so the status line is erased before each of them.
  ProgressMeter(std::ostream& out, bool terminal, bool results_on_terminal,
                std::uint64_t total_lines);
  ~ProgressMeter() { finish(); }

  bool active() const { return terminal_; }
  // `done` script lines have run: redraws if the last drawing is old
  // enough. Cheap to call for every line and every page batch.
  void tick(std::uint64_t done);
  // A message is about to be written to standard error: erase the status
  // line first.
  void before_output();
  // A result line is about to be written: erased if it shares the screen.
  void before_result_line() {
    if (results_on_terminal_) before_output();
  }
  // Erases the status line for good.
  void finish();

  // How often the line is redrawn at most.
  static constexpr std::chrono::milliseconds kInterval{250};

 private:
  using Clock = std::chrono::steady_clock;
  std::ostream& out_;
  bool terminal_;
  bool results_on_terminal_;
  bool shown_ = false;
  bool finished_ = false;
  std::uint64_t total_;
  Clock::time_point start_;
  Clock::time_point last_;
  std::uint32_t calls_ = 0;
};

}  // namespace uvmsim::cli
