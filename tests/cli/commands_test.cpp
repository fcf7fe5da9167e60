// The command table: complete, consistent with the name rules.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "cli/scenario_args.h"
#include "cli/scenario_commands.h"

using namespace uvmsim::cli;

TEST_CASE("the table has every command of the spec, once per scope", "[commands]") {
  const std::set<std::string> globals = {"machine", "file",  "spawn",  "truncate", "fileread",
                                         "loan",    "kread", "unloan", "stats",    "check", "dump"};
  const std::set<std::string> per_process = {"mmap",    "munmap", "mprotect", "minherit", "madvise",
                                             "mlock",   "munlock", "msync",   "write",    "fill",
                                             "read",    "sum",     "fork",    "exit"};
  std::set<std::string> g, p;
  for (const CommandDef& c : command_table()) {
    auto& set = c.scope == Scope::kGlobal ? g : p;
    CHECK(set.insert(std::string(c.name)).second);
    CHECK_FALSE(c.usage.empty());
    CHECK_FALSE(c.summary.empty());
  }
  CHECK(g == globals);
  CHECK(p == per_process);
}

TEST_CASE("exactly the global commands' names are reserved", "[commands]") {
  for (const CommandDef& c : command_table())
    CHECK(is_global_command_name(c.name) == (c.scope == Scope::kGlobal));
}
