#include "kvm/guest_layout.h"

#include <cstring>

#include <fmt/format.h>

#include "kvm/guest_code.h"

namespace uvmsim::kvm {

using namespace x86;
using namespace layout;

namespace {

// Table entries for the shared upper levels: user-accessible in the lower
// half (the leaves decide), supervisor in the upper half.
constexpr std::uint64_t kUpperUser = kPteP | kPteW | kPteU;
constexpr std::uint64_t kUpperKernel = kPteP | kPteW;

std::uint64_t seg_desc(std::uint8_t access, std::uint8_t flags_hi) {
  // limit 0xfffff, base 0; access byte at bits 40..47, flags (G, D/B, L) at 52..55.
  return 0xffffull | (std::uint64_t{access} << 40) | (0xfull << 48) |
         (std::uint64_t{flags_hi} << 52);
}

}  // namespace

GuestLayout::~GuestLayout() {
  for (const Frame& f : frames_) pool_.free(f, FrameUse::kLayout);
}

StatusOr<Frame> GuestLayout::alloc() {
  StatusOr<Frame> f = pool_.alloc(FrameUse::kLayout);
  if (f.ok()) frames_.push_back(*f);
  return f;
}

Status GuestLayout::map(std::uint64_t va, std::uint64_t gpa, std::uint64_t flags) {
  const bool user = (va >> 47) == 0;
  std::uint64_t* table = template_root_.table();
  for (int level = 4; level > 1; --level) {
    std::uint64_t& e = table[pt_index(va, level)];
    if (!(e & kPteP)) {
      StatusOr<Frame> f = alloc();
      if (!f.ok()) return f.status();
      e = f->gpa | (user ? kUpperUser : kUpperKernel);
    }
    table = reinterpret_cast<std::uint64_t*>(pool_.hva(e & kPteAddrMask));
  }
  table[pt_index(va, 1)] = (gpa & kPteAddrMask) | flags;
  return absl::OkStatus();
}

StatusOr<std::unique_ptr<GuestLayout>> GuestLayout::Create(FramePool& pool,
                                                           std::uint64_t done_gpa,
                                                           unsigned bounce_pages) {
  if (bounce_pages == 0 || bounce_pages > kMaxBouncePages)
    return absl::InvalidArgumentError(
        fmt::format("GuestLayout: bounce_pages {} not in [1, {}]", bounce_pages, kMaxBouncePages));
  std::unique_ptr<GuestLayout> g(new GuestLayout(pool));
  g->done_gpa_ = done_gpa;
  g->pool_gpa_ = pool.gpa();
  g->bounce_pages_ = bounce_pages;
  auto root = g->alloc();
  if (!root.ok()) return root.status();
  g->template_root_ = *root;

  // The bounce buffer first, so its frames are contiguous in the host.
  std::vector<Frame> bounce;
  for (unsigned i = 0; i < bounce_pages; ++i) {
    auto f = g->alloc();
    if (!f.ok()) return f.status();
    if (i > 0 && f->hva != bounce.back().hva + 4096)
      return absl::InternalError("GuestLayout: bounce frames are not contiguous");
    bounce.push_back(*f);
  }
  g->bounce_ = bounce.front().hva;

  auto page = [&](std::span<const std::uint8_t> bytes) -> StatusOr<Frame> {
    auto f = g->alloc();
    if (f.ok() && !bytes.empty()) std::memcpy(f->hva, bytes.data(), bytes.size());
    return f;
  };
  const auto r0 = guest_code::ring0(), r3 = guest_code::ring3();
  if (r0.size() > 4096 || r3.size() > 4096)
    return absl::InternalError("GuestLayout: guest code larger than a page");
  auto code0 = page(r0), code3 = page(r3), gdt = page({}), idt = page({}), tss = page({}),
       args = page({}), stack0 = page({}), stack1 = page({}), ustack = page({});
  for (auto* f : {&code0, &code3, &gdt, &idt, &tss, &args, &stack0, &stack1, &ustack})
    if (!f->ok()) return f->status();
  g->args_ = *args;
  g->stack_ = *stack0;
  if (stack1->hva != stack0->hva + 4096)
    return absl::InternalError("GuestLayout: ring-0 stack frames are not contiguous");

  // GDT: null, kernel code64, kernel data, user data, user code64, TSS.
  auto* gd = gdt->table();
  gd[kSelKernelCode / 8] = seg_desc(0x9b, 0xa);  // P, DPL0, code RX accessed; G, L
  gd[kSelKernelData / 8] = seg_desc(0x93, 0xc);  // P, DPL0, data RW accessed; G, D/B
  gd[kSelUserData / 8] = seg_desc(0xf3, 0xc);    // P, DPL3, data
  gd[kSelUserCode / 8] = seg_desc(0xfb, 0xa);    // P, DPL3, code64
  const std::uint64_t tss_base = kTss;
  gd[kSelTss / 8] = 0x67ull | ((tss_base & 0xffffff) << 16) | (0x8bull << 40) |
                    (((tss_base >> 24) & 0xff) << 56);  // P, busy 64-bit TSS
  gd[kSelTss / 8 + 1] = tss_base >> 32;

  // IDT: 256 interrupt gates (type 0xE, DPL 0, present), vector v -> stub v.
  auto* id = idt->table();
  for (std::uint64_t v = 0; v < 256; ++v) {
    const std::uint64_t off = kRing0Code + v;
    id[2 * v] = (off & 0xffff) | (std::uint64_t{kSelKernelCode} << 16) | (0x8eull << 40) |
                (((off >> 16) & 0xffff) << 48);
    id[2 * v + 1] = off >> 32;
  }

  // 64-bit TSS: RSP0 at offset 4, I/O map base beyond the limit.
  std::memcpy(tss->hva + 4, &kRsp0, 8);
  const std::uint16_t iomap = 0x68;
  std::memcpy(tss->hva + 0x66, &iomap, 2);

  struct M { std::uint64_t va, gpa, flags; };
  const std::uint64_t kdata = kPteP | kPteW | kPteNx, udata = kPteP | kPteW | kPteU | kPteNx;
  std::vector<M> maps = {
      {kRing0Code, code0->gpa, kPteP},
      {kGdt, gdt->gpa, kdata},
      {kIdt, idt->gpa, kdata},
      {kTss, tss->gpa, kdata},
      {kArgs, args->gpa, kdata},
      {kRing0StackBottom, stack0->gpa, kdata},
      {kRing0StackBottom + 0x1000, stack1->gpa, kdata},
      {kRing3Code, code3->gpa, kPteP | kPteU},
      {kDonePage, done_gpa, udata},
      {kUserStackBottom, ustack->gpa, udata},
  };
  for (unsigned i = 0; i < bounce_pages; ++i) maps.push_back({kBounce + i * 4096ull, bounce[i].gpa, udata});
  for (const M& m : maps)
    if (Status s = g->map(m.va, m.gpa, m.flags); !s.ok()) return s;

  // Slot 510: the pool in 2 MiB pages (supervisor RW NX).
  std::uint64_t* pml4 = g->template_root_.table();
  for (std::uint64_t off = 0; off < pool.size(); off += 2ull << 20) {
    const std::uint64_t va = kPoolMapBase + off;
    std::uint64_t* t = pml4;
    for (int level = 4; level > 2; --level) {
      std::uint64_t& e = t[pt_index(va, level)];
      if (!(e & kPteP)) {
        auto f = g->alloc();
        if (!f.ok()) return f.status();
        e = f->gpa | kUpperKernel;
      }
      t = reinterpret_cast<std::uint64_t*>(pool.hva(e & kPteAddrMask));
    }
    t[pt_index(va, 2)] = (pool.gpa() + off) | kPteP | kPteW | kPtePs | kPteNx;
  }
  // Slot 254: an empty PDPT, so later additions reach every root.
  auto lo = g->alloc();
  if (!lo.ok()) return lo.status();
  pml4[kSlotReservedLo] = lo->gpa | kUpperUser;
  return g;
}

Status GuestLayout::install(std::uint64_t* pml4) const {
  if (pml4 == nullptr || (reinterpret_cast<std::uintptr_t>(pml4) & 0xfff))
    return absl::InvalidArgumentError("GuestLayout::install: PML4 must be a page-aligned table");
  const std::uint64_t* t = template_root_.table();
  for (unsigned slot : {kSlotReservedLo, kSlotReservedHi, kSlotPoolMap, kSlotKernel})
    pml4[slot] = t[slot];
  return absl::OkStatus();
}

std::uint8_t* GuestLayout::ring0_stack(std::uint64_t va, std::uint64_t len) const {
  if (va < kRing0StackBottom || va + len > kRsp0 || va + len < va) return nullptr;
  return stack_.hva + (va - kRing0StackBottom);
}

kvm_segment GuestLayout::kernel_cs() {
  kvm_segment s{};
  s.base = 0; s.limit = 0xffffffff; s.selector = kSelKernelCode;
  s.type = 0xb; s.present = 1; s.dpl = 0; s.db = 0; s.s = 1; s.l = 1; s.g = 1;
  return s;
}
kvm_segment GuestLayout::kernel_ss() {
  kvm_segment s{};
  s.base = 0; s.limit = 0xffffffff; s.selector = kSelKernelData;
  s.type = 0x3; s.present = 1; s.dpl = 0; s.db = 1; s.s = 1; s.l = 0; s.g = 1;
  return s;
}
kvm_segment GuestLayout::user_cs() {
  kvm_segment s = kernel_cs();
  s.selector = kSelUserCode | 3; s.dpl = 3;
  return s;
}
kvm_segment GuestLayout::user_ss() {
  kvm_segment s = kernel_ss();
  s.selector = kSelUserData | 3; s.dpl = 3;
  return s;
}

void GuestLayout::init_sregs(kvm_sregs& s, std::uint64_t cr3) const {
  s.cs = user_cs();
  s.ss = s.ds = s.es = s.fs = s.gs = user_ss();
  s.fs.base = s.gs.base = 0;
  s.tr = kvm_segment{};
  s.tr.base = kTss; s.tr.limit = 0x67; s.tr.selector = kSelTss;
  s.tr.type = 0xb; s.tr.present = 1; s.tr.s = 0;
  s.ldt = kvm_segment{};
  s.ldt.unusable = 1;
  s.gdt.base = kGdt; s.gdt.limit = 6 * 8 + 8 - 1;
  s.idt.base = kIdt; s.idt.limit = 256 * 16 - 1;
  s.cr0 = kCr0;
  s.cr3 = cr3;
  s.cr4 = kCr4Pae;
  s.efer = kEferSce | kEferLme | kEferLma | kEferNxe;
}

}  // namespace uvmsim::kvm
