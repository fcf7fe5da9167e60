// Shared test helpers.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "uvmsim/machine.h"
#include "uvmsim/process.h"

namespace uvmsim::test {

inline constexpr Prot RW = kProtRead | kProtWrite;
inline constexpr Prot R = kProtRead;

// The backend the suite runs on: UVMSIM_TEST_BACKEND=soft|kvm (default
// soft). ctest runs the suite once per backend ("soft:" and "kvm:" tests);
// main.cpp skips the whole kvm run (exit 77) when kvm is not usable here.
inline Backend test_backend() {
  const char* b = std::getenv("UVMSIM_TEST_BACKEND");
  return b != nullptr && std::string(b) == "kvm" ? Backend::kKvm : Backend::kSoft;
}

// The anonymous-memory model the suite runs on: UVMSIM_TEST_ANON=amap|shadow
// (default amap). ctest runs the suite once more with shadow ("shadow:"
// tests); tests of amap internals or anon loans are tagged [amap] and skip it.
inline AnonModel test_anon_model() {
  const char* a = std::getenv("UVMSIM_TEST_ANON");
  return a != nullptr && std::string(a) == "shadow" ? AnonModel::kShadow : AnonModel::kAmap;
}

// Longer seed hunts by hand: UVMSIM_SWEEP_SEEDS / UVMSIM_DIFF_SEEDS say how
// many seeds, UVMSIM_SEED_FIRST where they start (default: the test's own
// first seed), so a hunt can go on past the seeds an earlier one covered.
inline std::uint64_t hunt_first_seed(std::uint64_t dflt) {
  const char* f = std::getenv("UVMSIM_SEED_FIRST");
  return f != nullptr && *f ? std::strtoull(f, nullptr, 10) : dflt;
}

inline std::unique_ptr<Machine> make_machine(std::uint64_t mem = 16ull << 20, bool ppref = true,
                                             std::uint64_t swap = 64ull << 20) {
  MachineConfig cfg;
  cfg.mem_bytes = mem;
  cfg.swap_bytes = swap;
  cfg.backend = test_backend();
  cfg.anon_model = test_anon_model();
  cfg.ppref = ppref;
  auto m = Machine::Create(cfg);
  INFO(m.status().ToString());
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
