#include "cli/process_stats_format.h"

#include "dump/json_writer.h"
#include "fmt/format.h"
#include "uvmsim/process.h"

namespace uvmsim::cli {

std::string process_stats_text(const Machine& m) {
  std::string out;
  for (const Process* p : m.processes()) {
    if (!p->alive()) continue;
    out += fmt::format("process {}:", p->name());
    p->stats().for_each([&](const char* name, std::uint64_t v, const char*) { out += fmt::format(" {} {}", name, v); });
    out += '\n';
  }
  return out;
}

std::string process_stats_json(const Machine& m) {
  JsonWriter w;
  w.begin_object();
  for (const Process* p : m.processes())
    if (p->alive()) w.key(p->name()).raw(p->stats().to_json());
  w.end_object();
  return w.take();
}

std::string stats_json_document(const Machine* m, const RunEnd& end) {
  const std::string head = "{" + run_end_json_fields(end);
  if (!m) return head + "}";
  std::string machine = m->stats().to_json();
  machine.pop_back();  // the closing brace: the processes go inside
  machine.erase(0, 1);  // the opening one: after how the run ended
  return head + ", " + machine + ", \"processes\": " + process_stats_json(*m) + "}";
}

}  // namespace uvmsim::cli
