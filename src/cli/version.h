// uvmsim: the one place the command's version is written down. Keep it equal
// to project(uvmsim VERSION ...) in the top-level CMakeLists.txt.
#pragma once

#include <string_view>

namespace uvmsim::cli {

inline constexpr std::string_view kVersion = "0.1.0";

}  // namespace uvmsim::cli
