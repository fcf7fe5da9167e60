// showcase: a small tour of UVM through the public API.
//
// A "server" process builds a 4 MiB heap and a shared anonymous region, then
// forks workers. Each worker reads the whole heap (sharing every page with
// the server), writes a few pages (copy-on-write copies exactly those), and
// talks to the others through the shared region. At the end the counters say
// what the VM system did: faults by case, pages copied versus pages that
// copy-on-write let the workers share. Then a batch job that needs twice the
// machine's memory runs: the page daemon pages the others out to swap, and
// everybody's data is still intact afterwards.
#include <cstdio>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "uvmsim/machine.h"
#include "uvmsim/process.h"

using namespace uvmsim;

namespace {

int fail(const Status& s) {
  fmt::print(stderr, "showcase: {}\n", s.ToString());
  return 1;
}

}  // namespace

int main() {
  auto mr = Machine::Create(MachineConfig{.mem_bytes = 16ull << 20, .swap_bytes = 64ull << 20, .backend = Backend::kAuto});
  if (!mr.ok()) return fail(mr.status());
  Machine& m = **mr;
  fmt::print("uvmsim showcase — backend {}, {} MiB of physical memory\n\n", to_string(m.backend()),
             m.config().mem_bytes >> 20);

  constexpr vaddr_t kHeap = 0x10000000, kShared = 0x20000000;
  constexpr vsize_t kHeapSize = 4ull << 20, kSharedSize = 64 * kPageSize;
  constexpr int kWorkers = 4, kDirtyPages = 16;

  Process* server = *m.spawn("server");
  if (auto r = server->mmap(kHeap, kHeapSize, kProtRead | kProtWrite, Sharing::kPrivate); !r.ok())
    return fail(r.status());
  if (auto r = server->mmap(kShared, kSharedSize, kProtRead | kProtWrite, Sharing::kShared); !r.ok())
    return fail(r.status());
  (void)server->fill(kHeap, kHeapSize, 0x42);
  const UvmExp before_fork = m.stats();
  fmt::print("server touched {} heap pages: {} zero-fill faults\n", kHeapSize / kPageSize,
             before_fork.flt_przero);

  std::vector<Process*> workers;
  std::vector<std::uint64_t> hashes;
  for (int w = 0; w < kWorkers; w++) {
    auto c = server->fork(fmt::format("worker{}", w));
    if (!c.ok()) return fail(c.status());
    workers.push_back(*c);
  }
  for (int w = 0; w < kWorkers; w++) {
    Process* p = workers[w];
    auto sum = p->sum(kHeap, kHeapSize);  // read everything: shares, no copies
    for (int i = 0; i < kDirtyPages; i++) {
      const vaddr_t va = kHeap + static_cast<vaddr_t>((w * 37 + i * 13) % 1024) * kPageSize;
      std::string msg = fmt::format("worker {} was here", w);
      (void)p->write(va, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(msg.data()), msg.size()));
    }
    std::string note = fmt::format("hello from worker {}", w);
    (void)p->write(kShared + static_cast<vaddr_t>(w) * 64,
                   std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(note.data()), note.size()));
    fmt::print("{} read the heap (hash {:#018x}) and wrote {} pages\n", p->name(), sum->hash, kDirtyPages);
    hashes.push_back(p->sum(kHeap, kHeapSize)->hash);
  }
  // The server sees every worker's note in the shared region.
  for (int w = 0; w < kWorkers; w++) {
    std::vector<std::uint8_t> buf(19);
    (void)server->read(kShared + static_cast<vaddr_t>(w) * 64, buf);
    fmt::print("server reads shared[{}]: \"{}\"\n", w * 64, std::string(buf.begin(), buf.end()));
  }

  // A batch job twice the size of memory: the page daemon must page out.
  Process* batch = *m.spawn("batch");
  const vsize_t kBatch = 2 * m.config().mem_bytes;
  if (auto r = batch->mmap(0x40000000, kBatch, kProtRead | kProtWrite, Sharing::kPrivate); !r.ok())
    return fail(r.status());
  auto filled = batch->fill(0x40000000, kBatch, 0x7e);
  auto bsum = batch->sum(0x40000000, kBatch);
  fmt::print("batch filled {} MiB ({}) and read it back ({})\n", kBatch >> 20, to_string(filled->outcome),
             to_string(bsum->outcome));
  (void)batch->exit();
  // Everyone's memory survived the pressure.
  for (int w = 0; w < kWorkers; w++) {
    auto again = workers[w]->sum(kHeap, kHeapSize);
    std::vector<std::uint8_t> note(19);
    (void)server->read(kShared + static_cast<vaddr_t>(w) * 64, note);
    fmt::print("{} heap after the batch job: {}\n", workers[w]->name(),
               again->hash == hashes[w] ? "intact" : "CHANGED");
  }

  Status ok = m.check();
  const UvmExp s = m.stats();
  const std::uint64_t heap_pages = kHeapSize / kPageSize;
  const std::uint64_t could_copy = heap_pages * kWorkers;
  const std::uint64_t copied = s.flt_acow - before_fork.flt_acow;
  fmt::print("\nwhat the VM system did\n");
  fmt::print("  faults                    {}\n", s.faults);
  fmt::print("    zero-fill (przero)      {}\n", s.flt_przero);
  fmt::print("    anon mapped (1A)        {}\n", s.flt_anon);
  fmt::print("    anon copy-on-write (1B) {}\n", s.flt_acow);
  fmt::print("    object page (2A)        {}\n", s.flt_obj);
  fmt::print("    mapped ahead            {}\n", s.fltnamap);
  fmt::print("  amaps copied / taken over {} / {}\n", s.amap_copy, s.amap_takeover);
  fmt::print("  pages copied by COW       {} of {} a copying fork would copy ({:.2f}%)\n", copied,
             could_copy, 100.0 * static_cast<double>(copied) / static_cast<double>(could_copy));
  fmt::print("  page daemon runs          {} ({} pages freed)\n", s.pdwoke, s.pdfreed);
  fmt::print("  pages swapped out / in    {} / {}\n", s.pgswapout, s.pgswapin);
  fmt::print("  resident pages            {} of {} ({} free)\n", s.npages - s.free, s.npages, s.free);
  fmt::print("  page-table pages          {}\n", s.ptpages);
  fmt::print("  invariant checker         {}\n", ok.ok() ? "ok" : std::string(ok.message()));
  return ok.ok() ? 0 : 1;
}
