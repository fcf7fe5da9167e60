// Speed may not change what the model does: the multi-GiB benchmark's
// workload, on a 16 MiB machine, gives exactly the uvmexp counters it gave
// before the soft backend was tuned for speed (tests/data/bigmem_16m.*), and
// its sums are the bytes the script wrote.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <string>

#include "fmt/format.h"
#include "json_check.h"
#include "scratch.h"
#include "subprocess.h"

#ifdef UVMSIM_CLI_BINARY
namespace {

using namespace std::chrono_literals;
using namespace uvmsim::cli::testing;

// The numeric members of a flat JSON object (the counters).
std::map<std::string, std::string> numbers(const std::string& text) {
  std::map<std::string, std::string> out;
  auto obj = JsonCheck::object(text);
  if (!obj) return out;
  for (const auto& [k, v] : *obj)
    if (!v.empty() && (std::isdigit(static_cast<unsigned char>(v[0])) || v[0] == '-')) out[k] = v;
  return out;
}

std::uint64_t fnv1a_of_fill(std::uint64_t h, std::uint8_t byte, std::uint64_t n) {
  for (std::uint64_t i = 0; i < n; i++) h = (h ^ byte) * 0x100000001b3ull;
  return h;
}

TEST_CASE("scale: the benchmark workload keeps every uvmexp counter", "[cli][scale]") {
  Scratch s;
  const std::string dir = UVMSIM_TEST_DATA_DIR;
  Child c({UVMSIM_CLI_BINARY, "run", "--stats-json", s.path("stats.json"), dir + "/bigmem_16m.scen"});
  REQUIRE(c.started());
  REQUIRE(c.wait(120s) == 0);

  // The sums: the parent's 12 MiB of 0x5a; the child's first 4 MiB of 0x33.
  const std::uint64_t basis = 0xcbf29ce484222325ull, M = 1ull << 20;
  const std::uint64_t parent = fnv1a_of_fill(basis, 0x5a, 12 * M);
  const std::uint64_t child = fnv1a_of_fill(fnv1a_of_fill(basis, 0x33, 4 * M), 0x5a, 8 * M);
  CHECK(c.out() == fmt::format("p sum 0x10000000 12582912 = {:#018x}\nc sum 0x10000000 12582912 = {:#018x}\n",
                               parent, child));

  const auto before = numbers(slurp(dir + "/bigmem_16m.uvmexp.json"));
  const auto now = numbers(slurp(s.path("stats.json")));
  REQUIRE(before.size() > 50);
  // The workload pages: the comparison covers the page daemon and swap.
  REQUIRE(before.at("pgswapout") != "0");
  REQUIRE(before.at("pgswapin") != "0");
  for (const auto& [name, value] : before) {
    INFO(name);
    REQUIRE(now.count(name) == 1);
    CHECK(now.at(name) == value);
  }
}

}  // namespace
#endif  // UVMSIM_CLI_BINARY
