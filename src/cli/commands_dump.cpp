// dump P [text|json|dot]: P's address space as the model holds it
// (include/uvmsim/dump.h). With --json the dump is one result object: its
// "text" is what the plain form prints and, for the json format, the
// document itself is the "dump" field.
#include "absl/status/status.h"
#include "cli/scenario_commands.h"
#include "fmt/format.h"
#include "uvmsim/dump.h"

namespace uvmsim::cli {

namespace {

enum class DumpFormat { kText, kJson, kDot };

struct DumpArgs {
  std::string process;
  DumpFormat format = DumpFormat::kText;
};

DumpArgs parse_dump(ArgReader& r) {
  DumpArgs a;
  a.process = r.name("P");
  if (r.ok() && !r.at_end())
    a.format = static_cast<DumpFormat>(r.keyword("FORMAT", {"text", "json", "dot"}));
  return a;
}

}  // namespace

Status print_dump(Session& s, std::string_view name, int format) {
  auto p = s.live_process(name);
  if (!p.ok()) return p.status();
  auto d = dump_process(**p);
  if (!d.ok()) return d.status();
  std::string text;
  std::string json;
  switch (static_cast<DumpFormat>(format)) {
    case DumpFormat::kText: text = dump_text(*d); break;
    case DumpFormat::kJson: text = json = dump_json(*d); break;
    case DumpFormat::kDot: text = dump_dot(*d); break;
  }
  if (!text.empty() && text.back() == '\n') text.pop_back();
  s.emit({"dump", std::move(text), [&](JsonWriter& w) {
            w.field("proc", std::string(name));
            if (!json.empty()) w.key("dump").raw(json);
          }});
  return absl::OkStatus();
}

namespace {

Status exec_dump(Session& s, const Subject&, const DumpArgs& a) {
  return print_dump(s, a.process, static_cast<int>(a.format));
}

}  // namespace

void add_dump_commands(CommandTable& t) {
  t.push_back(make_command<DumpArgs>(
      "dump", Scope::kGlobal, "dump P [text|json|dot]",
      "print P's map entries, amaps, anons, objects, pages and swap slots (json: one document; dot: Graphviz)",
      parse_dump, exec_dump));
}

}  // namespace uvmsim::cli
