// Collapsing long runs of alike anons or object pages, for the text and dot
// forms of a dump: a 10,000-page fill is a few lines, not 10,000. Items are
// alike when they are consecutive (slot or offset) and agree on everything
// the reader compares: references, where the data is (resident / swap),
// loans, wiring and who else holds them. JSON keeps every item.
#pragma once

#include <string>
#include <vector>

#include "uvmsim/dump.h"

namespace uvmsim::dump_detail {

struct Run {
  std::size_t first = 0, count = 0;  // indices into the entry's vector
};

std::vector<Run> anon_runs(const std::vector<DumpAnon>& anons);
std::vector<Run> object_page_runs(const std::vector<DumpObjectPage>& pages);

// "c, d" — the distinct process names of the sharers, in order.
std::string sharer_names(const std::vector<DumpSharer>& s);
// "12" or "12-27" (first and last frame of a run; frames need not be contiguous).
std::string frame_span(std::uint32_t first, std::uint32_t last);

// Entries with more runs than this show the first and last half of them and
// a count of the rest.
inline constexpr std::size_t kMaxRunsShown = 32;

}  // namespace uvmsim::dump_detail
