// The invariant checker's shared state (Machine::check, core/check.cpp):
// the errors found so far, and what the anonymous-memory layer reports back
// to the generic part of the checker.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "fmt/format.h"

namespace uvmsim {

struct Anon;
struct Uvm;
class UvmObject;

struct Checker {
  const Uvm& uvm;
  std::vector<std::string> errors;
  // References the anonymous-memory layer holds to each anon it can reach
  // (amap slots). The generic checker adds loans and compares with an_ref;
  // an anon missing here is unreachable (a leak).
  absl::flat_hash_map<const Anon*, int> anon_refs;
  // References the layer holds to objects of its own (the shadow model's
  // anonymous objects: entries' first objects and backing links); the
  // generic checker compares them with uo_refs as it does entries' objects.
  absl::flat_hash_map<const UvmObject*, int> object_refs;

  template <typename... Args>
  void fail(fmt::format_string<Args...> f, Args&&... args) {
    if (errors.size() < 32) errors.push_back(fmt::format(f, std::forward<Args>(args)...));
  }
};

}  // namespace uvmsim
