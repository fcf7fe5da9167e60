#include "subprocess.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

namespace uvmsim::cli::testing {

Child::Child(const std::vector<std::string>& argv, Stderr err) {
  int out[2], errp[2] = {-1, -1};
  if (::pipe(out) != 0) return;
  int err_child = -1;
  if (err == Stderr::kPipe) {
    if (::pipe(errp) != 0) return;
    err_fd_ = errp[0];
    err_child = errp[1];
  } else {
    int master = -1, slave = -1;
    if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) return;
    err_fd_ = master;
    err_child = slave;
  }
  out_fd_ = out[0];
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    const int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::dup2(out[1], 1);
    ::dup2(err_child, 2);
    // The test runner may ignore or block these; the child must see them.
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err_child);
}

Child::~Child() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

void Child::pump(int ms) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  if (::poll(fds, 2, ms) <= 0) return;
  char buf[1 << 16];
  for (int i = 0; i < 2; i++) {
    if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
    if (n > 0) {
      (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      // End of file (a pty reports EIO once the child's side is closed).
      ::close(fds[i].fd);
      (i == 0 ? out_fd_ : err_fd_) = -1;
    }
  }
}

bool Child::wait_for_lines(std::size_t lines, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (count_lines(out_) < lines) {
    if (std::chrono::steady_clock::now() >= end || (out_fd_ < 0 && err_fd_ < 0)) return false;
    pump(20);
  }
  return true;
}

bool Child::wait_for_stderr(const std::string& text, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (err_.find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= end || (out_fd_ < 0 && err_fd_ < 0)) return false;
    pump(20);
  }
  return true;
}

void Child::signal(int signo) {
  if (pid_ > 0) ::kill(pid_, signo);
}

int Child::wait(std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int st = 0;
    const pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      while (out_fd_ >= 0 || err_fd_ >= 0) pump(100);
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    if (std::chrono::steady_clock::now() >= end) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
      return -1;
    }
    pump(20);
  }
}

std::size_t count_lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

}  // namespace uvmsim::cli::testing
