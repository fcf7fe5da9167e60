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
    add_dump_commands(t);
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

std::function<void(JsonWriter&)> proc_fields(const Subject& who, std::uint64_t addr, std::uint64_t len) {
  return [name = who.name, addr, len](JsonWriter& w) {
    w.field("proc", name).field("addr", addr).field("len", len);
  };
}

void print_errno_line(Session& s, std::string_view cmd, std::string_view head, const Status& error,
                      std::function<void(JsonWriter&)> fields) {
  const std::string_view name = errno_name(errno_of(error));
  s.emit({cmd, fmt::format("{} = error {}", head, name), [&](JsonWriter& w) {
            if (fields) fields(w);
            w.field("result", "error").field("errno", name);
          }});
}

bool access_succeeded(Session& s, const Subject& who, std::string_view cmd, std::uint64_t addr,
                      std::uint64_t len, const AccessResult& r) {
  switch (r.outcome) {
    case Outcome::kOk: return true;
    case Outcome::kSigsegv:
    case Outcome::kSigbus:
      s.emit({cmd, fmt::format("{} = {}", line_head(who, cmd, addr, len), to_string(r.outcome)),
              [&](JsonWriter& w) {
                proc_fields(who, addr, len)(w);
                w.field("result", to_string(r.outcome)).field("fault_addr", r.fault_addr);
              }});
      return false;
    case Outcome::kKilled: {
      // Out of memory and swap: the library has killed the process and
      // released its memory; its name can no longer be used.
      const std::string reason = who.process->killed_reason();
      s.emit({"killed", fmt::format("{} killed {}", who.name, reason), [&](JsonWriter& w) {
                w.field("proc", who.name).field("during", cmd).field("result", "killed").field("reason", reason);
              }});
      s.process_killed(who.name, reason);
      return false;
    }
  }
  return false;
}

}  // namespace uvmsim::cli
