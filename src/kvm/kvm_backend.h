// uvmsim::kvm: the kvm backend of the model — the x86-64 pmap over guest
// memory and the accessor that runs process accesses as guest ring-3 code.
//
// One Guest per machine: its memslot at GPA 0 is the machine's physical
// memory (PhysMem's memfd), its FramePool holds the page-table pages. The
// core reaches this only through core/backend.h (make_kvm_backend).
//
//   KvmPtMemory    PtMemory over FramePool frames (FrameUse::kPageTable)
//   KvmPmap        Pmap whose tlb_invalidate()/tlb_flush() feed the
//                  guest's Invalidator; every root gets the reserved region
//   KvmAccessor    MmuAccessor: read/write/fill/sum run in ring 3 under the
//                  process's root; each #PF calls uvm_fault
#pragma once

#include <cstdint>
#include <memory>

#include "core/backend.h"
#include "core/pmap.h"
#include "core/vmspace.h"
#include "kvm/guest.h"

namespace uvmsim::kvm {

// What the backend's parts share: the guest, and a sticky error from a
// place that cannot return one (an invalidation flush inside pmap_update).
struct KvmContext {
  // The guest's own MAP_SHARED mapping of the machine's memfd (its memslot
  // at GPA 0). The invalidator zaps frames here; the model keeps using
  // PhysMem's mapping, whose host page tables those zaps leave alone, so
  // zeroing or copying a frame in the host never takes a host page fault
  // because the guest's translation of it was invalidated. Declared before
  // `guest`: unmapped after the VM is gone.
  Mapping guest_view;
  std::unique_ptr<Guest> guest;
  Status error;
  struct Counters {
    std::uint64_t invalidations = 0;      // add_page calls (old PTE had A=1)
    std::uint64_t clean_downgrades = 0;   // write downgrades of D=0 PTEs: nothing to do
    std::uint64_t late_flushes = 0;       // flushes the accessor found pending (no update())
    std::uint64_t accesses = 0;           // accessor calls that ran ring-3 code
  } c;
  void note(Status s) {
    if (!s.ok() && error.ok()) error = std::move(s);
  }
};

class KvmPtMemory final : public PtMemory {
 public:
  explicit KvmPtMemory(std::shared_ptr<KvmContext> ctx) : ctx_(std::move(ctx)) {}
  StatusOr<paddr_t> alloc_table() override;
  void free_table(paddr_t pa) override;
  std::uint64_t* table(paddr_t pa) override {
    return reinterpret_cast<std::uint64_t*>(ctx_->guest->pool().hva(pa));
  }
  std::uint64_t tables_in_use() const override { return ctx_->guest->pool().page_table_pages(); }

 private:
  std::shared_ptr<KvmContext> ctx_;
};

class KvmPmap final : public Pmap {
 public:
  KvmPmap(Uvm& uvm, KvmPtMemory& ptm, std::shared_ptr<KvmContext> ctx)
      : Pmap(uvm, ptm, /*tlb=*/true), ctx_(std::move(ctx)) {}

 protected:
  void tlb_invalidate(vaddr_t va, std::uint64_t oldpte) override;
  void tlb_flush() override;

 private:
  std::shared_ptr<KvmContext> ctx_;
};

class KvmPmapFactory final : public PmapFactory {
 public:
  explicit KvmPmapFactory(std::shared_ptr<KvmContext> ctx) : ctx_(ctx), ptm_(ctx) {}
  StatusOr<PmapPtr> create(Uvm& uvm) override;
  PtMemory& ptm() override { return ptm_; }
  KvmContext& context() { return *ctx_; }

 private:
  std::shared_ptr<KvmContext> ctx_;
  KvmPtMemory ptm_;
};

class KvmAccessor final : public MmuAccessor {
 public:
  explicit KvmAccessor(std::shared_ptr<KvmContext> ctx) : ctx_(std::move(ctx)) {}
  AccessResult access(VmSpace& vm, const AccessRequest& req) override;
  Status error() const override;
  KvmContext& context() { return *ctx_; }

 private:
  std::shared_ptr<KvmContext> ctx_;
};

// The guest of a kvm machine (nullptr for another backend). For benchmarks,
// tests and diagnostics.
KvmContext* kvm_context(Uvm& uvm);

}  // namespace uvmsim::kvm
