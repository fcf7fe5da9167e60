// Per-process memory accesses: write, fill, read, sum. They go through the
// simulated MMU and fault like a CPU would; a failing access prints
// "P CMD ADDR LEN = SIGSEGV|SIGBUS" instead of its normal line.
//
// A long range runs in batches (kBatchBytes): between two batches the run
// may be interrupted (Session::keep_going), so that Ctrl-C on a `fill` of
// gigabytes takes effect within one batch. Batches change nothing else: the
// pages are touched in the same order with the same faults, and the first
// failure ends the command at the same address.
#include <algorithm>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "cli/scenario_commands.h"
#include "fmt/format.h"

namespace uvmsim::cli {

namespace {

// `read` prints 2 characters per byte; beyond this the line is no use to anyone.
constexpr std::uint64_t kMaxReadLen = 256ull << 20;

Status check_wrap(std::string_view cmd, std::uint64_t addr, std::uint64_t len) {
  if (addr + len < addr)
    return absl::InvalidArgumentError(
        fmt::format("{}: {:#x}+{} wraps around the address space", cmd, addr, len));
  return absl::OkStatus();
}

// Turns the library's answer into the printed outcome. An error status here
// means the request was malformed, which the checks above rule out.
Status access_failed(std::string_view cmd, const Status& st) {
  return absl::InternalError(fmt::format("{}: {}", cmd, std::string(st.message())));
}

// At most 256 pages per library call: a few milliseconds on the soft MMU
// even when every page faults, a few guest entries' worth on kvm.
constexpr std::uint64_t kBatchBytes = 1ull << 20;

// What an interrupted command returns; the runner ends the run with it.
Status interrupted(std::string_view cmd) {
  return absl::CancelledError(fmt::format("{}: interrupted", cmd));
}

// Runs `one(addr, len)` over [addr, addr+len) in batches aligned to
// kBatchBytes, checking for an interrupt before each; one call when the
// range is no larger than a batch. The result is the whole range's: bytes
// done counted from `addr`, the failing address and outcome of the batch
// that failed.
StatusOr<AccessResult> in_batches(
    Session& s, std::string_view cmd, std::uint64_t addr, std::uint64_t len,
    const std::function<StatusOr<AccessResult>(std::uint64_t, std::uint64_t)>& one) {
  if (!s.keep_going()) return interrupted(cmd);
  if (len <= kBatchBytes) return one(addr, len);
  std::uint64_t done = 0;
  while (done < len) {
    if (done > 0 && !s.keep_going()) return interrupted(cmd);
    const std::uint64_t at = addr + done;
    const std::uint64_t n = std::min(len - done, kBatchBytes - (at & (kBatchBytes - 1)));
    auto r = one(at, n);
    if (!r.ok()) return r;
    if (!r->ok()) {
      r->done += done;
      return r;
    }
    done += n;
  }
  AccessResult whole;
  whole.done = len;
  return whole;
}

// ---- write ADDR DATA ----

struct WriteArgs {
  std::uint64_t addr = 0;
  std::vector<std::uint8_t> data;
};

WriteArgs parse_write(ArgReader& r) {
  WriteArgs a;
  a.addr = r.number("ADDR");
  a.data = r.data("DATA");
  return a;
}

Status exec_write(Session& s, const Subject& who, const WriteArgs& a) {
  if (Status st = check_wrap("write", a.addr, a.data.size()); !st.ok()) return st;
  auto res = who.process->write(a.addr, a.data);
  if (!res.ok()) return access_failed("write", res.status());
  access_succeeded(s, who, "write", a.addr, a.data.size(), *res);
  return absl::OkStatus();
}

// ---- fill ADDR LEN BYTE ----

struct FillArgs {
  std::uint64_t addr = 0, len = 0;
  std::uint8_t byte = 0;
};

FillArgs parse_fill(ArgReader& r) {
  FillArgs a;
  a.addr = r.number("ADDR");
  a.len = r.number("LEN");
  a.byte = r.byte("BYTE");
  return a;
}

Status exec_fill(Session& s, const Subject& who, const FillArgs& a) {
  if (Status st = check_wrap("fill", a.addr, a.len); !st.ok()) return st;
  auto res = in_batches(s, "fill", a.addr, a.len, [&](std::uint64_t at, std::uint64_t n) {
    return who.process->fill(at, n, a.byte);
  });
  if (absl::IsCancelled(res.status())) return res.status();
  if (!res.ok()) return access_failed("fill", res.status());
  access_succeeded(s, who, "fill", a.addr, a.len, *res);
  return absl::OkStatus();
}

// ---- read ADDR LEN, sum ADDR LEN ----

struct ReadArgs {
  std::uint64_t addr = 0, len = 0;
};

ReadArgs parse_read(ArgReader& r) {
  ReadArgs a;
  a.addr = r.number("ADDR");
  a.len = r.number("LEN");
  return a;
}

Status exec_read(Session& s, const Subject& who, const ReadArgs& a) {
  if (Status st = check_wrap("read", a.addr, a.len); !st.ok()) return st;
  if (a.len > kMaxReadLen)
    return absl::InvalidArgumentError(fmt::format(
        "read: LEN {} is more than {} bytes; use sum for large ranges", a.len, kMaxReadLen));
  std::vector<std::uint8_t> buf(a.len);
  auto res = in_batches(s, "read", a.addr, a.len, [&](std::uint64_t at, std::uint64_t n) {
    return who.process->read(at, std::span(buf).subspan(at - a.addr, n));
  });
  if (absl::IsCancelled(res.status())) return res.status();
  if (!res.ok()) return access_failed("read", res.status());
  if (access_succeeded(s, who, "read", a.addr, a.len, *res)) {
    const std::string hex = to_hex(buf);
    s.emit({"read", fmt::format("{} = {}", line_head(who, "read", a.addr, a.len), hex), [&](JsonWriter& w) {
              proc_fields(who, a.addr, a.len)(w);
              w.field("result", "ok").field("hex", hex);
            }});
  }
  return absl::OkStatus();
}

Status exec_sum(Session& s, const Subject& who, const ReadArgs& a) {
  if (Status st = check_wrap("sum", a.addr, a.len); !st.ok()) return st;
  StatusOr<AccessResult> res;
  if (a.len <= kBatchBytes) {
    if (!s.keep_going()) return interrupted("sum");
    res = who.process->sum(a.addr, a.len);
  } else {
    // In batches (so an interrupt is seen), each continuing the hash.
    std::uint64_t hash = kFnvOffsetBasis;
    res = in_batches(s, "sum", a.addr, a.len, [&](std::uint64_t at, std::uint64_t n) {
      auto r = who.process->sum(at, n, hash);
      if (r.ok() && r->ok()) hash = r->hash;
      return r;
    });
    if (absl::IsCancelled(res.status())) return res.status();
    if (res.ok() && res->ok()) res->hash = hash;
  }
  if (!res.ok()) return access_failed("sum", res.status());
  if (access_succeeded(s, who, "sum", a.addr, a.len, *res)) {
    const std::string hash = fmt::format("{:#018x}", res->hash);
    s.emit({"sum", fmt::format("{} = {}", line_head(who, "sum", a.addr, a.len), hash), [&](JsonWriter& w) {
              proc_fields(who, a.addr, a.len)(w);
              w.field("result", "ok").field("hash", hash);
            }});
  }
  return absl::OkStatus();
}

}  // namespace

void add_access_commands(CommandTable& t) {
  t.push_back(make_command<WriteArgs>("write", Scope::kProcess, "P write ADDR DATA",
                                      "store DATA (hex:DIGITS or \"string\") at ADDR", parse_write,
                                      exec_write));
  t.push_back(make_command<FillArgs>("fill", Scope::kProcess, "P fill ADDR LEN BYTE",
                                     "store LEN copies of BYTE at ADDR", parse_fill, exec_fill));
  t.push_back(make_command<ReadArgs>("read", Scope::kProcess, "P read ADDR LEN",
                                     "print the LEN bytes at ADDR in hex", parse_read, exec_read));
  t.push_back(make_command<ReadArgs>("sum", Scope::kProcess, "P sum ADDR LEN",
                                     "print the FNV-1a 64-bit hash of the LEN bytes at ADDR",
                                     parse_read, exec_sum));
}

}  // namespace uvmsim::cli
