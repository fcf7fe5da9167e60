#include "uvmsim/stats.h"

#include "core/counters_json.h"
#include "fmt/format.h"

namespace uvmsim {

std::string UvmExp::to_string() const {
  std::string out;
  for_each([&](const char* name, std::uint64_t v, const char*) {
    out += fmt::format("{} {}\n", name, v);
  });
  return out;
}

std::string UvmExp::to_json() const { return counters_to_json(*this); }

}  // namespace uvmsim
