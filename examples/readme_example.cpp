// The README's API example (kept here so that it is compiled by every build).
#include <cstdio>
#include <string_view>

#include "uvmsim/machine.h"
#include "uvmsim/process.h"

int main() {
  using namespace uvmsim;
  auto machine = Machine::Create({.mem_bytes = 16 << 20, .backend = Backend::kSoft});
  if (!machine.ok()) return 1;
  Process* p = *(*machine)->spawn("p");
  (void)p->mmap(0x10000000, 4 * kPageSize, kProtRead | kProtWrite, Sharing::kPrivate);

  std::string_view hello = "hello";
  (void)p->write(0x10000000, {reinterpret_cast<const std::uint8_t*>(hello.data()), hello.size()});
  Process* c = *p->fork("c");                      // copy-on-write
  (void)c->write(0x10000000, {reinterpret_cast<const std::uint8_t*>("HELLO"), 5});

  std::uint8_t buf[5];
  (void)p->read(0x10000000, buf);                  // still "hello": the child got a copy
  std::printf("parent sees %.5s; COW faults: %llu; checker: %s\n", reinterpret_cast<char*>(buf),
              static_cast<unsigned long long>((*machine)->stats().flt_acow),
              (*machine)->check().ok() ? "ok" : "FAILED");
  return 0;
}
