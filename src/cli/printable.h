// Text from the user (file names, script tokens) quoted back in messages:
// bytes that are not printable ASCII are shown as \xNN (and a backslash as
// \\), so a message never carries control characters to the terminal and
// the user sees which byte was wrong.
#pragma once

#include <string>
#include <string_view>

namespace uvmsim::cli {

std::string printable(std::string_view s);

}  // namespace uvmsim::cli
