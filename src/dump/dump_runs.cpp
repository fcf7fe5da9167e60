#include "dump/dump_runs.h"

#include "fmt/format.h"

namespace uvmsim::dump_detail {

namespace {

bool same_page(const DumpPage& a, const DumpPage& b) {
  return a.loan_count == b.loan_count && a.wire_count == b.wire_count && a.queue == b.queue &&
         a.mappings == b.mappings;
}

}  // namespace

std::string sharer_names(const std::vector<DumpSharer>& s) {
  std::string out;
  std::vector<std::string_view> seen;
  for (const DumpSharer& x : s) {
    bool dup = false;
    for (auto n : seen) dup = dup || n == x.process;
    if (dup) continue;
    seen.push_back(x.process);
    if (!out.empty()) out += ", ";
    out += x.process;
  }
  return out;
}

std::string frame_span(std::uint32_t first, std::uint32_t last) {
  return first == last ? fmt::format("{}", first) : fmt::format("{}-{}", first, last);
}

std::vector<Run> anon_runs(const std::vector<DumpAnon>& a) {
  std::vector<Run> runs;
  for (std::size_t i = 0; i < a.size(); i++) {
    if (!runs.empty()) {
      const DumpAnon& p = a[i - 1];
      const DumpAnon& c = a[i];
      const bool alike = c.slot == p.slot + 1 && c.refs == p.refs && c.resident == p.resident &&
                         (c.swslot != 0) == (p.swslot != 0) &&
                         (!c.resident || same_page(c.page, p.page)) &&
                         sharer_names(c.shared_with) == sharer_names(p.shared_with);
      if (alike) {
        runs.back().count++;
        continue;
      }
    }
    runs.push_back(Run{i, 1});
  }
  return runs;
}

std::vector<Run> object_page_runs(const std::vector<DumpObjectPage>& pg) {
  std::vector<Run> runs;
  for (std::size_t i = 0; i < pg.size(); i++) {
    if (!runs.empty()) {
      const DumpObjectPage& p = pg[i - 1];
      const DumpObjectPage& c = pg[i];
      const bool alike = c.offset == p.offset + kPageSize && same_page(c.page, p.page) &&
                         c.page.dirty == p.page.dirty &&
                         sharer_names(c.shared_with) == sharer_names(p.shared_with);
      if (alike) {
        runs.back().count++;
        continue;
      }
    }
    runs.push_back(Run{i, 1});
  }
  return runs;
}

}  // namespace uvmsim::dump_detail
