#include "cli/scenario_lexer.h"

#include "absl/status/status.h"
#include "cli/printable.h"
#include "fmt/format.h"

namespace uvmsim::cli {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

}  // namespace

std::string Token::spelling() const {
  // Quoted back in messages: non-printable bytes escaped (cli/printable.h).
  return kind == Kind::kString ? "\"" + printable(text) + "\"" : printable(text);
}

absl::StatusOr<std::vector<Token>> tokenize(std::string_view line) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  const std::size_t n = line.size();
  while (i < n) {
    const char c = line[i];
    if (is_blank(c)) {
      i++;
      continue;
    }
    if (c == '#') break;  // comment to end of line
    Token t;
    t.column = i + 1;
    if (c == '"') {
      const std::size_t close = line.find('"', i + 1);
      if (close == std::string_view::npos)
        return absl::InvalidArgumentError(
            fmt::format("unterminated string starting at column {}", t.column));
      t.kind = Token::Kind::kString;
      t.text = std::string(line.substr(i + 1, close - i - 1));
      i = close + 1;
      if (i < n && !is_blank(line[i]) && line[i] != '#')
        return absl::InvalidArgumentError(
            fmt::format("missing space after the string ending at column {}", i));
    } else {
      const std::size_t start = i;
      while (i < n && !is_blank(line[i]) && line[i] != '#') {
        if (line[i] == '"')
          return absl::InvalidArgumentError(
              fmt::format("unexpected '\"' inside a word at column {}", i + 1));
        i++;
      }
      t.text = std::string(line.substr(start, i - start));
    }
    tokens.push_back(std::move(t));
  }
  return tokens;
}

}  // namespace uvmsim::cli
