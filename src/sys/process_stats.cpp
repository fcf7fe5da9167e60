// Process::stats(): the event counters the fault handler charged to the
// process's map (core/process_counters.h) plus gauges read from the model
// through the read-only walk (core/vm_inspect.h).
#include "core/page.h"
#include "core/pmap.h"
#include "core/uvm.h"
#include "core/vm_inspect.h"
#include "core/vmspace.h"
#include "core/counters_json.h"
#include "fmt/format.h"
#include "uvmsim/process.h"

namespace uvmsim {

namespace {

// Swapped: anons whose only copy is in swap, and object pages of the
// process's entries held in swap (aobj). Loaned: resident pages lent out.
struct GaugeWalk final : VmVisitor {
  std::uint64_t swapped = 0, loaned = 0;
  void anon(const InspectEntry&, const InspectAnon& a) override {
    if (!a.page && a.swslot) swapped++;
    if (a.page && a.page->loan_count) loaned++;
  }
  void object(const InspectEntry&, const InspectObject& o) override {
    // The object's pages of this entry that only swap holds (aobj; a
    // vnode's pages live in their file, never in swap).
    swapped += o.swap_only_in_entry;
  }
  void object_page(const InspectEntry&, const InspectObjectPage& p) override {
    if (p.page->loan_count) loaned++;
  }
};

}  // namespace

ProcessStats Process::stats() const {
  if (!alive()) return {};
  ProcessStats s = vm_->map->counters;
  GaugeWalk g;
  inspect_map(machine_.uvm(), *vm_->map, g);
  s.swapped = g.swapped;
  s.loaned = g.loaned;
  s.resident = vm_->pmap->resident_count();
  s.entries = vm_->map->nentries();
  return s;
}

std::string ProcessStats::to_json() const { return counters_to_json(*this); }

}  // namespace uvmsim
