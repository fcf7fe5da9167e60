// The shadow model at fork (FreeBSD vmspace_fork / vm_map_copy_entry):
// share an object with a reference, copy-on-write by sharing it with
// needs-copy on both sides, and copies made now where sharing cannot work
// (wired entries, memory several entries write in place).
#include <cerrno>
#include <vector>

#include "absl/container/btree_map.h"
#include "core/map_ops.h"
#include "core/page.h"
#include "core/pmap.h"
#include "core/promote.h"
#include "core/shadow_chain.h"
#include "core/shadow_layer.h"
#include "core/uvm.h"
#include "core/uvm_object.h"
#include "core/vm_map.h"

namespace uvmsim {

namespace {

// Where the page the entry sees at each index of its window lives.
struct Source {
  UvmObject* obj;
  voff_t off;
};

// Pages the parent entry sees in its chain, by page index in the entry.
absl::btree_map<std::uint64_t, Source> chain_pages(const MapEntry& e) {
  absl::btree_map<std::uint64_t, Source> out;
  absl::btree_map<std::uint64_t, bool> decided;
  const std::uint64_t n = e.npages();
  std::uint64_t shift = e.sref.off;
  for (ShadowObject* o = e.sref.obj; o; shift += o->backing_object_offset, o = o->backing_object) {
    auto note = [&](std::uint64_t j, bool mark) {
      if (j < shift || j - shift >= n) return;
      const std::uint64_t rel = j - shift;
      if (!decided.emplace(rel, true).second) return;
      if (!mark) out.emplace(rel, Source{o, ptoa(j)});
    };
    for (std::uint64_t j : o->marks()) note(j, true);
    for (auto it = o->memq.lower_bound(ptoa(shift)); it != o->memq.end() && atop(it->first) < shift + n; ++it)
      note(atop(it->first), false);
    for (auto it = o->swslots().lower_bound(shift); it != o->swslots().end() && it->first < shift + n; ++it)
      note(it->first, false);
  }
  return out;
}

// The child's entry ne gets a new object holding copies of the pages in
// `pages` (paged in from swap as needed). errno result.
int copy_now(Uvm& uvm, MapEntry* ne, const absl::btree_map<std::uint64_t, Source>& pages) {
  if (ne->npages() > ShadowObject::kMaxPages) return ENOMEM;
  ShadowObject* nobj = ShadowObject::allocate(uvm, ne->npages());
  ne->sref = Sref{nobj, 0};
  for (const auto& [rel, src] : pages) {
    Page* spg = nullptr;
    if (int err = src.obj->get(src.off, &spg, 0); err != 0) return err == EFAULT ? 0 : err;
    Page* pg = uvm_pagecopy(uvm, spg);
    if (!pg) return ENOMEM;
    nobj->insert_page(pg, ptoa(rel));
    uvm.pm->activate(pg);
    uvm.cnt.object_fork_copies++;
  }
  return 0;
}

}  // namespace

// Inheritance share: both processes write the same object. A needs-copy
// entry is given its own object first (a shadow, made now: both then share
// the shadow, not the object they were copying from — the shape of
// FreeBSD-SA-21:08), and an entry with nothing yet gets an empty object.
int ShadowLayer::fork_share(VmMap&, VmMap& child, MapEntry* e) {
  if (e->sref.obj && e->needs_copy()) {
    shadow_object_shadow(uvm_, *e);
    e->etype &= ~UVM_ET_NEEDSCOPY;
  } else if (!e->sref.obj && (e->needs_copy() || !e->object)) {
    if (e->npages() > ShadowObject::kMaxPages) return ENOMEM;
    e->sref = Sref{ShadowObject::allocate(uvm_, e->npages()), 0};
    e->etype &= ~UVM_ET_NEEDSCOPY;
  }
  if (ShadowObject* o = e->sref.obj) {
    o->uo_refs++;
    o->flags = static_cast<std::uint8_t>((o->flags & ~OBJ_ONEMAPPING) | OBJ_SHARED);
  }
  auto n = uvm_mapent_clone(e);
  if (n->object) n->object->reference();
  child.insert(std::move(n));
  return 0;
}

int ShadowLayer::fork_copy(VmMap& parent, VmMap& child, MapEntry* e) {
  // Shared anonymous memory (an aobj) inherited as a copy: the child gets a
  // private snapshot, copied now.
  if (e->object && !e->cow() && e->object->anonymous()) {
    auto n = uvm_mapent_clone(e);
    n->object = nullptr;
    n->offset = 0;
    n->etype = UVM_ET_COPYONWRITE;
    n->sharing = Sharing::kPrivate;
    n->sref = Sref{};
    MapEntry* ne = child.insert(std::move(n));
    // The pages the object holds in the window, resident or in swap: a walk
    // of the window itself would take as long as the mapping is large (a
    // shared mapping may span 2^31 pages with one of them touched).
    absl::btree_map<std::uint64_t, Source> pages;
    for (voff_t off : e->object->held_offsets(e->offset, e->offset + e->size()))
      pages.emplace(atop(off - e->offset), Source{e->object, off});
    return copy_now(uvm_, ne, pages);
  }
  ShadowObject* o = e->sref.obj;
  // Wired memory takes no copy-on-write faults (vm_fault_copy_entry), and
  // memory that several entries write in place (inherit share) cannot be
  // shared copy-on-write with one of them: the child gets copies now.
  const bool shared_in_place = o && (o->flags & OBJ_SHARED);
  if (o && (e->wired_count > 0 || shared_in_place)) {
    auto n = uvm_mapent_clone(e);
    n->sref = Sref{};
    n->etype = static_cast<std::uint8_t>((n->etype | UVM_ET_COPYONWRITE) & ~UVM_ET_NEEDSCOPY);
    if (n->object) n->object->reference();
    MapEntry* ne = child.insert(std::move(n));
    if (e->wired_count > 0) uvm_.cnt.forks_sharewired++;
    return copy_now(uvm_, ne, chain_pages(*e));
  }
  if (o) {
    // vm_map_copy_entry: collapse the chain first, then share the object.
    // FreeBSD also splits a one-mapping object that clipped siblings use
    // (vm_object_split), so that the child shares this range only. uvmsim
    // does not: the siblings' ranges are disjoint (one-mapping), so their
    // writes in place never reach the child's window, and keeping the
    // object keeps the references UVM's amap would have (madvise free
    // decides on them: docs/design.md).
    shadow_object_collapse(o);
    o->uo_refs++;
    o->flags &= ~OBJ_ONEMAPPING;
  }
  auto n = uvm_mapent_clone(e);
  n->etype |= UVM_ET_COPYONWRITE | UVM_ET_NEEDSCOPY;
  if (n->object) n->object->reference();
  child.insert(std::move(n));
  if (o && !e->needs_copy()) {
    // Both sides now share the object: the parent's next write must copy.
    if (e->max_protection & kProtWrite) parent.pmap().protect(e->start, e->end, e->protection & ~kProtWrite);
    e->etype |= UVM_ET_NEEDSCOPY;
  }
  return 0;
}

}  // namespace uvmsim
