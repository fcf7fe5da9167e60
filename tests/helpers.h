// Shared test helpers.
#pragma once

#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "uvmsim/machine.h"
#include "uvmsim/process.h"

namespace uvmsim::test {

inline constexpr Prot RW = kProtRead | kProtWrite;
inline constexpr Prot R = kProtRead;

inline std::unique_ptr<Machine> make_machine(std::uint64_t mem = 16ull << 20, bool ppref = true) {
  MachineConfig cfg;
  cfg.mem_bytes = mem;
  cfg.backend = Backend::kSoft;
  cfg.ppref = ppref;
  auto m = Machine::Create(cfg);
  REQUIRE(m.ok());
  return std::move(*m);
}

#define REQUIRE_OK(expr)                                  \
  do {                                                    \
    auto _s = (expr);                                     \
    INFO(_s.ToString());                                  \
    REQUIRE(_s.ok());                                     \
  } while (0)

#define CHECK_INVARIANTS(m) REQUIRE_OK((m).check())

inline Process* spawn(Machine& m, const char* name) {
  auto p = m.spawn(name);
  REQUIRE(p.ok());
  return *p;
}

inline void write_str(Process* p, vaddr_t va, const std::string& s) {
  auto r = p->write(va, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  REQUIRE(r.ok());
  REQUIRE(r->outcome == Outcome::kOk);
}

inline std::string read_str(Process* p, vaddr_t va, std::size_t n) {
  std::string s(n, '\0');
  auto r = p->read(va, std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(s.data()), n));
  REQUIRE(r.ok());
  REQUIRE(r->outcome == Outcome::kOk);
  return s;
}

inline Outcome write_outcome(Process* p, vaddr_t va, const std::string& s) {
  auto r = p->write(va, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  REQUIRE(r.ok());
  return r->outcome;
}

inline Outcome read_outcome(Process* p, vaddr_t va, std::size_t n) {
  std::vector<std::uint8_t> buf(n);
  auto r = p->read(va, buf);
  REQUIRE(r.ok());
  return r->outcome;
}

}  // namespace uvmsim::test
