// `uvmsim replay`: replay a memory trace against replacement policies.
#pragma once

#include <ostream>
#include <string_view>
#include <vector>

namespace uvmsim::cli {

void print_replay_help(std::ostream& out);
int cmd_replay(const std::vector<std::string_view>& args);

}  // namespace uvmsim::cli
