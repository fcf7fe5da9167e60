// Runs the built uvmsim binary as a real child process: its standard output
// read through a pipe as it comes, its standard error through a pipe or a
// pseudo-terminal, signals sent to it, its exit status collected. Every wait
// has a deadline, so that a child that does not stop fails the test instead
// of hanging the suite.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <sys/types.h>

namespace uvmsim::cli::testing {

class Child {
 public:
  enum class Stderr { kPipe, kTerminal };
  // Starts argv[0] with argv; stdin is /dev/null.
  Child(const std::vector<std::string>& argv, Stderr err = Stderr::kPipe);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool started() const { return pid_ > 0; }
  // Reads standard output until it holds `lines` newlines or `timeout`
  // passes; true if it does.
  bool wait_for_lines(std::size_t lines, std::chrono::milliseconds timeout);
  // Reads standard error until it contains `text` or `timeout` passes.
  bool wait_for_stderr(const std::string& text, std::chrono::milliseconds timeout);
  void signal(int signo);
  // Reads everything until the child exits; its exit status (128 + signal
  // if a signal killed it), or -1 after SIGKILLing it at `timeout`.
  int wait(std::chrono::milliseconds timeout);

  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  // One poll round over both streams, at most `ms` long.
  void pump(int ms);
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  std::string out_, err_;
};

// The number of '\n' in s.
std::size_t count_lines(const std::string& s);

}  // namespace uvmsim::cli::testing
