// Per-process lifecycle: fork, exit.
#include "absl/status/status.h"
#include "cli/scenario_commands.h"
#include "fmt/format.h"

namespace uvmsim::cli {

namespace {

// ---- fork C ----

struct ForkArgs {
  std::string child;
};

ForkArgs parse_fork(ArgReader& r) { return {r.name("C")}; }

Status exec_fork(Session& s, const Subject& who, const ForkArgs& a) {
  if (Status st = s.check_new_name(a.child); !st.ok())
    return absl::FailedPreconditionError(fmt::format("fork: {}", std::string(st.message())));
  auto child = who.process->fork(a.child);
  if (!child.ok()) {
    // The child does not exist; its name stays free.
    print_errno_line(s, "fork", fmt::format("{} fork {}", who.name, a.child), child.status(),
                     [&](JsonWriter& w) { w.field("proc", who.name).field("child", a.child); });
    return absl::OkStatus();
  }
  s.add_process(a.child, *child);
  return absl::OkStatus();
}

// ---- exit ----

struct ExitArgs {};
ExitArgs parse_exit(ArgReader&) { return {}; }

Status exec_exit(Session& s, const Subject& who, const ExitArgs&) {
  if (Status st = who.process->exit(); !st.ok())
    return absl::InternalError(fmt::format("exit: {}", std::string(st.message())));
  s.process_exited(who.name);
  return absl::OkStatus();
}

}  // namespace

void add_process_commands(CommandTable& t) {
  t.push_back(make_command<ForkArgs>("fork", Scope::kProcess, "P fork C",
                                     "create process C as a fork of P", parse_fork, exec_fork));
  t.push_back(make_command<ExitArgs>("exit", Scope::kProcess, "P exit",
                                     "end P and release its address space", parse_exit,
                                     exec_exit));
}

}  // namespace uvmsim::cli
