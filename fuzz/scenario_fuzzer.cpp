// Fuzz target: scenario text through the whole runner `uvmsim run` uses
// (lexer, argument parsers, every command, the library below), with the
// invariant checker after every command (RunOptions::check_each_command,
// `uvmsim run --check`).
//
// A finding is a crash, a sanitizer report, an exception, a hang, or the
// checker failing (exit status 3). A script error (status 2) is a normal
// outcome: most mutated inputs are bad scripts, and those must be reported,
// never crash.
//
// Each input runs twice, as `--anon amap` and as `--anon shadow`: every
// script meets both anonymous-memory models.
//
// Input: the script itself, so every corpus file and every crash reproducer
// is a scenario `uvmsim run` runs. An optional first line "#! WORD..." (a
// comment for the runner) turns on output paths as `uvmsim run` would:
//   json      --json
//   dump      --dump-after every line (dump=json / dump=dot for the formats)
//   trace     --trace with the model clock
//   series    --stats-every 1 --series (JSON lines; series=csv for CSV)
//
// Caps (documented in docs/fuzzing.md): a script is skipped when
// - its `machine` line asks for more than 256M of memory or 1G of swap: the
//   checker walks every page after each command, so a 64G machine runs a few
//   commands a second and drowns the search (huge machines are the size
//   tests' business);
// - it creates a file of more than 16M filled with a byte other than 0, which
//   is written whole to the host disk (a zero-filled file is sparse).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <sstream>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

#include "cli/scenario_args.h"
#include "cli/scenario_lexer.h"
#include "cli/scenario_runner.h"
#include "cli/stats_series.h"
#include "cli/trace_writer.h"
#include "uvmsim/types.h"

namespace {

using namespace uvmsim::cli;
using uvmsim::AnonModel;

constexpr std::uint64_t kMaxMemBytes = 256ull << 20;
constexpr std::uint64_t kMaxSwapBytes = 1ull << 30;
constexpr std::uint64_t kMaxFilledFileBytes = 16ull << 20;

// Output nobody reads: formatted, then dropped, so a large `read` costs time
// but no memory.
class NullBuf : public std::streambuf {
 protected:
  int_type overflow(int_type c) override { return traits_type::not_eof(c); }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

struct Flags {
  bool json = false, trace = false, series = false, series_csv = false;
  std::optional<int> dump_format;  // 0 text, 1 json, 2 dot
};

Flags parse_flags(std::string_view first_line) {
  Flags f;
  if (!first_line.starts_with("#!")) return f;
  std::istringstream words{std::string(first_line.substr(2))};
  std::string w;
  while (words >> w) {
    if (w == "json") f.json = true;
    else if (w == "trace") f.trace = true;
    else if (w == "series") f.series = true;
    else if (w == "series=csv") f.series = f.series_csv = true;
    else if (w == "dump") f.dump_format = 0;
    else if (w == "dump=json") f.dump_format = 1;
    else if (w == "dump=dot") f.dump_format = 2;
  }
  return f;
}

// The value of a KEY=NUMBER word, if `t` is one.
std::optional<std::uint64_t> option_value(const Token& t, std::string_view key) {
  if (t.kind != Token::Kind::kWord || !t.text.starts_with(key)) return std::nullopt;
  auto v = parse_number(std::string_view(t.text).substr(key.size()));
  return v.ok() ? std::optional(*v) : std::nullopt;
}

// False for a script the caps above skip.
bool within_caps(std::string_view text) {
  bool first = true;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    auto tokens = tokenize(line);
    if (!tokens.ok()) return true;  // the runner stops there
    if (tokens->empty()) continue;
    const std::vector<Token>& t = *tokens;
    if (first && t[0].is_word("machine")) {
      for (const Token& w : t) {
        if (auto v = option_value(w, "mem="); v && *v > kMaxMemBytes) return false;
        if (auto v = option_value(w, "swap="); v && *v > kMaxSwapBytes) return false;
      }
    }
    first = false;
    if (t[0].is_word("file") && t.size() >= 4) {
      auto size = parse_number(t[2].text);
      auto fill = option_value(t[3], "fill=");
      if (size.ok() && *size > kMaxFilledFileBytes && fill && *fill != 0) return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (!within_caps(text)) return -1;  // not kept in the corpus
  const Flags flags = parse_flags(std::string_view(text).substr(0, text.find('\n')));

  NullBuf null_buf;
  std::ostream null_out(&null_buf);
  // Both anonymous-memory models, as `uvmsim run --anon amap` and then
  // `--anon shadow` would run the script (a script's own `anon=` is
  // overridden, so every input meets both designs).
  for (AnonModel model : {AnonModel::kAmap, AnonModel::kShadow}) {
    std::ostringstream err;
    RunOptions options;
    options.display_name = "fuzz.scen";
    options.check_each_command = true;
    options.json = flags.json;
    options.anon_override = model;
    std::optional<TraceWriter> trace;
    if (flags.trace) {
      trace.emplace(null_out, TraceClock::kModel);
      options.trace = &*trace;
    }
    std::optional<StatsSeries> series;
    if (flags.series) {
      series.emplace(null_out, flags.series_csv ? StatsSeries::Format::kCsv : StatsSeries::Format::kJsonLines);
      options.series = &*series;
      options.stats_every = 1;
    }
    if (flags.dump_format) {
      options.dump_format = *flags.dump_format;
      std::uint64_t lines = 1;
      for (char c : text) lines += c == '\n';
      for (std::uint64_t l = 1; l <= lines; l++) options.dump_after.push_back(l);
    }

    std::istringstream in(text);
    int status;
    {
      ScenarioRunner runner(options, null_out, err);
      status = runner.run(in);
    }
    if (trace) trace->finish();
    const std::string anon(uvmsim::to_string(model));
    if (status == kExitCheckFailed) {
      std::fprintf(stderr, "scenario_fuzzer: the invariant checker failed (--anon %s):\n%s", anon.c_str(),
                   err.str().c_str());
      std::abort();
    }
    if (status != kExitOk && status != kExitScriptError) {
      std::fprintf(stderr, "scenario_fuzzer: unexpected exit status %d (--anon %s):\n%s", status, anon.c_str(),
                   err.str().c_str());
      std::abort();
    }
  }
  return 0;
}
