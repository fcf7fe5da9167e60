// `uvmsim run`: SIGINT and SIGTERM end a run cleanly instead of killing it.
//
// The handler only records which signal came (a lock-free sig_atomic_t, the
// one thing a handler may safely write); the runner reads it between script
// lines and between page batches of long accesses (Session::keep_going), and
// ends the run there: the lines printed so far stay, --stats-json and --trace
// are written with what happened and marked incomplete, and the exit status
// is 128 + the signal (130 for SIGINT, 143 for SIGTERM), as a shell reports a
// process killed by it.
//
// The handlers are installed with SA_RESETHAND: a second Ctrl-C, while the
// run is inside one long library call (a fork of a large address space, an
// mlock that faults in gigabytes), ends the program at once.
#pragma once

#include <string_view>

namespace uvmsim::cli {

// Installs the SIGINT and SIGTERM handlers (and clears a signal seen before).
void install_run_interrupt_handlers();
// The signal that asked the run to stop, or 0.
int run_interrupt_signal();
// "SIGINT" or "SIGTERM" (the only two handled), else "signal".
std::string_view signal_name(int signo);
// Test seam: behave as if `signo` had arrived (0 clears).
void set_run_interrupt_signal(int signo);

}  // namespace uvmsim::cli
