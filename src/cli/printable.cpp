#include "cli/printable.h"

#include "fmt/format.h"

namespace uvmsim::cli {

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c < 0x20 || c >= 0x7f) out += fmt::format("\\x{:02x}", static_cast<unsigned>(c));
    else out.push_back(static_cast<char>(c));
  }
  return out;
}

}  // namespace uvmsim::cli
