// The lexical rules of the scenario language: tokens, numbers, data, names.
#include <catch2/catch.hpp>

#include "cli/scenario_args.h"
#include "cli/scenario_lexer.h"

using uvmsim::cli::parse_byte;
using uvmsim::cli::parse_data;
using uvmsim::cli::parse_number;
using uvmsim::cli::Token;
using uvmsim::cli::tokenize;

namespace {

std::vector<std::string> texts(std::string_view line) {
  auto t = tokenize(line);
  REQUIRE(t.ok());
  std::vector<std::string> v;
  for (auto& tok : *t) v.push_back(tok.text);
  return v;
}

std::string lex_error(std::string_view line) {
  auto t = tokenize(line);
  REQUIRE_FALSE(t.ok());
  return std::string(t.status().message());
}

Token word(std::string s) { return Token{Token::Kind::kWord, std::move(s), 1}; }

}  // namespace

TEST_CASE("tokens are separated by spaces and tabs", "[lexer]") {
  CHECK(texts("p  mmap\t0x1000 4K") == std::vector<std::string>{"p", "mmap", "0x1000", "4K"});
  CHECK(texts("  leading and trailing  \t") == std::vector<std::string>{"leading", "and", "trailing"});
}

TEST_CASE("blank and comment-only lines have no tokens", "[lexer]") {
  CHECK(texts("").empty());
  CHECK(texts("   \t ").empty());
  CHECK(texts("# just a comment").empty());
  CHECK(texts("   # indented comment").empty());
}

TEST_CASE("# starts a comment anywhere outside a string", "[lexer]") {
  CHECK(texts("p read 0x10 6   # p read 0x10 6 = ...") ==
        std::vector<std::string>{"p", "read", "0x10", "6"});
  CHECK(texts("p read 0x10 6# glued") == std::vector<std::string>{"p", "read", "0x10", "6"});
}

TEST_CASE("a quoted string is one token that may hold spaces and #", "[lexer]") {
  auto t = tokenize("p write 0x10 \"a b # c\"  # comment");
  REQUIRE(t.ok());
  REQUIRE(t->size() == 4);
  CHECK((*t)[3].kind == Token::Kind::kString);
  CHECK((*t)[3].text == "a b # c");
  CHECK((*t)[3].column == 14);
  CHECK((*t)[3].spelling() == "\"a b # c\"");
  auto empty = tokenize("\"\"");
  REQUIRE(empty.ok());
  CHECK((*empty)[0].kind == Token::Kind::kString);
  CHECK((*empty)[0].text.empty());
}

TEST_CASE("a trailing carriage return is ignored", "[lexer]") {
  CHECK(texts("spawn p\r") == std::vector<std::string>{"spawn", "p"});
}

TEST_CASE("malformed strings are lexical errors", "[lexer]") {
  CHECK(lex_error("p write 0 \"abc") == "unterminated string starting at column 11");
  CHECK(lex_error("p write 0 ab\"c\"") == "unexpected '\"' inside a word at column 13");
  CHECK(lex_error("p write 0 \"abc\"def") == "missing space after the string ending at column 15");
}

TEST_CASE("numbers: decimal, 0x hex, K/M/G suffixes", "[lexer][numbers]") {
  CHECK(*parse_number("0") == 0);
  CHECK(*parse_number("4096") == 4096);
  CHECK(*parse_number("010") == 10);  // decimal, not octal
  CHECK(*parse_number("0x10000000") == 0x10000000);
  CHECK(*parse_number("0xDeadBeef") == 0xdeadbeef);
  CHECK(*parse_number("4K") == 4096);
  CHECK(*parse_number("16M") == 16ull << 20);
  CHECK(*parse_number("2G") == 2ull << 30);
  CHECK(*parse_number("0x10K") == 16ull << 10);
  CHECK(*parse_number("18446744073709551615") == ~0ull);
  CHECK(*parse_number("0xffffffffffffffff") == ~0ull);
}

TEST_CASE("bad numbers are rejected with a reason", "[lexer][numbers]") {
  for (const char* bad : {"", "x", "0x", "K", "-1", "+1", "0X10", "0xg", "1.5"}) {
    INFO(bad);
    auto v = parse_number(bad);
    REQUIRE_FALSE(v.ok());
    CHECK(v.status().message() == "not a number");
  }
  // A number followed by a letter that is not a suffix: the message names
  // the suffixes there are.
  for (const char* bad : {"1KB", "12a", "1T"}) {
    INFO(bad);
    auto v = parse_number(bad);
    REQUIRE_FALSE(v.ok());
    CHECK(std::string(v.status().message()).ends_with("': the suffixes are K, M and G (powers of 1024)"));
  }
  CHECK(parse_number("1k").status().message() == "size suffixes are upper case: K, M or G (powers of 1024), not 'k'");
  for (const char* big : {"18446744073709551616", "0x10000000000000000", "17179869184G"}) {
    INFO(big);
    auto v = parse_number(big);
    REQUIRE_FALSE(v.ok());
    CHECK(v.status().message() == "number too large");
  }
}

TEST_CASE("a byte is a number 0..255", "[lexer][numbers]") {
  CHECK(*parse_byte("0x7f") == 0x7f);
  CHECK(*parse_byte("255") == 255);
  CHECK(parse_byte("256").status().message() == "a byte is 0..255");
  CHECK(parse_byte("1K").status().message() == "a byte is 0..255");
}

TEST_CASE("data: hex: with an even number of digits, or a string", "[lexer][data]") {
  using Bytes = std::vector<std::uint8_t>;
  CHECK(*parse_data(word("hex:deadBEEF")) == Bytes{0xde, 0xad, 0xbe, 0xef});
  CHECK(parse_data(word("hex:"))->empty());
  CHECK(*parse_data(Token{Token::Kind::kString, "hi #", 1}) == Bytes{'h', 'i', ' ', '#'});
  CHECK(parse_data(word("hex:abc")).status().message() == "odd number of hex digits");
  CHECK(parse_data(word("hex:zz")).status().message() == "not a hex digit");
  CHECK(parse_data(word("deadbeef")).status().message() ==
        "data is hex:DIGITS or a \"string\"");
}

TEST_CASE("names: [A-Za-z_][A-Za-z0-9_]*, not a global command", "[lexer][names]") {
  using uvmsim::cli::is_global_command_name;
  using uvmsim::cli::is_name;
  CHECK(is_name("p"));
  CHECK(is_name("_worker_2"));
  CHECK(is_name("Parent"));
  CHECK_FALSE(is_name("2p"));
  CHECK_FALSE(is_name("p-1"));
  CHECK_FALSE(is_name(""));
  CHECK(is_global_command_name("stats"));
  CHECK(is_global_command_name("machine"));
  CHECK_FALSE(is_global_command_name("mmap"));  // per-process commands are fine as names
}
