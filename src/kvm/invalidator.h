// uvmsim::kvm: making host edits of guest page tables visible to the guest.
//
// The host writes guest page tables directly, bypassing KVM's write tracking
// of shadowed tables, so nothing tells the MMU that an entry changed. Which
// operation repairs that depends on the platform (see the self-test):
//   - PVM / shadow paging (the project's machines): guest invlpg and CR3
//     reloads do not help; madvise(MADV_DONTNEED) on the host address of the
//     frame the old PTE mapped makes KVM's MMU notifier zap every shadow
//     entry for it, in all address spaces, on all vCPUs.
//   - VMX+EPT / SVM+NPT: the guest TLB caches translations and the
//     architectural invlpg / CR3 reload in the guest flushes them.
// The pmap reports every change of an entry that may be cached (a PTE whose
// old value had A=1; for a write downgrade, D=1) with add_page() and calls
// flush() in pmap_update(). Upper-level entries (PDE, PDPTE, PML4E) that were
// present are changed through set_table_entry(), which applies the change the
// way the platform needs.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kvm/frame_pool.h"
#include "uvmsim/status.h"

namespace uvmsim::kvm {

class Guest;

// Ways to make an edited entry visible.
enum class Method : std::uint8_t {
  kNone,            // do nothing (never chosen; the self-test reports it)
  kGuestInvlpg,     // ring-0 helper: invlpg each VA (with the root loaded)
  kGuestCr3Reload,  // ring-0 helper: mov cr3, cr3
  kZapOldFrame,     // madvise(MADV_DONTNEED) on the old data frame(s)
  kZapOldTable,     // madvise on the replaced page-table frame (PDE probe only)
  kRing0Store,      // the entry is written by a ring-0 store KVM intercepts
  kGlobalZap,       // delete and re-add a memslot: KVM drops all shadow state
};
std::string_view to_string(Method m);

struct Strategy {
  Method pte = Method::kZapOldFrame;  // for leaf PTE changes
  // For upper-level changes. kZapOldFrame here means: the caller has already
  // reported (add_page) every leaf with A=1 below the old entry and flushed;
  // the store itself needs nothing more.
  Method pde = Method::kGlobalZap;
  std::string why;
};

class Invalidator {
 public:
  struct Counters {
    std::uint64_t flushes = 0;
    std::uint64_t pages = 0;          // add_page calls
    std::uint64_t madvise_calls = 0;  // coalesced ranges
    std::uint64_t frames_zapped = 0;
    std::uint64_t global_zaps = 0;
    std::uint64_t ring0_runs = 0;
    std::uint64_t table_entries = 0;  // set_table_entry calls
  };

  explicit Invalidator(Guest& g) : g_(g) {}

  void set_strategy(Strategy s) { strategy_ = std::move(s); }
  const Strategy& strategy() const { return strategy_; }

  // A leaf PTE of `va` in the address space rooted at `root_gpa` changed; it
  // mapped `old_frame_gpa` (a frame of the machine's memory or of the pool).
  void add_page(std::uint64_t root_gpa, std::uint64_t va, std::uint64_t old_frame_gpa);
  // Stores `value` into entry `index` of the upper-level table `table` (a pool
  // frame), for `va` in the address space rooted at `root_gpa`, in the way the
  // strategy needs (a ring-0 store, or a host store plus work in flush()).
  // A store into a non-present entry needs nothing: write it directly.
  Status set_table_entry(std::uint64_t root_gpa, std::uint64_t va, const Frame& table,
                         unsigned index, std::uint64_t value);
  // Applies everything pending. Cheap when nothing is pending.
  Status flush();
  bool pending() const { return !frames_.empty() || !vas_.empty() || global_pending_; }

  // The primitive operations (the self-test, tests and benchmarks call them).
  Status zap_frames(std::span<const std::uint64_t> gpas);  // sorted + coalesced madvise
  Status global_zap();
  Status guest_invlpg(std::uint64_t root_gpa, std::span<const std::uint64_t> vas);
  Status guest_cr3_reload(std::uint64_t root_gpa);
  Status ring0_store(const Frame& table, unsigned index, std::uint64_t value);

  const Counters& counters() const { return c_; }

 private:
  Guest& g_;
  Strategy strategy_;
  std::vector<std::uint64_t> frames_;                               // old frame GPAs
  std::vector<std::pair<std::uint64_t, std::uint64_t>> vas_;        // (root, va)
  std::vector<std::uint64_t> reload_roots_;
  bool global_pending_ = false;
  Counters c_;
};

}  // namespace uvmsim::kvm
