// uvmsim scenario language: splitting one line into tokens.
//
// Lexical rules (spec "Lexical rules"): tokens are separated by spaces or
// tabs; `#` outside a quoted string starts a comment to end of line; a
// double-quoted string (no escapes) is one token and may hold spaces and `#`.
// Everything else is a word; what a word means (number, name, keyword, hex
// data) is decided by the command that reads it (scenario_args.h).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace uvmsim::cli {

struct Token {
  enum class Kind { kWord, kString };
  Kind kind = Kind::kWord;
  std::string text;        // a word as written; a string without its quotes
  std::size_t column = 0;  // 1-based column of the first character

  bool is_word(std::string_view w) const { return kind == Kind::kWord && text == w; }
  // The token as it appeared in the script (strings re-quoted), for messages.
  std::string spelling() const;
};

// Tokens of one line (without its newline; a trailing '\r' is ignored).
// An empty vector for blank and comment-only lines. Errors (InvalidArgument):
// an unterminated string, a quote inside a word, text glued to a closing quote.
absl::StatusOr<std::vector<Token>> tokenize(std::string_view line);

}  // namespace uvmsim::cli
