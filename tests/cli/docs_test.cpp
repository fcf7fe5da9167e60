// The docs say what the code does: the README's C++ program is the one every
// build compiles (examples/readme_example.cpp, -Wall -Wextra -Werror), the
// user guide's dump walk-through is what uvmsim prints for its scenario, and
// its tables name every counter and every cost of the trace's model clock.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/cost_model.h"
#include "fmt/format.h"
#include "run_helper.h"
#include "uvmsim/stats.h"

using namespace uvmsim;
using namespace uvmsim::cli;
using namespace uvmsim::cli::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kRoot = fs::path(UVMSIM_EXAMPLES_DIR).parent_path();

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The text between `begin` and the next `end` after it.
std::string between(const std::string& s, std::string_view begin, std::string_view end) {
  const std::size_t i = s.find(begin);
  REQUIRE(i != std::string::npos);
  const std::size_t j = s.find(end, i + begin.size());
  REQUIRE(j != std::string::npos);
  return s.substr(i + begin.size(), j - i - begin.size());
}

}  // namespace

TEST_CASE("README's C++ example is examples/readme_example.cpp, whole", "[docs]") {
  const std::string readme = slurp(kRoot / "README.md");
  const std::string snippet = between(readme, "```c++\n", "```\n");
  CHECK(snippet == slurp(kRoot / "examples/readme_example.cpp"));
  // User-facing text names no machine's paths and no issue numbers.
  CHECK(readme.find("/work/") == std::string::npos);
  CHECK(readme.find("issue ") == std::string::npos);
  CHECK(readme.find("docs/scenario-language.md") != std::string::npos);
}

TEST_CASE("the user guide's dump walk-through is what uvmsim prints", "[docs]") {
  const std::string guide = slurp(kRoot / "docs/user-guide.md");
  const std::string block = between(guide, "<!-- dump-example:begin -->\n```\n$ uvmsim run docs/examples/fork_cow_loan.scen\n",
                                    "```\n<!-- dump-example:end -->");
  RunOptions o;
  o.backend_override = Backend::kSoft;
  auto r = run_text(slurp(kRoot / "docs/examples/fork_cow_loan.scen"), o);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == block);
  CHECK(fs::exists(kRoot / "docs/img/dump_fork_cow_loan.png"));
}

TEST_CASE("the user guide's tables name every counter and every model cost", "[docs]") {
  const std::string guide = slurp(kRoot / "docs/user-guide.md");
  auto named = [&](const char* name) { return guide.find(fmt::format("| `{}` |", name)) != std::string::npos; };
  UvmExp{}.for_each([&](const char* name, std::uint64_t, const char*) {
    INFO(name);
    CHECK(named(name));
  });
  ProcessStats{}.for_each([&](const char* name, std::uint64_t, const char*) {
    INFO(name);
    CHECK(guide.find(fmt::format("`{}`", name)) != std::string::npos);
  });
  const CostModel costs;
  for (const auto& [name, ns] : costs.table()) {
    INFO(name);
    CHECK(guide.find(fmt::format("`{}`", name)) != std::string::npos);
  }
}
