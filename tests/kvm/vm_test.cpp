// The KVM wrappers: system, VM, memslots, pool, layout; leaks and bad input.
#include <dirent.h>

#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "kvm/frame_pool.h"
#include "kvm/guest.h"
#include "kvm/vm.h"
#include "kvm_test_util.h"

using namespace uvmsim::kvm;
using namespace uvmsim::kvm::testing;
using uvmsim::Status;
using uvmsim::StatusOr;

namespace {

int count_fds() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  while (::readdir(d) != nullptr) ++n;
  ::closedir(d);
  return n;
}

int count_maps() {
  std::ifstream f("/proc/self/maps");
  std::string line;
  int n = 0;
  while (std::getline(f, line)) ++n;
  return n;
}

long rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace

TEST_CASE("KvmSystem: API 12, sync regs, supported CPUID", "[kvm][system]") {
  SKIP_WITHOUT_KVM();
  auto k = KvmSystem::Open();
  REQUIRE(k.ok());
  CHECK((*k)->api_version() == 12);
  CHECK(((*k)->caps().sync_regs & (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS)) ==
        (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS));
  CHECK((*k)->vcpu_mmap_size() >= 4096);
  CHECK(!(*k)->supported_cpuid().empty());
  CHECK((*k)->cpu().lm);
  CHECK((*k)->cpu().nx);
  CHECK((*k)->cpu().max_phys_bits >= 36);
}

TEST_CASE("KvmSystem: a missing device is a status naming the call", "[kvm][system]") {
  auto k = KvmSystem::Open("/nonexistent/kvm");
  REQUIRE(!k.ok());
  CHECK(k.status().message().find("open /nonexistent/kvm") != std::string_view::npos);
  CHECK(k.status().message().find("ENOENT") != std::string_view::npos);
}

TEST_CASE("Guest: 50 guests created and destroyed leak no fds, mappings or memory",
          "[kvm][vm][leak]") {
  SKIP_WITHOUT_KVM();
  auto phys = make_phys(4 << 20);
  REQUIRE(phys);
  auto kvm = KvmSystem::Open();
  REQUIRE(kvm.ok());
  auto once = [&] {
    GuestConfig cfg;
    cfg.kvm = *kvm;
    cfg.phys_fd = phys->fd.get();
    cfg.phys_base = phys->map.get();
    cfg.phys_size = phys->size;
    cfg.pool_bytes = 8 << 20;
    cfg.self_test = false;
    auto g = Guest::Create(cfg);
    REQUIRE(g.ok());
    REQUIRE((*g)->spin((*g)->layout().template_root().gpa, 10).ok());
  };
  once();  // warm up allocator caches
  const int fds = count_fds(), maps = count_maps();
  const long rss = rss_kib();
  for (int i = 0; i < 50; ++i) once();
  CHECK(count_fds() == fds);
  CHECK(count_maps() == maps);
  // Each guest touches ~0.5 MiB of pool and kvm_run; 50 leaked would be > 25 MiB.
  CHECK(rss_kib() - rss < 8 * 1024);
}

TEST_CASE("Vm::add_slot: bad input is a status, never a crash", "[kvm][vm][input]") {
  SKIP_WITHOUT_KVM();
  auto k = KvmSystem::Open();
  REQUIRE(k.ok());
  auto vm = Vm::Create(*k);
  REQUIRE(vm.ok());
  auto phys = make_phys(1 << 20);
  REQUIRE(phys);
  void* base = phys->map.get();

  auto unaligned = (*vm)->add_slot(0x1234, 0x10000, base);
  CHECK(unaligned.status().code() == absl::StatusCode::kInvalidArgument);
  auto zero = (*vm)->add_slot(0, 0, base);
  CHECK(zero.status().code() == absl::StatusCode::kInvalidArgument);
  auto bad_hva = (*vm)->add_slot(0, 0x1000, static_cast<char*>(base) + 8);
  CHECK(bad_hva.status().code() == absl::StatusCode::kInvalidArgument);
  auto too_high = (*vm)->add_slot(1ull << 60, 0x1000, base);
  CHECK(too_high.status().code() == absl::StatusCode::kInvalidArgument);

  auto a = (*vm)->add_slot(0x100000, 0x80000, base);
  REQUIRE(a.ok());
  auto overlap = (*vm)->add_slot(0x140000, 0x80000, static_cast<char*>(base) + 0x80000);
  CHECK(overlap.status().code() == absl::StatusCode::kAlreadyExists);
  CHECK(overlap.status().message().find("overlaps") != std::string_view::npos);
  CHECK((*vm)->hva(0x100000 + 0x2000) == static_cast<std::uint8_t*>(base) + 0x2000);
  CHECK((*vm)->hva(0x200000) == nullptr);

  // KVM itself rejects a host range that is not mapped: the status names the ioctl.
  auto unmapped = (*vm)->add_slot(0x400000, 0x1000, reinterpret_cast<void*>(0x1000));
  if (!unmapped.ok())
    CHECK(unmapped.status().message().find("KVM_SET_USER_MEMORY_REGION") !=
          std::string_view::npos);

  CHECK((*vm)->remove_slot(*a).ok());
  CHECK((*vm)->remove_slot(*a).code() == absl::StatusCode::kNotFound);
  CHECK((*vm)->add_slot(0x140000, 0x80000, base).ok());  // free again
}

TEST_CASE("Guest::Create: bad machine memory or pool placement is a status", "[kvm][input]") {
  SKIP_WITHOUT_KVM();
  auto phys = make_phys(1 << 20);
  REQUIRE(phys);
  GuestConfig cfg;
  cfg.phys_fd = phys->fd.get();
  cfg.phys_base = phys->map.get();
  cfg.self_test = false;
  cfg.pool_bytes = 4 << 20;

  cfg.phys_size = 1000;  // not a page multiple
  CHECK(Guest::Create(cfg).status().code() == absl::StatusCode::kInvalidArgument);
  cfg.phys_size = 2 << 20;  // more than the memfd holds
  CHECK(Guest::Create(cfg).status().code() == absl::StatusCode::kInvalidArgument);
  cfg.phys_size = 1 << 20;
  cfg.pool_gpa = 0x100000;  // overlaps the machine memory
  CHECK(Guest::Create(cfg).status().code() == absl::StatusCode::kInvalidArgument);
  cfg.pool_gpa = (1ull << 40) + 0x1000;  // unaligned
  CHECK(Guest::Create(cfg).status().code() == absl::StatusCode::kInvalidArgument);
  cfg.pool_gpa = 0;
  cfg.phys_fd = -1;
  CHECK(Guest::Create(cfg).status().message().find("fstat") != std::string_view::npos);
  cfg.phys_fd = phys->fd.get();
  cfg.bounce_pages = 0;
  CHECK(Guest::Create(cfg).status().code() == absl::StatusCode::kInvalidArgument);
  cfg.bounce_pages = 16;
  CHECK(Guest::Create(cfg).ok());
}

TEST_CASE("FramePool: zeroed frames, accounting by use, quarantine until a zap",
          "[kvm][pool]") {
  auto bad = FramePool::Create(0x1000, 1 << 20);
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  auto p = FramePool::Create(1ull << 40, 2 << 20);
  REQUIRE(p.ok());
  FramePool& pool = **p;
  auto a = pool.alloc(FrameUse::kPageTable);
  auto b = pool.alloc(FrameUse::kLayout);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->gpa == (1ull << 40));
  CHECK(b->gpa == a->gpa + 4096);
  CHECK(pool.page_table_pages() == 1);
  CHECK(pool.layout_pages() == 1);
  a->hva[100] = 7;
  pool.free(*a, FrameUse::kPageTable);
  CHECK(pool.page_table_pages() == 0);
  CHECK(pool.quarantined_pages() == 1);
  // Exhaust the pool: the quarantined frame comes back only through reclaim.
  int reclaims = 0;
  pool.set_reclaim_hook([&] {
    ++reclaims;
    pool.release_quarantine();
    return absl::OkStatus();
  });
  std::vector<Frame> all;
  for (;;) {
    auto f = pool.alloc(FrameUse::kScratch);
    if (!f.ok()) {
      CHECK(f.status().code() == absl::StatusCode::kResourceExhausted);
      break;
    }
    if (f->gpa == a->gpa) CHECK(f->hva[100] == 0);  // zeroed on reuse
    all.push_back(*f);
  }
  CHECK(reclaims == 1);
  CHECK(all.size() == 511);  // 512 frames minus the layout one
  CHECK(pool.scratch_pages() == 511);
}

TEST_CASE("GuestLayout::install: shares the reserved and kernel PML4 entries only",
          "[kvm][layout]") {
  SKIP_WITHOUT_KVM();
  auto phys = make_phys(1 << 20);
  REQUIRE(phys);
  auto g = make_guest(*phys);
  REQUIRE(g);
  alignas(4096) static std::uint64_t pml4[512];
  std::fill(std::begin(pml4), std::end(pml4), 0);
  REQUIRE(g->install_reserved(pml4).ok());
  for (unsigned i = 0; i < 512; ++i) {
    const bool shared = i == 254 || i == 255 || i == 510 || i == 511;
    CHECK(((pml4[i] & x86::kPteP) != 0) == shared);
  }
  CHECK((pml4[255] & x86::kPteU) != 0);
  CHECK((pml4[511] & x86::kPteU) == 0);
  CHECK(layout::kReservedBase == uvmsim::kUserMax);
  CHECK(!g->install_reserved(nullptr).ok());
  CHECK(!g->install_reserved(pml4 + 1).ok());
}
