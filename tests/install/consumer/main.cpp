// cow_demo: fork and copy-on-write through uvmsim's public API.
//
// A parent maps four private pages, writes two, forks; the child writes one
// of them. The counters show UVM's fault cases: zero-fill faults for the
// parent's first touches, one anon copy-on-write fault (case 1B) for the
// child's write, and no page copied for the pages nobody wrote after fork.
#include <cstdint>
#include <cstdio>
#include <span>
#include <string_view>

#include "uvmsim/machine.h"
#include "uvmsim/process.h"

using namespace uvmsim;

namespace {

std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

int fail(const Status& s) {
  std::fprintf(stderr, "cow_demo: %s (%s)\n", s.ToString().c_str(),
               std::string(errno_name(errno_of(s))).c_str());
  return 1;
}

}  // namespace

int main() {
  auto created = Machine::Create({.mem_bytes = 16 << 20, .backend = Backend::kSoft});
  if (!created.ok()) return fail(created.status());
  Machine& m = **created;

  constexpr vaddr_t kBase = 0x10000000;
  Process* parent = *m.spawn("parent");
  if (auto r = parent->mmap(kBase, 4 * kPageSize, kProtRead | kProtWrite, Sharing::kPrivate);
      !r.ok())
    return fail(r.status());
  (void)parent->write(kBase, bytes("hello"));                // page 0
  (void)parent->fill(kBase + kPageSize, kPageSize, 0x11);    // page 1

  auto forked = parent->fork("child");
  if (!forked.ok()) return fail(forked.status());
  Process* child = *forked;
  const UvmExp before = m.stats();
  (void)child->write(kBase, bytes("HELLO"));                 // copy-on-write

  char p[6] = {}, c[6] = {};
  (void)parent->read(kBase, {reinterpret_cast<std::uint8_t*>(p), 5});
  (void)child->read(kBase, {reinterpret_cast<std::uint8_t*>(c), 5});
  const UvmExp after = m.stats();
  std::printf("parent reads %s, child reads %s\n", p, c);
  std::printf("anon COW faults (case 1B) for the child's write: %llu, pages copied: %llu\n",
              static_cast<unsigned long long>(after.flt_acow - before.flt_acow),
              static_cast<unsigned long long>(after.pagecopies - before.pagecopies));

  // Page 1 was not written after fork: both still map the same frame.
  auto ps = parent->sum(kBase + kPageSize, kPageSize);
  auto cs = child->sum(kBase + kPageSize, kPageSize);
  std::printf("page 1 shared: %s\n", ps->hash == cs->hash ? "yes" : "no");

  // An access outside any mapping is a simulated SIGSEGV, not an error.
  std::uint8_t b;
  auto r = child->read(0x50000000, {&b, 1});
  std::printf("read of an unmapped page: %s\n", std::string(to_string(r->outcome)).c_str());

  // A bad request is an error carrying a BSD errno.
  Status bad = parent->mprotect(kBase + 1, kPageSize, kProtRead);
  std::printf("mprotect of an unaligned address: %s\n",
              std::string(errno_name(errno_of(bad))).c_str());

  std::printf("faults %llu, zero-fill %llu, checker: %s\n",
              static_cast<unsigned long long>(after.faults),
              static_cast<unsigned long long>(after.flt_przero),
              m.check().ok() ? "ok" : m.check().ToString().c_str());
  return 0;
}
