// `uvmsim run --check` (RunOptions::check_each_command): the invariant
// checker after every command, exit status 3 and the line at fault when it
// fails. The fuzz targets run every input this way.
#include <catch2/catch.hpp>

#include <functional>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "core/uvm.h"
#include "run_helper.h"

using namespace uvmsim;
using namespace uvmsim::cli;
using namespace uvmsim::cli::testing;

namespace {

// Serves a script one line per refill and calls `before(n)` before handing
// out line n (1-based): the test changes the machine between two commands.
class LineByLine : public std::streambuf {
 public:
  LineByLine(std::vector<std::string> lines, std::function<void(std::size_t)> before)
      : lines_(std::move(lines)), before_(std::move(before)) {}

 protected:
  int_type underflow() override {
    if (next_ >= lines_.size()) return traits_type::eof();
    before_(next_ + 1);
    current_ = lines_[next_++] + "\n";
    setg(current_.data(), current_.data(), current_.data() + current_.size());
    return traits_type::to_int_type(current_[0]);
  }

 private:
  std::vector<std::string> lines_;
  std::function<void(std::size_t)> before_;
  std::string current_;
  std::size_t next_ = 0;
};

}  // namespace

TEST_CASE("checking after every command leaves a sound script's output as it was", "[cli][check]") {
  const std::string script =
      "machine mem=4M swap=8M backend=soft\nspawn p\np mmap 0x10000000 64K rw private anon\n"
      "p fill 0x10000000 64K 7\np fork c\nc write 0x10000000 \"child\"\np sum 0x10000000 64K\nc exit\n";
  RunOptions checked;
  checked.check_each_command = true;
  auto plain = run_text(script);
  auto with_check = run_text(script, checked);
  CHECK(plain.status == 0);
  CHECK(with_check.status == 0);
  CHECK(with_check.out == plain.out);
  CHECK(with_check.err.empty());
}

TEST_CASE("checking after every command stops at the first one that leaves the model inconsistent", "[cli][check]") {
  const std::vector<std::string> lines = {"machine mem=4M swap=8M backend=soft", "spawn p",
                                          "p mmap 0x10000000 16K rw private anon", "p fill 0x10000000 16K 1",
                                          "p sum 0x10000000 16K", "stats"};
  for (bool check : {false, true}) {
    RunOptions o;
    o.display_name = "t.scen";
    o.check_each_command = check;
    std::ostringstream out, err;
    ScenarioRunner* runner_ptr = nullptr;
    // Before line 5 runs, an anon is "leaked": the count of live anons no
    // longer matches what the amaps reach.
    LineByLine buf(lines, [&](std::size_t n) {
      if (n == 5) const_cast<Machine*>(runner_ptr->machine())->uvm().nanons++;
    });
    std::istream in(&buf);
    ScenarioRunner runner(o, out, err);
    runner_ptr = &runner;
    const int status = runner.run(in);
    INFO(err.str());
    if (!check) {
      CHECK(status == kExitOk);  // nobody looked
      continue;
    }
    CHECK(status == kExitCheckFailed);
    CHECK(err.str().starts_with("t.scen:5: invariant check failed after this command: "));
    CHECK(err.str().find("leak") != std::string::npos);
    CHECK(out.str().find("p sum") != std::string::npos);  // line 5's own output came first
    CHECK(out.str().find("npages") == std::string::npos);  // line 6 never ran
  }
}
