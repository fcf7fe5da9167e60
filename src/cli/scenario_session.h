// uvmsim scenario language: the state of one run — the machine, the names
// the script has defined, and where output goes. Commands (scenario_commands.h)
// read and change it; the runner (scenario_runner.h) owns it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "uvmsim/machine.h"
#include "uvmsim/process.h"
#include "uvmsim/status.h"

namespace uvmsim::cli {

struct RunOptions {
  // How the script is named in error messages ("FILE:LINE: ...").
  std::string display_name = "<stdin>";
  // --backend: overrides the script's `machine backend=...`.
  std::optional<Backend> backend_override;
  // `uvmsim run --policy NAME`: overrides the script's `machine policy=`.
  std::optional<std::string> policy_override;
  // --trace: receives the machine's trace events (not owned).
  TraceSink* trace = nullptr;
};

class Session {
 public:
  Session(RunOptions options, std::ostream& out);

  const RunOptions& options() const { return options_; }
  // Standard output of the scenario (result lines only).
  std::ostream& out() { return out_; }

  bool has_machine() const { return machine_ != nullptr; }
  Machine& machine() { return *machine_; }
  const Machine* machine_or_null() const { return machine_.get(); }
  // Creates the machine (once), applying --backend. A failure names the cause.
  Status create_machine(MachineConfig config);

  // Commands executed so far (`machine` must come before all others).
  std::uint64_t commands_done() const { return commands_done_; }
  void count_command() { commands_done_++; }

  // Names. Every name (process, file or loan) is defined at most once in a
  // run; an exited process's name stays used but becomes unknown.
  Status check_new_name(std::string_view name) const;
  // A live process, or a misuse error naming why not (unknown, exited, killed).
  StatusOr<Process*> live_process(std::string_view name) const;
  void add_process(std::string_view name, Process* p);
  void process_exited(std::string_view name);
  // The simulator killed the process (it has been exited already).
  void process_killed(std::string_view name, std::string_view reason);
  void add_loan(std::string_view name, LoanHandle h);
  // The handle of a loan the script made and has not returned.
  StatusOr<LoanHandle> live_loan(std::string_view name) const;
  void loan_returned(std::string_view name);
  void add_file(std::string_view name);
  // OK for a file the script created, else "unknown file".
  Status known_file(std::string_view name) const;

 private:
  enum class Kind { kProcess, kFile, kLoan };
  enum class State { kLive, kExited, kKilled };
  struct Name {
    Kind kind;
    State state = State::kLive;
    Process* process = nullptr;
    std::string killed_reason;
    LoanHandle loan{};
  };

  RunOptions options_;
  std::ostream& out_;
  std::unique_ptr<Machine> machine_;
  std::uint64_t commands_done_ = 0;
  std::map<std::string, Name, std::less<>> names_;
};

}  // namespace uvmsim::cli
