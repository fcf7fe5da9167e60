// A strict little JSON reader for tests: checks that a text is exactly one
// JSON value (RFC 8259 grammar) and gives the top-level object's members as
// their raw JSON text, so that tests can check documents uvmsim writes
// without a JSON library.
#pragma once

#include <cctype>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace uvmsim::cli::testing {

class JsonCheck {
 public:
  // The top-level members (name → raw value text) if `text` is one valid
  // JSON object (surrounding whitespace allowed), else nullopt.
  static std::optional<std::map<std::string, std::string>> object(std::string_view text) {
    JsonCheck j(text);
    std::map<std::string, std::string> members;
    j.ws();
    if (!j.value(&members)) return std::nullopt;
    j.ws();
    if (j.i_ != j.s_.size()) return std::nullopt;
    return members;
  }

 private:
  explicit JsonCheck(std::string_view s) : s_(s) {}
  std::string_view s_;
  std::size_t i_ = 0;
  int depth_ = 0;

  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) i_++;
  }
  bool lit(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  bool string(std::string* out) {
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    const std::size_t start = ++i_;
    while (i_ < s_.size() && s_[i_] != '"') {
      const unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c < 0x20) return false;
      if (c == '\\') {
        if (++i_ >= s_.size()) return false;
        if (s_[i_] == 'u') {
          for (int k = 0; k < 4; k++)
            if (++i_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i_]))) return false;
        } else if (std::string_view("\"\\/bfnrt").find(s_[i_]) == std::string_view::npos) {
          return false;
        }
      }
      i_++;
    }
    if (i_ >= s_.size()) return false;
    if (out) *out = std::string(s_.substr(start, i_ - start));
    i_++;
    return true;
  }
  bool number() {
    const std::size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') i_++;
    auto digits = [&] {
      const std::size_t d = i_;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) i_++;
      return i_ > d;
    };
    if (!digits()) return false;
    if (i_ < s_.size() && s_[i_] == '.' && (++i_, !digits())) return false;
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      i_++;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) i_++;
      if (!digits()) return false;
    }
    return i_ > start;
  }
  // A value; for the outermost object, its members into `members`.
  bool value(std::map<std::string, std::string>* members = nullptr) {
    if (i_ >= s_.size() || ++depth_ > 200) return false;
    bool ok = false;
    const char c = s_[i_];
    if (c == '{') {
      i_++;
      ws();
      ok = true;
      if (i_ < s_.size() && s_[i_] == '}') {
        i_++;
      } else {
        for (;;) {
          std::string name;
          ws();
          if (!string(&name)) return false;
          ws();
          if (!lit(":")) return false;
          ws();
          const std::size_t at = i_;
          if (!value()) return false;
          if (members) (*members)[name] = std::string(s_.substr(at, i_ - at));
          ws();
          if (lit(",")) continue;
          if (!lit("}")) return false;
          break;
        }
      }
    } else if (members) {
      return false;  // the top level must be an object
    } else if (c == '[') {
      i_++;
      ws();
      ok = true;
      if (!lit("]")) {
        for (;;) {
          ws();
          if (!value()) return false;
          ws();
          if (lit(",")) continue;
          if (!lit("]")) return false;
          break;
        }
      }
    } else if (c == '"') {
      ok = string(nullptr);
    } else if (c == 't' || c == 'f' || c == 'n') {
      ok = lit("true") || lit("false") || lit("null");
    } else {
      ok = number();
    }
    depth_--;
    return ok;
  }
};

}  // namespace uvmsim::cli::testing
