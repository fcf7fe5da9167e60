// struct vm_page: the per-frame descriptor.
//
// One Page exists for every frame of the machine's physical memory. A page
// is owned by at most one of: a uvm_object (uobject + offset) or an anon
// (uanon). A loaned page may additionally be borrowed (loan_count > 0).
//
// Layout is kept within 64 bytes (56 today): the metadata cost per resident page is one of
// the figures researchers compare (docs/results.md). Queue links are frame
// indices, not pointers, for that reason.
#pragma once

#include <cstdint>

#include "uvmsim/types.h"

namespace uvmsim {

class UvmObject;
struct Anon;
struct PvEntry;

// pg->flags (NetBSD PG_*)
enum : std::uint16_t {
  PG_BUSY = 0x0001,      // page is being worked on (I/O, being set up)
  PG_WANTED = 0x0002,    // someone waits for PG_BUSY to clear
  PG_RELEASED = 0x0004,  // free the page when the current I/O completes
  PG_CLEAN = 0x0008,     // page matches its backing store
  PG_FAKE = 0x0010,      // page has no valid data yet (just allocated)
  PG_TABLED = 0x0020,    // page is in its object's page table
  PG_ANON = 0x0040,      // page is an anon's
};

// pmap attributes harvested from page-table entries (mdpage attrs).
enum : std::uint8_t {
  PGA_REFERENCED = 0x1,
  PGA_MODIFIED = 0x2,
};

enum class PageQueue : std::uint8_t { kNone, kFree, kActive, kInactive };

inline constexpr std::uint32_t kNoPage = ~0u;

struct Page {
  std::uint32_t index = 0;           // frame number; phys() = index * kPageSize
  std::uint16_t flags = 0;
  PageQueue pqueue = PageQueue::kNone;
  std::uint8_t mdattrs = 0;          // PGA_*
  std::uint32_t loan_count = 0;      // borrowers (kernel loans + anon loans)
  std::uint32_t wire_count = 0;      // wirings (mlock, wired faults)
  UvmObject* uobject = nullptr;
  voff_t offset = 0;                 // offset in uobject
  Anon* uanon = nullptr;
  PvEntry* pvlist = nullptr;         // every (pmap, va) mapping this page
  std::uint32_t q_prev = kNoPage;    // page-queue links (frame indices)
  std::uint32_t q_next = kNoPage;

  paddr_t phys() const { return static_cast<paddr_t>(index) << kPageShift; }
};

}  // namespace uvmsim
