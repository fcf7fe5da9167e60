// The shadow model's part of the invariant checker (core/check.cpp runs it):
// every entry's first object is live and its window lies inside it; the
// references each object holds agree with the entries and shadows that hold
// them (the generic checker compares the totals with uo_refs, from
// Checker::object_refs); shadow_count and the shadow lists agree with the
// backing links; chains have no cycles; an object that backs shadows is
// not one-mapping; pages, swap
// blocks and free marks lie inside the object and never share an index
// with each other's kinds; a mapped page is the one the chain shows, and
// writable only in the first object of an entry that owns it.
#include <cstring>

#include "core/check.h"
#include "core/page.h"
#include "core/shadow_chain.h"
#include "core/shadow_layer.h"
#include "core/uvm.h"
#include "core/vm_map.h"

namespace uvmsim {

namespace {

const ShadowObject* as_shadow(const UvmObject* o) {
  return std::strcmp(o->kind(), "shadow") == 0 ? static_cast<const ShadowObject*>(o) : nullptr;
}

}  // namespace

void ShadowLayer::check_entry(Checker& c, const std::string& who, const MapEntry& e) {
  const ShadowObject* o = e.sref.obj;
  if (!o) return;
  if (!uvm_.objects.contains(const_cast<ShadowObject*>(o))) {
    c.fail("{}: entry {:#x} points at a dead object", who, e.start);
    return;
  }
  c.object_refs[o]++;
  check_entry_refs_[o]++;
  if (e.sref.off + e.npages() > o->size)
    c.fail("{}: entry {:#x} window [{}, {}) beyond object {} size {}", who, e.start, e.sref.off,
           e.sref.off + e.npages(), o->id, o->size);
  if (!e.cow()) c.fail("{}: entry {:#x} has an anonymous object but is not copy-on-write", who, e.start);
}

bool ShadowLayer::check_mapping(Checker& c, const std::string& who, const MapEntry& e, vaddr_t va, const Page* pg,
                                bool writable) {
  if (!e.sref.obj) return false;
  const std::uint64_t idx = e.sref.off + atop(va - e.start);
  const ChainHit h = shadow_chain_lookup(e.sref.obj, idx);
  if (!h.obj) return false;  // the object layer below
  if (h.page != pg)
    c.fail("{}: va {:#x} maps frame {} but the chain shows {} (object {} index {})", who, va, uvm_.pm->index(pg),
           h.page ? static_cast<std::int64_t>(uvm_.pm->index(h.page)) : -1, h.obj->id, h.idx);
  if (writable && (h.depth > 0 || e.needs_copy() || pg->loan_count > 0))
    c.fail("{}: va {:#x} writable but its page is shared (depth {}, needs-copy {}, loans {})", who, va, h.depth,
           e.needs_copy(), pg->loan_count);
  return true;
}

void ShadowLayer::check(Checker& c) {
  std::uint64_t nobjects = 0;
  for (const UvmObject* uo : uvm_.objects) {
    const ShadowObject* o = as_shadow(uo);
    if (!o) continue;
    nobjects++;
    if (o->flags & OBJ_DEAD) c.fail("object {}: dead but still listed", o->id);
    if (const ShadowObject* b = o->backing_object) {
      if (!uvm_.objects.contains(const_cast<ShadowObject*>(b))) {
        c.fail("object {}: backing object is dead", o->id);
        continue;
      }
      c.object_refs[b]++;
      if (!b->shadows.contains(const_cast<ShadowObject*>(o)))
        c.fail("object {}: not on its backing object {}'s shadow list", o->id, b->id);
    }
    if (o->shadow_count != static_cast<int>(o->shadows.size()))
      c.fail("object {}: shadow_count {} but {} shadows listed", o->id, o->shadow_count, o->shadows.size());
    for (const ShadowObject* s : o->shadows)
      if (!uvm_.objects.contains(const_cast<ShadowObject*>(s)) || s->backing_object != o)
        c.fail("object {}: a listed shadow does not point back", o->id);
    if (o->shadow_count > 0) {
      if (o->flags & OBJ_ONEMAPPING) c.fail("object {}: backs {} shadows but is one-mapping", o->id, o->shadow_count);
    }
    // No cycles: a chain is never longer than the number of objects.
    std::uint64_t steps = 0;
    for (const ShadowObject* b = o->backing_object; b && steps <= uvm_.objects.size(); b = b->backing_object) {
      steps++;
      if (b == o) {
        c.fail("object {}: its chain loops back to it", o->id);
        break;
      }
    }
    for (const auto& [off, pg] : o->memq) {
      if (atop(off) >= o->size) c.fail("object {}: page at index {} beyond size {}", o->id, atop(off), o->size);
      if (o->marked(atop(off))) c.fail("object {}: index {} both resident and marked free", o->id, atop(off));
    }
    for (const auto& [idx, slot] : o->swslots()) {
      if (idx >= o->size) c.fail("object {}: swap block at index {} beyond size {}", o->id, idx, o->size);
      if (o->marked(idx)) c.fail("object {}: index {} both in swap and marked free", o->id, idx);
    }
  }
  (void)nobjects;
  check_entry_refs_.clear();
}

}  // namespace uvmsim
