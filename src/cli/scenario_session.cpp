#include "cli/scenario_session.h"

#include "absl/status/status.h"
#include "cli/progress_meter.h"
#include "cli/run_interrupt.h"
#include "fmt/format.h"

namespace uvmsim::cli {

Session::Session(RunOptions options, std::ostream& out)
    : options_(std::move(options)), out_(out) {}

void Session::emit(const ResultLine& r) {
  if (options_.progress) options_.progress->before_result_line();
  unflushed_ = true;
  if (!options_.json) {
    out_ << r.text << '\n';
    return;
  }
  JsonWriter w;
  w.begin_object().field("line", line_).field("cmd", r.cmd).field("text", r.text);
  if (r.fields) r.fields(w);
  w.end_object();
  out_ << w.str() << '\n';
}

void Session::flush_due() {
  if (!unflushed_) return;
  if (options_.flush_each_line) return flush_now();
  // Only with output pending: the clock costs tens of nanoseconds.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_flush_ >= kFlushInterval) {
    out_.flush();
    unflushed_ = false;
    last_flush_ = now;
  }
}

void Session::flush_now() {
  out_.flush();
  unflushed_ = false;
  last_flush_ = std::chrono::steady_clock::now();
}

bool Session::keep_going() {
  flush_due();
  // Inside a command: the lines before this one are done.
  if (options_.progress) options_.progress->tick(line_ > 0 ? line_ - 1 : 0);
  return run_interrupt_signal() == 0;
}

Status Session::create_machine(MachineConfig config) {
  if (machine_) return absl::FailedPreconditionError("machine: the machine exists already");
  if (options_.backend_override) config.backend = *options_.backend_override;
  if (options_.anon_override) config.anon_model = *options_.anon_override;
  if (options_.policy_override) config.replacement = *options_.policy_override;
  if (!options_.swap_path.empty()) config.swap_path = options_.swap_path;
  if (!options_.file_dir.empty()) config.file_dir = options_.file_dir;
  auto m = Machine::Create(config);
  if (!m.ok()) {
    std::string why(m.status().message());
    if (why.starts_with("machine: ")) why.erase(0, 9);
    return absl::FailedPreconditionError(
        fmt::format("machine: cannot create the machine (backend={}): {}",
                    to_string(config.backend), why));
  }
  machine_ = *std::move(m);
  if (config.backend == Backend::kAuto && machine_->backend() == Backend::kKvm && options_.notices) {
    if (options_.progress) options_.progress->before_output();
    *options_.notices << "uvmsim: backend=auto chose kvm: " << kKvmAutoNotice << '\n';
  }
  if (options_.trace) machine_->set_trace_sink(options_.trace);
  return absl::OkStatus();
}

Status Session::check_new_name(std::string_view name) const {
  auto it = names_.find(name);
  if (it == names_.end()) return absl::OkStatus();
  const char* what = it->second.kind == Kind::kProcess ? "process"
                     : it->second.kind == Kind::kFile  ? "file"
                                                       : "loan";
  return absl::FailedPreconditionError(fmt::format(
      "name '{}' is already used (by a {}{}); names are never reused", name, what,
      it->second.state == State::kLive ? "" : " that has ended"));
}

StatusOr<Process*> Session::live_process(std::string_view name) const {
  auto it = names_.find(name);
  if (it == names_.end() || it->second.kind != Kind::kProcess)
    return absl::NotFoundError(fmt::format("unknown process '{}'", name));
  switch (it->second.state) {
    case State::kLive: return it->second.process;
    case State::kExited:
      return absl::NotFoundError(fmt::format("unknown process '{}' (it has exited)", name));
    case State::kKilled:
      return absl::FailedPreconditionError(
          fmt::format("process '{}' was killed ({}); it cannot be named any more", name,
                      it->second.killed_reason));
  }
  return absl::InternalError("unreachable");
}

void Session::add_process(std::string_view name, Process* p) {
  names_.emplace(std::string(name), Name{Kind::kProcess, State::kLive, p, {}});
}

void Session::process_exited(std::string_view name) {
  if (auto it = names_.find(name); it != names_.end()) {
    it->second.state = State::kExited;
    it->second.process = nullptr;
  }
}

void Session::process_killed(std::string_view name, std::string_view reason) {
  if (auto it = names_.find(name); it != names_.end()) {
    it->second.state = State::kKilled;
    it->second.process = nullptr;
    it->second.killed_reason = std::string(reason);
  }
}

void Session::add_loan(std::string_view name, LoanHandle h) {
  Name n{Kind::kLoan, State::kLive, nullptr, {}};
  n.loan = h;
  names_.emplace(std::string(name), n);
}

StatusOr<LoanHandle> Session::live_loan(std::string_view name) const {
  auto it = names_.find(name);
  if (it == names_.end() || it->second.kind != Kind::kLoan)
    return absl::NotFoundError(fmt::format("unknown loan '{}'", name));
  if (it->second.state != State::kLive)
    return absl::NotFoundError(fmt::format("unknown loan '{}' (it has been returned)", name));
  return it->second.loan;
}

void Session::loan_returned(std::string_view name) {
  if (auto it = names_.find(name); it != names_.end()) it->second.state = State::kExited;
}

void Session::add_file(std::string_view name) {
  names_.emplace(std::string(name), Name{Kind::kFile, State::kLive, nullptr, {}});
}

Status Session::known_file(std::string_view name) const {
  auto it = names_.find(name);
  if (it == names_.end() || it->second.kind != Kind::kFile)
    return absl::NotFoundError(fmt::format("unknown file '{}'", name));
  return absl::OkStatus();
}

}  // namespace uvmsim::cli
