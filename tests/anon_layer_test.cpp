// The anonymous-memory layer is a seam (core/anon_layer.h): every operation
// on a map entry's anonymous memory reaches it through the interface. A
// forwarding layer that counts each call is installed on a machine in place
// of the amap layer; a workload that uses every operation must then call
// every method, and behave exactly as the same workload on a machine with
// the plain layer (same bytes, same counters, the checker passing on both).
// A second implementation (shadow-object chains) plugs in the same way.
#include <catch2/catch.hpp>

#include <array>
#include <string>

#include "core/anon_layer.h"
#include "core/uvm.h"
#include "helpers.h"
#include "uvmsim/loan.h"

using namespace uvmsim;
using namespace uvmsim::test;

namespace {

enum Op { kHas, kLookup, kLookupRange, kCopy, kUpper, kPromote, kSplit, kExtendable, kExtend, kRelease, kClean,
          kForkShare, kForkCopy, kSwapOff, kCheckEntry, kCheckMapping, kCheck, kNumOps };
constexpr std::array<const char*, kNumOps> kNames = {
    "has_upper", "lookup", "lookup_range", "copy", "fault_upper", "fault_promote", "split", "extendable", "extend",
    "release", "clean", "fork_share", "fork_copy", "swap_off", "check_entry", "check_mapping", "check"};

class CountingLayer final : public AnonLayer {
 public:
  explicit CountingLayer(std::unique_ptr<AnonLayer> inner) : in_(std::move(inner)) {}
  std::array<std::uint64_t, kNumOps> calls{};

  std::string_view name() const override { return in_->name(); }
  bool has_upper(const MapEntry& e) const override { return ++calls_mut()[kHas], in_->has_upper(e); }
  UpperPage lookup(const MapEntry& e, vaddr_t va) const override { return ++calls_mut()[kLookup], in_->lookup(e, va); }
  void lookup_range(const MapEntry& e, vaddr_t lo, vaddr_t hi, UpperPage* out) const override {
    ++calls_mut()[kLookupRange], in_->lookup_range(e, lo, hi, out);
  }
  bool copy(VmMap& m, MapEntry* e, vaddr_t s, vaddr_t t, bool ch) override {
    return ++calls[kCopy], in_->copy(m, e, s, t, ch);
  }
  std::optional<Fault> fault_upper(FaultCtx& f) override { return ++calls[kUpper], in_->fault_upper(f); }
  Fault fault_promote(FaultCtx& f, Page* pg) override { return ++calls[kPromote], in_->fault_promote(f, pg); }
  void split(MapEntry& l, MapEntry& r, vsize_t adj) override { ++calls[kSplit], in_->split(l, r, adj); }
  bool extendable(const MapEntry& e) const override { return ++calls_mut()[kExtendable], in_->extendable(e); }
  bool extend(MapEntry& e, vsize_t add, bool fw) override { return ++calls[kExtend], in_->extend(e, add, fw); }
  void release(MapEntry& e) override { ++calls[kRelease], in_->release(e); }
  void clean(VmMap& m, MapEntry& e, vaddr_t s, vaddr_t t, int fl) override { ++calls[kClean], in_->clean(m, e, s, t, fl); }
  int fork_share(VmMap& p, VmMap& c, MapEntry* e) override { return ++calls[kForkShare], in_->fork_share(p, c, e); }
  int fork_copy(VmMap& p, VmMap& c, MapEntry* e) override { return ++calls[kForkCopy], in_->fork_copy(p, c, e); }
  int swap_off(int s, int t) override { return ++calls[kSwapOff], in_->swap_off(s, t); }
  void check_entry(Checker& c, const std::string& who, const MapEntry& e) override {
    ++calls[kCheckEntry], in_->check_entry(c, who, e);
  }
  bool check_mapping(Checker& c, const std::string& who, const MapEntry& e, vaddr_t va, const Page* pg,
                     bool w) override {
    return ++calls[kCheckMapping], in_->check_mapping(c, who, e, va, pg, w);
  }
  void check(Checker& c) override { ++calls[kCheck], in_->check(c); }
  void gauges(UvmExp& s) const override { in_->gauges(s); }

 private:
  std::array<std::uint64_t, kNumOps>& calls_mut() const { return const_cast<CountingLayer*>(this)->calls; }
  std::unique_ptr<AnonLayer> in_;
};

constexpr vaddr_t A = 0x10000000;
constexpr vsize_t P = kPageSize;

// Every kind of operation on anonymous memory; returns what the processes read.
std::string workload(Machine& m) {
  std::string seen;
  Process* p = spawn(m, "p");
  REQUIRE(p->mmap(A, 8 * P, RW, Sharing::kPrivate).ok());
  REQUIRE(p->fill(A, 8 * P, 'a').ok());                              // zero-fill (2B) and 1A
  REQUIRE(p->mmap(A + 8 * P, 8 * P, RW, Sharing::kPrivate).ok());  // merges: the amap grows
  REQUIRE(p->mappings().size() == 1);
  REQUIRE(p->fill(A + 8 * P, 8 * P, 'a').ok());
  REQUIRE_OK(p->mprotect(A + 4 * P, 2 * P, R));                      // clips (split)
  auto c = p->fork("c");                                             // fork copy
  REQUIRE(c.ok());
  write_str(*c, A, "child");                                         // 1B
  seen += read_str(p, A, 5) + read_str(*c, A, 5);
  REQUIRE_OK(p->minherit(A + 8 * P, 4 * P, Inherit::kShare));
  auto d = p->fork("d");                                             // fork share
  REQUIRE(d.ok());
  write_str(*d, A + 8 * P, "shared");
  seen += read_str(p, A + 8 * P, 6);
  auto loan = m.loan(*p, A, 2 * P, LoanTo::kKernel);                 // loans look up the layer
  REQUIRE(loan.ok());
  REQUIRE_OK(m.unloan(*loan));
  REQUIRE_OK(p->madvise(A + 12 * P, 4 * P, Madvise::kFree));         // clean
  REQUIRE_OK(p->mlock(A + 14 * P, 2 * P));                           // copy over a range
  // Memory pressure (pages to swap), then swap-off brings them back.
  REQUIRE(p->mmap(A + 64 * P, 3000 * P, RW, Sharing::kPrivate).ok());
  REQUIRE(p->fill(A + 64 * P, 3000 * P, 'z').ok());
  REQUIRE(m.stats().pgswapout > 0);
  REQUIRE_OK(p->munmap(A + 64 * P, 2000 * P));  // room for what is in swap
  REQUIRE_OK(m.swapoff());
  CHECK(m.stats().swapoff_pages > 0);
  seen += read_str(p, A + 2064 * P, 1) + read_str(*c, A + 5, 3);
  CHECK_INVARIANTS(m);
  REQUIRE_OK(p->munmap(A, 16 * P));                                  // release
  REQUIRE_OK((*c)->exit());
  REQUIRE_OK((*d)->exit());
  CHECK_INVARIANTS(m);
  return seen;
}

}  // namespace

TEST_CASE("every anonymous-memory operation goes through the layer interface", "[anon_layer]") {
  auto plain = make_machine(8ull << 20, true, 32ull << 20);
  auto counted = make_machine(8ull << 20, true, 32ull << 20);
  Uvm& u = counted->uvm();
  auto layer = std::make_unique<CountingLayer>(std::move(u.anon_layer));
  CountingLayer* cl = layer.get();
  u.anon_layer = std::move(layer);

  const std::string want = workload(*plain);
  const std::string got = workload(*counted);
  CHECK(got == want);
  CHECK(want.substr(0, 5) == "aaaaa");  // the parent kept its own copy
  CHECK(want.substr(5, 5) == "child");
  // The same model behind the interface: the same counters, event by event.
  CHECK(plain->stats().to_json() == counted->stats().to_json());
  for (int op = 0; op < kNumOps; op++) {
    INFO(kNames[op]);
    CHECK(cl->calls[op] > 0);
  }
}
