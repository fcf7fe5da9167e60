// struct uvm_object and its pager operations (struct uvm_pagerops).
//
// An object is a source of pages addressed by offset: anonymous memory shared
// between processes (aobj), a file (vnode), a device. The object keeps its
// resident pages in `memq` (offset -> page); the pager fetches missing pages
// (get) and writes dirty ones back (put).
//
// The pager interface is the modern one (seed README): errno-style results and
// a range put. Pagers see pages and objects, never maps.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/functional/function_ref.h"
#include "uvmsim/types.h"

namespace uvmsim {

struct Page;
struct Uvm;

// pgo_get flags
enum : int {
  PGO_LOCKED = 0x01,  // resident pages only: no allocation, no I/O (fault-ahead)
};

// pgo_put flags
enum : int {
  PGO_CLEANIT = 0x01,     // write dirty pages back
  PGO_SYNCIO = 0x02,      // ... synchronously
  PGO_DEACTIVATE = 0x04,  // move pages to the inactive queue
  PGO_FREE = 0x08,        // free pages (after cleaning if PGO_CLEANIT)
  PGO_ALLPAGES = 0x10,    // ignore start/end: the whole object
};

class UvmObject {
 public:
  explicit UvmObject(Uvm& uvm);
  virtual ~UvmObject();
  UvmObject(const UvmObject&) = delete;
  UvmObject& operator=(const UvmObject&) = delete;

  // --- pager operations ---
  // pgo_reference: a new map entry refers to the object.
  virtual void reference() { uo_refs++; }
  // pgo_detach: a map entry stopped referring to it. At the last reference
  // the object releases its pages and (for most pagers) deletes itself.
  virtual void detach() = 0;
  // pgo_get: the page at `offset` (page-aligned), resident and not busy, in
  // *pgp. With PGO_LOCKED only a resident page is returned (else ENOENT).
  // Errors: ENOMEM (no free page), EFAULT/EINVAL (offset past the object:
  // the fault handler turns these into SIGBUS), EIO.
  virtual int get(voff_t offset, Page** pgp, int flags) = 0;
  // pgo_put: clean / deactivate / free pages in [start, end).
  virtual int put(voff_t start, voff_t end, int flags) = 0;
  // pgo_flush (the old pager interface's name for a range put): clean,
  // deactivate or free [start, end) with PGO_* flags. Pagers may override to
  // add their own traversal; the default is put().
  virtual int flush(voff_t start, voff_t end, int flags) { return put(start, end, flags); }
  // A short name of the pager ("aobj", "vnode").
  virtual const char* kind() const = 0;
  // The object gives up a clean resident page it can read back from its
  // pager (the page daemon's O->A adoption: the borrowing anon keeps the
  // page). Pagers whose backing copy needs accounting override this.
  virtual void release_clean(Page* pg) { remove_page(pg); }

  // --- anonymous-object pager operations (NetBSD calls the aobj pager
  // directly where the object is UVM_OBJ_IS_AOBJ; here core asks the
  // object, so it never needs to know the pager's type) ---
  // Anonymous memory: the object's contents are not backed by a file, so a
  // private copy of it (fork with inheritance copy) must snapshot it.
  virtual bool anonymous() const { return false; }
  // The swap slot of the page at `offset` (0: none), and recording a new one
  // for it: the page daemon writes several owners' pages to swap at once
  // (a swap cluster) and tells each owner its page's slot.
  virtual int swslot_at(voff_t /*offset*/) const { return 0; }
  virtual void set_swslot_at(voff_t /*offset*/, int /*slot*/) {}
  // Every (page index, swap slot) the object holds (checker, swap-off).
  virtual void for_each_swslot(absl::FunctionRef<void(std::uint64_t pageidx, int slot)> /*f*/) const {}
  // uao_swap_off: bring back every page whose swap slot is in
  // [startslot, endslot) and drop the slot. errno result (ENOMEM).
  virtual int swap_off(int /*startslot*/, int /*endslot*/) { return 0; }

  // --- inspection (dumps; core/vm_inspect.h) ---
  // Pages of [start, end) whose data the pager keeps in swap (aobj swap
  // blocks); 0 for pagers that keep none.
  virtual std::uint64_t swap_blocks(voff_t /*start*/ = 0, voff_t /*end*/ = ~voff_t{0}) const { return 0; }
  // Of those, the pages that are not resident (swap holds the only copy).
  virtual std::uint64_t swap_only_blocks(voff_t /*start*/, voff_t /*end*/) const { return 0; }

  // The offsets in [start, end) where the object holds data (a resident
  // page or a swap slot), ascending. Proportional to what the object holds,
  // not to the range: a fork's private copy of a huge shared mapping walks
  // this, not every page of its window.
  std::vector<voff_t> held_offsets(voff_t start, voff_t end) const;

  // --- resident pages ---
  Page* find_page(voff_t offset) const;
  void insert_page(Page* pg, voff_t offset);  // takes ownership (uobject/offset)
  void remove_page(Page* pg);                 // drops ownership
  // Remove every mapping of and free the resident pages in [start, end);
  // pages that are loaned out are left to their borrowers (loan issue).
  void free_pages(voff_t start, voff_t end);

  Uvm& uvm;
  int uo_refs = 1;
  absl::btree_map<voff_t, Page*> memq;
};

}  // namespace uvmsim
