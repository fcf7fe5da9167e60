#include "cli/scenario_commands.h"

#include "absl/status/status.h"
#include "fmt/format.h"

namespace uvmsim::cli {

const CommandTable& command_table() {
  static const CommandTable table = [] {
    CommandTable t;
    add_machine_commands(t);
    add_file_commands(t);
    add_loan_commands(t);
    add_map_commands(t);
    add_access_commands(t);
    add_process_commands(t);
    return t;
  }();
  return table;
}

const CommandDef* find_command(std::string_view name, Scope scope) {
  for (const CommandDef& c : command_table())
    if (c.name == name && c.scope == scope) return &c;
  return nullptr;
}

std::string line_head(const Subject& who, std::string_view cmd, std::uint64_t addr,
                      std::uint64_t len) {
  return fmt::format("{} {} {:#x} {}", who.name, cmd, addr, len);
}

void print_errno_line(Session& s, std::string_view head, const Status& error) {
  s.out() << head << " = error " << errno_name(errno_of(error)) << '\n';
}

bool access_succeeded(Session& s, const Subject& who, std::string_view head,
                      const AccessResult& r) {
  switch (r.outcome) {
    case Outcome::kOk: return true;
    case Outcome::kSigsegv:
    case Outcome::kSigbus:
      s.out() << head << " = " << to_string(r.outcome) << '\n';
      return false;
    case Outcome::kKilled:
      // Out of memory and swap: the library has killed the process and
      // released its memory; its name can no longer be used.
      s.out() << who.name << " killed " << who.process->killed_reason() << '\n';
      s.process_killed(who.name, who.process->killed_reason());
      return false;
  }
  return false;
}

}  // namespace uvmsim::cli
