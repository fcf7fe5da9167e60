// The uvmsim command: argument parsing and the subcommands (run, doctor, help).
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/doctor.h"
#include "cli/replay_command.h"
#include "cli/scenario_commands.h"
#include "cli/scenario_runner.h"
#include "cli/trace_writer.h"
#include "cli/version.h"
#include "fmt/format.h"

namespace uvmsim::cli {
namespace {

constexpr int kExitUsage = 2;  // bad command line, like a bad script
constexpr int kExitIo = 1;     // the run succeeded but an output file could not be written

void print_main_help(std::ostream& out) {
  out << "usage: uvmsim [--help] [--version] COMMAND [ARGS]\n"
         "\n"
         "A model of NetBSD's UVM virtual memory system.\n"
         "\n"
         "commands:\n"
         "  run FILE|-     run a scenario script (see 'uvmsim run --help')\n"
         "  replay TRACE|- replay a memory trace against replacement policies\n"
         "                 (see 'uvmsim replay --help')\n"
         "  doctor         report what this host offers (KVM, backends)\n"
         "  help [COMMAND] show help for uvmsim or one command\n"
         "\n"
         "options:\n"
         "  -h, --help     show this help\n"
         "  --version      print the version\n";
}

void print_run_help(std::ostream& out) {
  out << "usage: uvmsim run [OPTIONS] FILE|-\n"
         "\n"
         "Runs a scenario (scenario language v1; '-' reads standard input). Result\n"
         "lines go to standard output; the first syntax error, unknown name or misuse\n"
         "stops the run with 'FILE:LINE: message' on standard error and exit status 2.\n"
         "\n"
         "options:\n"
         "  --backend soft|kvm|auto  override the script's 'machine backend=...'\n"
         "  --policy NAME            override the script's 'machine policy=...' (page\n"
         "                           replacement: clock, second-chance, fifo, lru, random,\n"
         "                           aging, wsclock, arc)\n"
         "  --stats                  after the script's output, print the counters under a\n"
         "                           '--- stats ---' heading (only if the run succeeded)\n"
         "  --stats-json FILE        write the counters as a JSON object to FILE\n"
         "  --trace FILE             write a Chrome trace-event JSON of faults, page-daemon\n"
         "                           passes and loans (opens in Perfetto)\n"
         "  -h, --help               show this help\n"
         "\n"
         "scenario commands:\n";
  for (const CommandDef& c : command_table())
    out << fmt::format("  {}\n      {}\n", c.usage, c.summary);
  out << "\n"
         "Numbers are decimal or 0x hex with an optional K, M or G suffix; DATA is\n"
         "hex:DIGITS or a \"quoted string\"; '#' starts a comment.\n";
}

void print_doctor_help(std::ostream& out) {
  out << "usage: uvmsim doctor\n"
         "\n"
         "Prints a platform report: whether /dev/kvm exists and can be opened, the\n"
         "KVM API version, and which backend 'auto' resolves to.\n";
}

int usage_error(std::string_view command, std::string_view message) {
  std::cerr << fmt::format("uvmsim{}{}: {}\n", command.empty() ? "" : " ", command, message);
  std::cerr << fmt::format("try 'uvmsim {}--help'\n", command.empty() ? "" : std::string(command) + " ");
  return kExitUsage;
}

std::optional<Backend> backend_named(std::string_view s) {
  if (s == "soft") return Backend::kSoft;
  if (s == "kvm") return Backend::kKvm;
  if (s == "auto") return Backend::kAuto;
  return std::nullopt;
}

int cmd_run(const std::vector<std::string_view>& args) {
  RunOptions options;
  bool print_stats = false;
  std::optional<std::string> stats_json;
  std::optional<std::string> trace_file;
  TraceWriter trace;
  std::optional<std::string_view> file;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); i++) {
    std::string_view a = args[i];
    // --opt VALUE or --opt=VALUE
    auto value_of = [&](std::string_view opt) -> std::optional<std::string_view> {
      if (a == opt) {
        if (i + 1 >= args.size()) return std::nullopt;
        return args[++i];
      }
      return a.substr(opt.size() + 1);
    };
    auto is_opt = [&](std::string_view opt) {
      return a == opt || (a.starts_with(opt) && a.size() > opt.size() && a[opt.size()] == '=');
    };
    if (options_done || a == "-" || !a.starts_with("-")) {
      if (file) return usage_error("run", fmt::format("more than one script given ('{}')", a));
      file = a;
    } else if (a == "--") {
      options_done = true;
    } else if (a == "-h" || a == "--help") {
      print_run_help(std::cout);
      return kExitOk;
    } else if (a == "--stats") {
      print_stats = true;
    } else if (is_opt("--backend")) {
      auto v = value_of("--backend");
      if (!v) return usage_error("run", "--backend needs a value: soft, kvm or auto");
      auto b = backend_named(*v);
      if (!b) return usage_error("run", fmt::format("bad --backend '{}': expected soft, kvm or auto", *v));
      options.backend_override = *b;
    } else if (is_opt("--policy")) {
      auto v = value_of("--policy");
      if (!v || v->empty()) return usage_error("run", "--policy needs a policy name");
      if (auto p = make_replacement_policy(*v); !p.ok())
        return usage_error("run", fmt::format("bad --policy: {}", std::string(p.status().message())));
      options.policy_override = std::string(*v);
    } else if (is_opt("--stats-json")) {
      auto v = value_of("--stats-json");
      if (!v || v->empty()) return usage_error("run", "--stats-json needs a file name");
      stats_json = std::string(*v);
    } else if (is_opt("--trace")) {
      auto v = value_of("--trace");
      if (!v || v->empty()) return usage_error("run", "--trace needs a file name");
      trace_file = std::string(*v);
    } else {
      return usage_error("run", fmt::format("unknown option '{}'", a));
    }
  }
  if (!file) return usage_error("run", "no script given (FILE, or - for standard input)");
  if (trace_file) options.trace = &trace;

  int status;
  std::optional<ScenarioRunner> runner;
  if (*file == "-") {
    options.display_name = "<stdin>";
    runner.emplace(options, std::cout, std::cerr);
    status = runner->run(std::cin);
  } else {
    std::ifstream in{std::string(*file)};
    if (!in) {
      std::cerr << fmt::format("uvmsim run: cannot open '{}': {}\n", *file, std::strerror(errno));
      return kExitScriptError;
    }
    options.display_name = std::string(*file);
    runner.emplace(options, std::cout, std::cerr);
    status = runner->run(in);
  }
  if (status != kExitOk || !runner->machine()) return status;

  const UvmExp stats = runner->machine()->stats();
  if (print_stats) std::cout << "--- stats ---\n" << stats.to_string();
  std::cout.flush();
  if (trace_file) {
    std::ofstream tf(*trace_file);
    trace.write_json(tf);
    tf.close();
    if (!tf) {
      std::cerr << fmt::format("uvmsim run: cannot write '{}': {}\n", *trace_file, std::strerror(errno));
      return kExitIo;
    }
  }
  if (stats_json) {
    std::ofstream js(*stats_json);
    js << stats.to_json() << '\n';
    js.close();
    if (!js) {
      std::cerr << fmt::format("uvmsim run: cannot write '{}': {}\n", *stats_json,
                               std::strerror(errno));
      return kExitIo;
    }
  }
  return kExitOk;
}

int cmd_doctor(const std::vector<std::string_view>& args) {
  for (auto a : args) {
    if (a == "-h" || a == "--help") {
      print_doctor_help(std::cout);
      return kExitOk;
    }
    return usage_error("doctor", fmt::format("unexpected argument '{}'", a));
  }
  return run_doctor(std::cout);
}

int cmd_help(const std::vector<std::string_view>& args) {
  if (args.empty()) print_main_help(std::cout);
  else if (args[0] == "run") print_run_help(std::cout);
  else if (args[0] == "doctor") print_doctor_help(std::cout);
  else if (args[0] == "replay") print_replay_help(std::cout);
  else if (args[0] == "help") print_main_help(std::cout);
  else return usage_error("help", fmt::format("unknown command '{}'", args[0]));
  return kExitOk;
}

int main_impl(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) {
    print_main_help(std::cerr);
    return kExitUsage;
  }
  const std::string_view cmd = args[0];
  const std::vector<std::string_view> rest(args.begin() + 1, args.end());
  if (cmd == "-h" || cmd == "--help") {
    print_main_help(std::cout);
    return kExitOk;
  }
  if (cmd == "--version") {
    std::cout << "uvmsim " << kVersion << '\n';
    return kExitOk;
  }
  if (cmd == "run") return cmd_run(rest);
  if (cmd == "doctor") return cmd_doctor(rest);
  if (cmd == "replay") return cmd_replay(rest);
  if (cmd == "help") return cmd_help(rest);
  if (cmd.starts_with("-")) return usage_error("", fmt::format("unknown option '{}'", cmd));
  return usage_error("", fmt::format("unknown command '{}'", cmd));
}

}  // namespace
}  // namespace uvmsim::cli

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  return uvmsim::cli::main_impl(argc, argv);
}
