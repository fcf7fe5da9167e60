// A set of counters as one JSON object, in declaration order: {"name": value, ...}.
// For any counter struct with for_each(name, value, help) (UvmExp, ProcessStats).
#pragma once

#include <cstdint>
#include <string>

namespace uvmsim {

template <typename Counters>
std::string counters_to_json(const Counters& c) {
  std::string out = "{";
  bool first = true;
  c.for_each([&](const char* name, std::uint64_t v, const char*) {
    if (!first) out += ", ";
    out += '"';
    out += name;
    out += "\": ";
    out += std::to_string(v);
    first = false;
  });
  return out + "}";
}

}  // namespace uvmsim
