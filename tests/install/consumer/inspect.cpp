// A consumer that reaches past the stable API: the model's state through
// Machine::uvm() and Process::vmspace() (headers installed under
// include/uvmsim/internal), and a structure dump (uvmsim/dump.h).
#include <cstdio>

#include "core/uvm.h"
#include "core/vm_map.h"
#include "core/vmspace.h"
#include "uvmsim/dump.h"
#include "uvmsim/machine.h"
#include "uvmsim/process.h"

int main() {
  using namespace uvmsim;
  auto m = Machine::Create({.mem_bytes = 1 << 20, .backend = Backend::kSoft});
  if (!m.ok()) return 1;
  Process* p = *(*m)->spawn("p");
  if (!p->mmap(0x10000000, 2 * kPageSize, kProtRead | kProtWrite, Sharing::kPrivate).ok()) return 1;
  if (!p->fill(0x10000000, 2 * kPageSize, 7)->ok()) return 1;
  const Uvm& uvm = (*m)->uvm();
  const VmSpace& vm = p->vmspace();
  auto d = dump_process(*p);
  if (!d.ok()) return 1;
  std::printf("entries %llu, anons %llu, dumped anons %zu, process faults %llu\n",
              static_cast<unsigned long long>(vm.map->nentries()), static_cast<unsigned long long>(uvm.nanons),
              d->entries.at(0).anons.size(), static_cast<unsigned long long>(p->stats().faults));
  return 0;
}
