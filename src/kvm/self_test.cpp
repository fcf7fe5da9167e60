// The probes. Each trial builds a throw-away address space, lets ring 3 read
// a page through it (so the MMU caches the translation and sets A), changes
// an entry from the host, applies one method and reads again through ring 3:
// the method works if ring 3 now sees the new frame's data. Every trial uses
// fresh frames and tables, so trials cannot help each other.
#include "kvm/self_test.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "kvm/guest.h"
#include "kvm/page_tables.h"

namespace uvmsim::kvm {

using namespace x86;

namespace {

constexpr std::uint64_t kVa = 0x40000000;  // any user address below kUserMax
constexpr std::uint64_t kLeaf = kPteP | kPteW | kPteU | kPteNx;

double now_us() {
  using namespace std::chrono;
  return duration<double, std::micro>(steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Reads the qword at va through ring 3; faults are errors here.
StatusOr<std::uint64_t> peek(Guest& g, std::uint64_t root, std::uint64_t va) {
  std::uint64_t v = 0;
  auto r = g.read(root, va, {reinterpret_cast<std::uint8_t*>(&v), 8},
                  [](const PageFault&) -> StatusOr<FaultAction> { return FaultAction::kFail; });
  if (!r.ok()) return r.status();
  if (!r->ok)
    return absl::InternalError(fmt::format("self-test: unexpected fault at {:#x} (error {:#x})",
                                           r->fault_addr, r->error_code));
  return v;
}

class Scratch {
 public:
  explicit Scratch(FramePool& p) : pool_(p) {}
  ~Scratch() {
    for (const Frame& f : frames_) pool_.free(f, FrameUse::kScratch);
  }
  StatusOr<Frame> frame(std::uint64_t marker) {
    auto f = pool_.alloc(FrameUse::kScratch);
    if (!f.ok()) return f;
    frames_.push_back(*f);
    std::memcpy(f->hva, &marker, 8);
    return f;
  }

 private:
  FramePool& pool_;
  std::vector<Frame> frames_;
};

// One PTE trial; returns whether ring 3 saw the new frame, and the cost.
StatusOr<bool> pte_trial(Guest& g, Method m, int n, double* cost, bool* accessed) {
  Scratch s(g.pool());
  const std::uint64_t m1 = 0x1111000000000000ull + n, m2 = 0x2222000000000000ull + n;
  auto pt = PageTables::Create(g.pool(), g.layout());
  if (!pt.ok()) return pt.status();
  auto f1 = s.frame(m1), f2 = s.frame(m2);
  if (!f1.ok()) return f1.status();
  if (!f2.ok()) return f2.status();
  if (Status st = pt->map(kVa, f1->gpa, kLeaf); !st.ok()) return st;
  const std::uint64_t root = pt->root_gpa();
  auto v = peek(g, root, kVa);
  if (!v.ok()) return v.status();
  if (*v != m1) return absl::InternalError("self-test: first read saw the wrong data");
  auto pte = pt->entry(kVa, 1, false);
  if (!pte.ok()) return pte.status();
  *accessed = (**pte & kPteA) != 0;
  __atomic_store_n(*pte, f2->gpa | kLeaf, __ATOMIC_RELEASE);

  Invalidator& inv = g.invalidator();
  const std::uint64_t va = kVa, old = f1->gpa;
  const double t0 = now_us();
  Status st;
  switch (m) {
    case Method::kNone: break;
    case Method::kGuestInvlpg: st = inv.guest_invlpg(root, {&va, 1}); break;
    case Method::kGuestCr3Reload: st = inv.guest_cr3_reload(root); break;
    case Method::kZapOldFrame: st = inv.zap_frames({&old, 1}); break;
    case Method::kGlobalZap: st = inv.global_zap(); break;
    default: return absl::InvalidArgumentError("pte_trial: method not applicable");
  }
  *cost = now_us() - t0;
  if (!st.ok()) return st;
  auto w = peek(g, root, kVa);
  if (!w.ok()) return w.status();
  return *w == m2;
}

// One PDE trial: two touched pages under table X, then the PDE is switched
// to a new table Y mapping other frames.
StatusOr<bool> pde_trial(Guest& g, Method m, int n, double* cost) {
  Scratch s(g.pool());
  auto pt = PageTables::Create(g.pool(), g.layout());
  if (!pt.ok()) return pt.status();
  const std::uint64_t root = pt->root_gpa();
  std::uint64_t old_frames[2], vas[2] = {kVa, kVa + 0x1000};
  std::uint64_t new_markers[2];
  for (int i = 0; i < 2; ++i) {
    auto f = s.frame(0x3333000000000000ull + n * 2 + i);
    if (!f.ok()) return f.status();
    old_frames[i] = f->gpa;
    if (Status st = pt->map(vas[i], f->gpa, kLeaf); !st.ok()) return st;
  }
  for (int i = 0; i < 2; ++i) {
    auto v = peek(g, root, vas[i]);
    if (!v.ok()) return v.status();
  }
  auto x = pt->table_of(kVa, 1), pd = pt->table_of(kVa, 2);
  if (!x.ok()) return x.status();
  if (!pd.ok()) return pd.status();
  auto y = pt->new_table();
  if (!y.ok()) return y.status();
  for (int i = 0; i < 2; ++i) {
    new_markers[i] = 0x4444000000000000ull + n * 2 + i;
    auto f = s.frame(new_markers[i]);
    if (!f.ok()) return f.status();
    y->table()[pt_index(vas[i], 1)] = f->gpa | kLeaf;
  }
  const unsigned idx = pt_index(kVa, 2);
  const std::uint64_t pde = y->gpa | kPteP | kPteW | kPteU;
  Invalidator& inv = g.invalidator();
  const double t0 = now_us();
  Status st;
  if (m == Method::kRing0Store) {
    st = inv.ring0_store(*pd, idx, pde);
  } else {
    __atomic_store_n(&pd->table()[idx], pde, __ATOMIC_RELEASE);
    switch (m) {
      case Method::kNone: break;
      case Method::kGuestInvlpg: st = inv.guest_invlpg(root, vas); break;
      case Method::kGuestCr3Reload: st = inv.guest_cr3_reload(root); break;
      case Method::kZapOldFrame: st = inv.zap_frames(old_frames); break;
      case Method::kZapOldTable: st = inv.zap_frames({&x->gpa, 1}); break;
      case Method::kGlobalZap: st = inv.global_zap(); break;
      default: return absl::InvalidArgumentError("pde_trial: method not applicable");
    }
  }
  *cost = now_us() - t0;
  if (!st.ok()) return st;
  bool all = true;
  for (int i = 0; i < 2; ++i) {
    auto v = peek(g, root, vas[i]);
    if (!v.ok()) return v.status();
    all = all && *v == new_markers[i];
  }
  return all;
}

const Probe* find(const std::vector<Probe>& v, Method m) {
  for (const Probe& p : v)
    if (p.method == m) return &p;
  return nullptr;
}

}  // namespace

StatusOr<SelfTestResult> run_self_test(Guest& g, int trials) {
  SelfTestResult r;
  r.ran = true;
  r.accessed_bit_set = true;
  int n = 0;
  for (Method m : {Method::kNone, Method::kGuestInvlpg, Method::kGuestCr3Reload,
                   Method::kZapOldFrame, Method::kGlobalZap}) {
    Probe p{m};
    std::vector<double> costs;
    for (int t = 0; t < trials; ++t) {
      double c = 0;
      bool a = false;
      auto ok = pte_trial(g, m, n++, &c, &a);
      if (!ok.ok()) return ok.status();
      r.accessed_bit_set = r.accessed_bit_set && a;
      ++p.trials;
      p.passes += *ok;
      costs.push_back(c);
    }
    p.cost_us = median(costs);
    r.pte.push_back(p);
  }
  for (Method m : {Method::kNone, Method::kGuestInvlpg, Method::kGuestCr3Reload,
                   Method::kZapOldFrame, Method::kZapOldTable, Method::kRing0Store,
                   Method::kGlobalZap}) {
    Probe p{m};
    std::vector<double> costs;
    for (int t = 0; t < trials; ++t) {
      double c = 0;
      auto ok = pde_trial(g, m, n++, &c);
      if (!ok.ok()) return ok.status();
      ++p.trials;
      p.passes += *ok;
      costs.push_back(c);
    }
    p.cost_us = median(costs);
    r.pde.push_back(p);
  }
  // Forget everything the probes built.
  if (Status s = g.invalidator().global_zap(); !s.ok()) return s;

  auto works = [](const std::vector<Probe>& v, Method m) {
    const Probe* p = find(v, m);
    return p != nullptr && p->works();
  };
  std::string why;
  Strategy& c = r.chosen;
  // Leaf PTEs: the architectural guest invlpg when the platform honours it
  // (VMX/SVM with EPT/NPT), else the frame zap, else the global zap.
  if (works(r.pte, Method::kGuestInvlpg)) {
    c.pte = Method::kGuestInvlpg;
    why = "PTE: guest invlpg made the new PTE visible (architectural TLB behaviour)";
  } else if (works(r.pte, Method::kZapOldFrame)) {
    c.pte = Method::kZapOldFrame;
    why = "PTE: guest invlpg and CR3 reload left the stale translation; "
          "madvise(MADV_DONTNEED) of the old frame removed it";
  } else if (works(r.pte, Method::kGlobalZap)) {
    c.pte = Method::kGlobalZap;
    why = "PTE: only a global zap (memslot delete/re-add) removed the stale translation";
  } else {
    return absl::FailedPreconditionError(
        "kvm self-test: no method makes a host PTE edit visible to the guest:\n" + r.to_string());
  }
  if (works(r.pte, Method::kNone)) why += " (doing nothing also worked, but that is not relied on)";
  // Upper-level entries.
  if (c.pte == Method::kGuestInvlpg && works(r.pde, Method::kGuestInvlpg)) {
    c.pde = Method::kGuestInvlpg;
    why += "; PDE: guest invlpg";
  } else if (works(r.pde, Method::kGuestCr3Reload)) {
    c.pde = Method::kGuestCr3Reload;
    why += "; PDE: guest CR3 reload";
  } else if (c.pte == Method::kZapOldFrame && works(r.pde, Method::kZapOldFrame)) {
    c.pde = Method::kZapOldFrame;
    why += "; PDE: zapping every old leaf frame below the replaced table was enough "
           "(the pmap does that anyway when it empties the table)";
  } else if (works(r.pde, Method::kRing0Store)) {
    c.pde = Method::kRing0Store;
    why += "; PDE: a ring-0 store of the entry (seen by KVM's write tracking)";
  } else if (works(r.pde, Method::kGlobalZap)) {
    c.pde = Method::kGlobalZap;
    why += "; PDE: only a global zap";
  } else {
    return absl::FailedPreconditionError(
        "kvm self-test: no method makes a host PDE edit visible to the guest:\n" + r.to_string());
  }
  c.why = why;
  return r;
}

std::string SelfTestResult::to_string() const {
  if (!ran) return "self-test: not run\n";
  std::string s;
  auto list = [&](const char* what, const std::vector<Probe>& v) {
    s += fmt::format("  {} change:\n", what);
    for (const Probe& p : v)
      s += fmt::format("    {:<17} {}/{} {:>9.1f} us{}\n", kvm::to_string(p.method), p.passes,
                       p.trials, p.cost_us, p.works() ? "  works" : "");
  };
  list("PTE", pte);
  list("PDE", pde);
  s += fmt::format("  accessed bit set by ring 3: {}\n", accessed_bit_set ? "yes" : "NO");
  s += fmt::format("  strategy: PTE {}, PDE {}\n  why: {}\n", kvm::to_string(chosen.pte),
                   kvm::to_string(chosen.pde), chosen.why);
  return s;
}

}  // namespace uvmsim::kvm
