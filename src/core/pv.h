// The reverse map (pv entries): page -> every (pmap, va) that maps it.
//
// Memory layout (the metadata-per-page figure of docs/results.md): a page
// mapped once — the common case — keeps its only mapping embedded in its pv
// word (struct Page: pmap id + virtual page number, 51 bits), as NetBSD x86's
// pmap_page embeds the first pv entry. A second mapping moves the page to a
// chain of 12-byte entries drawn from its machine's PvPool; when it drops back
// to one mapping the chain is folded back into the page.
//
// Pmap ids: 16 bits in the page's pv word name the pmap. Ids are allocated
// from one process-wide registry (at most 65535 live pmaps in a process,
// across all machines), because a page must find its pmaps — and through
// them its machine's pool — from those bits alone. Lookup is lock-free;
// allocation takes a mutex. Pmap::init fails with a clear error when the
// registry is full.
#pragma once

#include <cstdint>
#include <vector>

#include "uvmsim/types.h"

namespace uvmsim {

class Pmap;
struct Page;

// Pmap id registry.
std::uint16_t pmap_id_alloc(Pmap* pmap);  // 0 when all ids are in use
void pmap_id_free(std::uint16_t id);
Pmap* pmap_by_id(std::uint16_t id);

struct PvChainEntry {
  std::uint32_t next;    // pool index, kPvNone at the end
  std::uint32_t vpn_lo;  // va >> 12, low 32 bits
  std::uint16_t pmap;    // pmap id
  std::uint16_t vpn_hi;  // va >> 12, bits 32..47
};
static_assert(sizeof(PvChainEntry) == 12);

inline constexpr std::uint32_t kPvNone = ~0u;

// Per-machine pool of chain entries (a free list threaded through `next`).
class PvPool {
 public:
  std::uint32_t alloc();
  void free(std::uint32_t i);
  PvChainEntry& operator[](std::uint32_t i) { return e_[i]; }
  std::uint64_t live() const { return live_; }
  std::uint64_t capacity() const { return e_.capacity(); }

 private:
  std::vector<PvChainEntry> e_;
  std::uint32_t free_ = kPvNone;
  std::uint64_t live_ = 0;
};

// Reverse-map operations on one page. pv_insert/pv_remove keep the embedded
// entry and the chain consistent; pv_first gives any one mapping.
void pv_insert(Page* pg, Pmap* pmap, vaddr_t va);
void pv_remove(Page* pg, Pmap* pmap, vaddr_t va);
bool pv_first(const Page* pg, Pmap** pmap, vaddr_t* va);
int pv_count(const Page* pg);

// f(Pmap*, vaddr_t) for every mapping of pg; f must not change pg's mappings.
template <typename F>
void pv_foreach(const Page* pg, F&& f);

// internal: the pool a chained page's entries live in
PvPool& pv_pool_of(const Page* pg);

}  // namespace uvmsim

#include "core/page.h"

namespace uvmsim {

template <typename F>
void pv_foreach(const Page* pg, F&& f) {
  if (!pg->pv_chain) {
    if (pg->pv_pmap) f(pmap_by_id(static_cast<std::uint16_t>(pg->pv_pmap)), static_cast<vaddr_t>(pg->pv_vpn) << kPageShift);
    return;
  }
  PvPool& pool = pv_pool_of(pg);
  for (std::uint32_t i = static_cast<std::uint32_t>(pg->pv_vpn); i != kPvNone;) {
    const PvChainEntry& e = pool[i];
    const std::uint32_t next = e.next;
    f(pmap_by_id(e.pmap), ((static_cast<vaddr_t>(e.vpn_hi) << 32) | e.vpn_lo) << kPageShift);
    i = next;
  }
}

}  // namespace uvmsim
