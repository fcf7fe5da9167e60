// `uvmsim replay [OPTIONS] TRACE|-`: options, output (text, JSON, the
// miss-ratio table and plot) and progress. The engine is uvmsim/replay.h.
#include "cli/replay_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "cli/png_plot.h"
#include "cli/scenario_args.h"
#include "cli/scenario_runner.h"
#include "fmt/format.h"
#include "uvmsim/replay.h"

namespace uvmsim::cli {

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitTrace = 2;  // a bad trace, like a bad script
constexpr int kExitRun = 1;    // the replay itself failed (out of memory, a broken policy, a write)

int usage(std::string_view message) {
  std::cerr << fmt::format("uvmsim replay: {}\ntry 'uvmsim replay --help'\n", message);
  return kExitUsage;
}

// The uvm counters worth a line of their own after the common ones.
constexpr std::string_view kUvmCounters[] = {
    "pdwoke",  "pdscans",   "pdfreed",   "pdpageouts", "pdreact",  "pddeact", "pdbusy",
    "pgswapout", "pgswapin", "fltanget", "flt_noram", "zeropages", "free",    "active",
    "inactive", "swpginuse", "freemin",  "freetarg"};

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

std::string mode_name(ReplayMode m) { return m == ReplayMode::kTextbook ? "textbook" : "uvm"; }

void print_text(const ReplayResult& r, std::ostream& out) {
  out << fmt::format("accesses {}\nfaults {}\nhits {}\nevictions {}\nwritebacks {}\n", r.accesses, r.faults,
                     r.hits, r.evictions, r.writebacks);
  out << fmt::format("policy {}\nmode {}\n", r.policy, mode_name(r.mode));
  if (r.mode == ReplayMode::kTextbook) out << fmt::format("frames {}\n", r.frames);
  else out << fmt::format("mem {}\n", r.frames << 12);
  out << fmt::format("pages {}\n", r.pages);
  out << fmt::format("miss_ratio {:.6f}\n", r.accesses ? double(r.faults) / double(r.accesses) : 0.0);
  if (r.skipped_lines) out << fmt::format("skipped_lines {}\n", r.skipped_lines);
  if (r.mode == ReplayMode::kUvm) {
    r.uvmexp.for_each([&](std::string_view name, std::uint64_t v, std::string_view) {
      for (std::string_view k : kUvmCounters)
        if (k == name) out << fmt::format("uvmexp.{} {}\n", name, v);
    });
    if (r.checked)
      out << (r.check.ok() ? std::string("check ok\n")
                           : fmt::format("check failed: {}\n", std::string(r.check.message())));
  }
}

std::string json_result(const ReplayResult& r) {
  std::string s = fmt::format(
      R"({{"policy": {}, "mode": "{}", "accesses": {}, "faults": {}, "hits": {}, "evictions": {}, "writebacks": {}, )",
      json_string(r.policy), mode_name(r.mode), r.accesses, r.faults, r.hits, r.evictions, r.writebacks);
  if (r.mode == ReplayMode::kTextbook) s += fmt::format(R"("frames": {}, )", r.frames);
  else s += fmt::format(R"("mem": {}, )", r.frames << 12);
  s += fmt::format(R"("pages": {}, "miss_ratio": {:.6f}, "skipped_lines": {})", r.pages,
                   r.accesses ? double(r.faults) / double(r.accesses) : 0.0, r.skipped_lines);
  if (r.mode == ReplayMode::kUvm) {
    s += R"(, "uvmexp": )" + r.uvmexp.to_json();
    if (r.checked) s += fmt::format(R"(, "check": {})", json_string(r.check.ok() ? "ok" : std::string(r.check.message())));
  }
  return s + "}";
}

// Progress on standard error, about twice a second, only on a terminal.
class Progress {
 public:
  explicit Progress(bool on) : on_(on), t0_(std::chrono::steady_clock::now()), last_(t0_) {}
  void operator()(std::uint64_t done) {
    if (!on_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(500)) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - t0_).count();
    std::fprintf(stderr, "\rreplay: %llu accesses, %.1f M/s   ", static_cast<unsigned long long>(done),
                 secs > 0 ? double(done) / secs / 1e6 : 0.0);
    std::fflush(stderr);
    shown_ = true;
  }
  void done() {
    if (shown_) std::fprintf(stderr, "\r%60s\r", "");
  }

 private:
  bool on_, shown_ = false;
  std::chrono::steady_clock::time_point t0_, last_;
};

std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = s.find(',', start);
    out.emplace_back(s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::optional<MrcRange> parse_range(std::string_view s, std::string* err) {
  MrcRange r;
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t colon = s.find(':', start);
    parts.emplace_back(s.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (parts.size() < 2 || parts.size() > 3) {
    *err = fmt::format("bad --mrc '{}': expected LO:HI or LO:HI:STEP", s);
    return std::nullopt;
  }
  std::uint64_t* fields[] = {&r.lo, &r.hi, &r.step};
  for (std::size_t i = 0; i < parts.size(); i++) {
    auto v = parse_number(parts[i]);
    if (!v.ok()) {
      *err = fmt::format("bad --mrc '{}': {}", s, std::string(v.status().message()));
      return std::nullopt;
    }
    *fields[i] = *v;
  }
  if (r.lo == 0 || r.hi < r.lo || r.step == 0) {
    *err = fmt::format("bad --mrc '{}': need 1 <= LO <= HI and STEP >= 1", s);
    return std::nullopt;
  }
  return r;
}

}  // namespace

void print_replay_help(std::ostream& out) {
  out << "usage: uvmsim replay [OPTIONS] TRACE|-\n"
         "\n"
         "Replays a memory trace ('-' reads standard input) against a page-replacement\n"
         "policy and prints what happened: accesses, faults, hits, evictions, writebacks,\n"
         "then the mode's own counters. A malformed line stops the replay with\n"
         "'TRACE:LINE: message' and exit status 2.\n"
         "\n"
         "  valgrind --tool=lackey --trace-mem=yes PROG 2>&1 | uvmsim replay -\n"
         "\n"
         "options:\n"
         "  --format lackey|vmsim|pages  the trace's format (default lackey):\n"
         "                        lackey: valgrind's 'I  ADDR,SIZE', ' L|S|M ADDR,SIZE'\n"
         "                          (M is a load and a store; an access crossing a page\n"
         "                          boundary touches both; other lines are skipped)\n"
         "                        vmsim: 'ADDR R|W' (hex address)\n"
         "                        pages: 'PAGE [R|W]' (decimal or 0x hex page number)\n"
         "  --no-ifetch           drop lackey's instruction fetches (I lines)\n"
         "  --mode textbook|uvm   textbook (default): exactly --frames frames, one page\n"
         "                        evicted per miss when all are full; uvm: the trace drives\n"
         "                        a process on the UVM model (faults, page daemon, swap)\n"
         "  --policy NAME[,NAME]  clock (textbook: one-handed second chance; uvm: NetBSD's\n"
         "                        two-queue clock), second-chance, fifo, lru, random, aging,\n"
         "                        wsclock, arc, opt (textbook only; default lru). Several\n"
         "                        names only with --mrc\n"
         "  --frames N            textbook: number of frames (default 64)\n"
         "  --mem SIZE            uvm: physical memory (default 16M; K, M, G suffixes)\n"
         "  --swap SIZE           uvm: swap space (default 256M)\n"
         "  --seed N              seed of the random policy (default 0)\n"
         "  --aging-interval N    aging: shift the counters every N accesses (textbook,\n"
         "                        default 1000); uvm mode shifts once per daemon pass\n"
         "  --tau N               wsclock: working-set window in accesses (textbook) or\n"
         "                        faults (uvm); default: the number of frames\n"
         "  --check               uvm: run the invariant checker at the end\n"
         "  --json                print one JSON object (an array with --mrc)\n"
         "  --mrc LO:HI[:STEP]    miss-ratio curve over frame counts (uvm: memory in\n"
         "                        pages): LRU in one pass (textbook), others one replay\n"
         "                        per point, in parallel\n"
         "  --threads N           --mrc: replays at once (default: one per core)\n"
         "  --plot FILE.png       --mrc: draw the curves, one line per policy\n"
         "  -h, --help            show this help\n"
         "\n"
         "Exit status: 0 done; 2 bad command line or trace; 1 the replay failed (memory\n"
         "and swap too small in uvm mode, a policy that freed nothing, an unwritable\n"
         "plot).\n";
}

int cmd_replay(const std::vector<std::string_view>& args) {
  ReplayConfig config;
  TraceFormat format = TraceFormat::kLackey;
  TraceOptions topts;
  std::vector<std::string> policies{"lru"};
  std::optional<std::string> file, plot;
  std::optional<MrcRange> mrc;
  bool json = false, options_done = false;
  unsigned threads = 0;
  for (std::size_t i = 0; i < args.size(); i++) {
    const std::string_view a = args[i];
    auto is_opt = [&](std::string_view opt) {
      return a == opt || (a.starts_with(opt) && a.size() > opt.size() && a[opt.size()] == '=');
    };
    auto value_of = [&](std::string_view opt) -> std::optional<std::string_view> {
      if (a == opt) {
        if (i + 1 >= args.size()) return std::nullopt;
        return args[++i];
      }
      return a.substr(opt.size() + 1);
    };
    auto number = [&](std::string_view opt, std::uint64_t* out) -> bool {
      auto v = value_of(opt);
      if (!v) return false;
      auto n = parse_number(*v);
      if (!n.ok()) return false;
      *out = *n;
      return true;
    };
    if (options_done || a == "-" || !a.starts_with("-")) {
      if (file) return usage(fmt::format("more than one trace given ('{}')", a));
      file = std::string(a);
    } else if (a == "--") {
      options_done = true;
    } else if (a == "-h" || a == "--help") {
      print_replay_help(std::cout);
      return kExitOk;
    } else if (is_opt("--format")) {
      auto v = value_of("--format");
      auto f = v ? trace_format_named(*v) : StatusOr<TraceFormat>(absl::InvalidArgumentError("missing"));
      if (!f.ok()) return usage("--format needs lackey, vmsim or pages");
      format = *f;
    } else if (a == "--no-ifetch") {
      topts.ifetch = false;
    } else if (is_opt("--mode")) {
      auto v = value_of("--mode");
      if (v && *v == "textbook") config.mode = ReplayMode::kTextbook;
      else if (v && *v == "uvm") config.mode = ReplayMode::kUvm;
      else return usage("--mode needs textbook or uvm");
    } else if (is_opt("--policy")) {
      auto v = value_of("--policy");
      if (!v || v->empty()) return usage("--policy needs a policy name");
      policies = split_commas(*v);
    } else if (is_opt("--frames")) {
      if (!number("--frames", &config.frames) || config.frames == 0) return usage("--frames needs a number >= 1");
    } else if (is_opt("--mem")) {
      if (!number("--mem", &config.mem_bytes)) return usage("--mem needs a size (e.g. 16M)");
    } else if (is_opt("--swap")) {
      if (!number("--swap", &config.swap_bytes)) return usage("--swap needs a size (e.g. 256M)");
    } else if (is_opt("--seed")) {
      if (!number("--seed", &config.policy_options.seed)) return usage("--seed needs a number");
    } else if (is_opt("--aging-interval")) {
      if (!number("--aging-interval", &config.policy_options.aging_interval) ||
          config.policy_options.aging_interval == 0)
        return usage("--aging-interval needs a number >= 1");
    } else if (is_opt("--tau")) {
      if (!number("--tau", &config.policy_options.wsclock_tau)) return usage("--tau needs a number");
    } else if (a == "--check") {
      config.check = true;
    } else if (a == "--json") {
      json = true;
    } else if (is_opt("--mrc")) {
      auto v = value_of("--mrc");
      if (!v) return usage("--mrc needs LO:HI[:STEP]");
      std::string err;
      mrc = parse_range(*v, &err);
      if (!mrc) return usage(err);
    } else if (is_opt("--threads")) {
      std::uint64_t t = 0;
      if (!number("--threads", &t) || t == 0 || t > 1024) return usage("--threads needs a number from 1 to 1024");
      threads = static_cast<unsigned>(t);
    } else if (is_opt("--plot")) {
      auto v = value_of("--plot");
      if (!v || v->empty()) return usage("--plot needs a file name");
      plot = std::string(*v);
    } else {
      return usage(fmt::format("unknown option '{}'", a));
    }
  }
  if (!file) return usage("no trace given (FILE, or - for standard input)");
  if (plot && !mrc) return usage("--plot draws a miss-ratio curve: give --mrc LO:HI[:STEP] too");
  if (policies.size() > 1 && !mrc) return usage("several policies need --mrc (one curve each)");
  for (const std::string& p : policies) {
    if (p == "opt") {
      if (config.mode == ReplayMode::kUvm) return usage("policy \"opt\" needs the future: --mode textbook only");
      continue;
    }
    if (auto made = make_replacement_policy(p); !made.ok())
      return usage(fmt::format("bad --policy: {}", std::string(made.status().message())));
  }

  auto trace = TraceReader::Open(*file, format, topts);
  if (!trace.ok()) {
    std::cerr << fmt::format("uvmsim replay: {}\n", std::string(trace.status().message()));
    return kExitTrace;
  }
  Progress progress(::isatty(2) == 1);
  config.progress = [&](std::uint64_t done) { progress(done); };

  if (!mrc) {
    config.policy = policies[0];
    auto r = replay(**trace, config);
    progress.done();
    if (!r.ok()) {
      std::cerr << fmt::format("uvmsim replay: {}\n", std::string(r.status().message()));
      return errno_of(r.status()) == EINVAL ? kExitTrace : kExitRun;
    }
    if (json) std::cout << json_result(*r) << '\n';
    else print_text(*r, std::cout);
    if (r->checked && !r->check.ok()) return kExitRun;
    return kExitOk;
  }

  auto loaded = load_trace(**trace);
  if (!loaded.ok()) {
    progress.done();
    std::cerr << fmt::format("uvmsim replay: {}\n", std::string(loaded.status().message()));
    return kExitTrace;
  }
  std::vector<std::vector<MrcPoint>> curves;
  for (const std::string& p : policies) {
    config.policy = p;
    auto c = miss_ratio_curve(*loaded, config, *mrc, threads);
    if (!c.ok()) {
      progress.done();
      std::cerr << fmt::format("uvmsim replay: {}: {}\n", p, std::string(c.status().message()));
      return errno_of(c.status()) == EINVAL ? kExitTrace : kExitRun;
    }
    curves.push_back(std::move(*c));
  }
  progress.done();
  const std::uint64_t accesses = loaded->refs.size();
  auto ratio = [&](const MrcPoint& pt) { return accesses ? double(pt.result.faults) / double(accesses) : 0.0; };
  const char* unit = config.mode == ReplayMode::kTextbook ? "frames" : "pages";
  if (json) {
    std::cout << "[";
    bool first = true;
    for (std::size_t k = 0; k < curves.size(); k++)
      for (const MrcPoint& pt : curves[k]) {
        std::cout << (first ? "" : ",\n ")
                  << fmt::format(R"({{"policy": {}, "mode": "{}", "{}": {}, "accesses": {}, "faults": {}, "hits": {}, "miss_ratio": {:.6f}}})",
                                 json_string(policies[k]), mode_name(config.mode), unit, pt.frames, accesses,
                                 pt.result.faults, pt.result.hits, ratio(pt));
        first = false;
      }
    std::cout << "]\n";
  } else {
    std::cout << fmt::format("# miss ratio (faults / accesses) of {} accesses, {} distinct pages\n", accesses,
                             loaded->pages.size());
    std::cout << fmt::format("{:>10}", unit);
    for (const std::string& p : policies) std::cout << fmt::format(" {:>14}", p);
    std::cout << '\n';
    for (std::size_t i = 0; i < curves[0].size(); i++) {
      std::cout << fmt::format("{:>10}", curves[0][i].frames);
      for (const auto& c : curves) std::cout << fmt::format(" {:>14.6f}", ratio(c[i]));
      std::cout << '\n';
    }
  }
  std::cout.flush();
  if (plot) {
    PlotSpec spec;
    spec.title = fmt::format("miss-ratio curve ({} mode, {} accesses)", mode_name(config.mode), accesses);
    spec.xlabel = config.mode == ReplayMode::kTextbook ? "frames" : "memory (pages)";
    spec.ylabel = "miss ratio";
    for (std::size_t k = 0; k < curves.size(); k++) {
      PlotSeries s{policies[k], {}};
      for (const MrcPoint& pt : curves[k]) s.points.emplace_back(double(pt.frames), ratio(pt));
      spec.series.push_back(std::move(s));
    }
    if (Status s = write_png_plot(*plot, spec); !s.ok()) {
      std::cerr << fmt::format("uvmsim replay: {}\n", std::string(s.message()));
      return kExitRun;
    }
  }
  return kExitOk;
}

}  // namespace uvmsim::cli
