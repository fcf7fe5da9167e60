// uvmsim scenario language: the state of one run — the machine, the names
// the script has defined, and where output goes. Commands (scenario_commands.h)
// read and change it; the runner (scenario_runner.h) owns it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "dump/json_writer.h"
#include "uvmsim/machine.h"
#include "uvmsim/process.h"
#include "uvmsim/status.h"

namespace uvmsim::cli {

struct RunOptions {
  // How the script is named in error messages ("FILE:LINE: ...").
  std::string display_name = "<stdin>";
  // --backend: overrides the script's `machine backend=...`.
  std::optional<Backend> backend_override;
  // --anon: overrides the script's `machine anon=...`.
  std::optional<AnonModel> anon_override;
  // `uvmsim run --policy NAME`: overrides the script's `machine policy=`.
  std::optional<std::string> policy_override;
  // --swap-file PATH, --file-dir DIR: MachineConfig::swap_path / file_dir.
  std::string swap_path;
  std::string file_dir;
  // --trace: receives the machine's trace events (not owned).
  TraceSink* trace = nullptr;
  // --json: every result line as one JSON object (ResultLine).
  bool json = false;
  // --dump-after LINE (repeatable): dump every live process after that
  // script line, in dump_format (0 text, 1 json, 2 dot).
  std::vector<std::uint64_t> dump_after;
  int dump_format = 0;
  // --stats-every N: a sample into `series` (not owned) every N commands.
  std::uint64_t stats_every = 0;
  class StatsSeries* series = nullptr;
  // Notices for the user (backend=auto chose kvm): standard error; null: none.
  std::ostream* notices = nullptr;
  // --progress: the status line on standard error (not owned; null: none).
  class ProgressMeter* progress = nullptr;
  // Standard output is a terminal: every result line is written out at
  // once. Else they are written in batches (Session::flush_due).
  bool flush_each_line = false;
  // --check: run the invariant checker after every command that ran; the
  // first inconsistency stops the run (exit status kExitCheckFailed). The
  // fuzzers run every input this way.
  bool check_each_command = false;
};

// What `backend=auto` choosing kvm means for the user, for the run's notice
// and `uvmsim doctor`.
inline constexpr const char* kKvmAutoNotice =
    "every simulated access runs as a KVM guest entry (about 30 µs each on this kind of "
    "platform, against well under 1 µs with the soft MMU); choose the soft MMU with "
    "--backend soft or 'machine backend=soft'";

// One result of a command (the scenario language's "Output"): the plain
// line(s) and, for --json, the command's fields.
struct ResultLine {
  std::string_view cmd;  // the command word
  std::string text;      // exactly what the plain form prints, without the last newline
  // Writes the command's fields ("proc", "addr", "result", ...) into the
  // object; may be empty.
  std::function<void(JsonWriter&)> fields;
};

class Session {
 public:
  Session(RunOptions options, std::ostream& out);

  const RunOptions& options() const { return options_; }
  // Standard output of the scenario (result lines only).
  std::ostream& out() { return out_; }
  // Prints one result: its text, or with --json one object
  // {"line": N, "cmd": ..., "text": ..., fields...} on one line.
  void emit(const ResultLine& r);
  // Result lines are written out (flushed) at once on a terminal; else when
  // kFlushInterval has passed since the last write — a write(2) per line
  // costs more than a simple command (docs/user-guide.md) — and always at
  // the end of the run. Called after every command and between the batches
  // of a long one (keep_going).
  void flush_due();
  void flush_now();
  static constexpr std::chrono::milliseconds kFlushInterval{50};

  // False once the run has been asked to stop (SIGINT or SIGTERM,
  // run_interrupt.h): commands that take long check it between batches of
  // pages and return a Cancelled status. Also advances --progress.
  bool keep_going();

  // The script line being run (for --json's "line").
  void set_line(std::uint64_t line) { line_ = line; }
  std::uint64_t line() const { return line_; }

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
  std::uint64_t line_ = 0;
  bool unflushed_ = false;  // result lines written since the last flush
  std::chrono::steady_clock::time_point last_flush_{};
  std::map<std::string, Name, std::less<>> names_;
};

}  // namespace uvmsim::cli
