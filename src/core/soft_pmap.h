// The soft backend: page tables in host memory and a software MMU that walks
// them like an x86-64 CPU (setting accessed/dirty bits, reporting hardware
// error codes). Deterministic, available everywhere, fast for large runs.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/pmap.h"
#include "core/vmspace.h"

namespace uvmsim {

// Page-table pages: 4 KiB tables in host memory, named by synthetic
// "physical" addresses above 2^44 so that they can never be confused with
// the frames of the machine's memory.
class SoftPtMemory final : public PtMemory {
 public:
  static constexpr paddr_t kBase = 1ull << 44;
  ~SoftPtMemory() override;
  StatusOr<paddr_t> alloc_table() override;
  void free_table(paddr_t pa) override;
  std::uint64_t* table(paddr_t pa) override {
    return tables_[(pa - kBase) >> kPageShift];
  }
  std::uint64_t tables_in_use() const override { return in_use_; }

 private:
  std::vector<std::uint64_t*> tables_;
  std::vector<std::uint32_t> free_;
  std::uint64_t in_use_ = 0;
};

class SoftPmapFactory final : public PmapFactory {
 public:
  StatusOr<PmapPtr> create(Uvm& uvm) override;
  PtMemory& ptm() override { return ptm_; }
  SoftPtMemory& soft_ptm() { return ptm_; }

 private:
  SoftPtMemory ptm_;
};

// The software MMU: translate va for a user-mode access as the CPU would.
struct MmuWalk {
  bool ok = false;
  paddr_t pa = 0;
  std::uint32_t error = 0;  // PGEX_* when !ok
};
MmuWalk soft_mmu_translate(Pmap& pmap, vaddr_t va, Access access);

// Loads and stores of simulated processes through the software MMU.
// It walks the page tables of the machine's SoftPtMemory directly, so that
// the walk's table lookups inline (the generic PtMemory is virtual).
class SoftAccessor final : public MmuAccessor {
 public:
  explicit SoftAccessor(SoftPtMemory& ptm) : ptm_(ptm) {}
  AccessResult access(VmSpace& vm, const AccessRequest& req) override;

 private:
  SoftPtMemory& ptm_;
};

}  // namespace uvmsim
