// TraceReader: the three trace formats, parsed by hand from large reads
// (the textbook replay's speed is mostly this loop's: see docs/replay.md).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "uvmsim/replay.h"

namespace uvmsim {

namespace {

constexpr std::size_t kChunk = 1 << 20;
// A lackey access is at most this long: it touches at most 17 pages.
constexpr std::uint64_t kMaxAccessSize = 65536;
constexpr std::size_t kMaxPerLine = 2 * (kMaxAccessSize / 4096 + 1);

inline int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

StatusOr<TraceFormat> trace_format_named(std::string_view name) {
  if (name == "lackey") return TraceFormat::kLackey;
  if (name == "vmsim") return TraceFormat::kVmsim;
  if (name == "pages") return TraceFormat::kPages;
  return errno_status(EINVAL, fmt::format("unknown trace format \"{}\" (lackey, vmsim, pages)", name));
}

struct TraceReader::Impl {
  std::string name;
  TraceFormat format;
  TraceOptions options;
  int fd = -1;
  bool own_fd = false;
  bool eof = false;
  std::vector<char> buf;
  std::size_t pos = 0, end = 0;
  std::uint64_t line = 0, skipped = 0, produced = 0, records = 0;
  bool pending_error = false;
  Status error;

  ~Impl() {
    if (own_fd && fd >= 0) ::close(fd);
  }

  Status fail(std::string_view msg) const {
    return errno_status(EINVAL, fmt::format("{}:{}: {}", name, line, msg));
  }

  // Refill: keep [pos, end) and read more after it. False at end of input.
  StatusOr<bool> refill() {
    if (eof) return false;
    if (pos > 0) {
      std::memmove(buf.data(), buf.data() + pos, end - pos);
      end -= pos;
      pos = 0;
    }
    if (buf.size() - end < kChunk) buf.resize(end + kChunk);
    for (;;) {
      const ssize_t n = ::read(fd, buf.data() + end, buf.size() - end);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_status(errno, fmt::format("{}: read error: {}", name, std::strerror(errno)));
      if (n == 0) {
        eof = true;
        return false;
      }
      end += static_cast<std::size_t>(n);
      return true;
    }
  }

  // Parse a hex number at [p, e): advances p. Fails on no digit or > 64 bits.
  bool hex(const char*& p, const char* e, std::uint64_t* v, std::string* err) {
    if (e - p >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) p += 2;
    const char* s = p;
    std::uint64_t x = 0;
    int digits = 0;
    for (int d; p < e && (d = hexval(*p)) >= 0; p++) {
      if (digits > 0 || d != 0) digits++;
      x = x << 4 | static_cast<std::uint64_t>(d);
    }
    if (p == s) {
      *err = "expected a hexadecimal address";
      return false;
    }
    if (digits > 16) {
      *err = "address does not fit in 64 bits";
      return false;
    }
    *v = x;
    return true;
  }
  bool dec(const char*& p, const char* e, std::uint64_t* v, std::string* err, const char* what) {
    const char* s = p;
    std::uint64_t x = 0;
    for (; p < e && *p >= '0' && *p <= '9'; p++) {
      const std::uint64_t d = static_cast<std::uint64_t>(*p - '0');
      if (x > (~0ull - d) / 10) {
        *err = fmt::format("{} does not fit in 64 bits", what);
        return false;
      }
      x = x * 10 + d;
    }
    if (p == s) {
      *err = fmt::format("expected a decimal {}", what);
      return false;
    }
    *v = x;
    return true;
  }
  static void spaces(const char*& p, const char* e) {
    while (p < e && (*p == ' ' || *p == '\t')) p++;
  }

  // One line [p, e) (no newline). Appends its accesses to out; returns the
  // count, or -1 with *err set.
  int parse_line(const char* p, const char* e, TraceAccess* out, std::string* err) {
    if (e > p && e[-1] == '\r') e--;
    switch (format) {
      case TraceFormat::kLackey: return parse_lackey(p, e, out, err);
      case TraceFormat::kVmsim: return parse_vmsim(p, e, out, err);
      case TraceFormat::kPages: return parse_pages(p, e, out, err);
    }
    return 0;
  }

  int parse_lackey(const char* p, const char* e, TraceAccess* out, std::string* err) {
    bool ifetch = false, load = false, store = false;
    const std::size_t len = static_cast<std::size_t>(e - p);
    if (len >= 2 && p[0] == 'I' && p[1] == ' ') {
      ifetch = load = true;
      p += 2;
    } else if (len >= 3 && p[0] == ' ' && p[2] == ' ' && (p[1] == 'L' || p[1] == 'S' || p[1] == 'M')) {
      load = p[1] != 'S';
      store = p[1] != 'L';
      p += 3;
    } else {
      skipped++;  // valgrind's "==PID==" lines, the program's own output
      return 0;
    }
    records++;
    spaces(p, e);
    std::uint64_t addr = 0, size = 0;
    if (!hex(p, e, &addr, err)) return -1;
    if (p == e || *p != ',') {
      *err = p == e ? "truncated record: expected ',SIZE' after the address" : "expected ',' after the address";
      return -1;
    }
    p++;
    if (!dec(p, e, &size, err, "size")) return -1;
    spaces(p, e);
    if (p != e) {
      *err = fmt::format("unexpected text after the record: '{}'", std::string_view(p, static_cast<std::size_t>(e - p)));
      return -1;
    }
    if (size > kMaxAccessSize) {
      *err = fmt::format("access size {} is larger than {}", size, kMaxAccessSize);
      return -1;
    }
    if (size == 0) size = 1;
    if (addr + (size - 1) < addr) {
      *err = "access runs past the end of the 64-bit address space";
      return -1;
    }
    if (ifetch && !options.ifetch) return 0;
    int n = 0;
    const std::uint64_t last = (addr + size - 1) >> 12;
    for (std::uint64_t pg = addr >> 12;; pg++) {
      if (load) out[n++] = TraceAccess::make(pg, false, ifetch);
      if (store) out[n++] = TraceAccess::make(pg, true, false);
      if (pg == last) break;
    }
    return n;
  }

  // "R"/"W" (either case) and the end of the line; `required` for vmsim.
  int access_kind(const char*& p, const char* e, bool required, bool* write, std::string* err) {
    spaces(p, e);
    if (p == e) {
      if (required) {
        *err = "truncated record: expected R or W after the address";
        return -1;
      }
      *write = false;
      return 0;
    }
    if (*p == 'R' || *p == 'r') *write = false;
    else if (*p == 'W' || *p == 'w') *write = true;
    else {
      *err = fmt::format("expected R or W, found '{}'", std::string_view(p, static_cast<std::size_t>(e - p)));
      return -1;
    }
    p++;
    spaces(p, e);
    if (p != e) {
      *err = fmt::format("unexpected text after the record: '{}'", std::string_view(p, static_cast<std::size_t>(e - p)));
      return -1;
    }
    return 0;
  }

  bool blank_or_comment(const char* p, const char* e) {
    spaces(p, e);
    if (p == e || *p == '#') {
      skipped++;
      return true;
    }
    return false;
  }

  int parse_vmsim(const char* p, const char* e, TraceAccess* out, std::string* err) {
    if (blank_or_comment(p, e)) return 0;
    records++;
    spaces(p, e);
    std::uint64_t addr = 0;
    bool write = false;
    if (!hex(p, e, &addr, err)) return -1;
    if (p != e && *p != ' ' && *p != '\t') {
      *err = fmt::format("bad character '{}' in the address", *p);
      return -1;
    }
    if (access_kind(p, e, true, &write, err) < 0) return -1;
    out[0] = TraceAccess::make(addr >> 12, write, false);
    return 1;
  }

  int parse_pages(const char* p, const char* e, TraceAccess* out, std::string* err) {
    if (blank_or_comment(p, e)) return 0;
    records++;
    spaces(p, e);
    std::uint64_t page = 0;
    bool write = false;
    if (e - p >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
      if (!hex(p, e, &page, err)) return -1;
    } else if (!dec(p, e, &page, err, "page number")) {
      return -1;
    }
    if (p != e && *p != ' ' && *p != '\t') {
      *err = fmt::format("bad character '{}' in the page number", *p);
      return -1;
    }
    if (page >> 52) {
      *err = "page number above 2^52 (its address does not fit in 64 bits)";
      return -1;
    }
    if (access_kind(p, e, false, &write, err) < 0) return -1;
    out[0] = TraceAccess::make(page, write, false);
    return 1;
  }

  StatusOr<std::size_t> read(TraceAccess* out, std::size_t max) {
    if (max < kMaxPerLine) return errno_status(EINVAL, "TraceReader::read: buffer too small");
    std::size_t n = 0;
    std::string err;
    while (n + kMaxPerLine <= max) {
      const char* b = buf.data() + pos;
      // (memchr of an empty, possibly null, buffer is undefined.)
      const char* nl = end > pos ? static_cast<const char*>(std::memchr(b, '\n', end - pos)) : nullptr;
      if (!nl) {
        if (end - pos >= kChunk) {
          line++;
          return fail("line longer than 1 MiB (not a text trace?)");
        }
        auto more = refill();
        if (!more.ok()) return more.status();
        if (*more) continue;
        if (pos == end) break;  // end of input
        nl = buf.data() + end;  // last line without a newline
        b = buf.data() + pos;
      }
      line++;
      const int k = parse_line(b, nl, out + n, &err);
      if (k < 0) return fail(err);
      n += static_cast<std::size_t>(k);
      pos = static_cast<std::size_t>(nl - buf.data()) + (nl < buf.data() + end ? 1 : 0);
    }
    produced += n;
    if (n == 0 && eof && pos == end) {
      if (line == 0) return errno_status(EINVAL, fmt::format("{}: empty trace", name));
      if (produced == 0) {
        const char* fmtname = format == TraceFormat::kLackey ? "lackey" : format == TraceFormat::kVmsim ? "vmsim" : "pages";
        if (records == 0)
          return errno_status(EINVAL, fmt::format("{}: no {} record in {} line{} (wrong --format?)", name,
                                                  fmtname, line, line == 1 ? "" : "s"));
        return errno_status(EINVAL, fmt::format("{}: no accesses in the trace", name));
      }
    }
    return n;
  }
};

TraceReader::TraceReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TraceReader::~TraceReader() = default;

StatusOr<std::unique_ptr<TraceReader>> TraceReader::Open(const std::string& path, TraceFormat format,
                                                         TraceOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->format = format;
  impl->options = options;
  if (path == "-") {
    impl->name = "<stdin>";
    impl->fd = 0;
  } else {
    impl->name = path;
    impl->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (impl->fd < 0) return errno_status(errno, fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
    impl->own_fd = true;
  }
  impl->buf.resize(kChunk);
  return std::unique_ptr<TraceReader>(new TraceReader(std::move(impl)));
}

std::unique_ptr<TraceReader> TraceReader::FromString(std::string text, std::string name, TraceFormat format,
                                                     TraceOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->format = format;
  impl->options = options;
  impl->name = std::move(name);
  impl->buf.assign(text.begin(), text.end());
  impl->end = impl->buf.size();
  impl->eof = true;
  return std::unique_ptr<TraceReader>(new TraceReader(std::move(impl)));
}

StatusOr<std::size_t> TraceReader::read(TraceAccess* out, std::size_t max) { return impl_->read(out, max); }
std::uint64_t TraceReader::lines() const { return impl_->line; }
std::uint64_t TraceReader::skipped_lines() const { return impl_->skipped; }
const std::string& TraceReader::name() const { return impl_->name; }

}  // namespace uvmsim
