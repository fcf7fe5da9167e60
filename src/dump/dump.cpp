// dump_process: builds a SpaceDump (include/uvmsim/dump.h) by walking the
// model read-only (core/vm_inspect.h). Sharing is found two ways, each the
// one that answers the question asked:
//   - anons: which other processes' amaps hold the same anon (logical
//     sharing: copy-on-write after fork, whether or not the page is mapped);
//   - object pages: which other processes' page tables map the page now
//     (the pmap's reverse map);
//   - objects: which other processes have an entry on the object.
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "core/page.h"
#include "core/pmap.h"
#include "core/pv.h"
#include "core/uvm.h"
#include "core/uvm_object.h"
#include "core/vm_inspect.h"
#include "core/vmspace.h"
#include "fmt/format.h"
#include "pagers/file_table.h"
#include "uvmsim/dump.h"
#include "uvmsim/machine.h"
#include "uvmsim/process.h"

namespace uvmsim {

namespace {

std::string queue_name(PageQueue q) {
  switch (q) {
    case PageQueue::kFree: return "free";
    case PageQueue::kActive: return "active";
    case PageQueue::kInactive: return "inactive";
    case PageQueue::kNone: break;
  }
  return "none";
}

DumpPage page_of(const Uvm& uvm, const Page* pg) {
  DumpPage d;
  d.frame = uvm.pm->index(pg);
  d.loan_count = pg->loan_count;
  d.wire_count = pg->wire_count;
  d.queue = queue_name(pg->queue());
  d.dirty = !(pg->flags & PG_CLEAN) || (pg->mdattrs & PGA_MODIFIED);
  d.mappings = pv_count(pg);
  return d;
}

// Where other processes hold anons and objects.
struct SharerIndex final : VmVisitor {
  std::string process;
  absl::flat_hash_map<std::uint32_t, std::vector<DumpSharer>> anons;
  absl::flat_hash_map<const UvmObject*, std::vector<DumpSharer>> objects;
  void anon(const InspectEntry&, const InspectAnon& a) override {
    anons[a.id].push_back(DumpSharer{process, a.va});
  }
  void object(const InspectEntry& e, const InspectObject& o) override {
    objects[o.object].push_back(DumpSharer{process, e.start});
  }
  // Shadow model: every object of the entry's chain.
  void chain_link(const InspectEntry& e, const InspectChainLink& l) override {
    chain_objects[l.object].push_back(DumpSharer{process, e.start});
  }
  absl::flat_hash_map<const UvmObject*, std::vector<DumpSharer>> chain_objects;
};

class Builder final : public VmVisitor {
 public:
  Builder(const Uvm& uvm, SpaceDump& d, const SharerIndex& others,
          const absl::flat_hash_map<const Pmap*, std::string>& pmap_owner, const Pmap* self)
      : uvm_(uvm), d_(d), others_(others), pmap_owner_(pmap_owner), self_(self) {}

  void entry(const InspectEntry& e) override {
    DumpEntry de;
    de.start = e.start;
    de.end = e.end;
    de.prot = e.prot;
    de.max_prot = e.max_prot;
    de.inherit = e.inherit;
    de.advice = e.advice;
    de.sharing = e.sharing;
    de.wired_count = e.wired_count;
    de.cow = e.cow;
    de.needs_copy = e.needs_copy;
    de.offset = e.offset;
    d_.entries.push_back(std::move(de));
  }

  void amap(const InspectEntry&, const InspectAmap& a) override {
    DumpEntry& de = d_.entries.back();
    auto [it, added] = amap_ids_.try_emplace(a.amap, static_cast<int>(d_.amaps.size()));
    if (added) {
      DumpAmap da;
      da.id = it->second;
      da.nslot = a.nslot;
      da.maxslot = a.maxslot;
      da.nused = a.nused;
      da.refs = a.refs;
      da.shared = a.shared;
      da.ppref = a.ppref == InspectAmap::Ppref::kActive ? "active"
                 : a.ppref == InspectAmap::Ppref::kNone ? "none"
                                                         : "not yet";
      for (auto [ref, len] : a.ppref_runs) da.ppref_runs.push_back({ref, len});
      d_.amaps.push_back(std::move(da));
    }
    de.amap = it->second;
    de.amap_pageoff = a.pageoff;
  }

  void anon(const InspectEntry&, const InspectAnon& a) override {
    DumpAnon da;
    da.id = a.id;
    da.slot = a.slot;
    da.va = a.va;
    da.refs = a.refs;
    da.resident = a.page != nullptr;
    if (a.page) {
      da.page = page_of(uvm_, a.page);
      count_queue(a.page);
    }
    da.swslot = a.swslot;
    if (auto it = others_.anons.find(a.id); it != others_.anons.end()) da.shared_with = it->second;
    d_.entries.back().anons.push_back(std::move(da));
  }

  void chain_link(const InspectEntry&, const InspectChainLink& l) override {
    DumpChainLink dl{l.id,       l.depth,    l.refs, l.shadow_count,   l.index,     l.backing_offset, l.size,
                     l.resident, l.swapped,  l.seen, l.seen_swapped,   l.one_mapping, {}};
    if (auto it = others_.chain_objects.find(l.object); it != others_.chain_objects.end()) dl.shared_with = it->second;
    d_.entries.back().chain.push_back(std::move(dl));
  }

  // The pages an entry sees through its chain are this process's pages (for
  // the queue summary), as the anons its amap holds are.
  void chain_page(const InspectEntry&, const InspectChainPage& p) override { count_queue(p.page); }

  void object(const InspectEntry&, const InspectObject& o) override {
    DumpEntry& de = d_.entries.back();
    auto [it, added] = object_ids_.try_emplace(o.object, static_cast<int>(d_.objects.size()));
    if (added) {
      DumpObject dob;
      dob.id = it->second;
      dob.kind = o.kind;
      if (uvm_.files) dob.name = std::string(uvm_.files->name_of(o.object));
      dob.refs = o.refs;
      dob.resident = o.resident;
      dob.swap_blocks = o.swap_blocks;
      if (auto s = others_.objects.find(o.object); s != others_.objects.end()) dob.mapped_by = s->second;
      d_.objects.push_back(std::move(dob));
    }
    de.object = it->second;
    de.object_swapped = o.swap_blocks_in_entry;
  }

  void object_page(const InspectEntry&, const InspectObjectPage& p) override {
    DumpObjectPage dp;
    dp.offset = p.offset;
    dp.va = p.va;
    dp.page = page_of(uvm_, p.page);
    pv_foreach(p.page, [&](Pmap* pmap, vaddr_t va) {
      if (pmap == self_) return;
      if (auto it = pmap_owner_.find(pmap); it != pmap_owner_.end())
        dp.shared_with.push_back(DumpSharer{it->second, va});
    });
    // Only pages this process can reach through its own page tables or its
    // object count as its resident pages (for the queue summary).
    count_queue(p.page);
    d_.entries.back().object_pages.push_back(std::move(dp));
  }

 private:
  void count_queue(const Page* pg) {
    switch (pg->queue()) {
      case PageQueue::kActive: d_.queues.proc_active++; break;
      case PageQueue::kInactive: d_.queues.proc_inactive++; break;
      default: d_.queues.proc_none++; break;
    }
  }

  const Uvm& uvm_;
  SpaceDump& d_;
  const SharerIndex& others_;
  const absl::flat_hash_map<const Pmap*, std::string>& pmap_owner_;
  const Pmap* self_;
  std::map<const Amap*, int> amap_ids_;
  std::map<const UvmObject*, int> object_ids_;
};

}  // namespace

StatusOr<SpaceDump> dump_process(const Process& p) {
  if (!p.alive())
    return absl::FailedPreconditionError(fmt::format("dump: process '{}' has exited", p.name()));
  const Machine& m = p.machine();
  const Uvm& uvm = m.uvm();
  SharerIndex others;
  absl::flat_hash_map<const Pmap*, std::string> pmap_owner;
  for (const Process* q : m.processes()) {
    if (q == &p || !q->alive()) continue;
    others.process = q->name();
    inspect_map(uvm, *q->vmspace().map, others);
    pmap_owner[q->vmspace().pmap.get()] = q->name();
  }
  SpaceDump d;
  d.process = p.name();
  d.pid = p.pid();
  d.anon_model = std::string(to_string(uvm.config.anon_model));
  Builder b(uvm, d, others, pmap_owner, p.vmspace().pmap.get());
  inspect_map(uvm, *p.vmspace().map, b);
  const UvmExp s = m.stats();
  d.queues.npages = s.npages;
  d.queues.free = s.free;
  d.queues.active = s.active;
  d.queues.inactive = s.inactive;
  d.queues.wired = s.wired;
  return d;
}

std::string_view prot_name(Prot p) {
  static constexpr std::string_view kNames[8] = {"none", "r", "w", "rw", "x", "rx", "wx", "rwx"};
  return kNames[p & kProtAll];
}

}  // namespace uvmsim
