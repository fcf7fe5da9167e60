// Every examples/*.scen, run in-process, prints exactly its .expected file
// (on the soft backend, and on kvm when this host and build can run it).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "cli/scenario_runner.h"
#include "uvmsim/machine.h"

namespace fs = std::filesystem;
using namespace uvmsim;
using namespace uvmsim::cli;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> scenarios() {
  std::vector<fs::path> v;
  for (auto& e : fs::directory_iterator(UVMSIM_EXAMPLES_DIR))
    if (e.path().extension() == ".scen") v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

bool kvm_usable() {
  MachineConfig c;
  c.mem_bytes = 1 << 20;
  c.backend = Backend::kKvm;
  return Machine::Create(c).ok();
}

// `stats` prints "name value" lines in a format that is the implementation's,
// and the library keeps adding counters. Counters the .expected file names are
// compared exactly; counters it does not know yet are dropped from the actual
// output first. Every other line is compared as is.
std::string without_new_counters(const std::string& actual, const std::string& expected) {
  static const std::regex kCounter(R"(^([a-z_][a-z0-9_]*) [0-9]+$)");
  std::set<std::string> known;
  std::istringstream e(expected);
  for (std::string line; std::getline(e, line);) {
    std::smatch m;
    if (std::regex_match(line, m, kCounter)) known.insert(m[1]);
  }
  std::string out;
  std::istringstream a(actual);
  for (std::string line; std::getline(a, line);) {
    std::smatch m;
    if (std::regex_match(line, m, kCounter) && !known.contains(m[1])) continue;
    out += line + '\n';
  }
  return out;
}

void check_example(const fs::path& scen, Backend backend) {
  const fs::path expected = fs::path(scen).replace_extension(".expected");
  INFO(scen.string() << " on " << to_string(backend));
  REQUIRE(fs::exists(expected));
  std::ifstream in(scen);
  std::ostringstream out, err;
  RunOptions opts;
  opts.display_name = scen.filename().string();
  opts.backend_override = backend;
  const int status = run_scenario(in, out, err, opts);
  CHECK(err.str().empty());
  CHECK(status == 0);
  const std::string want = slurp(expected);
  CHECK(without_new_counters(out.str(), want) == want);
}

// The script with every `loan ... anon` made a kernel loan: a shadow
// machine refuses anon loans (EOPNOTSUPP), and a kernel borrower reads the
// same bytes.
std::string kernel_loans_only(const std::string& script) {
  std::istringstream in(script);
  std::string out, line;
  while (std::getline(in, line)) {
    if (line.starts_with("loan ") && line.ends_with(" anon")) line = line.substr(0, line.size() - 5) + " kernel";
    out += line + '\n';
  }
  return out;
}

// What a run prints that both models must print alike: everything but the
// counters of `stats`, machine-wide and per process (the models count
// different things).
std::string without_counters(const std::string& s) {
  static const std::regex kCounter(R"(^([a-z_][a-z0-9_]*) [0-9]+$)");
  std::string out;
  std::istringstream a(s);
  for (std::string line; std::getline(a, line);)
    if (!std::regex_match(line, kCounter) && !line.starts_with("process ")) out += line + '\n';
  return out;
}

std::string run_with(const std::string& script, const fs::path& scen, AnonModel anon, int* status) {
  std::istringstream in(script);
  std::ostringstream out, err;
  RunOptions opts;
  opts.display_name = scen.filename().string();
  opts.backend_override = Backend::kSoft;
  opts.anon_override = anon;
  *status = run_scenario(in, out, err, opts);
  INFO(err.str());
  CHECK(err.str().empty());
  return out.str();
}

}  // namespace

TEST_CASE("examples print the same lines on the amap and the shadow model", "[examples][shadow]") {
  for (auto& scen : scenarios()) {
    INFO(scen.string());
    const std::string script = kernel_loans_only(slurp(scen));
    int sa = 0, ss = 0;
    const std::string amap = run_with(script, scen, AnonModel::kAmap, &sa);
    const std::string shadow = run_with(script, scen, AnonModel::kShadow, &ss);
    CHECK(sa == 0);
    CHECK(ss == 0);
    CHECK(!amap.empty());
    CHECK(without_counters(shadow) == without_counters(amap));
  }
}

TEST_CASE("the examples directory has scenarios with expected outputs", "[examples]") {
  const auto all = scenarios();
  CHECK(all.size() >= 4);
  for (auto& s : all) CHECK(fs::exists(fs::path(s).replace_extension(".expected")));
}

TEST_CASE("examples print their .expected output (soft)", "[examples]") {
  for (auto& scen : scenarios())
    check_example(scen, Backend::kSoft);
}

TEST_CASE("examples print their .expected output (kvm)", "[examples][kvm]") {
  if (!kvm_usable()) {
    WARN("kvm backend not usable here; skipped");
    return;
  }
  for (auto& scen : scenarios())
    check_example(scen, Backend::kKvm);
}
