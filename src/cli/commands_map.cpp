// Per-process mapping operations: mmap munmap mprotect minherit madvise
// mlock munlock msync. Argument rules (alignment, rounding, EINVAL/ENOMEM/
// EACCES) are the library's: the values go through as written, and a failure
// prints "P CMD ADDR LEN = error ENAME" with the script's ADDR and LEN.
#include "cli/scenario_commands.h"

namespace uvmsim::cli {

namespace {

constexpr Prot kProts[] = {kProtNone, kProtRead, kProtRead | kProtWrite, kProtRead | kProtExec,
                           kProtAll};

Prot read_prot(ArgReader& r) { return kProts[r.keyword("PROT", {"none", "r", "rw", "rx", "rwx"})]; }

Status print_if_failed(Session& s, const Subject& who, std::string_view cmd, std::uint64_t addr,
                       std::uint64_t len, const Status& st) {
  if (!st.ok()) print_errno_line(s, cmd, line_head(who, cmd, addr, len), st, proc_fields(who, addr, len));
  return absl::OkStatus();
}

// ---- mmap ADDR LEN PROT SHARING anon | file F OFF ----

struct MmapArgs {
  std::uint64_t addr = 0, len = 0;
  Prot prot = kProtNone;
  Sharing sharing = Sharing::kPrivate;
  bool file = false;
  std::string file_name;
  std::uint64_t off = 0;
};

MmapArgs parse_mmap(ArgReader& r) {
  MmapArgs a;
  a.addr = r.number("ADDR");
  a.len = r.number("LEN");
  a.prot = read_prot(r);
  a.sharing = r.keyword("SHARING", {"private", "shared"}) == 0 ? Sharing::kPrivate
                                                               : Sharing::kShared;
  a.file = r.keyword("object", {"anon", "file"}) == 1;
  if (a.file) {
    a.file_name = r.name("F");
    a.off = r.number("OFF");
  }
  return a;
}

Status exec_mmap(Session& s, const Subject& who, const MmapArgs& a) {
  if (a.file) {
    if (Status st = s.known_file(a.file_name); !st.ok()) return st;
    auto addr = who.process->mmap_file(a.addr, a.len, a.prot, a.sharing, a.file_name, a.off);
    return print_if_failed(s, who, "mmap", a.addr, a.len, addr.status());
  }
  auto addr = who.process->mmap(a.addr, a.len, a.prot, a.sharing);
  return print_if_failed(s, who, "mmap", a.addr, a.len, addr.status());
}

// ---- munmap, mlock, munlock: ADDR LEN ----

struct RangeArgs {
  std::uint64_t addr = 0, len = 0;
};

RangeArgs parse_range(ArgReader& r) {
  RangeArgs a;
  a.addr = r.number("ADDR");
  a.len = r.number("LEN");
  return a;
}

Status exec_munmap(Session& s, const Subject& who, const RangeArgs& a) {
  return print_if_failed(s, who, "munmap", a.addr, a.len, who.process->munmap(a.addr, a.len));
}

Status exec_mlock(Session& s, const Subject& who, const RangeArgs& a) {
  return print_if_failed(s, who, "mlock", a.addr, a.len, who.process->mlock(a.addr, a.len));
}

Status exec_munlock(Session& s, const Subject& who, const RangeArgs& a) {
  return print_if_failed(s, who, "munlock", a.addr, a.len, who.process->munlock(a.addr, a.len));
}

// ---- mprotect ADDR LEN PROT ----

struct MprotectArgs {
  std::uint64_t addr = 0, len = 0;
  Prot prot = kProtNone;
};

MprotectArgs parse_mprotect(ArgReader& r) {
  MprotectArgs a;
  a.addr = r.number("ADDR");
  a.len = r.number("LEN");
  a.prot = read_prot(r);
  return a;
}

Status exec_mprotect(Session& s, const Subject& who, const MprotectArgs& a) {
  return print_if_failed(s, who, "mprotect", a.addr, a.len,
                         who.process->mprotect(a.addr, a.len, a.prot));
}

// ---- minherit ADDR LEN share|copy|none|zero ----

struct MinheritArgs {
  std::uint64_t addr = 0, len = 0;
  Inherit inherit = Inherit::kCopy;
};

MinheritArgs parse_minherit(ArgReader& r) {
  constexpr Inherit kValues[] = {Inherit::kShare, Inherit::kCopy, Inherit::kNone, Inherit::kZero};
  MinheritArgs a;
  a.addr = r.number("ADDR");
  a.len = r.number("LEN");
  a.inherit = kValues[r.keyword("inheritance", {"share", "copy", "none", "zero"})];
  return a;
}

Status exec_minherit(Session& s, const Subject& who, const MinheritArgs& a) {
  return print_if_failed(s, who, "minherit", a.addr, a.len,
                         who.process->minherit(a.addr, a.len, a.inherit));
}

// ---- madvise ADDR LEN normal|random|sequential|willneed|dontneed|free ----

struct MadviseArgs {
  std::uint64_t addr = 0, len = 0;
  Madvise advice = Madvise::kNormal;
};

MadviseArgs parse_madvise(ArgReader& r) {
  constexpr Madvise kValues[] = {Madvise::kNormal,   Madvise::kRandom,   Madvise::kSequential,
                                 Madvise::kWillNeed, Madvise::kDontNeed, Madvise::kFree};
  MadviseArgs a;
  a.addr = r.number("ADDR");
  a.len = r.number("LEN");
  a.advice = kValues[r.keyword(
      "advice", {"normal", "random", "sequential", "willneed", "dontneed", "free"})];
  return a;
}

Status exec_madvise(Session& s, const Subject& who, const MadviseArgs& a) {
  return print_if_failed(s, who, "madvise", a.addr, a.len,
                         who.process->madvise(a.addr, a.len, a.advice));
}

// ---- msync ADDR LEN [sync|async|invalidate] ----

struct MsyncArgs {
  std::uint64_t addr = 0, len = 0;
  MsyncMode mode = MsyncMode::kSync;
};

MsyncArgs parse_msync(ArgReader& r) {
  constexpr MsyncMode kModes[] = {MsyncMode::kSync, MsyncMode::kAsync, MsyncMode::kInvalidate};
  MsyncArgs a;
  a.addr = r.number("ADDR");
  a.len = r.number("LEN");
  if (r.ok() && !r.at_end()) a.mode = kModes[r.keyword("mode", {"sync", "async", "invalidate"})];
  return a;
}

Status exec_msync(Session& s, const Subject& who, const MsyncArgs& a) {
  return print_if_failed(s, who, "msync", a.addr, a.len,
                         who.process->msync(a.addr, a.len, a.mode));
}

}  // namespace

void add_map_commands(CommandTable& t) {
  t.push_back(make_command<MmapArgs>(
      "mmap", Scope::kProcess, "P mmap ADDR LEN PROT SHARING anon | file F OFF",
      "fixed-address mapping (PROT none|r|rw|rx|rwx, SHARING private|shared)", parse_mmap,
      exec_mmap));
  t.push_back(make_command<RangeArgs>("munmap", Scope::kProcess, "P munmap ADDR LEN", "unmap",
                                      parse_range, exec_munmap));
  t.push_back(make_command<MprotectArgs>("mprotect", Scope::kProcess, "P mprotect ADDR LEN PROT",
                                         "change protection", parse_mprotect, exec_mprotect));
  t.push_back(make_command<MinheritArgs>(
      "minherit", Scope::kProcess, "P minherit ADDR LEN share|copy|none|zero",
      "inheritance at fork", parse_minherit, exec_minherit));
  t.push_back(make_command<MadviseArgs>(
      "madvise", Scope::kProcess,
      "P madvise ADDR LEN normal|random|sequential|willneed|dontneed|free", "advice",
      parse_madvise, exec_madvise));
  t.push_back(make_command<RangeArgs>("mlock", Scope::kProcess, "P mlock ADDR LEN",
                                      "wire (ADDR rounded down)", parse_range, exec_mlock));
  t.push_back(make_command<RangeArgs>("munlock", Scope::kProcess, "P munlock ADDR LEN",
                                      "unwire (ADDR rounded down)", parse_range, exec_munlock));
  t.push_back(make_command<MsyncArgs>("msync", Scope::kProcess,
                                      "P msync ADDR LEN [sync|async|invalidate]",
                                      "write dirty file pages back", parse_msync, exec_msync));
}

}  // namespace uvmsim::cli
