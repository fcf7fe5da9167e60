// Random scenarios through the real `uvmsim run` binary: the shared workload
// generator (tests/workload.h) writes a script and, from its reference model
// alone (no machine), the exact output the script must print; the binary must
// print just that, on every machine configuration that can run here. Only
// operations whose result the model knows exactly are drawn (no reads of
// bytes madvise `free` may have discarded, no loan while something is wired,
// machines large enough that nothing is killed).
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "fmt/format.h"
#include "helpers.h"
#include "workload.h"

namespace fs = std::filesystem;
using namespace uvmsim;
using namespace uvmsim::workload;

#ifdef UVMSIM_CLI_BINARY

namespace {

struct Scenario {
  std::string script, expected;
};

// A scenario of `steps` operations and the output the model predicts.
Scenario generate(std::uint64_t seed, const Regime& regime, int steps) {
  const Mix mix = scenario_mix();
  Model model(mix, workload_files(mix), regime);
  Generator gen(seed, mix);
  Scenario s;
  s.script = fmt::format("# random scenario, seed {}\n", seed) + scenario_header(regime, model.files());
  for (int i = 0; i < steps && !model.procs().empty(); i++) {
    const Op op = gen.next(model, /*only_determined=*/true);
    const Expect e = model.expect(op);
    REQUIRE(e.determined);
    s.script += scenario_line(op) + '\n';
    s.expected += expected_output(op, e);
    model.apply(op, Model::as_expected(e));
  }
  s.script += "check\n";
  s.expected += "check ok\n";
  return s;
}

// Runs `uvmsim run ARGS FILE`; returns its exit status and standard output.
int run_binary(const std::vector<std::string>& args, const fs::path& script, std::string* out) {
  std::string cmd = UVMSIM_CLI_BINARY;
  cmd += " run";
  for (const std::string& a : args) cmd += " " + a;
  cmd += " '" + script.string() + "' 2>&1";
  FILE* f = ::popen(cmd.c_str(), "r");
  REQUIRE(f != nullptr);
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out->append(buf, n);
  const int st = ::pclose(f);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// The first line where two outputs differ, for the failure message.
std::string first_difference(const std::string& got, const std::string& want) {
  std::istringstream a(got), b(want);
  std::string la, lb;
  for (int line = 1;; line++) {
    const bool ea = !std::getline(a, la), eb = !std::getline(b, lb);
    if (ea && eb) return "none";
    if (ea != eb || la != lb)
      return fmt::format("output line {}:\n  got:  {}\n  want: {}", line, ea ? "<end>" : la.substr(0, 200),
                         eb ? "<end>" : lb.substr(0, 200));
  }
}

#if defined(__SANITIZE_ADDRESS__)
constexpr std::uint64_t kScenarioSeeds = 12;  // each run starts a sanitizer-built binary
#else
constexpr std::uint64_t kScenarioSeeds = 50;
#endif

// UVMSIM_SCENARIO_SEEDS=N runs N seeds instead (from UVMSIM_SEED_FIRST, 1
// by default).
std::uint64_t scenario_seeds() {
  const char* env = std::getenv("UVMSIM_SCENARIO_SEEDS");
  return env && *env ? std::strtoull(env, nullptr, 10) : kScenarioSeeds;
}

// The script with every `loan ... anon` made a kernel loan.
std::string kernel_loans_only(const std::string& script) {
  std::istringstream in(script);
  std::string out, line;
  while (std::getline(in, line)) {
    if (line.starts_with("loan ") && line.ends_with(" anon")) line = line.substr(0, line.size() - 5) + " kernel";
    out += line + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("random scenarios print what the reference model predicts", "[cli][random]") {
  std::string skipped;
  const std::vector<MachineAxis> axes = usable_axes(&skipped);
  if (!skipped.empty()) WARN("not run on " << skipped);
  const fs::path dir = fs::temp_directory_path() / fmt::format("uvmsim-random-scen-{}", ::getpid());
  fs::create_directories(dir);
  const std::uint64_t n = scenario_seeds();
  const std::uint64_t first = uvmsim::test::hunt_first_seed(1);
  for (std::uint64_t seed = first; seed < first + n; seed++) {
    // Roomy machines, and 1 MiB ones that page (but are too big to kill).
    const Regime regime = seed % 2 ? Regime{2048, 16384, true} : Regime{256, 4096, true};
    const Scenario s = generate(seed, regime, 400);
    // Not a vacuous comparison: the run prints data and errors.
    REQUIRE(s.expected.find(" read ") != std::string::npos);
    REQUIRE(s.expected.find(" = SIGSEGV") != std::string::npos);
    const fs::path file = dir / fmt::format("seed{}.scen", seed);
    std::ofstream(file) << s.script;
    for (const MachineAxis& axis : axes) {
      std::string out;
      fs::path run_file = file;
      if (axis.anon == AnonModel::kShadow) {
        // No anon loans on the shadow model (EOPNOTSUPP): the same script
        // with kernel loans, whose borrowers read the same snapshots.
        run_file = dir / fmt::format("seed{}-shadow.scen", seed);
        std::ofstream(run_file) << kernel_loans_only(s.script);
      }
      const int status = run_binary(axis.cli_args(), run_file, &out);
      INFO("seed " << seed << " on " << axis.name() << " (" << regime.describe() << "): " << file.string());
      INFO(first_difference(out, s.expected));
      REQUIRE(status == 0);
      REQUIRE(out == s.expected);
    }
    fs::remove(dir / fmt::format("seed{}-shadow.scen", seed));
    fs::remove(file);  // kept when a check above failed, to replay by hand
  }
  fs::remove(dir);
}

#endif  // UVMSIM_CLI_BINARY
