#include "cli/cost_model.h"

#include <charconv>

#include "absl/status/status.h"
#include "fmt/format.h"

namespace uvmsim::cli {

CostModel::CostModel()
    : table_{
          // A fault, by the case it took (trap, lookup, pmap_enter included).
          {"fault.anon", 400},           // 1A: the anon's page mapped
          {"fault.anon-cow", 1400},      // 1B: plus a 4 KiB copy
          {"fault.object", 500},         // 2A: the object's resident page mapped
          {"fault.promote-copy", 1500},  // 2B: plus a 4 KiB copy
          {"fault.zero-fill", 900},      // plus zeroing 4 KiB
          {"fault.pagein", 600},         // handler work; the swap read is "io.swap-read"
          {"fault.loanbreak", 1600},     // a copy to break a loan
          {"fault.sigsegv", 300},
          {"fault.sigbus", 300},
          {"fault.nomem", 300},
          {"fault.other", 400},
          {"fault.ahead", 60},           // each neighbour mapped ahead
          // I/O, per 4 KiB page.
          {"io.swap-read", 80000},
          {"io.swap-write", 60000},
          {"io.file-read", 80000},
          {"io.file-write", 60000},
          // The page daemon: a pass, and each page it freed.
          {"pagedaemon", 2000},
          {"pagedaemon.page", 300},
          // Processes and loans.
          {"fork", 30000},
          {"exit", 10000},
          {"spawn", 5000},
          {"loan.page", 300},
          {"unloan.page", 150},
      } {}

Status CostModel::load(std::istream& in, std::string_view what) {
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    n++;
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::size_t i = line.find_first_not_of(" \t");
    if (i == std::string::npos) continue;
    std::size_t j = line.find_first_of(" \t", i);
    const std::string name = line.substr(i, j == std::string::npos ? std::string::npos : j - i);
    std::size_t k = j == std::string::npos ? std::string::npos : line.find_first_not_of(" \t", j);
    std::size_t e = k == std::string::npos ? std::string::npos : line.find_first_of(" \t", k);
    const std::string value = k == std::string::npos ? "" : line.substr(k, e == std::string::npos ? e : e - k);
    auto it = table_.find(name);
    if (it == table_.end()) {
      std::string known;
      for (const auto& [kname, v] : table_) known += (known.empty() ? "" : ", ") + kname;
      return absl::InvalidArgumentError(
          fmt::format("{}:{}: unknown cost '{}' (known: {})", what, n, name, known));
    }
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() ||
        (e != std::string::npos && line.find_first_not_of(" \t", e) != std::string::npos))
      return absl::InvalidArgumentError(
          fmt::format("{}:{}: expected 'NAME NANOSECONDS', e.g. 'io.swap-read 80000'", what, n));
    it->second = v;
  }
  if (in.bad()) return absl::InvalidArgumentError(fmt::format("{}: read error", what));
  return absl::OkStatus();
}

std::uint64_t CostModel::get(std::string_view name) const {
  auto it = table_.find(name);
  return it == table_.end() ? 0 : it->second;
}

}  // namespace uvmsim::cli
