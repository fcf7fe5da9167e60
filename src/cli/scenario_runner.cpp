#include "cli/scenario_runner.h"

#include <string>

#include "absl/status/status.h"
#include "cli/scenario_args.h"
#include "cli/scenario_commands.h"
#include "cli/progress_meter.h"
#include "cli/run_interrupt.h"
#include "cli/scenario_lexer.h"
#include "cli/stats_series.h"
#include "fmt/format.h"

namespace uvmsim::cli {

ScenarioRunner::ScenarioRunner(RunOptions options, std::ostream& out, std::ostream& err)
    : session_(std::move(options), out), err_(err) {}

int ScenarioRunner::run(std::istream& in) {
  std::string line;
  std::uint64_t line_no = 0;
  for (;;) {
    // Between lines: the next line is where it stopped (it did not run).
    if (int sig = run_interrupt_signal()) return stop_interrupted(line_no + 1, sig);
    if (!std::getline(in, line)) break;
    line_no++;
    session_.set_line(line_no);
    executed_ = false;
    Status st = run_line(line);
    // --check: the model must be whole after every command, also one that
    // failed; an inconsistency is the simulator's fault (status 3).
    if (Status c = check_after_command(); !c.ok()) {
      stop_with_error(line_no, std::string(c.message()));
      return kExitCheckFailed;
    }
    if (st.ok()) st = after_line(line_no);
    if (!st.ok()) {
      // A long command stopped between page batches by a signal.
      if (absl::IsCancelled(st) && run_interrupt_signal())
        return stop_interrupted(line_no, run_interrupt_signal());
      return stop_with_error(line_no, std::string(st.message()));
    }
    session_.flush_due();
    if (session_.options().progress) session_.options().progress->tick(line_no);
  }
  session_.flush_now();
  if (in.bad()) return stop_with_error(line_no, "read error");
  if (int sig = run_interrupt_signal()) return stop_interrupted(line_no + 1, sig);
  end_.line = line_no;
  // A script without commands still runs on a machine (for --stats, and so
  // that an unusable --backend is reported).
  if (!session_.has_machine()) {
    if (Status st = session_.create_machine({}); !st.ok()) {
      end_ = {false, 0, std::string(st.message()), line_no};
      if (session_.options().progress) session_.options().progress->finish();
      err_ << session_.options().display_name << ": " << st.message() << '\n';
      return kExitScriptError;
    }
  }
  const RunOptions& o = session_.options();
  if (o.series && session_.has_machine() && o.series->last_commands() != session_.commands_done())
    o.series->sample(session_.machine(), line_no, session_.commands_done());
  if (o.progress) o.progress->finish();
  return kExitOk;
}

int ScenarioRunner::stop_with_error(std::uint64_t line_no, std::string message) {
  session_.flush_now();
  if (session_.options().progress) session_.options().progress->finish();
  err_ << session_.options().display_name << ':' << line_no << ": " << message << '\n';
  end_ = {false, 0, std::move(message), line_no};
  return kExitScriptError;
}

int ScenarioRunner::stop_interrupted(std::uint64_t line_no, int signo) {
  session_.flush_now();
  if (session_.options().progress) session_.options().progress->finish();
  err_ << session_.options().display_name << ':' << line_no << ": interrupted (" << signal_name(signo) << ")\n";
  end_ = {false, signo, {}, line_no};
  return 128 + signo;
}

Status ScenarioRunner::after_line(std::uint64_t line_no) {
  const RunOptions& o = session_.options();
  if (!session_.has_machine()) return absl::OkStatus();
  for (std::uint64_t l : o.dump_after) {
    if (l != line_no) continue;
    for (const Process* p : session_.machine().processes())
      if (p->alive())
        if (Status st = print_dump(session_, p->name(), o.dump_format); !st.ok()) return st;
  }
  if (o.series && o.stats_every && session_.commands_done() > 0 &&
      session_.commands_done() % o.stats_every == 0 && o.series->last_commands() != session_.commands_done())
    o.series->sample(session_.machine(), line_no, session_.commands_done());
  return absl::OkStatus();
}

Status ScenarioRunner::run_line(std::string_view line) {
  auto tokens = tokenize(line);
  if (!tokens.ok()) return tokens.status();
  if (tokens->empty()) return absl::OkStatus();
  const std::vector<Token>& t = *tokens;

  // Which command, and who runs it.
  const CommandDef* def = nullptr;
  std::span<const Token> args;
  Subject who;
  const Token& first = t[0];
  if (first.kind == Token::Kind::kWord && (def = find_command(first.text, Scope::kGlobal))) {
    args = std::span(t).subspan(1);
  } else if (first.kind == Token::Kind::kWord && is_name(first.text)) {
    if (t.size() < 2) {
      const bool is_process = session_.live_process(first.text).ok();
      if (find_command(first.text, Scope::kProcess) && !is_process)
        return absl::InvalidArgumentError(
            fmt::format("{}: needs a process name first (P {} ...)", first.text, first.text));
      if (!is_process)
        return absl::InvalidArgumentError(fmt::format("unknown command '{}'", first.text));
      return absl::InvalidArgumentError(
          fmt::format("'{}': missing command after the process name", first.text));
    }
    if (t[1].kind == Token::Kind::kWord) def = find_command(t[1].text, Scope::kProcess);
    if (!def) {
      if (find_command(first.text, Scope::kProcess) && !session_.live_process(first.text).ok())
        return absl::InvalidArgumentError(
            fmt::format("{}: needs a process name first (P {} ...)", first.text, first.text));
      return absl::InvalidArgumentError(
          fmt::format("unknown command '{}' for process '{}'", t[1].spelling(), first.text));
    }
    who.name = first.text;
    args = std::span(t).subspan(2);
  } else {
    return absl::InvalidArgumentError(fmt::format("unknown command '{}'", first.spelling()));
  }

  ArgReader reader(def->name, def->usage, args);
  BoundCommand command = def->parse(reader);
  if (!reader.ok()) return reader.status();

  if (def->name != "machine" && !session_.has_machine()) {
    if (Status st = session_.create_machine({}); !st.ok()) return st;
  }
  if (def->scope == Scope::kProcess) {
    auto p = session_.live_process(who.name);
    if (!p.ok()) return p.status();
    who.process = *p;
  }
  executed_ = true;
  if (Status st = command(session_, who); !st.ok()) return st;
  session_.count_command();
  return absl::OkStatus();
}

Status ScenarioRunner::check_after_command() {
  if (!session_.options().check_each_command || !executed_ || !session_.has_machine())
    return absl::OkStatus();
  Status st = session_.machine().check();
  if (st.ok()) return st;
  return absl::InternalError(
      fmt::format("invariant check failed after this command: {}", std::string(st.message())));
}

int run_scenario(std::istream& in, std::ostream& out, std::ostream& err,
                 const RunOptions& options) {
  ScenarioRunner runner(options, out, err);
  return runner.run(in);
}

}  // namespace uvmsim::cli
