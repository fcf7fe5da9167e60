// uvmsim scenario language: the values a command's arguments hold, and a
// reader that takes them off a line's tokens in order.
//
// Values (spec "Lexical rules"):
//   number  decimal or 0x hex, optionally followed by K, M or G (x 1024^n);
//           accepted wherever the grammar has ADDR, LEN, OFF, SIZE or N
//   byte    a number 0..255
//   data    hex:<even number of hex digits>, or a "quoted string"
//   name    [A-Za-z_][A-Za-z0-9_]*, not a global command's name
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/scenario_lexer.h"

namespace uvmsim::cli {

// Each returns InvalidArgument with a reason ("not a number", ...) on error.
absl::StatusOr<std::uint64_t> parse_number(std::string_view text);
absl::StatusOr<std::uint8_t> parse_byte(std::string_view text);
absl::StatusOr<std::vector<std::uint8_t>> parse_data(const Token& token);
bool is_name(std::string_view text);
// The global commands' names, which no process, file or loan may take.
bool is_global_command_name(std::string_view text);

// Lowercase hex of `bytes` (the HEX of read, fileread and kread lines).
std::string to_hex(std::span<const std::uint8_t> bytes);

// Reads the arguments of one command. The first error sticks: later reads
// return empty values and do not overwrite it, so a parser reads all its
// fields unconditionally and the caller checks status() once.
class ArgReader {
 public:
  ArgReader(std::string_view command, std::string_view usage, std::span<const Token> args);

  std::uint64_t number(std::string_view what);
  std::uint8_t byte(std::string_view what);
  std::vector<std::uint8_t> data(std::string_view what);
  std::string name(std::string_view what);
  // One of `choices` (a keyword word); returns its index.
  std::size_t keyword(std::string_view what, std::initializer_list<std::string_view> choices);
  // The next token is the word `w` (does not consume it).
  bool next_is(std::string_view w) const;
  bool at_end() const { return pos_ >= args_.size(); }
  // A `key=value` word: {key, value}. Fails (and returns empty) otherwise.
  std::pair<std::string, std::string> option(std::string_view what);
  // Fails with `message` unless an error is already recorded; the message is
  // prefixed with the command name.
  void fail(std::string_view message);
  // No tokens may be left.
  void finish();

  bool ok() const { return status_.ok(); }
  const absl::Status& status() const { return status_; }
  std::string_view command() const { return command_; }

 private:
  // The next token, or nullptr (recording "missing WHAT") at the end.
  const Token* take(std::string_view what);
  void bad(const Token& t, std::string_view what, std::string_view reason);

  std::string command_;
  std::string usage_;
  std::span<const Token> args_;
  std::size_t pos_ = 0;
  absl::Status status_;
};

}  // namespace uvmsim::cli
