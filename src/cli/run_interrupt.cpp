#include "cli/run_interrupt.h"

#include <csignal>

namespace uvmsim::cli {

namespace {

// Written only by the handler (and the test seam), read by the runner.
volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_interrupt(int signo) { g_signal = signo; }

}  // namespace

void install_run_interrupt_handlers() {
  g_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  // No SA_RESTART: a blocking write to a full pipe returns so that the run
  // can end. SA_RESETHAND: the second signal has its default effect.
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int run_interrupt_signal() { return g_signal; }

void set_run_interrupt_signal(int signo) { g_signal = signo; }

std::string_view signal_name(int signo) {
  switch (signo) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "signal";
  }
}

}  // namespace uvmsim::cli
