// Global commands on backing files (the vnode pager's files): file,
// truncate, fileread. Naming a file the script has not created is a script
// error; the library's own failures (host I/O) are too, since the language
// has no error line for these commands.
#include "absl/status/status.h"
#include "cli/scenario_commands.h"
#include "fmt/format.h"

namespace uvmsim::cli {

namespace {

// The library's messages already name the operation and the file ("file f:
// size ... above the limit"); say them once rather than "file: file 'f': file f: ...".
Status host_failure(std::string_view cmd, std::string_view name, const Status& st) {
  const std::string msg(st.message());
  std::string_view why = msg;
  for (const std::string& prefix : {fmt::format("{} {}: ", cmd, name), fmt::format("{}: ", cmd)}) {
    if (why.starts_with(prefix)) {
      why.remove_prefix(prefix.size());
      break;
    }
  }
  return absl::InternalError(fmt::format("{} {}: {}", cmd, name, why));
}

// ---- file F SIZE [fill=BYTE] ----

struct FileArgs {
  std::string name;
  std::uint64_t size = 0;
  std::uint8_t fill = 0;
};

FileArgs parse_file(ArgReader& r) {
  FileArgs a;
  a.name = r.name("F");
  a.size = r.number("SIZE");
  if (r.ok() && !r.at_end()) {
    auto [key, value] = r.option("fill=BYTE");
    if (r.ok() && key != "fill") r.fail("unknown option '" + key + "' (expected fill=BYTE)");
    if (r.ok()) {
      auto b = parse_byte(value);
      if (b.ok()) a.fill = *b;
      else r.fail("bad fill= value '" + value + "': " + std::string(b.status().message()));
    }
  }
  return a;
}

Status exec_file(Session& s, const Subject&, const FileArgs& a) {
  if (Status st = s.check_new_name(a.name); !st.ok())
    return absl::FailedPreconditionError(fmt::format("file: {}", std::string(st.message())));
  if (Status st = s.machine().create_file(a.name, a.size, a.fill); !st.ok())
    return host_failure("file", a.name, st);
  s.add_file(a.name);
  return absl::OkStatus();
}

// ---- truncate F SIZE ----

struct TruncateArgs {
  std::string name;
  std::uint64_t size = 0;
};

TruncateArgs parse_truncate(ArgReader& r) {
  TruncateArgs a;
  a.name = r.name("F");
  a.size = r.number("SIZE");
  return a;
}

Status exec_truncate(Session& s, const Subject&, const TruncateArgs& a) {
  if (Status st = s.known_file(a.name); !st.ok()) return st;
  if (Status st = s.machine().truncate_file(a.name, a.size); !st.ok())
    return host_failure("truncate", a.name, st);
  return absl::OkStatus();
}

// ---- fileread F OFF LEN ----

struct FilereadArgs {
  std::string name;
  std::uint64_t off = 0, len = 0;
};

FilereadArgs parse_fileread(ArgReader& r) {
  FilereadArgs a;
  a.name = r.name("F");
  a.off = r.number("OFF");
  a.len = r.number("LEN");
  return a;
}

Status exec_fileread(Session& s, const Subject&, const FilereadArgs& a) {
  if (Status st = s.known_file(a.name); !st.ok()) return st;
  auto bytes = s.machine().read_file(a.name, a.off, a.len);
  if (!bytes.ok()) return host_failure("fileread", a.name, bytes.status());
  // Past end of file only the bytes that exist are printed.
  const std::string hex = to_hex(*bytes);
  s.emit({"fileread", fmt::format("fileread {} {} {} = {}", a.name, a.off, a.len, hex), [&](JsonWriter& w) {
            w.field("file", a.name).field("off", a.off).field("len", a.len).field("result", "ok").field("hex", hex);
          }});
  return absl::OkStatus();
}

}  // namespace

void add_file_commands(CommandTable& t) {
  t.push_back(make_command<FileArgs>("file", Scope::kGlobal, "file F SIZE [fill=BYTE]",
                                     "create backing file F of SIZE bytes, each BYTE (default 0)",
                                     parse_file, exec_file));
  t.push_back(make_command<TruncateArgs>("truncate", Scope::kGlobal, "truncate F SIZE",
                                         "change the size of file F (like ftruncate)",
                                         parse_truncate, exec_truncate));
  t.push_back(make_command<FilereadArgs>("fileread", Scope::kGlobal, "fileread F OFF LEN",
                                         "print LEN bytes of file F at OFF as stored",
                                         parse_fileread, exec_fileread));
}

}  // namespace uvmsim::cli
