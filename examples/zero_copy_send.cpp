// zero_copy_send: why page loan-out matters.
//
// A process sends a buffer to a kernel consumer (think: a socket's send path
// handing data to a NIC) many times. Two ways:
//   copying send   — the kernel copies the buffer into its own pages
//                    (copyin): every send copies every page;
//   zero-copy send — the kernel borrows the process's pages (uvm_loan to
//                    kernel pages) and reads them in place; only if the
//                    process writes its buffer while the loan is out does a
//                    page get copied (the loan breaks: copy-on-write).
// The program prints the pages each way copied and the time each took.
#include <chrono>
#include <cstring>
#include <vector>

#include "fmt/format.h"
#include "uvmsim/machine.h"
#include "uvmsim/process.h"

using namespace uvmsim;

namespace {

constexpr vaddr_t kBuf = 0x10000000;
constexpr int kPages = 64;      // a 256 KiB send buffer
constexpr int kSends = 50;
constexpr int kRewrites = 4;    // pages the process rewrites between sends

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// The "NIC": consumes bytes (a checksum so the work is not optimised away).
std::uint64_t transmit(const std::uint8_t* p, std::size_t n) {
  std::uint64_t h = 0;
  for (std::size_t i = 0; i < n; i += 64) h = h * 31 + p[i];
  return h;
}

}  // namespace

int main() {
  auto mr = Machine::Create(MachineConfig{.mem_bytes = 32ull << 20, .backend = Backend::kAuto});
  if (!mr.ok()) {
    fmt::print(stderr, "zero_copy_send: {}\n", mr.status().ToString());
    return 1;
  }
  Machine& m = **mr;
  Process* p = *m.spawn("sender");
  (void)p->mmap(kBuf, kPages * kPageSize, kProtRead | kProtWrite, Sharing::kPrivate);
  (void)p->fill(kBuf, kPages * kPageSize, 0x42);
  std::vector<std::uint8_t> kernel_buf(kPages * kPageSize);
  std::uint64_t sink = 0;

  auto rewrite = [&](int send) {
    for (int i = 0; i < kRewrites; i++) {
      std::uint8_t b = static_cast<std::uint8_t>(send + i);
      (void)p->write(kBuf + static_cast<vaddr_t>((send * 7 + i * 13) % kPages) * kPageSize, {&b, 1});
    }
  };

  // Copying send: copyin of the whole buffer every time.
  std::uint64_t copied_bytes = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (int s = 0; s < kSends; s++) {
    (void)p->read(kBuf, kernel_buf);  // copyin through the MMU
    copied_bytes += kernel_buf.size();
    sink += transmit(kernel_buf.data(), kernel_buf.size());
    rewrite(s);
  }
  const double t_copy = ms_since(t0);

  // Zero-copy send: loan the pages, transmit from them, unloan later (the
  // completion). The process rewrites pages while the loan is out: those
  // writes break the loan for just the pages written.
  const UvmExp before = m.stats();
  t0 = std::chrono::steady_clock::now();
  for (int s = 0; s < kSends; s++) {
    auto loan = m.loan(*p, kBuf, kPages * kPageSize, LoanTo::kKernel);
    if (!loan.ok()) {
      fmt::print(stderr, "loan: {}\n", loan.status().ToString());
      return 1;
    }
    rewrite(s);  // the application keeps working on its buffer
    // The NIC reads the borrowed pages (what was lent, not the rewrites).
    auto bytes = m.loan_read(*loan, 0, kPages * kPageSize);
    sink += transmit(bytes->data(), bytes->size());
    (void)m.unloan(*loan);  // send complete
  }
  const double t_loan = ms_since(t0);
  const UvmExp after = m.stats();

  const std::uint64_t copy_pages = copied_bytes / kPageSize;
  const std::uint64_t loan_pages = after.pagecopies - before.pagecopies;
  fmt::print("{} sends of a {} KiB buffer, {} pages rewritten between sends (backend {})\n\n", kSends,
             kPages * kPageSize / 1024, kRewrites, to_string(m.backend()));
  fmt::print("                 pages copied   time (ms)\n");
  fmt::print("copying send     {:>12}   {:>9.2f}\n", copy_pages, t_copy);
  fmt::print("zero-copy send   {:>12}   {:>9.2f}\n", loan_pages, t_loan);
  fmt::print("\nloans: {} pages lent, {} loans broken by the sender's writes, {} orphans freed\n",
             after.loan_ak - before.loan_ak, after.loan_break_anon - before.loan_break_anon,
             after.loan_orphans_freed - before.loan_orphans_freed);
  fmt::print("(page copies are the VM's: uvmexp pagecopies for the loans, whole-buffer copyin\n"
             " for the copying send. Times are the simulator's: Machine::loan_read hands the\n"
             " consumer its bytes by copying them out, and lending costs a write-protect of\n"
             " every mapping, so the zero-copy path is not faster here in wall time.)\n");
  Status ok = m.check();
  fmt::print("invariant checker: {}\n", ok.ok() ? "ok" : std::string(ok.message()));
  return ok.ok() && sink != 0 ? 0 : 1;
}
