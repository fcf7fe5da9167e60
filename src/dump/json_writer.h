// A small JSON writer: objects, arrays, strings, numbers, booleans, written
// in order into a string with the commas in the right places. Used by the
// dumps (include/uvmsim/dump.h) and by `uvmsim run --json` / --stats-every.
//
// Strings are escaped so that any byte sequence gives valid JSON: quotes,
// backslashes and control characters as escapes, and bytes >= 0x80 as
// \u00XX (the byte's value, as Latin-1) — names in this project are ASCII,
// so this only matters for hostile input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace uvmsim {

std::string json_escape(std::string_view s);  // with the surrounding quotes

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(std::uint64_t v);
  JsonWriter& value(std::int64_t v);
  JsonWriter& value(int v) { return value(static_cast<std::int64_t>(v)); }
  JsonWriter& value(unsigned v) { return value(static_cast<std::uint64_t>(v)); }
  JsonWriter& value(bool b);
  JsonWriter& null();
  // Already-serialised JSON (a nested document).
  JsonWriter& raw(std::string_view json);
  template <typename T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void before_value();
  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written yet
  bool after_key_ = false;
};

}  // namespace uvmsim
