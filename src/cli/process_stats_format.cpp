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
  std::string head = "{";  // (not "{" + ...: GCC 12 warns falsely about insert at 0)
  head += run_end_json_fields(end);
  if (!m) return head + "}";
  // The machine's counters without their braces: the processes go inside,
  // after how the run ended.
  const std::string machine = m->stats().to_json();
  const std::string_view fields = std::string_view(machine).substr(1, machine.size() - 2);
  std::string out = head;
  out += ", ";
  out += fields;
  out += ", \"processes\": ";
  out += process_stats_json(*m);
  out += "}";
  return out;
}

}  // namespace uvmsim::cli
