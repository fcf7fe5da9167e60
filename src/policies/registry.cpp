// make_replacement_policy: every shipped policy by name.
#include <cerrno>

#include "fmt/format.h"
#include "policies/policies.h"

namespace uvmsim {

std::vector<std::string> replacement_policy_names() {
  return {"clock", "second-chance", "fifo", "lru", "random", "aging", "wsclock", "arc"};
}

StatusOr<std::unique_ptr<ReplacementPolicy>> make_replacement_policy(std::string_view name,
                                                                     const PolicyOptions& o) {
  if (name == "clock") return make_clock_policy();
  if (name == "second-chance") return policies::make_second_chance_policy();
  if (name == "fifo") return make_fifo_policy();
  if (name == "lru") return policies::make_lru_policy();
  if (name == "random") return policies::make_random_policy(o.seed);
  if (name == "aging") return policies::make_aging_policy(o.aging_interval);
  if (name == "wsclock") return policies::make_wsclock_policy(o.wsclock_tau);
  if (name == "arc") return policies::make_arc_policy();
  std::string known;
  for (const std::string& n : replacement_policy_names()) known += (known.empty() ? "" : ", ") + n;
  if (name == "opt")
    return errno_status(EINVAL, fmt::format("replacement policy \"opt\" needs the future: it runs only in "
                                            "the textbook replay (known: {})",
                                            known));
  return errno_status(EINVAL, fmt::format("unknown replacement policy \"{}\" (known: {})", name, known));
}

}  // namespace uvmsim
