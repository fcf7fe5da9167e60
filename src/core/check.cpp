// The invariant checker (Machine::check). Tests call it after every step of
// their randomized runs; `check` in a scenario prints its verdict. It walks
// every structure of the model and cross-checks them:
//   maps:    entries ordered, aligned, non-overlapping, in user space;
//            needs-copy implies copy-on-write
//   the anonymous layer (AnonLayer::check_*; amap_check.cpp for amaps):
//            its references from the entries, its structures, and the
//            pages it says are mapped
//   anons:   an_ref = the layer's references to it (+ loans); page
//            back-pointer; no anon leaked (live count = reachable anons)
//   objects: memq pages point back; uo_refs = referring entries
//   pages:   every frame is free or has exactly one owner; queues agree with
//            state; wired pages are on no queue; a page's wire_count equals
//            the wired PTEs that map it
//   pmaps:   every PTE is in its page's pv list and vice versa; it maps what
//            the map says is at that address; writable only when a write
//            would not need a copy; resident counts agree
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "core/anon.h"
#include "core/anon_layer.h"
#include "core/check.h"
#include "core/page.h"
#include "core/pmap.h"
#include "core/pv.h"
#include "core/uvm.h"
#include "core/uvm_object.h"
#include "core/vmspace.h"
#include "fmt/format.h"
#include "uvmsim/machine.h"
#include "uvmsim/process.h"

namespace uvmsim {

namespace {

// The compact per-page structures (page.h, pv.h): the O->A side table
// matches the pages flagged for it, every embedded or chained pv entry names
// a live pmap of this machine, chains have at least two entries (else they
// fold back) and their head id is the head entry's, and the pool's live
// count equals the chained entries. Returns false when a pv id is dead or
// foreign: the rest of the checker walks pv lists and must not then.
bool check_compact_pages(Checker& c, Uvm& uvm) {
  PhysMem& pm = *uvm.pm;
  std::uint64_t side = 0, chained = 0;
  bool ids_ok = true;
  auto live = [&uvm](std::uint64_t id) {
    const Pmap* p = pmap_by_id(static_cast<std::uint16_t>(id));
    return p != nullptr && &const_cast<Pmap*>(p)->uvm() == &uvm;
  };
  for (std::uint32_t i = 0; i < pm.npages(); i++) {
    const Page* pg = pm.page(i);
    if (pg->has_side_anon()) {
      side++;
      auto it = uvm.loan_anons.find(pg);
      if (it == uvm.loan_anons.end()) c.fail("page {}: flagged as lent to an anon, but no side-table entry", i);
      else if (pm.anon_page(it->second) != pg) c.fail("page {}: its side-table anon has another page", i);
    }
    if (pg->pv_pmap && !live(pg->pv_pmap)) {
      c.fail("page {}: pv names pmap id {}, not a live pmap of this machine", i, static_cast<int>(pg->pv_pmap));
      ids_ok = false;
      continue;
    }
    if (!pg->pv_chain) continue;
    int n = 0;
    for (std::uint32_t e = static_cast<std::uint32_t>(pg->pv_vpn); e != kPvNone && n <= 1 << 20; e = uvm.pv[e].next) {
      if (!live(uvm.pv[e].pmap)) {
        c.fail("page {}: pv chain entry names pmap id {}, not a live pmap of this machine", i, uvm.pv[e].pmap);
        ids_ok = false;
      }
      n++;
    }
    if (n < 2) c.fail("page {}: pv chain of {} entries not folded back into the page", i, n);
    if (uvm.pv[static_cast<std::uint32_t>(pg->pv_vpn)].pmap != pg->pv_pmap)
      c.fail("page {}: pv chain head id differs from the page's", i);
    chained += static_cast<std::uint64_t>(n);
  }
  if (side != uvm.loan_anons.size())
    c.fail("{} pages flagged as lent to an anon but {} side-table entries", side, uvm.loan_anons.size());
  if (chained != uvm.pv.live()) c.fail("{} chained pv entries but {} live in the pool (leak)", chained, uvm.pv.live());
  return ids_ok;
}

}  // namespace

Status Machine::check() const {
  Checker c{*uvm_, {}, {}, {}};
  Uvm& uvm = const_cast<Uvm&>(*uvm_);
  PhysMem& pm = *uvm.pm;
  const bool pv_ids_ok = check_compact_pages(c, uvm);
  AnonLayer& anon = *uvm.anon_layer;

  absl::flat_hash_map<const UvmObject*, int> obj_refs;
  absl::flat_hash_map<const Page*, int> pv_expected;  // mappings per page from PTEs
  absl::flat_hash_map<const Page*, int> wired_ptes;

  // ---- maps and pmaps (walking pv lists needs live pmap ids)
  for (auto& proc : uvm.procs) {
    if (!pv_ids_ok) break;
    if (!proc->alive()) continue;
    VmSpace& vm = proc->vmspace();
    VmMap& map = *vm.map;
    const std::string who = fmt::format("pid {}", proc->pid());
    vaddr_t last_end = 0;
    map.for_each([&](const MapEntry& e) {
      if (e.start >= e.end || (e.start & kPageMask) || (e.end & kPageMask))
        c.fail("{}: entry [{:#x},{:#x}) malformed", who, e.start, e.end);
      if (e.start < last_end) c.fail("{}: entry at {:#x} overlaps the previous one", who, e.start);
      if (e.start < kUserMin || e.end > kUserMax) c.fail("{}: entry at {:#x} outside user space", who, e.start);
      last_end = e.end;
      if (e.needs_copy() && !e.cow()) c.fail("{}: entry {:#x} needs-copy but not copy-on-write", who, e.start);
      anon.check_entry(c, who, e);
      if (e.object) {
        if (!uvm.objects.contains(e.object)) c.fail("{}: entry {:#x} points at a dead object", who, e.start);
        else obj_refs[e.object]++;
      }
    });

    std::uint64_t mappings = 0, wired = 0;
    vm.pmap->for_each_mapping([&](vaddr_t va, std::uint64_t pte) {
      mappings++;
      Page* pg = pm.page_at(pte & PTE_FRAME);
      if (!pg) {
        c.fail("{}: va {:#x} maps non-frame {:#x}", who, va, pte & PTE_FRAME);
        return;
      }
      pv_expected[pg]++;
      if (pte & PTE_WIRED) {
        wired++;
        wired_ptes[pg]++;
      }
      bool in_pv = false;
      pv_foreach(pg, [&](Pmap* pm, vaddr_t pva) {
        if (pm == vm.pmap.get() && pva == va) in_pv = true;
      });
      if (!in_pv) c.fail("{}: va {:#x} -> frame {} missing from the pv list", who, va, uvm.pm->index(pg));
      MapEntry* e = map.lookup(va);
      if (!e) {
        c.fail("{}: va {:#x} mapped in the pmap but not in the map", who, va);
        return;
      }
      const bool writable = pte & PTE_W;
      if (writable && !(e->protection & kProtWrite))
        c.fail("{}: va {:#x} writable in the pmap but entry protection is {}", who, va, prot_string(e->protection));
      // Execute-only is a protection an x86 page table cannot express: a
      // present page is readable, so the pmap keeps such pages mapped read-only
      // (as NetBSD's x86 pmap does). Only `none` must have no translation.
      if (e->protection == kProtNone)
        c.fail("{}: va {:#x} mapped under protection none", who, va);
      if ((pte & PTE_WIRED) && e->wired_count == 0)
        c.fail("{}: va {:#x} wired in the pmap, entry not wired", who, va);
      // The anonymous layer checks the pages it holds; the object layer the rest.
      if (anon.check_mapping(c, who, *e, va, pg, writable)) return;
      if (e->object) {
        const voff_t off = e->offset + (va - e->start);
        if (writable && pg->loan_count > 0) c.fail("{}: va {:#x} maps a loaned page writable", who, va);
        if (e->object->find_page(off) != pg)
          c.fail("{}: va {:#x} maps frame {}, not the object's page at {:#x}", who, va, uvm.pm->index(pg), off);
        if (writable && e->cow()) c.fail("{}: va {:#x} maps an object page writable in a copy-on-write entry", who, va);
      } else {
        c.fail("{}: va {:#x} mapped with neither anon nor object", who, va);
      }
    });
    if (mappings != vm.pmap->resident_count())
      c.fail("{}: pmap resident count {} but {} mappings", who, vm.pmap->resident_count(), mappings);
    if (wired != vm.pmap->wired_count())
      c.fail("{}: pmap wired count {} but {} wired mappings", who, vm.pmap->wired_count(), wired);
  }

  // ---- the anonymous layer's structures; it counts its anon references
  anon.check(c);
  for (const auto& [o, n] : c.object_refs) obj_refs[o] += n;
  absl::flat_hash_map<const Anon*, int>& anon_slots = c.anon_refs;

  // Loans: anons held by anon loans count as references; pages lent to the
  // kernel count as borrowers.
  absl::flat_hash_map<const Anon*, int> anon_loans;
  absl::flat_hash_map<const Page*, int> kernel_loans;
  for (auto& [id, rec] : uvm.loans) {
    for (const Anon* an : rec.anons) {
      anon_loans[an]++;
      anon_slots.try_emplace(an, 0);
    }
    for (const Page* pg : rec.pages) kernel_loans[pg]++;
  }
  for (auto& [an, slots] : anon_slots) {
    const int loans = anon_loans.contains(an) ? anon_loans[an] : 0;
    if (an->an_ref != slots + loans)
      c.fail("anon {}: an_ref {} but {} {} references and {} loans refer to it", fmt::ptr(an), an->an_ref,
             slots, anon.name(), loans);
    if (uvm.pm->anon_page(an) && uvm.pm->anon_page(an)->uanon() != an)
      c.fail("anon {}: its page {} does not point back", fmt::ptr(an), uvm.pm->index(uvm.pm->anon_page(an)));
    if (!uvm.pm->anon_page(an) && an->an_swslot == 0) c.fail("anon {}: neither resident nor in swap", fmt::ptr(an));
  }
  if (anon_slots.size() != uvm.nanons)
    c.fail("{} live anons but {} reachable from the {} layer (leak)", uvm.nanons, anon_slots.size(), anon.name());

  // ---- objects
  for (const UvmObject* o : uvm.objects) {
    const int refs = obj_refs.contains(o) ? obj_refs[o] : 0;
    if (refs != o->uo_refs)
      c.fail("{} object {}: uo_refs {} but {} map entries refer to it", o->kind(), fmt::ptr(o), o->uo_refs, refs);
    for (auto& [off, pg] : o->memq)
      if (pg->uobject() != o || pg->offset() != off)
        c.fail("{} object {}: page {} at {:#x} does not point back", o->kind(), fmt::ptr(o), uvm.pm->index(pg), off);
  }

  // ---- swap: every slot in use is referenced exactly once (anon or aobj
  // page), swpginuse counts them, swpgonly counts those whose page is not
  // resident.
  {
    absl::flat_hash_set<int> slots;
    std::uint64_t only = 0;
    auto note = [&](int slot, bool resident, const std::string& who) {
      if (!uvm.swap) {
        c.fail("{} has swap slot {} but the machine has no swap", who, slot);
        return;
      }
      if (!uvm.swap->in_use(slot)) c.fail("{} has swap slot {} that is not allocated", who, slot);
      if (!slots.insert(slot).second) c.fail("swap slot {} referenced twice ({})", slot, who);
      if (!resident) only++;
    };
    for (auto& [an, n] : anon_slots)
      if (an->an_swslot) note(an->an_swslot, uvm.pm->anon_page(an) != nullptr, fmt::format("anon {}", fmt::ptr(an)));
    for (const UvmObject* o : uvm.objects)
      o->for_each_swslot([&](std::uint64_t idx, int slot) {
        note(slot, o->find_page(ptoa(idx)) != nullptr, fmt::format("{} {} page {}", o->kind(), fmt::ptr(o), idx));
      });
    if (uvm.swap) {
      if (slots.size() != uvm.swap->inuse())
        c.fail("swpginuse {} but {} slots are referenced (leak)", uvm.swap->inuse(), slots.size());
      if (only != uvm.swap->swpgonly)
        c.fail("swpgonly {} but {} swapped pages are not resident", uvm.swap->swpgonly, only);
    }
  }

  // ---- pages
  std::uint64_t nfree = 0, nactive = 0, ninactive = 0, nwired = 0;
  for (std::uint32_t i = 0; i < pm.npages() && pv_ids_ok; i++) {
    const Page* pg = pm.page(i);
    int pvs = Pmap::mapping_count(pg);
    const int want_pv = pv_expected.contains(pg) ? pv_expected[pg] : 0;
    if (pvs != want_pv) c.fail("page {}: {} pv entries but {} PTEs map it", i, pvs, want_pv);
    if (pg->wire_count != 0) nwired++;
    const int wptes = wired_ptes.contains(pg) ? wired_ptes[pg] : 0;
    if (static_cast<int>(pg->wire_count) != wptes)
      c.fail("page {}: wire_count {} but {} wired mappings", i, pg->wire_count, wptes);
    switch (pg->queue()) {
      case PageQueue::kFree: nfree++; break;
      case PageQueue::kActive: nactive++; break;
      case PageQueue::kInactive: ninactive++; break;
      case PageQueue::kNone: break;
    }
    if (pg->queue() == PageQueue::kFree) {
      if (pg->uanon() || pg->uobject() || pg->pv_pmap || pg->pv_chain || pg->wire_count || pg->loan_count)
        c.fail("page {}: free but owned, mapped, wired or loaned", i);
      continue;
    }
    {
      const int kl = kernel_loans.contains(pg) ? kernel_loans[pg] : 0;
      const int al = (pg->uanon() && !(pg->flags & PG_ANON)) ? 1 : 0;
      if (static_cast<int>(pg->loan_count) != kl + al)
        c.fail("page {}: loan_count {} but {} kernel loans and {} anon loan", i, pg->loan_count, kl, al);
    }
    if ((pg->flags & PG_ANON) && !pg->uanon()) c.fail("page {}: PG_ANON without an anon", i);
    if (pg->uanon() && pg->uobject() && (pg->flags & PG_ANON))
      c.fail("page {}: owned by both an anon and an object", i);
    if (pg->uanon() && !(pg->flags & PG_ANON) && !pg->uobject())
      c.fail("page {}: borrowed by an anon from no object (should have been adopted)", i);
    if (!pg->uanon() && !pg->uobject() && pg->queue() != PageQueue::kNone)
      c.fail("page {}: orphan on a paging queue", i);
    if (pg->uanon()) {
      if (!anon_slots.contains(pg->uanon())) c.fail("page {}: owned by an unreachable anon", i);
      else if (uvm.pm->anon_page(pg->uanon()) != pg) c.fail("page {}: its anon has another page", i);
    } else if (pg->uobject()) {
      if (!uvm.objects.contains(pg->uobject())) c.fail("page {}: owned by a dead object", i);
      else if (pg->uobject()->find_page(pg->offset()) != pg) c.fail("page {}: not in its object's memq", i);
    } else if (pg->loan_count == 0) {
      c.fail("page {}: allocated but owned by nobody (leak)", i);
    }
    if (pg->wire_count > 0 && pg->queue() != PageQueue::kNone) c.fail("page {}: wired but on a paging queue", i);
    if (pg->wire_count == 0 && pg->queue() == PageQueue::kNone && !(pg->flags & PG_BUSY) &&
        (pg->uanon() || pg->uobject()))
      c.fail("page {}: in use, unwired, not busy, but on no queue", i);
  }
  if (nwired != pm.wired_count()) c.fail("uvmexp.wired {} but {} pages are wired", pm.wired_count(), nwired);
  if (nfree != pm.free_count() || nactive != pm.active_count() || ninactive != pm.inactive_count())
    c.fail("queue counts free/active/inactive {}/{}/{} but pages say {}/{}/{}", pm.free_count(),
           pm.active_count(), pm.inactive_count(), nfree, nactive, ninactive);

  if (c.errors.empty()) return absl::OkStatus();
  std::string msg = fmt::format("{} invariant violation(s):", c.errors.size());
  for (auto& e : c.errors) msg += "\n  " + e;
  return absl::InternalError(msg);
}

}  // namespace uvmsim
