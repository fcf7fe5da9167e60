// The reverse map: embedded first entry, pooled chain, pmap id registry.
// See pv.h for the layout and why ids are process-wide.
#include "core/pv.h"

#include <array>
#include <atomic>
#include <mutex>

#include "core/pmap.h"
#include "core/uvm.h"

namespace uvmsim {

namespace {

constexpr std::uint32_t kMaxPmapIds = 1u << 16;  // id 0 means "none"

struct Registry {
  std::array<std::atomic<Pmap*>, kMaxPmapIds> slot{};
  std::mutex mu;                    // guards free_ids and next_fresh
  std::vector<std::uint16_t> free_ids;
  std::uint32_t next_fresh = 1;
};

Registry& registry() {
  static Registry* r = new Registry();  // never destroyed: pmaps may outlive statics
  return *r;
}

vaddr_t entry_va(const PvChainEntry& e) {
  return ((static_cast<vaddr_t>(e.vpn_hi) << 32) | e.vpn_lo) << kPageShift;
}

void entry_set(PvChainEntry& e, std::uint16_t pmap, vaddr_t va) {
  const std::uint64_t vpn = va >> kPageShift;
  e.pmap = pmap;
  e.vpn_lo = static_cast<std::uint32_t>(vpn);
  e.vpn_hi = static_cast<std::uint16_t>(vpn >> 32);
}

}  // namespace

std::uint16_t pmap_id_alloc(Pmap* pmap) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::uint16_t id;
  if (!r.free_ids.empty()) {
    id = r.free_ids.back();
    r.free_ids.pop_back();
  } else if (r.next_fresh < kMaxPmapIds) {
    id = static_cast<std::uint16_t>(r.next_fresh++);
  } else {
    return 0;
  }
  r.slot[id].store(pmap, std::memory_order_release);
  return id;
}

void pmap_id_free(std::uint16_t id) {
  if (id == 0) return;
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.slot[id].store(nullptr, std::memory_order_release);
  r.free_ids.push_back(id);
}

Pmap* pmap_by_id(std::uint16_t id) { return registry().slot[id].load(std::memory_order_acquire); }

std::uint32_t PvPool::alloc() {
  live_++;
  if (free_ != kPvNone) {
    const std::uint32_t i = free_;
    free_ = e_[i].next;
    return i;
  }
  e_.push_back(PvChainEntry{kPvNone, 0, 0, 0});
  return static_cast<std::uint32_t>(e_.size() - 1);
}

void PvPool::free(std::uint32_t i) {
  live_--;
  e_[i].next = free_;
  e_[i].pmap = 0;
  free_ = i;
}

PvPool& pv_pool_of(const Page* pg) {
  return pmap_by_id(static_cast<std::uint16_t>(pg->pv_pmap))->uvm().pv;
}

void pv_insert(Page* pg, Pmap* pmap, vaddr_t va) {
  const std::uint16_t id = pmap->id();
  if (!pg->pv_chain && pg->pv_pmap == 0) {  // first mapping: embedded
    pg->pv_pmap = id;
    pg->pv_vpn = va >> kPageShift;
    return;
  }
  PvPool& pool = pmap->uvm().pv;
  if (!pg->pv_chain) {  // second mapping: move the embedded one to the chain
    const std::uint32_t old = pool.alloc();
    entry_set(pool[old], static_cast<std::uint16_t>(pg->pv_pmap), static_cast<vaddr_t>(pg->pv_vpn) << kPageShift);
    pool[old].next = kPvNone;
    pg->pv_chain = 1;
    pg->pv_vpn = old;
  }
  const std::uint32_t n = pool.alloc();
  entry_set(pool[n], id, va);
  pool[n].next = static_cast<std::uint32_t>(pg->pv_vpn);
  pg->pv_vpn = n;
  pg->pv_pmap = id;
}

void pv_remove(Page* pg, Pmap* pmap, vaddr_t va) {
  const std::uint16_t id = pmap->id();
  if (!pg->pv_chain) {
    if (pg->pv_pmap == id && (static_cast<vaddr_t>(pg->pv_vpn) << kPageShift) == va) {
      pg->pv_pmap = 0;
      pg->pv_vpn = 0;
    }
    return;
  }
  PvPool& pool = pmap->uvm().pv;
  std::uint32_t prev = kPvNone;
  for (std::uint32_t i = static_cast<std::uint32_t>(pg->pv_vpn); i != kPvNone; prev = i, i = pool[i].next) {
    if (pool[i].pmap != id || entry_va(pool[i]) != va) continue;
    if (prev == kPvNone) pg->pv_vpn = pool[i].next;
    else pool[prev].next = pool[i].next;
    pool.free(i);
    break;
  }
  // Re-establish the head's pmap id; fold a single remaining entry back.
  const std::uint32_t head = static_cast<std::uint32_t>(pg->pv_vpn);
  if (head == kPvNone) {  // cannot happen (a chain has >= 2 entries), but stay consistent
    pg->pv_chain = 0;
    pg->pv_pmap = 0;
    pg->pv_vpn = 0;
    return;
  }
  if (pool[head].next == kPvNone) {
    const PvChainEntry e = pool[head];
    pool.free(head);
    pg->pv_chain = 0;
    pg->pv_pmap = e.pmap;
    pg->pv_vpn = entry_va(e) >> kPageShift;
  } else {
    pg->pv_pmap = pool[head].pmap;
  }
}

bool pv_first(const Page* pg, Pmap** pmap, vaddr_t* va) {
  if (!pg->pv_chain) {
    if (!pg->pv_pmap) return false;
    *pmap = pmap_by_id(static_cast<std::uint16_t>(pg->pv_pmap));
    *va = static_cast<vaddr_t>(pg->pv_vpn) << kPageShift;
    return true;
  }
  const PvChainEntry& e = pv_pool_of(pg)[static_cast<std::uint32_t>(pg->pv_vpn)];
  *pmap = pmap_by_id(e.pmap);
  *va = entry_va(e);
  return true;
}

int pv_count(const Page* pg) {
  int n = 0;
  pv_foreach(pg, [&n](Pmap*, vaddr_t) { n++; });
  return n;
}

}  // namespace uvmsim
