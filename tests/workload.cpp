// The shared randomized workload: machine axes, generator, reference model,
// scenario printer and lockstep executor (see workload.h).
#include "workload.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "fmt/format.h"
#include "uvmsim/platform.h"

namespace uvmsim::workload {

// ===========================================================================
// Machine axes.

std::string MachineAxis::name() const {
  const std::string b(to_string(backend));
  return anon == AnonModel::kAmap ? b : b + "/" + std::string(to_string(anon));
}

std::vector<std::string> MachineAxis::cli_args() const {
  return {"--backend", std::string(to_string(backend)), "--anon", std::string(to_string(anon))};
}

std::vector<MachineAxis> all_axes() {
  return {MachineAxis{Backend::kSoft, AnonModel::kAmap}, MachineAxis{Backend::kKvm, AnonModel::kAmap},
          MachineAxis{Backend::kSoft, AnonModel::kShadow}, MachineAxis{Backend::kKvm, AnonModel::kShadow}};
}

std::vector<MachineAxis> usable_axes(std::string* skipped) {
  std::vector<MachineAxis> v;
  for (const MachineAxis& a : all_axes()) {
    std::string why;
    if (a.backend == Backend::kKvm && !kvm_usable(&why)) {
      if (skipped) *skipped += fmt::format("{}{}: {}", skipped->empty() ? "" : "; ", a.name(), why);
      continue;
    }
    v.push_back(a);
  }
  return v;
}

MachineAxis axis_from_env() {
  const char* b = std::getenv("UVMSIM_TEST_BACKEND");
  const char* a = std::getenv("UVMSIM_TEST_ANON");
  return MachineAxis{b != nullptr && std::string(b) == "kvm" ? Backend::kKvm : Backend::kSoft,
                     a != nullptr && std::string(a) == "shadow" ? AnonModel::kShadow : AnonModel::kAmap};
}

std::string Regime::describe() const {
  return fmt::format("mem {} pages, swap {} pages{}", mem_pages, swap_pages, ppref ? "" : ", no ppref");
}

// ===========================================================================
// Operations and mixes.

const char* op_name(OpKind k) {
  switch (k) {
    case OpKind::kMmapAnon:
    case OpKind::kMmapFile: return "mmap";
    case OpKind::kMunmap: return "munmap";
    case OpKind::kMprotect: return "mprotect";
    case OpKind::kMinherit: return "minherit";
    case OpKind::kMadvise: return "madvise";
    case OpKind::kMlock: return "mlock";
    case OpKind::kMunlock: return "munlock";
    case OpKind::kMsync: return "msync";
    case OpKind::kWrite: return "write";
    case OpKind::kFill: return "fill";
    case OpKind::kRead: return "read";
    case OpKind::kSum: return "sum";
    case OpKind::kFork: return "fork";
    case OpKind::kExit: return "exit";
    case OpKind::kLoan: return "loan";
    case OpKind::kKread: return "kread";
    case OpKind::kUnloan: return "unloan";
    case OpKind::kCount: break;
  }
  return "?";
}

namespace {

bool is_access(OpKind k) {
  return k == OpKind::kWrite || k == OpKind::kFill || k == OpKind::kRead || k == OpKind::kSum;
}

void map_weights(Mix& m) {
  m.w(OpKind::kMmapAnon) = 12;
  m.w(OpKind::kMunmap) = 6;
  m.w(OpKind::kMprotect) = 7;
  m.w(OpKind::kMinherit) = 6;
  m.w(OpKind::kMlock) = 2;
  m.w(OpKind::kMunlock) = 2;
  m.w(OpKind::kMadvise) = 4;
  m.w(OpKind::kFork) = 7;
  m.w(OpKind::kExit) = 5;
}

void loan_weights(Mix& m) {
  m.w(OpKind::kLoan) = 8;
  m.w(OpKind::kKread) = 12;
  m.w(OpKind::kUnloan) = 5;
}

void file_weights(Mix& m) {
  m.files = true;
  m.w(OpKind::kMmapFile) = 5;
  m.w(OpKind::kMsync) = 3;
}

}  // namespace

Mix random_mix(bool loans) {
  Mix m;
  map_weights(m);
  file_weights(m);
  m.w(OpKind::kWrite) = 20;
  m.w(OpKind::kFill) = 5;
  m.w(OpKind::kRead) = 18;
  m.w(OpKind::kSum) = 6;
  if (loans) loan_weights(m);
  m.odd_args = true;
  return m;
}

Mix differential_mix() {
  Mix m = random_mix(true);
  m.max_procs = 5;
  m.window_pages = 40;
  // Fewer loans than the random test: the point here is the page tables.
  m.w(OpKind::kLoan) = 4;
  m.w(OpKind::kKread) = 4;
  m.w(OpKind::kUnloan) = 3;
  return m;
}

Mix scenario_mix() {
  Mix m = random_mix(true);
  m.max_procs = 5;
  m.window_pages = 24;
  return m;
}

std::vector<FileSpec> workload_files(const Mix& mix) {
  if (!mix.files) return {};
  return {FileSpec{24, 0x61}, FileSpec{6, 0x00}};
}

// ===========================================================================
// The reference model.

namespace {

const PageData& zero_page() {
  static const PageData z;
  return z;
}

Cell copy_cell(const PageData& d) { return std::make_shared<PageData>(d); }

void set_byte(PageData& d, std::size_t i, std::uint8_t v) {
  d.bytes[i] = v;
  if (!d.known.empty()) {
    d.known[i] = 1;
    if (std::all_of(d.known.begin(), d.known.end(), [](std::uint8_t k) { return k != 0; })) d.known.clear();
  }
}

std::uint64_t page_count(vaddr_t addr, std::uint64_t len) { return round_page(addr + len) / kPageSize - addr / kPageSize; }

std::uint64_t fnv1a(const std::vector<std::uint8_t>& v) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::uint8_t b : v) h = (h ^ b) * 0x100000001b3ull;
  return h;
}

}  // namespace

Model::Model(const Mix& mix, const std::vector<FileSpec>& files, const Regime& regime)
    : mix_(mix), file_specs_(files), may_oom_(regime.may_oom()), no_swap_(regime.swap_pages == 0) {
  for (const FileSpec& f : files) {
    auto o = std::make_shared<MemObject>();
    o->file = true;
    for (std::uint64_t i = 0; i < f.pages; i++) {
      auto c = std::make_shared<PageData>();
      std::fill(c->bytes.begin(), c->bytes.end(), f.fill);
      o->pages.push_back(c);
    }
    files_.push_back(o);
  }
  procs_.push_back(ProcModel{0, {}});
}

Observed Model::as_expected(const Expect& e) { return Observed{e.err, e.outcome, e.done}; }

const ProcModel* Model::proc(int id) const {
  for (const ProcModel& p : procs_)
    if (p.id == id) return &p;
  return nullptr;
}
ProcModel* Model::proc_mut(int id) { return const_cast<ProcModel*>(proc(id)); }

const LoanModel* Model::loan(int id) const {
  for (const LoanModel& l : loans_)
    if (l.id == id) return &l;
  return nullptr;
}

bool Model::any_wired() const {
  for (const ProcModel& p : procs_)
    for (const auto& [vpn, pg] : p.pages)
      if (pg.wired) return true;
  return false;
}

const PageData* Model::visible(const ProcModel& p, std::uint64_t vpn) const {
  auto it = p.pages.find(vpn);
  if (it == p.pages.end()) return nullptr;
  const VPage& v = it->second;
  if (v.shared_mapping) return v.object->pages[v.object_page].get();
  if (v.slot->anon) return v.slot->anon.get();
  if (v.object) return v.object->pages[v.object_page].get();
  return &zero_page();
}

namespace {

// Every page of [first, first+n) mapped in p.
bool covered(const ProcModel& p, std::uint64_t first, std::uint64_t n) {
  for (std::uint64_t v = first; v < first + n; v++)
    if (!p.pages.count(v)) return false;
  return true;
}

}  // namespace

void Model::expect_access(const ProcModel& p, vaddr_t addr, std::uint64_t len, bool write, Expect* e) const {
  const Prot need = write ? kProtWrite : kProtRead;
  e->outcome = Outcome::kOk;
  e->done = len;
  bool all_known = true;
  std::uint64_t b = 0;
  while (b < len) {
    const vaddr_t va = addr + b;
    const std::uint64_t vpn = va / kPageSize, in_page = va % kPageSize;
    const std::uint64_t n = std::min<std::uint64_t>(len - b, kPageSize - in_page);
    auto it = p.pages.find(vpn);
    if (it == p.pages.end() || !(it->second.prot & need)) {
      e->outcome = Outcome::kSigsegv;
      e->done = b;
      break;
    }
    if (!write) {
      const PageData* d = visible(p, vpn);
      e->bytes.insert(e->bytes.end(), d->bytes.begin() + in_page, d->bytes.begin() + in_page + n);
      if (!d->all_known() || !all_known) {
        if (all_known) e->known.assign(b, 1);
        all_known = false;
        for (std::uint64_t i = 0; i < n; i++) e->known.push_back(d->is_known(in_page + i));
      }
    }
    b += n;
  }
  if (!e->known.empty() && std::all_of(e->known.begin(), e->known.end(), [](std::uint8_t k) { return k != 0; }))
    e->known.clear();
}

Expect Model::expect(const Op& op) const {
  Expect e;
  const ProcModel* p = proc(op.proc);
  const bool aligned = (op.addr & kPageMask) == 0;
  const std::uint64_t first = op.addr / kPageSize;
  const std::uint64_t n = round_page(op.len) / kPageSize;
  switch (op.kind) {
    case OpKind::kMmapAnon:
    case OpKind::kMmapFile:
      if (!aligned || op.len == 0 || (op.kind == OpKind::kMmapFile && (op.offset & kPageMask))) e.err = EINVAL;
      break;
    case OpKind::kMunmap:
    case OpKind::kMinherit:
      if (!aligned) e.err = EINVAL;
      break;
    case OpKind::kMadvise:
      // dontneed and free go through uvm_map_clean: a hole is EFAULT; free
      // of memory whose first entry is wired is EBUSY. The other advice
      // values ignore holes.
      if (!aligned) {
        e.err = EINVAL;
      } else if (op.advice == Madvise::kDontNeed || op.advice == Madvise::kFree) {
        // uvm_map_clean: ADDR outside every entry is EFAULT (also for LEN
        // 0), then EBUSY for free of a wired entry holding ADDR, then a
        // hole is EFAULT.
        if (!p->pages.count(first)) e.err = EFAULT;
        else if (op.advice == Madvise::kFree && p->pages.at(first).wired) e.err = EBUSY;
        else if (op.len > 0 && !covered(*p, first, n)) e.err = EFAULT;
      }
      break;
    case OpKind::kMprotect:
      if (!aligned) e.err = EINVAL;
      else if (op.len > 0 && !covered(*p, first, n)) e.err = ENOMEM;
      break;
    case OpKind::kMsync:
      if (!aligned) {
        e.err = EINVAL;
      } else if (op.len == 0 && !p->pages.count(first)) {
        e.err = EINVAL;  // LEN 0 is the whole entry holding ADDR; there is none
      } else if (!p->pages.count(first)) {
        e.err = ENOMEM;  // uvm_map_clean's EFAULT, as the scenario language says it
      } else if (op.msync == MsyncMode::kInvalidate && p->pages.at(first).wired) {
        // msync(MS_INVALIDATE) refuses locked memory: the entry holding ADDR,
        // tested before any hole (NetBSD's uvm_map_clean). Anonymous memory
        // never fails, also without swap.
        e.err = EBUSY;
      } else if (op.len > 0 && !covered(*p, first, n)) {
        e.err = ENOMEM;
      }
      break;
    case OpKind::kMlock:
    case OpKind::kMunlock:
    {
      // NetBSD's sys_mlock/sys_munlock and uvm_map_pageable. mlock rounds
      // the address down (and the length up by as much). A range that begins
      // unmapped is ENOMEM (EFAULT inside); a hole, a PROT_NONE page (mlock)
      // or a page not wired (munlock) is EINVAL. mlock first checks
      // uvmexp.wiredmax (a third of memory): the model does not count the
      // machine's wired frames, so EAGAIN is accepted too.
      const std::uint64_t cnt = page_count(op.addr, op.len);
      const bool lock = op.kind == OpKind::kMlock;
      if (lock) e.alt_err2 = EAGAIN;
      if (!p->pages.count(first)) {
        e.err = ENOMEM;
        break;
      }
      for (std::uint64_t v = first; v < first + cnt && e.err == 0; v++) {
        auto it = p->pages.find(v);
        if (it == p->pages.end() || (lock ? it->second.prot == kProtNone : !it->second.wired)) e.err = EINVAL;
      }
      // On a tiny machine the pages to wire may not fit in memory.
      if (e.err == 0 && lock && may_oom_) e.alt_err = ENOMEM;
      break;
    }
    case OpKind::kWrite:
      expect_access(*p, op.addr, op.data.size(), true, &e);
      e.may_kill = may_oom_;
      break;
    case OpKind::kFill:
      expect_access(*p, op.addr, op.len, true, &e);
      e.may_kill = may_oom_;
      break;
    case OpKind::kRead:
    case OpKind::kSum:
      expect_access(*p, op.addr, op.len, false, &e);
      e.may_kill = may_oom_;
      if (!e.all_known()) e.determined = false;
      break;
    case OpKind::kFork:
      if (may_oom_) e.alt_err = ENOMEM;  // copying wired or lent pages now may fail
      break;
    case OpKind::kExit:
    case OpKind::kUnloan:
      break;
    case OpKind::kLoan: {
      // uvm_loan's errors: ENOENT for a hole; EINVAL for a page that cannot
      // be lent. Protection is not checked. A wired page cannot be lent;
      // wiring belongs to physical pages, and a page can be shared
      // copy-on-write with a process that wired it, which the model does
      // not track: any wiring anywhere (or a tiny machine, where a page may
      // not come back in) allows EINVAL.
      // Pages are lent in order, so a page that cannot be lent before a
      // hole answers first.
      if (!covered(*p, first, n)) e.err = ENOENT;
      if (any_wired() || may_oom_) e.alt_err = EINVAL;
      break;
    }
    case OpKind::kKread: {
      const LoanModel* l = loan(op.other);
      e.done = op.len;
      // On a tiny machine a lent page sent to swap may find no frame to
      // come back into: the read fails with ENOMEM (a simulated failure).
      if (may_oom_) e.alt_err = ENOMEM;
      bool all_known = true;
      for (std::uint64_t b = 0; b < op.len; b++) {
        const std::uint64_t a = op.offset + b;
        const PageData& d = l->snapshot[a / kPageSize];
        e.bytes.push_back(d.bytes[a % kPageSize]);
        if (!d.is_known(a % kPageSize) && all_known) {
          all_known = false;
          e.known.assign(b, 1);
        }
        if (!all_known) e.known.push_back(d.is_known(a % kPageSize));
      }
      if (!all_known) e.determined = false;
      break;
    }
    case OpKind::kCount: break;
  }
  if (e.alt_err >= 0 || e.alt_err2 >= 0 || e.may_kill) e.determined = false;
  return e;
}

void Model::map_range(ProcModel& p, const Op& op) {
  const std::uint64_t first = op.addr / kPageSize, n = round_page(op.len) / kPageSize;
  const bool shared = op.sharing == Sharing::kShared;
  std::shared_ptr<MemObject> obj;
  std::uint64_t obj_first = 0;
  if (op.kind == OpKind::kMmapFile) {
    obj = files_.at(static_cast<std::size_t>(op.file));
    obj_first = op.offset / kPageSize;
  } else if (shared) {
    // A shared anonymous mapping is backed by an anonymous object of its own.
    obj = std::make_shared<MemObject>();
    for (std::uint64_t i = 0; i < n; i++) obj->pages.push_back(std::make_shared<PageData>());
  }
  for (std::uint64_t i = 0; i < n; i++) {
    VPage v;
    v.prot = op.prot;
    v.inherit = shared ? Inherit::kShare : Inherit::kCopy;
    v.shared_mapping = shared;
    v.object = obj;
    v.object_page = obj_first + i;
    if (!shared) v.slot = std::make_shared<Slot>();
    p.pages[first + i] = std::move(v);
  }
}

void Model::store(ProcModel& p, vaddr_t addr, const std::uint8_t* src, std::uint8_t fill, std::uint64_t n) {
  for (std::uint64_t b = 0; b < n;) {
    const vaddr_t va = addr + b;
    const std::uint64_t vpn = va / kPageSize, in_page = va % kPageSize;
    const std::uint64_t k = std::min<std::uint64_t>(n - b, kPageSize - in_page);
    VPage& v = p.pages.at(vpn);
    PageData* d;
    if (v.shared_mapping) {
      d = v.object->pages[v.object_page].get();
    } else {
      if (!v.slot->anon) v.slot->anon = copy_cell(*visible(p, vpn));  // the copy-on-write fault
      d = v.slot->anon.get();
    }
    for (std::uint64_t i = 0; i < k; i++) set_byte(*d, in_page + i, src ? src[b + i] : fill);
    b += k;
  }
}

// An mlock that ran out of memory is undone, but the private copies its write
// faults made stay: such a page may or may not still show its file. Its bytes
// are unknown until written (a copy of zeros is zeros either way).
void Model::failed_mlock(ProcModel& p, const Op& op) {
  const std::uint64_t f = op.addr / kPageSize;
  for (std::uint64_t vpn = f; vpn < f + page_count(op.addr, op.len); vpn++) {
    auto it = p.pages.find(vpn);
    if (it == p.pages.end()) continue;
    VPage& v = it->second;
    if (v.shared_mapping || v.slot->anon || !v.object) continue;
    v.slot->anon = copy_cell(*visible(p, vpn));
    v.slot->anon->known.assign(kPageSize, 0);
  }
}

void Model::apply(const Op& op, const Observed& obs) {
  if (op.kind == OpKind::kFork) next_proc_ = std::max(next_proc_, op.other + 1);
  if (op.kind == OpKind::kLoan) next_loan_ = std::max(next_loan_, op.other + 1);
  ProcModel* p = proc_mut(op.proc);
  if (op.kind == OpKind::kMlock && obs.err == ENOMEM && covered(*p, op.addr / kPageSize, page_count(op.addr, op.len)))
    failed_mlock(*p, op);
  if (obs.err != 0) return;
  const std::uint64_t first = op.addr / kPageSize, n = round_page(op.len) / kPageSize;
  auto each_mapped = [&](std::uint64_t f, std::uint64_t count, auto fn) {
    for (auto it = p->pages.lower_bound(f); it != p->pages.end() && it->first < f + count; ++it) fn(it->second);
  };
  switch (op.kind) {
    case OpKind::kMmapAnon:
    case OpKind::kMmapFile: map_range(*p, op); break;
    case OpKind::kMunmap:
      for (std::uint64_t v = first; v < first + n; v++) p->pages.erase(v);
      break;
    case OpKind::kMprotect:
      each_mapped(first, n, [&](VPage& v) { v.prot = op.prot; });
      break;
    case OpKind::kMinherit:
      each_mapped(first, n, [&](VPage& v) { v.inherit = op.inherit; });
      break;
    case OpKind::kMadvise:
      if (op.advice != Madvise::kFree) break;
      // free: a private anonymous page referenced only here is discarded (it
      // then shows its object, or zeros); one shared copy-on-write, lent or
      // in a needs-copy entry is kept. The model cannot tell which: the
      // bytes that may change are unknown until written.
      each_mapped(first, n, [&](VPage& v) {
        if (v.shared_mapping && !v.wired && !v.object->file) {
          // Shared anonymous memory mapped by this process alone is freed
          // (uao_put's rules); mapped by others too, it is only deactivated.
          PageData& d = *v.object->pages[v.object_page];
          if (d.known.empty()) d.known.assign(kPageSize, 1);
          for (std::size_t i = 0; i < kPageSize; i++)
            if (d.bytes[i] != 0) d.known[i] = 0;
          if (std::all_of(d.known.begin(), d.known.end(), [](std::uint8_t k) { return k != 0; })) d.known.clear();
          return;
        }
        if (v.shared_mapping || v.wired || !v.slot->anon) return;
        PageData& d = *v.slot->anon;
        if (d.known.empty()) d.known.assign(kPageSize, 1);
        for (std::size_t i = 0; i < kPageSize; i++)
          if (v.object || d.bytes[i] != 0) d.known[i] = 0;
        if (std::all_of(d.known.begin(), d.known.end(), [](std::uint8_t k) { return k != 0; })) d.known.clear();
      });
      break;
    case OpKind::kMlock:
    case OpKind::kMunlock: {
      const std::uint64_t f = op.addr / kPageSize;
      for (std::uint64_t vpn = f; vpn < f + page_count(op.addr, op.len); vpn++) {
        auto it = p->pages.find(vpn);
        if (it == p->pages.end()) continue;
        VPage& v = it->second;
        v.wired = op.kind == OpKind::kMlock;
        // Wiring faults every page in by the entry's *maximum* protection
        // (NetBSD's uvm_fault_wire with UVM_FAULT_MAXPROT): a private page
        // whose mapping may ever be written is copied now, also when it is
        // read-only today (the model's mappings all have maximum protection
        // rwx). From then on the page no longer shows its object.
        if (v.wired && !v.shared_mapping && !v.slot->anon) v.slot->anon = copy_cell(*visible(*p, vpn));
      }
      break;
    }
    case OpKind::kMsync: break;
    case OpKind::kWrite: store(*p, op.addr, op.data.data(), 0, obs.done); break;
    case OpKind::kFill: store(*p, op.addr, nullptr, op.byte, obs.done); break;
    case OpKind::kRead:
    case OpKind::kSum: break;
    case OpKind::kFork: {
      ProcModel c{op.other, {}};
      for (const auto& [vpn, pg] : p->pages) {
        VPage v = pg;
        v.wired = false;  // wiring is not inherited
        switch (pg.inherit) {
          case Inherit::kNone: continue;
          case Inherit::kShare: break;  // same object, same anonymous slot
          case Inherit::kCopy:
            // A private copy. Of a shared file mapping: a private mapping of
            // the same file, which keeps showing the file until written. Of
            // shared anonymous memory: a snapshot.
            v.shared_mapping = false;
            v.slot = std::make_shared<Slot>();
            if (pg.shared_mapping && !pg.object->file) {
              v.slot->anon = copy_cell(*visible(*p, vpn));
              v.object = nullptr;
            } else if (!pg.shared_mapping && pg.slot->anon) {
              v.slot->anon = copy_cell(*pg.slot->anon);
            }
            break;
          case Inherit::kZero:
            v.shared_mapping = false;
            v.object = nullptr;
            v.slot = std::make_shared<Slot>();
            break;
        }
        c.pages[vpn] = std::move(v);
      }
      procs_.push_back(std::move(c));
      break;
    }
    case OpKind::kExit: break;
    case OpKind::kLoan: {
      LoanModel l{op.other, {}};
      for (std::uint64_t v = first; v < first + n; v++) l.snapshot.push_back(*visible(*p, v));
      loans_.push_back(std::move(l));
      break;
    }
    case OpKind::kKread: break;
    case OpKind::kUnloan:
      std::erase_if(loans_, [&](const LoanModel& l) { return l.id == op.other; });
      break;
    case OpKind::kCount: break;
  }
  if (op.kind == OpKind::kExit || obs.outcome == Outcome::kKilled)
    std::erase_if(procs_, [&](const ProcModel& q) { return q.id == op.proc; });
}

// ===========================================================================
// The generator.

void Generator::page_range(Op* op) {
  const std::uint64_t w = static_cast<std::uint64_t>(mix_.window_pages);
  const std::uint64_t first = rnd(w), n = 1 + rnd(std::min<std::uint64_t>(8, w - first));
  op->addr = kBase + first * kPageSize;
  op->len = n * kPageSize;
  if (mix_.odd_args && rnd(16) == 0) {
    switch (rnd(3)) {
      case 0: op->addr += 1 + rnd(kPageSize - 1); break;  // unaligned: EINVAL (mlock rounds)
      case 1: op->len -= 1 + rnd(kPageSize - 1); break;   // rounded up to whole pages
      default: op->len = 0; break;
    }
  }
}

void Generator::byte_range(Op* op) {
  const std::uint64_t span = static_cast<std::uint64_t>(mix_.window_pages) * kPageSize;
  const std::uint64_t max_len = rnd(4) == 0 ? 3 * kPageSize : 300;
  if (mix_.straddle_window) {
    op->addr = kBase - 64 + rnd(span + 128);
    op->len = 1 + rnd(max_len);
  } else {
    const std::uint64_t off = rnd(span - 1);
    op->addr = kBase + off;
    op->len = 1 + rnd(std::min(max_len, span - off));
  }
  if (mix_.odd_args && rnd(32) == 0) op->len = 0;
}

Op Generator::draw(const Model& model) {
  Op op;
  const auto& procs = model.procs();
  op.proc = procs[rnd(procs.size())].id;
  int total = 0;
  for (int w : mix_.weight) total += w;
  for (;;) {
    int r = static_cast<int>(rnd(static_cast<std::uint64_t>(total)));
    int k = 0;
    while (r >= mix_.weight[k]) r -= mix_.weight[k++];
    op.kind = static_cast<OpKind>(k);
    if (op.kind == OpKind::kFork && static_cast<int>(procs.size()) >= mix_.max_procs) continue;
    if (op.kind == OpKind::kExit && procs.size() < 2) continue;
    if ((op.kind == OpKind::kKread || op.kind == OpKind::kUnloan) && model.loans().empty()) continue;
    if (op.kind == OpKind::kMmapFile && model.files().empty()) continue;
    break;
  }
  static constexpr Prot kMapProts[] = {kProtRead, kProtRead, kProtNone, kProtRead | kProtExec, kProtAll};
  static constexpr Prot kProts[] = {kProtNone, kProtRead, kProtRead | kProtWrite, kProtRead | kProtWrite,
                                    kProtRead | kProtExec, kProtAll};
  switch (op.kind) {
    case OpKind::kMmapAnon:
      page_range(&op);
      op.sharing = rnd(4) == 0 ? Sharing::kShared : Sharing::kPrivate;
      op.prot = rnd(2) == 0 ? kMapProts[rnd(5)] : kProtRead | kProtWrite;
      break;
    case OpKind::kMmapFile: {
      op.file = static_cast<int>(rnd(model.files().size()));
      const std::uint64_t fp = model.files()[static_cast<std::size_t>(op.file)].pages;
      const std::uint64_t w = static_cast<std::uint64_t>(mix_.window_pages);
      const std::uint64_t n = 1 + rnd(std::min<std::uint64_t>({8, fp, w}));
      op.offset = rnd(fp - n + 1) * kPageSize;
      op.addr = kBase + rnd(w - n + 1) * kPageSize;
      op.len = n * kPageSize;
      if (mix_.odd_args && rnd(16) == 0) {
        if (rnd(2)) op.offset += 1 + rnd(kPageSize - 1);  // EINVAL
        else op.len -= 1 + rnd(kPageSize - 1);             // still n pages
      }
      op.sharing = rnd(2) == 0 ? Sharing::kShared : Sharing::kPrivate;
      op.prot = rnd(2) == 0 ? kMapProts[rnd(5)] : kProtRead | kProtWrite;
      break;
    }
    case OpKind::kMunmap:
    case OpKind::kMlock:
    case OpKind::kMunlock: page_range(&op); break;
    case OpKind::kMprotect:
      page_range(&op);
      op.prot = kProts[rnd(6)];
      break;
    case OpKind::kMinherit:
      page_range(&op);
      op.inherit = static_cast<Inherit>(rnd(4));
      if (op.inherit == Inherit::kShare && !mix_.share_private_objects) {
        const ProcModel& p = *model.proc(op.proc);
        const std::uint64_t first = op.addr / kPageSize, n = round_page(op.len) / kPageSize;
        for (auto it = p.pages.lower_bound(first); it != p.pages.end() && it->first < first + n; ++it)
          if (!it->second.shared_mapping && it->second.object) op.inherit = Inherit::kCopy;
      }
      break;
    case OpKind::kMadvise:
      page_range(&op);
      op.advice = static_cast<Madvise>(rnd(6));
      break;
    case OpKind::kMsync:
      page_range(&op);
      op.msync = static_cast<MsyncMode>(rnd(3));
      break;
    case OpKind::kWrite: {
      byte_range(&op);
      if (op.len == 0) op.len = 1;
      op.data.resize(op.len);
      for (auto& b : op.data) b = static_cast<std::uint8_t>(rng_());
      op.len = 0;
      break;
    }
    case OpKind::kFill:
      byte_range(&op);
      op.byte = static_cast<std::uint8_t>(rng_());
      break;
    case OpKind::kRead:
    case OpKind::kSum: byte_range(&op); break;
    case OpKind::kFork: op.other = model.next_proc_id(); break;
    case OpKind::kExit: break;
    case OpKind::kLoan: {
      const bool odd = mix_.odd_args;
      mix_.odd_args = false;  // loans take page-aligned ranges
      page_range(&op);
      mix_.odd_args = odd;
      op.loan_to = rnd(2) ? LoanTo::kKernel : LoanTo::kAnon;
      op.other = model.next_loan_id();
      break;
    }
    case OpKind::kKread: {
      const LoanModel& l = model.loans()[rnd(model.loans().size())];
      const std::uint64_t total = l.snapshot.size() * kPageSize;
      op.other = l.id;
      op.offset = rnd(total);
      op.len = 1 + rnd(std::min<std::uint64_t>(total - op.offset, 2 * kPageSize));
      break;
    }
    case OpKind::kUnloan: op.other = model.loans()[rnd(model.loans().size())].id; break;
    case OpKind::kCount: break;
  }
  return op;
}

Op Generator::next(const Model& model, bool only_determined) {
  for (int tries = 0; tries < 1000; tries++) {
    Op op = draw(model);
    if (!only_determined || model.expect(op).determined) return op;
  }
  // Nothing determined found (cannot happen with the shipped mixes): a read
  // below every mapping is always SIGSEGV.
  Op op;
  op.kind = OpKind::kRead;
  op.proc = model.procs().front().id;
  op.addr = kBase - kPageSize;
  op.len = 1;
  return op;
}

// ===========================================================================
// Scenario text.

std::string proc_name(int id) { return fmt::format("p{}", id); }
std::string loan_name(int id) { return fmt::format("l{}", id); }
std::string file_name(int index) { return fmt::format("f{}", index); }

namespace {

const char* prot_word(Prot p) {
  switch (p) {
    case kProtNone: return "none";
    case kProtRead: return "r";
    case kProtRead | kProtWrite: return "rw";
    case kProtRead | kProtExec: return "rx";
    case kProtAll: return "rwx";
    default: return "?";
  }
}

const char* inherit_word(Inherit i) {
  static constexpr const char* kWords[] = {"share", "copy", "none", "zero"};
  return kWords[static_cast<int>(i)];
}

const char* advice_word(Madvise a) {
  static constexpr const char* kWords[] = {"normal", "random", "sequential", "willneed", "dontneed", "free"};
  return kWords[static_cast<int>(a)];
}

const char* msync_word(MsyncMode m) {
  static constexpr const char* kWords[] = {"sync", "async", "invalidate"};
  return kWords[static_cast<int>(m)];
}

std::string hex(const std::vector<std::uint8_t>& v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(v.size() * 2);
  for (std::uint8_t b : v) {
    s += kDigits[b >> 4];
    s += kDigits[b & 15];
  }
  return s;
}

}  // namespace

std::string scenario_header(const Regime& regime, const std::vector<FileSpec>& files) {
  std::string s = fmt::format("machine mem={}K swap={}K\n", regime.mem_pages * 4, regime.swap_pages * 4);
  for (std::size_t i = 0; i < files.size(); i++)
    s += fmt::format("file {} {} fill={:#x}\n", file_name(static_cast<int>(i)), files[i].pages * kPageSize,
                     files[i].fill);
  s += fmt::format("spawn {}\n", proc_name(0));
  return s;
}

std::string scenario_line(const Op& op) {
  const std::string p = proc_name(op.proc);
  const char* cmd = op_name(op.kind);
  switch (op.kind) {
    case OpKind::kMmapAnon:
      return fmt::format("{} mmap {:#x} {} {} {} anon", p, op.addr, op.len, prot_word(op.prot),
                         op.sharing == Sharing::kShared ? "shared" : "private");
    case OpKind::kMmapFile:
      return fmt::format("{} mmap {:#x} {} {} {} file {} {}", p, op.addr, op.len, prot_word(op.prot),
                         op.sharing == Sharing::kShared ? "shared" : "private", file_name(op.file), op.offset);
    case OpKind::kMunmap:
    case OpKind::kMlock:
    case OpKind::kMunlock:
    case OpKind::kRead:
    case OpKind::kSum: return fmt::format("{} {} {:#x} {}", p, cmd, op.addr, op.len);
    case OpKind::kMprotect: return fmt::format("{} mprotect {:#x} {} {}", p, op.addr, op.len, prot_word(op.prot));
    case OpKind::kMinherit:
      return fmt::format("{} minherit {:#x} {} {}", p, op.addr, op.len, inherit_word(op.inherit));
    case OpKind::kMadvise: return fmt::format("{} madvise {:#x} {} {}", p, op.addr, op.len, advice_word(op.advice));
    case OpKind::kMsync: return fmt::format("{} msync {:#x} {} {}", p, op.addr, op.len, msync_word(op.msync));
    case OpKind::kWrite: return fmt::format("{} write {:#x} hex:{}", p, op.addr, hex(op.data));
    case OpKind::kFill: return fmt::format("{} fill {:#x} {} {:#x}", p, op.addr, op.len, op.byte);
    case OpKind::kFork: return fmt::format("{} fork {}", p, proc_name(op.other));
    case OpKind::kExit: return p + " exit";
    case OpKind::kLoan:
      return fmt::format("loan {} {} {:#x} {} {}", loan_name(op.other), p, op.addr, op.len,
                         op.loan_to == LoanTo::kAnon ? "anon" : "kernel");
    case OpKind::kKread: return fmt::format("kread {} {} {}", loan_name(op.other), op.offset, op.len);
    case OpKind::kUnloan: return "unloan " + loan_name(op.other);
    case OpKind::kCount: break;
  }
  return "";
}

namespace {

int word_index(const std::string& w, std::initializer_list<const char*> words) {
  int i = 0;
  for (const char* x : words) {
    if (w == x) return i;
    i++;
  }
  return -1;
}

}  // namespace

std::optional<Op> parse_scenario_line(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> t;
  for (std::string w; in >> w;) t.push_back(w);
  if (t.size() < 2) return std::nullopt;
  auto num = [](const std::string& w) { return std::strtoull(w.c_str(), nullptr, 0); };
  auto id = [](const std::string& w) { return std::atoi(w.c_str() + 1); };
  static constexpr Prot kProt[] = {kProtNone, kProtRead, kProtRead | kProtWrite, kProtRead | kProtExec, kProtAll};
  Op op;
  if (t[0] == "loan" && t.size() == 6) {
    op.kind = OpKind::kLoan;
    op.other = id(t[1]);
    op.proc = id(t[2]);
    op.addr = num(t[3]);
    op.len = num(t[4]);
    op.loan_to = t[5] == "anon" ? LoanTo::kAnon : LoanTo::kKernel;
    return op;
  }
  if (t[0] == "kread" && t.size() == 4) {
    op.kind = OpKind::kKread;
    op.other = id(t[1]);
    op.offset = num(t[2]);
    op.len = num(t[3]);
    return op;
  }
  if (t[0] == "unloan") {
    op.kind = OpKind::kUnloan;
    op.other = id(t[1]);
    return op;
  }
  if (t[0].size() < 2 || t[0][0] != 'p') return std::nullopt;
  op.proc = id(t[0]);
  const std::string& c = t[1];
  if (c == "fork") {
    op.kind = OpKind::kFork;
    op.other = id(t[2]);
    return op;
  }
  if (c == "exit") {
    op.kind = OpKind::kExit;
    return op;
  }
  if (t.size() < 4) return std::nullopt;
  op.addr = num(t[2]);
  if (c == "write") {
    op.kind = OpKind::kWrite;
    const std::string h = t[3].substr(4);
    for (std::size_t i = 0; i + 1 < h.size(); i += 2)
      op.data.push_back(static_cast<std::uint8_t>(std::strtoul(h.substr(i, 2).c_str(), nullptr, 16)));
    return op;
  }
  op.len = num(t[3]);
  const int k = word_index(c, {"mmap", "munmap", "mprotect", "minherit", "madvise", "mlock", "munlock", "msync",
                               "write", "fill", "read", "sum"});
  if (k < 0) return std::nullopt;
  op.kind = static_cast<OpKind>(k + 1);  // the order of OpKind after kMmapAnon
  switch (op.kind) {
    case OpKind::kMmapFile:
      op.prot = kProt[word_index(t[4], {"none", "r", "rw", "rx", "rwx"})];
      op.sharing = t[5] == "shared" ? Sharing::kShared : Sharing::kPrivate;
      if (t[6] == "anon") {
        op.kind = OpKind::kMmapAnon;
      } else {
        op.file = id(t[7]);
        op.offset = num(t[8]);
      }
      break;
    case OpKind::kMprotect: op.prot = kProt[word_index(t[4], {"none", "r", "rw", "rx", "rwx"})]; break;
    case OpKind::kMinherit: op.inherit = static_cast<Inherit>(word_index(t[4], {"share", "copy", "none", "zero"})); break;
    case OpKind::kMadvise:
      op.advice = static_cast<Madvise>(
          word_index(t[4], {"normal", "random", "sequential", "willneed", "dontneed", "free"}));
      break;
    case OpKind::kMsync: op.msync = static_cast<MsyncMode>(word_index(t[4], {"sync", "async", "invalidate"})); break;
    case OpKind::kFill: op.byte = static_cast<std::uint8_t>(num(t[4])); break;
    default: break;
  }
  return op;
}

std::string expected_output(const Op& op, const Expect& e) {
  const std::string p = proc_name(op.proc);
  const char* cmd = op_name(op.kind);
  switch (op.kind) {
    case OpKind::kLoan:
      return e.err ? fmt::format("loan {} = error {}\n", loan_name(op.other), errno_name(e.err)) : "";
    case OpKind::kFork:
      return e.err ? fmt::format("{} fork {} = error {}\n", p, proc_name(op.other), errno_name(e.err)) : "";
    case OpKind::kKread: return fmt::format("kread {} {} {} = {}\n", loan_name(op.other), op.offset, op.len, hex(e.bytes));
    case OpKind::kExit:
    case OpKind::kUnloan: return "";
    case OpKind::kWrite:
    case OpKind::kFill:
    case OpKind::kRead:
    case OpKind::kSum: {
      const std::uint64_t len = op.kind == OpKind::kWrite ? op.data.size() : op.len;
      const std::string head = fmt::format("{} {} {:#x} {}", p, cmd, op.addr, len);
      if (e.outcome != Outcome::kOk) return fmt::format("{} = {}\n", head, to_string(e.outcome));
      if (op.kind == OpKind::kRead) return fmt::format("{} = {}\n", head, hex(e.bytes));
      if (op.kind == OpKind::kSum) return fmt::format("{} = {:#018x}\n", head, fnv1a(e.bytes));
      return "";
    }
    default:
      return e.err ? fmt::format("{} {} {:#x} {} = error {}\n", p, cmd, op.addr, op.len, errno_name(e.err)) : "";
  }
}

// ===========================================================================
// The lockstep executor.

namespace {

std::string status_str(const Status& s) {
  return s.ok() ? "OK" : fmt::format("{} {}", errno_name(errno_of(s)), std::string(s.message()));
}

// The known bytes of `got` equal the model's.
void compare_bytes(const std::vector<std::uint8_t>& got, const Expect& e, std::uint64_t n, const std::string& who) {
  for (std::uint64_t b = 0; b < n; b++) {
    if (!e.known.empty() && !e.known[b]) continue;
    if (got[b] != e.bytes[b])
      FAIL(who << ": byte " << b << " is " << int(got[b]) << ", the model says " << int(e.bytes[b]));
  }
}

}  // namespace

Lockstep::Lockstep(const std::vector<MachineAxis>& axes, const Regime& regime, const Mix& mix)
    : regime_(regime), model_(mix, workload_files(mix), regime) {
  REQUIRE(!axes.empty());
  for (const MachineAxis& a : axes) {
    MachineConfig cfg;
    cfg.mem_bytes = regime.mem_pages * kPageSize;
    cfg.swap_bytes = regime.swap_pages * kPageSize;
    cfg.ppref = regime.ppref;
    a.apply(&cfg);
    auto m = Machine::Create(cfg);
    INFO(a.name() << ": " << m.status().ToString());
    REQUIRE(m.ok());
    Instance in{a, std::move(*m), {}, {}};
    for (std::size_t i = 0; i < model_.files().size(); i++) {
      const FileSpec& f = model_.files()[i];
      const Status s = in.m->create_file(file_name(static_cast<int>(i)), f.pages * kPageSize, f.fill);
      INFO(s.ToString());
      REQUIRE(s.ok());
    }
    auto p = in.m->spawn(proc_name(0));
    REQUIRE(p.ok());
    in.procs[0] = *p;
    ms_.push_back(std::move(in));
  }
}

Lockstep::~Lockstep() = default;

// A kernel loan refuses wired pages. Shared anonymous memory inherited as a
// copy is shared by the child on the amap model (the anon is lent) and
// copied on the shadow model, so a page another process has wired can be
// wired for the child on one model only, and the child's loan of it fails
// there alone (EINVAL). The other model goes on: it lends the whole range,
// or meets a hole further on (ENOENT, with what it lent rolled back). Both
// are right; the loans that were made are undone, so that every machine
// goes on as if all had refused.
void Lockstep::reconcile_loans(const Op& op, std::vector<Observed>& obs) {
  bool refused = false, went_on = false, models_differ = false;
  for (std::size_t i = 0; i < ms_.size(); i++) {
    refused |= obs[i].err == EINVAL;
    went_on |= obs[i].err == 0 || obs[i].err == ENOENT;
    models_differ |= ms_[i].axis.anon != ms_[0].axis.anon;
  }
  if (!refused || !went_on || !models_differ) return;
  for (std::size_t i = 0; i < ms_.size(); i++) {
    if (obs[i].err == ENOENT) obs[i].err = EINVAL;
    if (obs[i].err != 0) continue;
    auto it = ms_[i].loans.find(op.other);
    REQUIRE(it != ms_[i].loans.end());
    REQUIRE(ms_[i].m->unloan(it->second).ok());
    ms_[i].loans.erase(it);
    obs[i].err = EINVAL;
  }
}

Observed Lockstep::run_on(Instance& in, const Op& op, const Expect& e, std::vector<std::uint8_t>* bytes,
                          std::uint64_t* hash) {
  Observed o;
  Process* p = op.kind == OpKind::kKread || op.kind == OpKind::kUnloan ? nullptr : in.procs.at(op.proc);
  auto status = [&](const Status& s) {
    INFO(in.axis.name() << ": " << status_str(s));
    REQUIRE((s.ok() || errno_of(s) != 0));
    o.err = errno_of(s);
  };
  auto access = [&](const StatusOr<AccessResult>& r) {
    INFO(in.axis.name() << ": " << r.status().ToString());
    REQUIRE(r.ok());
    o.outcome = r->outcome;
    o.done = r->done;
    *hash = r->hash;
    if (r->outcome != Outcome::kOk && r->outcome != Outcome::kKilled) REQUIRE(r->fault_addr == op.addr + r->done);
  };
  switch (op.kind) {
    case OpKind::kMmapAnon: status(p->mmap(op.addr, op.len, op.prot, op.sharing).status()); break;
    case OpKind::kMmapFile:
      status(p->mmap_file(op.addr, op.len, op.prot, op.sharing, file_name(op.file), op.offset).status());
      break;
    case OpKind::kMunmap: status(p->munmap(op.addr, op.len)); break;
    case OpKind::kMprotect: status(p->mprotect(op.addr, op.len, op.prot)); break;
    case OpKind::kMinherit: status(p->minherit(op.addr, op.len, op.inherit)); break;
    case OpKind::kMadvise: status(p->madvise(op.addr, op.len, op.advice)); break;
    case OpKind::kMlock: status(p->mlock(op.addr, op.len)); break;
    case OpKind::kMunlock: status(p->munlock(op.addr, op.len)); break;
    case OpKind::kMsync: status(p->msync(op.addr, op.len, op.msync)); break;
    case OpKind::kWrite: access(p->write(op.addr, op.data)); break;
    case OpKind::kFill: access(p->fill(op.addr, op.len, op.byte)); break;
    case OpKind::kRead:
      bytes->assign(op.len, 0xee);
      access(p->read(op.addr, *bytes));
      break;
    case OpKind::kSum: access(p->sum(op.addr, op.len)); break;
    case OpKind::kFork: {
      auto c = p->fork(proc_name(op.other));
      status(c.status());
      if (c.ok()) in.procs[op.other] = *c;
      break;
    }
    case OpKind::kExit:
      status(p->exit());
      REQUIRE(o.err == 0);
      in.procs.erase(op.proc);
      break;
    case OpKind::kLoan: {
      // The shadow model has no anons: an anon loan is refused, whatever the
      // range holds; the machine lends the pages to the kernel instead,
      // which gives the borrower the same snapshot to read. When a shadow
      // machine runs beside an amap one, every machine lends to the kernel:
      // the two loans differ on wired pages (a kernel loan refuses them,
      // an anon loan takes a reference), so they are not the same operation.
      LoanTo to = op.loan_to;
      if (to == LoanTo::kAnon && in.axis.anon == AnonModel::kShadow) {
        auto refused = in.m->loan(*p, op.addr, op.len, to);
        REQUIRE(errno_of(refused.status()) == EOPNOTSUPP);
      }
      if (to == LoanTo::kAnon && std::any_of(ms_.begin(), ms_.end(), [](const Instance& i) {
            return i.axis.anon == AnonModel::kShadow;
          }))
        to = LoanTo::kKernel;
      auto h = in.m->loan(*p, op.addr, op.len, to);
      status(h.status());
      if (h.ok()) in.loans[op.other] = *h;
      break;
    }
    case OpKind::kKread: {
      auto r = in.m->loan_read(in.loans.at(op.other), op.offset, op.len);
      INFO(in.axis.name() << ": " << r.status().ToString());
      if (!r.ok() && e.alt_err == ENOMEM) {
        // A lent page the page daemon sent to swap cannot come back when
        // every frame is wired or lent (a tiny machine): a simulated
        // failure, the loan stays as it was.
        REQUIRE(errno_of(r.status()) == ENOMEM);
        o.err = ENOMEM;
        break;
      }
      REQUIRE(r.ok());
      *bytes = std::move(*r);
      o.done = bytes->size();
      break;
    }
    case OpKind::kUnloan:
      status(in.m->unloan(in.loans.at(op.other)));
      REQUIRE(o.err == 0);
      in.loans.erase(op.other);
      break;
    case OpKind::kCount: break;
  }
  if (o.outcome == Outcome::kKilled) {
    // Out of memory and swap with nothing left to page out: the faulting
    // process is killed; what it stored before stays.
    INFO(in.axis.name() << ": killed (" << p->killed_reason() << ") on " << regime_.describe());
    REQUIRE(e.may_kill);
    REQUIRE_FALSE(p->alive());
    REQUIRE(p->killed_reason().find("out of memory") != std::string::npos);
    in.procs.erase(op.proc);
  }
  return o;
}

void Lockstep::step(const Op& op) {
  steps_++;
  ops_.push_back(op);
  try {
    INFO("step " << steps_ << " (" << op_name(op.kind) << "; the line is printed below)");
    const Expect e = model_.expect(op);
    if (same_bytes_across_models && !shapes_differed_ && op.kind == OpKind::kMadvise &&
        op.advice == Madvise::kFree && entry_shapes_differ())
      shapes_differed_ = true;
    std::vector<Observed> obs;
    std::vector<std::vector<std::uint8_t>> bytes(ms_.size());
    std::vector<std::uint64_t> hashes(ms_.size(), 0);
    for (std::size_t i = 0; i < ms_.size(); i++) obs.push_back(run_on(ms_[i], op, e, &bytes[i], &hashes[i]));
    if (op.kind == OpKind::kLoan) reconcile_loans(op, obs);
    for (std::size_t i = 0; i < ms_.size(); i++) {
      const Observed& o = obs[i];
      const std::string who = ms_[i].axis.name();
      INFO(who << ": err " << o.err << " outcome " << to_string(o.outcome) << " done " << o.done << "; model: err "
               << e.err << " (or " << e.alt_err << ") outcome " << to_string(e.outcome) << " done " << e.done);
      // Against the model.
      REQUIRE((o.err == e.err || o.err == e.alt_err || o.err == e.alt_err2));
      if (is_access(op.kind)) {
        if (o.outcome == Outcome::kKilled) {
          REQUIRE(o.done <= e.done);
        } else {
          REQUIRE(o.outcome == e.outcome);
          REQUIRE(o.done == e.done);
        }
      }
      if (op.kind == OpKind::kRead || op.kind == OpKind::kKread) compare_bytes(bytes[i], e, o.done, who);
      if (op.kind == OpKind::kSum && o.outcome == Outcome::kOk && e.all_known()) REQUIRE(hashes[i] == fnv1a(e.bytes));
      // Against the first machine: every machine does the same thing (the
      // model cannot go on otherwise), and machines of one class see the same
      // bytes, also where the model does not know them.
      REQUIRE(o.err == obs[0].err);
      REQUIRE(o.outcome == obs[0].outcome);
      REQUIRE(o.done == obs[0].done);
      const std::size_t f = (same_bytes_across_models && !shapes_differed_) ? 0 : first_of_class(i);
      REQUIRE(bytes[i] == bytes[f]);
      REQUIRE(hashes[i] == hashes[f]);
    }
    if (obs[0].outcome == Outcome::kKilled) kills_++;
    if (op.kind == OpKind::kFork && obs[0].err != 0) failed_forks_++;
    model_.apply(op, obs[0]);
  } catch (...) {
    // The step's scenario line is only formatted now: a write's line is long.
    std::fprintf(stderr, "workload: step %d failed: %s\n", steps_, scenario_line(op).substr(0, 200).c_str());
    save_transcript();
    throw;
  }
}

std::string Lockstep::transcript() const {
  std::string s = scenario_header(regime_, model_.files());
  for (const Op& op : ops_) s += scenario_line(op) + '\n';
  return s;
}

void Lockstep::save_transcript() const {
  // The run so far as a scenario for `uvmsim run` (the same operations; on a
  // tiny machine a replay may differ where the model allowed a choice).
  static int failures = 0;
  const auto path = std::filesystem::temp_directory_path() /
                    fmt::format("uvmsim-workload-failure-{}-{}.scen", ::getpid(), ++failures);
  std::ofstream(path) << transcript();
  std::fprintf(stderr, "workload: the failing run's operations are in %s (%s)\n", path.c_str(),
               regime_.describe().c_str());
}

void Lockstep::check_invariants() {
  for (Instance& in : ms_) {
    const Status s = in.m->check();
    if (!s.ok()) {
      save_transcript();
      FAIL(in.axis.name() << " after step " << steps_ << ": " << s.ToString());
    }
  }
}

bool Lockstep::entry_shapes_differ() const {
  for (std::size_t i = 1; i < ms_.size(); i++) {
    if (ms_[i].axis.equivalence_class() == ms_[0].axis.equivalence_class()) continue;
    for (const auto& [id, p] : ms_[0].procs) {
      const std::vector<MappingInfo> a = p->mappings(), b = ms_[i].procs.at(id)->mappings();
      if (a.size() != b.size()) return true;
      for (std::size_t j = 0; j < a.size(); j++)
        if (a[j].start != b[j].start || a[j].end != b[j].end) return true;
    }
  }
  return false;
}

std::size_t Lockstep::first_of_class(std::size_t i) const {
  std::size_t f = 0;
  while (ms_[f].axis.equivalence_class() != ms_[i].axis.equivalence_class()) f++;
  return f;
}

void Lockstep::compare_machines() {
  // Each machine against the first machine of its class.
  for (std::size_t i = 1; i < ms_.size(); i++) {
    const std::size_t f = first_of_class(i);
    if (f == i) continue;
    INFO("after step " << steps_ << ": " << ms_[f].axis.name() << " vs " << ms_[i].axis.name());
    const UvmExp a = ms_[f].m->stats(), b = ms_[i].m->stats();
    if (a.to_string() != b.to_string()) {
      std::vector<std::pair<std::string, std::uint64_t>> va, vb;
      a.for_each([&](const char* n, std::uint64_t v, const char*) { va.emplace_back(n, v); });
      b.for_each([&](const char* n, std::uint64_t v, const char*) { vb.emplace_back(n, v); });
      std::string d;
      for (std::size_t j = 0; j < va.size() && j < vb.size(); ++j)
        if (va[j].second != vb[j].second) d += fmt::format(" {}: {} vs {};", va[j].first, va[j].second, vb[j].second);
      FAIL("counters differ:" << d);
    }
    for (const auto& [id, p] : ms_[f].procs) REQUIRE(p->resident_pages() == ms_[i].procs.at(id)->resident_pages());
  }
}

void Lockstep::finish() {
  // Every readable page of every process agrees with the model.
  std::vector<Op> reads;
  for (const ProcModel& p : model_.procs())
    for (const auto& [vpn, pg] : p.pages)
      if (pg.prot & kProtRead) {
        Op op;
        op.kind = OpKind::kRead;
        op.proc = p.id;
        op.addr = vpn * kPageSize;
        op.len = kPageSize;
        reads.push_back(op);
      }
  for (const Op& op : reads)
    if (model_.proc(op.proc)) step(op);
  std::vector<int> ids;
  for (const ProcModel& p : model_.procs()) ids.push_back(p.id);
  for (int id : ids) {
    Op op;
    op.kind = OpKind::kExit;
    op.proc = id;
    step(op);
  }
  check_invariants();
  // Loans outlive their lenders: the borrowers still see their snapshots.
  while (!model_.loans().empty()) {
    const LoanModel& l = model_.loans().front();
    Op op;
    op.kind = OpKind::kKread;
    op.other = l.id;
    op.offset = 0;
    op.len = l.snapshot.size() * kPageSize;
    step(op);
    op.kind = OpKind::kUnloan;
    step(op);
    check_invariants();
  }
  for (Instance& in : ms_) {
    INFO(in.axis.name());
    const UvmExp s = in.m->stats();
    CHECK(s.free + s.objpages == s.npages);  // file pages and the shared zero page may stay cached
    CHECK(s.loanedpages == 0);
    CHECK(s.swpginuse == 0);
    CHECK(s.swpgonly == 0);
    CHECK(s.anons == 0);
    CHECK(s.amaps == 0);
    CHECK(s.objects == 0);  // shadow model: no anonymous object outlives its users
    CHECK(s.hidden_pages == 0);
  }
}

}  // namespace uvmsim::workload
