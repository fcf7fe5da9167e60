#include "cli/scenario_args.h"

#include <cctype>

#include <array>
#include <limits>

#include "cli/printable.h"
#include "fmt/format.h"

namespace uvmsim::cli {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::Status invalid(std::string_view reason) {
  return absl::InvalidArgumentError(std::string(reason));
}

// Kept in step with the global entries of the command table (a test in
// tests/cli/commands_test.cpp checks that the two agree).
constexpr std::array<std::string_view, 11> kGlobalCommands = {
    "machine", "file", "spawn", "truncate", "fileread", "loan", "kread", "unloan", "stats", "check", "dump"};

}  // namespace

absl::StatusOr<std::uint64_t> parse_number(std::string_view text) {
  if (text.empty()) return invalid("not a number");
  unsigned shift = 0;
  switch (text.back()) {
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    default: break;
  }
  std::string_view digits = shift ? text.substr(0, text.size() - 1) : text;
  // A letter at the end that is not a suffix: name the ones there are. (Hex
  // digits a-f are digits, so only a non-hex letter can be a wrong suffix.)
  if (!shift && text.size() > 1 && std::isalpha(static_cast<unsigned char>(text.back())) &&
      !(text.starts_with("0x") && hex_digit(text.back()) >= 0) && text != "0x" &&
      parse_number(text.substr(0, text.size() - 1)).ok()) {
    const char c = text.back();
    if (c == 'k' || c == 'm' || c == 'g')
      return invalid(fmt::format("size suffixes are upper case: K, M or G (powers of 1024), not '{}'", c));
    return invalid(fmt::format("unknown size suffix '{}': the suffixes are K, M and G (powers of 1024)",
                               printable(std::string_view(&c, 1))));
  }
  unsigned base = 10;
  if (digits.size() >= 2 && digits[0] == '0' && digits[1] == 'x') {
    base = 16;
    digits.remove_prefix(2);
  }
  if (digits.empty()) return invalid("not a number");
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t v = 0;
  for (char c : digits) {
    const int d = hex_digit(c);
    if (d < 0 || static_cast<unsigned>(d) >= base) return invalid("not a number");
    if (v > (kMax - static_cast<unsigned>(d)) / base) return invalid("number too large");
    v = v * base + static_cast<unsigned>(d);
  }
  if (shift && v > (kMax >> shift)) return invalid("number too large");
  return v << shift;
}

absl::StatusOr<std::uint8_t> parse_byte(std::string_view text) {
  auto v = parse_number(text);
  if (!v.ok()) return v.status();
  if (*v > 0xff) return invalid("a byte is 0..255");
  return static_cast<std::uint8_t>(*v);
}

absl::StatusOr<std::vector<std::uint8_t>> parse_data(const Token& token) {
  if (token.kind == Token::Kind::kString)
    return std::vector<std::uint8_t>(token.text.begin(), token.text.end());
  std::string_view text = token.text;
  if (!text.starts_with("hex:")) return invalid("data is hex:DIGITS or a \"string\"");
  text.remove_prefix(4);
  if (text.size() % 2 != 0) return invalid("odd number of hex digits");
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int hi = hex_digit(text[i]), lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) return invalid("not a hex digit");
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  return out;
}

bool is_name(std::string_view text) {
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (text.empty() || !alpha(text[0])) return false;
  for (char c : text)
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

bool is_global_command_name(std::string_view text) {
  for (auto g : kGlobalCommands)
    if (g == text) return true;
  return false;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    s += kDigits[b >> 4];
    s += kDigits[b & 0xf];
  }
  return s;
}

ArgReader::ArgReader(std::string_view command, std::string_view usage,
                     std::span<const Token> args)
    : command_(command), usage_(usage), args_(args) {}

void ArgReader::fail(std::string_view message) {
  if (status_.ok()) status_ = absl::InvalidArgumentError(fmt::format("{}: {}", command_, message));
}

void ArgReader::bad(const Token& t, std::string_view what, std::string_view reason) {
  fail(fmt::format("bad {} '{}': {}", what, t.spelling(), reason));
}

const Token* ArgReader::take(std::string_view what) {
  if (!ok()) return nullptr;
  if (at_end()) {
    fail(fmt::format("missing {} (usage: {})", what, usage_));
    return nullptr;
  }
  return &args_[pos_++];
}

std::uint64_t ArgReader::number(std::string_view what) {
  const Token* t = take(what);
  if (!t) return 0;
  if (t->kind != Token::Kind::kWord) {
    bad(*t, what, "not a number");
    return 0;
  }
  auto v = parse_number(t->text);
  if (!v.ok()) {
    bad(*t, what, std::string(v.status().message()));
    return 0;
  }
  return *v;
}

std::uint8_t ArgReader::byte(std::string_view what) {
  const Token* t = take(what);
  if (!t) return 0;
  if (t->kind != Token::Kind::kWord) {
    bad(*t, what, "not a number");
    return 0;
  }
  auto v = parse_byte(t->text);
  if (!v.ok()) {
    bad(*t, what, std::string(v.status().message()));
    return 0;
  }
  return *v;
}

std::vector<std::uint8_t> ArgReader::data(std::string_view what) {
  const Token* t = take(what);
  if (!t) return {};
  auto v = parse_data(*t);
  if (!v.ok()) {
    bad(*t, what, std::string(v.status().message()));
    return {};
  }
  return *std::move(v);
}

std::string ArgReader::name(std::string_view what) {
  const Token* t = take(what);
  if (!t) return {};
  if (t->kind != Token::Kind::kWord || !is_name(t->text)) {
    bad(*t, what, "a name is [A-Za-z_][A-Za-z0-9_]*");
    return {};
  }
  if (is_global_command_name(t->text)) {
    bad(*t, what, "that is the name of a command");
    return {};
  }
  return t->text;
}

std::size_t ArgReader::keyword(std::string_view what,
                               std::initializer_list<std::string_view> choices) {
  const Token* t = take(what);
  if (!t) return 0;
  std::size_t i = 0;
  for (auto c : choices) {
    if (t->is_word(c)) return i;
    i++;
  }
  std::string list;
  for (auto c : choices) list += fmt::format("{}{}", list.empty() ? "" : "|", c);
  bad(*t, what, fmt::format("expected {}", list));
  return 0;
}

bool ArgReader::next_is(std::string_view w) const {
  return ok() && !at_end() && args_[pos_].is_word(w);
}

std::pair<std::string, std::string> ArgReader::option(std::string_view what) {
  const Token* t = take(what);
  if (!t) return {};
  const auto eq = t->text.find('=');
  if (t->kind != Token::Kind::kWord || eq == std::string::npos || eq == 0) {
    bad(*t, what, "expected KEY=VALUE");
    return {};
  }
  return {t->text.substr(0, eq), t->text.substr(eq + 1)};
}

void ArgReader::finish() {
  if (ok() && !at_end())
    fail(fmt::format("unexpected '{}' (usage: {})", args_[pos_].spelling(), usage_));
}

}  // namespace uvmsim::cli
