#include "kvm/guest.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "kvm/error.h"
#include "kvm/guest_code.h"
#include "uvmsim/types.h"

namespace uvmsim::kvm {

using namespace x86;

namespace {

constexpr std::uint64_t k1G = 1ull << 30, k2M = 2ull << 20;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ull;
// A fault that comes back this many times in a row, unchanged, was not fixed
// (a missing invalidation, or a handler that maps nothing): stop.
constexpr int kMaxSameFault = 16;

}  // namespace

Guest::~Guest() {
  // Order: vCPU before VM; the layout frees its frames into the pool.
  vcpu_.reset();
  inval_.reset();
  layout_.reset();
  vm_.reset();
}

StatusOr<std::unique_ptr<Guest>> Guest::Create(GuestConfig cfg) {
  std::unique_ptr<Guest> g(new Guest());
  if (cfg.kvm == nullptr) {
    auto k = KvmSystem::Open();
    if (!k.ok()) return k.status();
    cfg.kvm = *std::move(k);
  }
  g->kvm_ = cfg.kvm;

  // The machine's memory.
  if (cfg.phys_size != 0) {
    if ((cfg.phys_size & kPageMask) || cfg.phys_base == nullptr ||
        (reinterpret_cast<std::uintptr_t>(cfg.phys_base) & kPageMask))
      return absl::InvalidArgumentError(fmt::format(
          "Guest: machine memory base {} size {:#x} must be page aligned and non-null",
          cfg.phys_base, cfg.phys_size));
    struct stat st{};
    if (::fstat(cfg.phys_fd, &st) < 0) return sys_error("fstat(machine memory fd)", errno);
    if (static_cast<std::uint64_t>(st.st_size) < cfg.phys_size)
      return absl::InvalidArgumentError(fmt::format(
          "Guest: machine memory fd holds {:#x} bytes, fewer than {:#x}", st.st_size, cfg.phys_size));
  }
  g->phys_size_ = cfg.phys_size;

  const unsigned maxphys = cfg.kvm->cpu().max_phys_bits;
  if (cfg.pool_gpa == 0) {
    const std::uint64_t above = ((cfg.phys_size + k1G - 1) & ~(k1G - 1)) + k1G;
    cfg.pool_gpa = (maxphys >= 42) ? std::max<std::uint64_t>(1ull << 40, above) : above;
  }
  if ((cfg.pool_gpa & (k2M - 1)) || cfg.pool_gpa < cfg.phys_size + 2 * k2M)
    return absl::InvalidArgumentError(fmt::format(
        "Guest: pool_gpa {:#x} must be 2 MiB aligned and at least 4 MiB above the machine "
        "memory's end {:#x}", cfg.pool_gpa, cfg.phys_size));

  auto vm = Vm::Create(cfg.kvm);
  if (!vm.ok()) return vm.status();
  g->vm_ = *std::move(vm);
  if (cfg.phys_size != 0) {
    auto s = g->vm_->add_slot(0, cfg.phys_size, cfg.phys_base);
    if (!s.ok()) return s.status();
  }
  auto pool = FramePool::Create(cfg.pool_gpa, cfg.pool_bytes);
  if (!pool.ok()) return pool.status();
  g->pool_ = *std::move(pool);
  if (auto s = g->vm_->add_slot(g->pool_->gpa(), g->pool_->size(), g->pool_->base()); !s.ok())
    return s.status();

  // The one-page slot whose deletion zaps every shadow entry.
  void* zp = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (zp == MAP_FAILED) return sys_error("mmap(zap page)", errno);
  g->zap_page_ = Mapping(zp, 4096);
  auto zs = g->vm_->add_slot(cfg.pool_gpa - k2M, 4096, zp);
  if (!zs.ok()) return zs.status();
  g->zap_slot_ = *zs;

  auto layout = GuestLayout::Create(*g->pool_, cfg.pool_gpa - 2 * k2M, cfg.bounce_pages);
  if (!layout.ok()) return layout.status();
  g->layout_ = *std::move(layout);

  auto vcpu = Vcpu::Create(*g->vm_, 0);
  if (!vcpu.ok()) return vcpu.status();
  g->vcpu_ = *std::move(vcpu);
  auto sregs = g->vcpu_->get_sregs();
  if (!sregs.ok()) return sregs.status();
  g->layout_->init_sregs(*sregs, g->layout_->template_root().gpa);
  if (Status s = g->vcpu_->set_sregs(*sregs); !s.ok()) return s;
  kvm_regs r{};
  r.rflags = kRflagsRing3;
  r.rip = layout::kRing3Code + guest_code::r3_spin();
  r.rsp = layout::kUserStackTop;
  if (Status s = g->vcpu_->set_regs(r); !s.ok()) return s;

  g->inval_ = std::make_unique<Invalidator>(*g);
  Guest* raw = g.get();
  g->pool_->set_reclaim_hook([raw]() { return raw->inval_->global_zap(); });

  if (cfg.self_test) {
    auto st = run_self_test(*g);
    if (!st.ok()) return st.status();
    g->self_test_ = *std::move(st);
    g->inval_->set_strategy(g->self_test_.chosen);
  } else {
    g->inval_->set_strategy({Method::kZapOldFrame, Method::kGlobalZap,
                             "self-test skipped: assumed the PVM/shadow-paging strategy"});
  }
  return g;
}

// ---------------------------------------------------------------- running --

StatusOr<Exit> Guest::run_and_decode() {
  for (;;) {
    ++c_.runs;
    auto reason = vcpu_->run();
    if (!reason.ok()) return reason.status();
    // A signal to the host process (SIGINT or SIGTERM while `uvmsim run`
    // runs, whose handler only sets a flag) ends KVM_RUN with EINTR. The
    // guest's state is intact: enter it again. The run stops at its next
    // check of the flag, between accesses, not in the middle of one.
    if (*reason == KVM_EXIT_INTR) {
      ++c_.signal_reentries;
      continue;
    }
    return decode_exit(*reason);
  }
}

Exit Guest::decode_exit(std::uint32_t reason) {
  kvm_run* run = vcpu_->run_area();
  const kvm_regs& r = vcpu_->regs();
  switch (reason) {
    case KVM_EXIT_HLT: {
      const std::uint64_t at = r.rip - 1;  // the hlt just executed
      if (at >= layout::kRing0Code && at < layout::kRing0Code + 256) {
        const unsigned vec = static_cast<unsigned>(at - layout::kRing0Code);
        const bool has_err = vector_has_error_code(vec);
        const std::uint64_t n = has_err ? 6 : 5;
        const std::uint8_t* f = layout_->ring0_stack(r.rsp, n * 8);
        if (f == nullptr) return OtherExit{reason, r.rip};  // frame not on our stack
        std::uint64_t w[6];
        std::memcpy(w, f, n * 8);
        const std::uint64_t* fr = has_err ? w + 1 : w;
        Exception e{vec, has_err ? w[0] : 0, fr[0], fr[1], fr[3], fr[2]};
        const bool from_ring3 = (e.cs & 3) == 3;
        if (from_ring3) frame3_ = {true, e.rip, e.rsp, e.rflags};
        if (vec == kVecPF && from_ring3) {
          ++c_.page_faults;
          return PageFault{vcpu_->sregs().cr2, e.error_code, e.rip, e.rsp, e.rflags};
        }
        return e;
      }
      if (at == layout::kRing0Code + guest_code::r0_done()) return Ring0Done{};
      return OtherExit{reason, r.rip};
    }
    case KVM_EXIT_MMIO: {
      Mmio m{run->mmio.phys_addr, run->mmio.is_write != 0, run->mmio.len, 0};
      std::memcpy(&m.data, run->mmio.data, std::min<std::uint32_t>(m.len, 8));
      if (m.is_write && (m.gpa & ~kPageMask) == layout_->done_gpa()) {
        frame3_.valid = false;
        return Done{m.data};
      }
      return m;
    }
    case KVM_EXIT_SHUTDOWN: return Shutdown{};
    case KVM_EXIT_INTERNAL_ERROR: {
      InternalError e{run->internal.suberror, {}};
      for (std::uint32_t i = 0; i < std::min<std::uint32_t>(run->internal.ndata, 16); ++i)
        e.data.push_back(run->internal.data[i]);
      return e;
    }
    case KVM_EXIT_FAIL_ENTRY: return FailEntry{run->fail_entry.hardware_entry_failure_reason};
    case KVM_EXIT_INTR: return Interrupted{};
    default: return OtherExit{reason, r.rip};
  }
}

StatusOr<Exit> Guest::run_ring3(std::uint64_t cr3, const kvm_regs& regs) {
  kvm_sregs& s = vcpu_->sregs();
  if (s.cs.dpl != 3 || s.cs.selector != (kSelUserCode | 3) || s.cr3 != cr3) {
    s.cs = GuestLayout::user_cs();
    s.ss = GuestLayout::user_ss();
    s.cr3 = cr3;
    vcpu_->mark_dirty(KVM_SYNC_X86_SREGS);
  }
  vcpu_->regs() = regs;
  vcpu_->mark_dirty(KVM_SYNC_X86_REGS);
  frame3_.valid = false;
  return run_and_decode();
}

StatusOr<Exit> Guest::resume(std::uint64_t cr3) {
  kvm_sregs& s = vcpu_->sregs();
  if (frame3_.valid) {
    // Return from the exception without running guest ring 0: restore the
    // interrupted context directly (no iretq emulation).
    kvm_regs& r = vcpu_->regs();
    r.rip = frame3_.rip;
    r.rsp = frame3_.rsp;
    r.rflags = frame3_.rflags;
    vcpu_->mark_dirty(KVM_SYNC_X86_REGS);
    s.cs = GuestLayout::user_cs();
    s.ss = GuestLayout::user_ss();
    s.cr3 = cr3;
    vcpu_->mark_dirty(KVM_SYNC_X86_SREGS);
    frame3_.valid = false;
  } else if (s.cr3 != cr3) {
    s.cr3 = cr3;
    vcpu_->mark_dirty(KVM_SYNC_X86_SREGS);
  }
  return run_and_decode();
}

Status Guest::run_ring0(std::uint64_t cr3, std::uint64_t entry, std::uint64_t rdi,
                        std::uint64_t rsi) {
  const kvm_regs saved_regs = vcpu_->regs();
  const kvm_sregs saved_sregs = vcpu_->sregs();
  const Frame3 saved_frame = frame3_;

  kvm_sregs& s = vcpu_->sregs();
  s.cs = GuestLayout::kernel_cs();
  s.ss = GuestLayout::kernel_ss();
  s.cr3 = cr3;
  kvm_regs& r = vcpu_->regs();
  r = kvm_regs{};
  r.rip = layout::kRing0Code + entry;
  r.rsp = layout::kRsp0;
  r.rflags = 0x2;  // IF = 0
  r.rdi = rdi;
  r.rsi = rsi;
  vcpu_->mark_dirty(KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS);
  ++c_.ring0_runs;
  auto e = run_and_decode();

  vcpu_->regs() = saved_regs;
  vcpu_->sregs() = saved_sregs;
  vcpu_->mark_dirty(KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS);
  frame3_ = saved_frame;
  if (!e.ok()) return e.status();
  if (!std::holds_alternative<Ring0Done>(*e))
    return absl::InternalError(
        fmt::format("ring-0 helper at offset {:#x} ended with: {}", entry, to_string(*e)));
  return absl::OkStatus();
}

// ---------------------------------------------------------- access routines --

kvm_regs Guest::routine_regs(std::uint64_t entry) const {
  kvm_regs r{};
  r.rip = layout::kRing3Code + entry;
  r.rsp = layout::kUserStackTop;
  r.rflags = kRflagsRing3;
  r.r15 = layout::kDonePage;
  return r;
}

StatusOr<bool> Guest::drive(std::uint64_t cr3, const kvm_regs& start, const FaultHandler& h,
                            AccessOutcome& out, PageFault* failed) {
  auto e = run_ring3(cr3, start);
  PageFault last{};
  int same = 0;
  for (;;) {
    if (!e.ok()) return e.status();
    if (std::holds_alternative<Done>(*e)) return true;
    const PageFault* pf = std::get_if<PageFault>(&*e);
    if (pf == nullptr)
      return absl::InternalError(fmt::format("ring-3 routine: unexpected exit: {}", to_string(*e)));
    const std::uint64_t code = layout::kRing3Code;
    if (pf->cr2 >= uvmsim::kUserMax || pf->rip < code || pf->rip >= code + 4096)
      return absl::InternalError(
          fmt::format("ring-3 routine: fault in the reserved region: {}", to_string(*e)));
    ++out.faults;
    if (pf->cr2 == last.cr2 && pf->error_code == last.error_code && pf->rip == last.rip) {
      if (++same >= kMaxSameFault)
        return absl::InternalError(fmt::format(
            "ring-3 routine: fault at {:#x} (error {:#x}) not resolved after {} retries; "
            "a missing invalidation?", pf->cr2, pf->error_code, same));
    } else {
      same = 0;
      last = *pf;
    }
    auto action = h(*pf);
    if (!action.ok()) return action.status();
    if (*action == FaultAction::kFail) {
      *failed = *pf;
      return false;
    }
    e = resume(cr3);
  }
}

StatusOr<AccessOutcome> Guest::read(std::uint64_t cr3, std::uint64_t va,
                                    std::span<std::uint8_t> out, const FaultHandler& h) {
  return bounce_copy(cr3, va, out.data(), out.size(), /*to_process=*/false, h);
}

StatusOr<AccessOutcome> Guest::write(std::uint64_t cr3, std::uint64_t va,
                                     std::span<const std::uint8_t> data, const FaultHandler& h) {
  // bounce_copy only reads from `host` when copying to the process.
  return bounce_copy(cr3, va, const_cast<std::uint8_t*>(data.data()), data.size(), /*to_process=*/true, h);
}

// Moves len bytes between process memory at va and host memory through the
// bounce buffer, one bounce-sized chunk per ring-3 run of the copy routine;
// every byte crosses the process's real page tables.
StatusOr<AccessOutcome> Guest::bounce_copy(std::uint64_t cr3, std::uint64_t va, std::uint8_t* host,
                                           std::uint64_t len, bool to_process, const FaultHandler& h) {
  AccessOutcome res;
  const std::uint64_t chunk = layout_->bounce_size();
  for (std::uint64_t off = 0; off < len; off += chunk) {
    const std::uint64_t n = std::min<std::uint64_t>(chunk, len - off);
    if (to_process) std::memcpy(layout_->bounce(), host + off, n);
    kvm_regs r = routine_regs(guest_code::r3_copy());
    r.rsi = to_process ? layout::kBounce : va + off;
    r.rdi = to_process ? va + off : layout::kBounce;
    r.rcx = n;
    PageFault pf;
    auto done = drive(cr3, r, h, res, &pf);
    if (!done.ok()) return done.status();
    const std::uint64_t got = *done ? n : n - vcpu_->regs().rcx;
    if (!to_process) std::memcpy(host + off, layout_->bounce(), got);
    res.done += got;
    if (!*done) {
      res.ok = false;
      res.fault_addr = pf.cr2;
      res.error_code = pf.error_code;
      return res;
    }
  }
  return res;
}

// The ring-3 routines count down in RCX: a routine that stopped on a fault
// the handler refused did `total - RCX` units.
void Guest::settle(AccessOutcome& res, bool finished, std::uint64_t total, const PageFault& pf) {
  res.done = finished ? total : total - vcpu_->regs().rcx;
  if (!finished) {
    res.ok = false;
    res.fault_addr = pf.cr2;
    res.error_code = pf.error_code;
  }
}

StatusOr<AccessOutcome> Guest::fill(std::uint64_t cr3, std::uint64_t va, std::uint64_t len,
                                    std::uint8_t byte, const FaultHandler& h) {
  AccessOutcome res;
  if (len == 0) return res;
  kvm_regs r = routine_regs(guest_code::r3_fill());
  r.rdi = va;
  r.rax = byte;
  r.rcx = len;
  PageFault pf;
  auto done = drive(cr3, r, h, res, &pf);
  if (!done.ok()) return done.status();
  settle(res, *done, len, pf);
  return res;
}

StatusOr<AccessOutcome> Guest::sum(std::uint64_t cr3, std::uint64_t va, std::uint64_t len,
                                   const FaultHandler& h, std::uint64_t from) {
  AccessOutcome res;
  res.hash = from;
  if (len == 0) return res;
  kvm_regs r = routine_regs(guest_code::r3_fnv1a());
  r.rsi = va;
  r.rcx = len;
  r.rax = from;
  r.r8 = kFnvPrime;
  PageFault pf;
  auto done = drive(cr3, r, h, res, &pf);
  if (!done.ok()) return done.status();
  settle(res, *done, len, pf);
  res.hash = *done ? vcpu_->regs().rax : 0;
  return res;
}

StatusOr<AccessOutcome> Guest::touch(std::uint64_t cr3, std::uint64_t va, std::uint64_t count,
                                     std::uint64_t stride, bool write, const FaultHandler& h) {
  AccessOutcome res;
  if (count == 0) return res;
  kvm_regs r = routine_regs(write ? guest_code::r3_touch_write() : guest_code::r3_touch_read());
  r.rsi = r.r10 = va;
  r.rcx = r.r11 = count;
  r.rdx = stride;
  r.r9 = 1;  // one pass (the read routine's pass count)
  PageFault pf;
  auto done = drive(cr3, r, h, res, &pf);
  if (!done.ok()) return done.status();
  settle(res, *done, count, pf);
  return res;
}

StatusOr<AccessOutcome> Guest::touch_passes(std::uint64_t cr3, std::uint64_t va,
                                            std::uint64_t count, std::uint64_t stride,
                                            std::uint64_t passes, const FaultHandler& h) {
  AccessOutcome res;
  if (count == 0 || passes == 0) return res;
  kvm_regs r = routine_regs(guest_code::r3_touch_read());
  r.rsi = r.r10 = va;
  r.rcx = r.r11 = count;
  r.rdx = stride;
  r.r9 = passes;
  PageFault pf;
  auto done = drive(cr3, r, h, res, &pf);
  if (!done.ok()) return done.status();
  const std::uint64_t total = count * passes;
  // R9 counts the passes left, the current one included.
  const std::uint64_t before = *done ? 0 : (passes - vcpu_->regs().r9) * count;
  settle(res, *done, count, pf);
  res.done = *done ? total : before + res.done;
  return res;
}

Status Guest::spin(std::uint64_t cr3, std::uint64_t iterations) {
  kvm_regs r = routine_regs(guest_code::r3_spin());
  r.rcx = std::max<std::uint64_t>(iterations, 1);
  AccessOutcome res;
  PageFault pf;
  auto done = drive(cr3, r, [](const PageFault&) -> StatusOr<FaultAction> {
    return FaultAction::kFail;
  }, res, &pf);
  if (!done.ok()) return done.status();
  if (!*done) return absl::InternalError("spin: unexpected page fault");
  return absl::OkStatus();
}

}  // namespace uvmsim::kvm
