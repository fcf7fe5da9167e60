// uvmsim scenario language: the command table.
//
// Every command is one entry: its name, whether it takes a process prefix,
// its usage line, and a parser that reads its arguments (ArgReader) into a
// typed struct and binds them to the command's executor. Parsing never looks
// at the session, so a line is checked completely before anything runs, and
// a command whose subsystem has not landed still reports syntax errors as
// syntax errors.
//
// The commands live in commands_*.cpp, one file per subsystem, each adding
// its entries with add_*_commands(). To wire up a command that is "not
// supported yet", replace the body of its exec_* function.
//
// Executors return OK after printing the command's result line, including
// simulated failures (`= error EINVAL`, `= SIGSEGV`); a non-OK status is a
// script error (unknown name, misuse) that stops the run with exit status 2.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/scenario_args.h"
#include "cli/scenario_session.h"
#include "uvmsim/process.h"
#include "uvmsim/status.h"

namespace uvmsim::cli {

enum class Scope { kGlobal, kProcess };

// Who a command runs as: the process of `P CMD ...` (null for global commands).
struct Subject {
  std::string name;
  Process* process = nullptr;
};

using BoundCommand = std::function<Status(Session&, const Subject&)>;

struct CommandDef {
  std::string_view name;
  Scope scope;
  std::string_view usage;    // e.g. "P read ADDR LEN"
  std::string_view summary;  // one line for --help
  std::function<BoundCommand(ArgReader&)> parse;
};

using CommandTable = std::vector<CommandDef>;

// All commands, grouped by subsystem.
const CommandTable& command_table();
const CommandDef* find_command(std::string_view name, Scope scope);

// Builds a table entry from a typed parser and executor.
template <typename Args>
CommandDef make_command(std::string_view name, Scope scope, std::string_view usage,
                        std::string_view summary, Args (*parse)(ArgReader&),
                        Status (*exec)(Session&, const Subject&, const Args&)) {
  return CommandDef{name, scope, usage, summary, [parse, exec](ArgReader& r) -> BoundCommand {
                      Args args = parse(r);
                      r.finish();
                      return [args = std::move(args), exec](Session& s, const Subject& who) {
                        return exec(s, who, args);
                      };
                    }};
}

void add_machine_commands(CommandTable& table);  // machine spawn stats check
void add_file_commands(CommandTable& table);     // file truncate fileread
void add_loan_commands(CommandTable& table);     // loan kread unloan
void add_map_commands(CommandTable& table);      // mmap munmap mprotect ... msync
void add_access_commands(CommandTable& table);   // write fill read sum
void add_process_commands(CommandTable& table);  // fork exit
void add_dump_commands(CommandTable& table);     // dump

// Prints P's dump as the `dump` command does (format: 0 text, 1 json,
// 2 dot); also used by `uvmsim run --dump-after`.
Status print_dump(Session& s, std::string_view process, int format);

// ---- helpers shared by the executors ----

// "P CMD 0xADDR LEN" — the common head of per-process result lines.
std::string line_head(const Subject& who, std::string_view cmd, std::uint64_t addr,
                      std::uint64_t len);
// The --json fields of a per-process result: "proc", "addr", "len".
std::function<void(JsonWriter&)> proc_fields(const Subject& who, std::uint64_t addr, std::uint64_t len);
// Prints "HEAD = error ENAME" for a failed system call; `fields` adds the
// command's own --json fields ("result": "error" and "errno" are added here).
void print_errno_line(Session& s, std::string_view cmd, std::string_view head, const Status& error,
                      std::function<void(JsonWriter&)> fields = {});
// Handles a simulated access's outcome: OK → true (the caller prints its
// normal line, if any); SIGSEGV/SIGBUS → prints "HEAD = SIGxxx", false;
// killed (out of memory and swap) → prints "P killed REASON", false.
bool access_succeeded(Session& s, const Subject& who, std::string_view cmd, std::uint64_t addr,
                      std::uint64_t len, const AccessResult& r);

}  // namespace uvmsim::cli
