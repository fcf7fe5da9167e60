// struct vm_page: the per-frame descriptor.
//
// One Page exists for every frame of the machine's physical memory. A page
// is owned by at most one of: a uvm_object (uobject + offset) or an anon
// (uanon). A page an object owns may additionally be borrowed by an anon
// (an O->A loan: both uobject() and uanon() are set, PG_ANON is clear) and by
// the kernel (loan_count > 0).
//
// Layout: 32 bytes. The metadata cost per resident page is one of the
// figures researchers compare (docs/results.md, target <= 64 B for everything
// UVM keeps per resident page), so the descriptor is packed:
//   - the frame number is not stored: it is the page's position in the
//     PhysMem array (PhysMem::index / phys);
//   - queue links are frame indices, not pointers;
//   - the owner is one tagged pointer (object, or anon with bit 0 set). The
//     rare both-set case (an object's page lent to an anon) keeps the anon in
//     a side table of the object's Uvm (Uvm::loan_anons), flagged by bit 1;
//   - the object offset is kept in pages (32 bits: objects are at most
//     2^31 pages — aobj slot indices are ints, files at most 64 GiB);
//   - the first mapping's reverse-map entry lives in the page itself (as
//     NetBSD x86's pmap_page embeds its first pv entry, PP_EMBEDDED); only a
//     page mapped more than once needs pv entries from the pool (core/pv.h);
//   - flags, queue and pmap attributes share that pv word as bit-fields;
//   - loan_count and wire_count are 16-bit, as in NetBSD's struct vm_page;
//     the code that raises them refuses at the limit (EBUSY / ENOMEM).
#pragma once

#include <cstdint>
#include <limits>

#include "uvmsim/types.h"

namespace uvmsim {

class UvmObject;
struct Anon;

// pg->flags (NetBSD PG_*); 8 bits.
enum : std::uint16_t {
  PG_BUSY = 0x0001,      // page is being worked on (I/O, being set up)
  PG_WANTED = 0x0002,    // someone waits for PG_BUSY to clear
  PG_RELEASED = 0x0004,  // free the page when the current I/O completes
  PG_CLEAN = 0x0008,     // page matches its backing store
  PG_FAKE = 0x0010,      // page has no valid data yet (just allocated)
  PG_TABLED = 0x0020,    // page is in its object's page table
  PG_ANON = 0x0040,      // page is an anon's
};

// pmap attributes harvested from page-table entries (mdpage attrs); 2 bits.
enum : std::uint8_t {
  PGA_REFERENCED = 0x1,
  PGA_MODIFIED = 0x2,
};

enum class PageQueue : std::uint8_t { kNone, kFree, kActive, kInactive };

inline constexpr std::uint32_t kNoPage = ~0u;
inline constexpr std::uint16_t kMaxPageCount = std::numeric_limits<std::uint16_t>::max();

struct Page {
  // --- owner ---
  UvmObject* uobject() const {
    return (owner_ & kOwnerAnon) ? nullptr : reinterpret_cast<UvmObject*>(owner_ & ~kOwnerBits);
  }
  Anon* uanon() const {
    if (owner_ & kOwnerAnon) return reinterpret_cast<Anon*>(owner_ & ~kOwnerBits);
    return (owner_ & kOwnerLoanAnon) ? lent_anon() : nullptr;
  }
  void set_uobject(UvmObject* obj);
  void set_uanon(Anon* anon);
  voff_t offset() const { return static_cast<voff_t>(off_pages_) << kPageShift; }
  void set_offset(voff_t off) { off_pages_ = static_cast<std::uint32_t>(off >> kPageShift); }

  // An object's page lent to an anon whose pointer is in Uvm::loan_anons.
  bool has_side_anon() const { return owner_ & kOwnerLoanAnon; }
  PageQueue queue() const { return static_cast<PageQueue>(pqueue_); }
  void set_queue(PageQueue q) { pqueue_ = static_cast<std::uint8_t>(q) & 3u; }

  // --- state ---
  std::uintptr_t owner_ = 0;  // tagged owner, see above; use the accessors

  // The pv word: the embedded first mapping (pmap id, va >> 12) or, with
  // pv_chain set, the pool index of the chain head (core/pv.h); pv_pmap is
  // then the id of the head entry's pmap, through which the pool is found.
  std::uint64_t pv_vpn : 35 = 0;
  std::uint64_t pv_pmap : 16 = 0;  // 0: no mapping
  std::uint64_t pv_chain : 1 = 0;
  std::uint64_t flags : 8 = 0;     // PG_*
  std::uint64_t pqueue_ : 2 = 0;   // PageQueue; use queue()/set_queue()
  std::uint64_t mdattrs : 2 = 0;   // PGA_*

  std::uint32_t q_prev = kNoPage;  // page-queue links (frame indices)
  std::uint32_t q_next = kNoPage;
  std::uint32_t off_pages_ = 0;    // offset in uobject, in pages
  std::uint16_t loan_count = 0;    // borrowers (kernel loans + anon loans)
  std::uint16_t wire_count = 0;    // wirings (mlock, wired faults)

 private:
  static constexpr std::uintptr_t kOwnerAnon = 0x1;      // owner_ is an Anon*
  static constexpr std::uintptr_t kOwnerLoanAnon = 0x2;  // object-owned, lent to an anon
  static constexpr std::uintptr_t kOwnerBits = 0x3;
  Anon* lent_anon() const;
};

static_assert(sizeof(Page) == 32, "keep struct Page at 32 bytes (docs/results.md)");

}  // namespace uvmsim
