// The uvmsim command: argument parsing and the subcommands (run, doctor, help).
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "cli/doctor.h"
#include "cli/output_target.h"
#include "cli/progress_meter.h"
#include "cli/run_interrupt.h"
#include "cli/process_stats_format.h"
#include "cli/stats_series.h"
#include "cli/replay_command.h"
#include "cli/scenario_commands.h"
#include "cli/scenario_runner.h"
#include "cli/printable.h"
#include "cli/trace_writer.h"
#include "cli/version.h"
#include "fmt/format.h"

namespace uvmsim::cli {
namespace {

constexpr int kExitUsage = 2;  // bad command line (or an output path that cannot be opened), like a bad script
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
         "lines go to standard output as their commands complete (in batches at most\n"
         "50 ms apart when it is not a terminal); the first syntax error, unknown\n"
         "name or misuse stops the run with 'FILE:LINE: message' on standard error\n"
         "and exit status 2. SIGINT (Ctrl-C) or SIGTERM stops the run between\n"
         "commands or page batches: the lines so far stay, --stats-json and --trace are\n"
         "written with what happened and marked incomplete, and the exit status is\n"
         "130 (SIGINT) or 143 (SIGTERM); a second Ctrl-C ends the program at once.\n"
         "\n"
         "options:\n"
         "  --backend soft|kvm|auto  override the script's 'machine backend=...'\n"
         "  --anon amap|shadow       override the script's 'machine anon=...' (the\n"
         "                           anonymous-memory model: UVM's amaps, or shadow objects)\n"
         "  --check                  run the invariant checker after every command; the\n"
         "                           first inconsistency stops the run (exit status 3)\n"
         "  --json                   print each result as one JSON object per line\n"
         "                           (line, cmd, text and the command's fields)\n"
         "  --dump-after LINE        after script line LINE, dump every live process\n"
         "                           (repeatable; format from --dump-format)\n"
         "  --dump-format text|json|dot   format of --dump-after (default text)\n"
         "  --policy NAME            override the script's 'machine policy=...' (page\n"
         "                           replacement: clock, second-chance, fifo, lru, random,\n"
         "                           aging, wsclock, arc)\n"
         "  --stats                  after the script's output, print the counters under a\n"
         "                           '--- stats ---' heading (only if the run succeeded)\n"
         "  --stats-json FILE        write the machine's and each process's counters as\n"
         "                           one JSON object to FILE, with \"complete\": true, or\n"
         "                           false and why (\"interrupted\" or \"error\", \"line\")\n"
         "  --stats-every N          write a sample of the page gauges and main counters\n"
         "                           every N commands to the --series FILE\n"
         "  --series FILE            where --stats-every writes (FILE.csv: CSV, else JSON lines)\n"
         "  --trace FILE             write a Chrome trace-event JSON of faults, page-ins and\n"
         "                           page-outs, I/O, the page daemon, loans, fork and exit\n"
         "                           (streamed; opens in Perfetto; otherData says whether\n"
         "                           the run was complete, as in --stats-json)\n"
         "  --progress               on standard error, when it is a terminal: script\n"
         "                           lines done of the total and the rate, redrawn in\n"
         "                           place, erased at the end (nothing otherwise)\n"
         "  --clock host|model       trace timestamps: host wall clock (default) or the\n"
         "                           deterministic cost model (byte-identical traces)\n"
         "  --cost-table FILE        with --clock model: 'NAME NANOSECONDS' lines that\n"
         "                           replace the default costs\n"
         "  --swap-file PATH         put the swap device in PATH (created or truncated; its\n"
         "                           whole size is reserved at start: too little disk is an\n"
         "                           error before the script runs)\n"
         "  --file-dir DIR           create the backing files in DIR (created if missing),\n"
         "                           kept there under their names after the run\n"
         "  -h, --help               show this help\n"
         "\n"
         "Output files are opened before the run (a path that cannot be created is exit\n"
         "status 2 at once). FILE '-' is standard output: the document comes after all\n"
         "the result lines (and after --stats); only one option can be '-'.\n"
         "Exit status: 0 the script ran to its end; 2 script error or bad command line;\n"
         "1 an output file could not be written; 130/143 interrupted (SIGINT/SIGTERM).\n"
         "\n"
         "scenario commands:\n";
  for (const CommandDef& c : command_table())
    out << fmt::format("  {}\n      {}\n", c.usage, c.summary);
  out << "\n"
         "Numbers are decimal or 0x hex with an optional K, M or G suffix (powers of\n"
         "1024); DATA is\n"
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

// The number of lines of the script at `path` (for --progress's total).
std::uint64_t count_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::uint64_t n = 0;
  char last = '\n';
  std::vector<char> buf(1 << 16);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    const auto got = static_cast<std::size_t>(in.gcount());
    n += static_cast<std::uint64_t>(std::count(buf.data(), buf.data() + got, '\n'));
    last = buf[got - 1];
  }
  return n + (last != '\n' ? 1 : 0);
}

// A positive decimal count (line numbers, --stats-every), or 0 when s is not one.
std::uint64_t parse_count(std::optional<std::string_view> s) {
  std::uint64_t v = 0;
  if (!s || s->empty()) return 0;
  for (char c : *s) {
    if (c < '0' || c > '9' || v > (~0ull - 9) / 10) return 0;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

int cmd_run(const std::vector<std::string_view>& args) {
  RunOptions options;
  bool print_stats = false;
  bool progress = false;
  std::optional<std::string> stats_json;
  std::optional<std::string> trace_file;
  std::optional<std::string> series_file;
  std::optional<std::string> cost_file;
  TraceClock clock = TraceClock::kHost;
  bool clock_given = false;
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
    auto file_value = [&](std::string_view opt, std::optional<std::string>& out) -> bool {
      auto v = value_of(opt);
      if (!v || v->empty()) {
        usage_error("run", fmt::format("{} needs a file name", opt));
        return false;
      }
      out = std::string(*v);
      return true;
    };
    if (options_done || a == "-" || !a.starts_with("-")) {
      if (file) return usage_error("run", fmt::format("more than one script given ('{}')", printable(a)));
      file = a;
    } else if (a == "--") {
      options_done = true;
    } else if (a == "-h" || a == "--help") {
      print_run_help(std::cout);
      return kExitOk;
    } else if (a == "--stats") {
      print_stats = true;
    } else if (a == "--progress") {
      progress = true;
    } else if (a == "--json") {
      options.json = true;
    } else if (a == "--check") {
      options.check_each_command = true;
    } else if (is_opt("--backend")) {
      auto v = value_of("--backend");
      if (!v) return usage_error("run", "--backend needs a value: soft, kvm or auto");
      auto b = backend_named(*v);
      if (!b) return usage_error("run", fmt::format("bad --backend '{}': expected soft, kvm or auto", printable(*v)));
      options.backend_override = *b;
    } else if (is_opt("--anon")) {
      auto v = value_of("--anon");
      if (!v) return usage_error("run", "--anon needs a value: amap or shadow");
      if (*v == "amap") options.anon_override = AnonModel::kAmap;
      else if (*v == "shadow") options.anon_override = AnonModel::kShadow;
      else return usage_error("run", fmt::format("bad --anon '{}': expected amap or shadow", printable(*v)));
    } else if (is_opt("--policy")) {
      auto v = value_of("--policy");
      if (!v || v->empty()) return usage_error("run", "--policy needs a policy name");
      if (auto p = make_replacement_policy(*v); !p.ok())
        return usage_error("run", fmt::format("bad --policy: {}", std::string(p.status().message())));
      options.policy_override = std::string(*v);
    } else if (is_opt("--stats-json")) {
      if (!file_value("--stats-json", stats_json)) return kExitUsage;
    } else if (is_opt("--trace")) {
      if (!file_value("--trace", trace_file)) return kExitUsage;
    } else if (is_opt("--series")) {
      if (!file_value("--series", series_file)) return kExitUsage;
    } else if (is_opt("--swap-file")) {
      std::optional<std::string> v;
      if (!file_value("--swap-file", v)) return kExitUsage;
      options.swap_path = *v;
    } else if (is_opt("--file-dir")) {
      auto v = value_of("--file-dir");
      if (!v || v->empty()) return usage_error("run", "--file-dir needs a directory");
      options.file_dir = std::string(*v);
    } else if (is_opt("--cost-table")) {
      if (!file_value("--cost-table", cost_file)) return kExitUsage;
    } else if (is_opt("--clock")) {
      auto v = value_of("--clock");
      if (!v || (*v != "host" && *v != "model"))
        return usage_error("run", fmt::format("--clock needs host or model{}", v ? fmt::format(" (not '{}')", printable(*v)) : ""));
      clock = *v == "model" ? TraceClock::kModel : TraceClock::kHost;
      clock_given = true;
    } else if (is_opt("--dump-after")) {
      auto v = value_of("--dump-after");
      const std::uint64_t n = parse_count(v);
      if (n == 0)
        return usage_error("run", fmt::format("--dump-after needs a script line number (1, 2, ...){}",
                                              v ? fmt::format(", not '{}'", printable(*v)) : ""));
      options.dump_after.push_back(n);
    } else if (is_opt("--dump-format")) {
      auto v = value_of("--dump-format");
      if (!v || (*v != "text" && *v != "json" && *v != "dot"))
        return usage_error("run", "--dump-format needs text, json or dot");
      options.dump_format = *v == "text" ? 0 : *v == "json" ? 1 : 2;
    } else if (is_opt("--stats-every")) {
      auto v = value_of("--stats-every");
      const std::uint64_t n = parse_count(v);
      if (n == 0)
        return usage_error("run", fmt::format("--stats-every needs a number of commands (1, 2, ...){}",
                                              v ? fmt::format(", not '{}'", printable(*v)) : ""));
      options.stats_every = n;
    } else {
      return usage_error("run", fmt::format("unknown option '{}'", printable(a)));
    }
  }
  if (!file) return usage_error("run", "no script given (FILE, or - for standard input)");
  if (options.stats_every && !series_file) return usage_error("run", "--stats-every needs --series FILE");
  if (series_file && !options.stats_every) return usage_error("run", "--series needs --stats-every N");
  if ((clock_given || cost_file) && !trace_file) return usage_error("run", "--clock and --cost-table need --trace FILE");
  if (cost_file && clock != TraceClock::kModel) return usage_error("run", "--cost-table needs --clock model");
  if ((stats_json && *stats_json == "-") + (trace_file && *trace_file == "-") +
          (series_file && *series_file == "-") > 1)
    return usage_error("run", "only one of --stats-json, --trace and --series can be '-' (standard output)");
  options.notices = &std::cerr;

  // The script first: a missing script creates no output files.
  std::ifstream script_file;
  std::uint64_t total_lines = 0;
  if (*file == "-") {
    options.display_name = "<stdin>";
  } else {
    const std::string path(*file);
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      std::cerr << fmt::format("uvmsim run: {}: is a directory, not a scenario file\n", printable(path));
      return kExitScriptError;
    }
    script_file.open(path);
    if (!script_file) {
      std::cerr << fmt::format("uvmsim run: cannot open {}: {}\n", printable(path), std::strerror(errno));
      return kExitScriptError;
    }
    options.display_name = printable(path);
    if (progress && S_ISREG(st.st_mode)) total_lines = count_lines(path);
  }

  CostModel costs;
  if (cost_file) {
    struct stat st {};
    if (::stat(cost_file->c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      std::cerr << fmt::format("uvmsim run: --cost-table {}: is a directory; give a file name\n", printable(*cost_file));
      return kExitUsage;
    }
    std::ifstream cf(*cost_file);
    if (!cf) {
      std::cerr << fmt::format("uvmsim run: --cost-table {}: cannot open: {}\n", printable(*cost_file), std::strerror(errno));
      return kExitUsage;
    }
    if (Status st = costs.load(cf, printable(*cost_file)); !st.ok()) {
      std::cerr << "uvmsim run: --cost-table " << st.message() << '\n';
      return kExitUsage;
    }
  }

  // Every output file is opened before the run: a bad path is reported
  // before any work is done, and an interrupted or failed run has somewhere
  // to write what it did.
  std::unique_ptr<OutputTarget> trace_out, series_out, stats_out;
  std::optional<TraceWriter> trace;
  std::optional<StatsSeries> series;
  if (trace_file) {
    trace_out = OutputTarget::Open("--trace", *trace_file, OutputTarget::Kind::kStreamed, std::cerr);
    if (!trace_out) return kExitUsage;
    trace.emplace(trace_out->stream(), clock, costs);
    options.trace = &*trace;
  }
  if (series_file) {
    series_out = OutputTarget::Open("--series", *series_file, OutputTarget::Kind::kStreamed, std::cerr);
    if (!series_out) return kExitUsage;
    series.emplace(series_out->stream(), series_file->ends_with(".csv") ? StatsSeries::Format::kCsv
                                                                         : StatsSeries::Format::kJsonLines);
    options.series = &*series;
  }
  if (stats_json) {
    stats_out = OutputTarget::Open("--stats-json", *stats_json, OutputTarget::Kind::kAtEnd, std::cerr);
    if (!stats_out) return kExitUsage;
  }

  std::optional<ProgressMeter> meter;
  if (progress) {
    meter.emplace(std::cerr, ::isatty(STDERR_FILENO) == 1, ::isatty(STDOUT_FILENO) == 1, total_lines);
    options.progress = &*meter;
  }

  options.flush_each_line = ::isatty(STDOUT_FILENO) == 1;
  install_run_interrupt_handlers();
  ScenarioRunner runner(options, std::cout, std::cerr);
  const int status = *file == "-" ? runner.run(std::cin) : runner.run(script_file);
  const RunEnd& end = runner.end();
  std::cout.flush();
  bool written = true;

  // The result lines are out; now the documents, each saying how the run
  // ended. Those going to standard output come after the lines.
  if (trace) {
    trace->set_run_end(end);
    trace->finish();
    written = trace_out->finish(std::cout, std::cerr) && written;
  }
  if (series_out) written = series_out->finish(std::cout, std::cerr) && written;
  if (print_stats && status == kExitOk && runner.machine()) {
    const Machine& m = *runner.machine();
    std::cout << "--- stats ---\n" << m.stats().to_string() << process_stats_text(m);
    std::cout.flush();
  }
  if (stats_out) {
    stats_out->stream() << stats_json_document(runner.machine(), end) << '\n';
    written = stats_out->finish(std::cout, std::cerr) && written;
  }
  if (status != kExitOk) return status;
  return written ? kExitOk : kExitIo;
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
  else return usage_error("help", fmt::format("unknown command '{}'", printable(args[0])));
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
  if (cmd.starts_with("-")) return usage_error("", fmt::format("unknown option '{}'", printable(cmd)));
  return usage_error("", fmt::format("unknown command '{}'", printable(cmd)));
}

}  // namespace
}  // namespace uvmsim::cli

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  return uvmsim::cli::main_impl(argc, argv);
}
