#include "pagers/vnode.h"

#include "core/trace_events.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "core/loan.h"
#include "core/page.h"
#include "core/pmap.h"
#include "core/uvm.h"
#include "core/uvm_page.h"

namespace uvmsim {


Vnode::Vnode(Uvm& u, int fd, std::uint64_t size, std::string name)
    : UvmObject(u), fd_(fd), size_(size), name_(std::move(name)) {
  uo_refs = 0;  // no mapping yet: uvn_attach takes the first reference
}

Vnode::~Vnode() {
  if (fd_ >= 0) ::close(fd_);
}

bool Vnode::dirty(const Page* pg) { return !(pg->flags & PG_CLEAN) || Pmap::is_modified(pg); }

void Vnode::attach() {
  uvm.cnt.vnode_attach++;
  // Reclaiming a persisting vnode: its cached pages are found by get().
  if (uo_refs == 0 && !memq.empty()) uvm.cnt.vnode_persist_hits++;
  uo_refs++;
}

void Vnode::detach() {
  if (uo_refs <= 0) return;  // not referenced: nothing to drop
  if (--uo_refs > 0) return;
  // Last reference (uvn_detach, CANPERSIST): the vnode stays cached. Unlike
  // the seed, which only deactivates, dirty pages are written back now so
  // that the cache holds nothing the file does not.
  (void)flush(0, 0, PGO_CLEANIT | PGO_SYNCIO | PGO_DEACTIVATE | PGO_ALLPAGES);
}

// => pages returned are resident, not busy, on a paging queue (or wired).
int Vnode::get(voff_t offset, Page** pgp, int flags) {
  uvm.cnt.vnode_gets++;
  if (offset & kPageMask) return EINVAL;
  if (offset >= size_) {  // wholly past end of file: SIGBUS for the faulter
    uvm.cnt.vnode_get_eof++;
    return EFAULT;
  }
  if (Page* pg = find_page(offset)) {
    if (pg->flags & PG_BUSY) return EAGAIN;  // cannot happen single-threaded
    uvm.cnt.vnode_get_hits++;
    *pgp = pg;
    return 0;
  }
  if (flags & PGO_LOCKED) return ENOENT;

  // uvn_get step 2 + uvn_io(UIO_READ): a new busy/fake page filled from the
  // file; the part past end of file (and past a short host file) is zero.
  Page* pg = uvm.pagealloc(false);
  if (!pg) return ENOMEM;
  std::uint8_t* data = uvm.pm->data(pg);
  const std::uint64_t want = std::min<std::uint64_t>(kPageSize, size_ - offset);
  const std::int64_t got = uvm.io.read(fd_, IoFile::kBacking, name_, data, want, offset);
  if (got < 0) {
    uvm.cnt.vnode_ioerr++;
    uvm.pm->free(pg);
    return EIO;
  }
  std::memset(data + got, 0, kPageSize - static_cast<std::uint64_t>(got));
  uvm.cnt.vnode_pagein++;
  trace_io(uvm, "file-read", 1);
  trace_pagein(uvm, "vnode", 1);
  insert_page(pg, offset);
  // Data valid and equal to the file: clean, and no stale modified bit.
  pg->flags = static_cast<std::uint16_t>((pg->flags & ~(PG_BUSY | PG_FAKE)) | PG_CLEAN);
  Pmap::clear_modified(pg);
  uvm.pm->activate(pg);
  *pgp = pg;
  return 0;
}

int Vnode::put(voff_t start, voff_t end, int flags) { return flush(start, end, flags); }

// uvn_flush. The traversal (seed, "note on page traversal"): walking memq
// costs one step per resident page; looking the range up costs about
// kHashPenalty steps per page of the range. Take the cheaper. PGO_ALLPAGES
// always walks the list.
int Vnode::flush(voff_t start, voff_t stop, int flags) {
  uvm.cnt.vnode_puts++;
  constexpr voff_t kTop = ~kPageMask;  // highest page-aligned offset
  bool by_list;
  if (flags & PGO_ALLPAGES) {
    start = 0;
    stop = kTop;  // every page, also any a racing truncate could leave
    by_list = true;
  } else {
    start = trunc_page(start);
    stop = stop > kTop ? kTop : round_page(stop);
    if (start >= stop) return 0;
    by_list = memq.size() <= atop(stop - start) * kHashPenalty;
  }

  // The candidate offsets in order. Pages are looked up again when their
  // turn comes: cleaning a cluster or freeing may have changed the object.
  std::vector<voff_t> offs;
  if (by_list) {
    uvm.cnt.vnode_flush_bylist++;
    for (auto& [off, pg] : memq) {
      uvm.cnt.vnode_flush_visits++;
      if (off >= start && off < stop) offs.push_back(off);
    }
  } else {
    uvm.cnt.vnode_flush_byoff++;
    for (voff_t off = start; off < stop; off += kPageSize) {
      uvm.cnt.vnode_flush_lookups++;
      if (find_page(off)) offs.push_back(off);
    }
  }

  int error = 0;
  voff_t done_until = 0;  // pages below this were handled with a cluster
  std::vector<Page*> run;
  for (voff_t off : offs) {
    if (off < done_until) continue;
    Page* pg = find_page(off);
    if (!pg) continue;

    bool needs_clean = false;
    if ((flags & PGO_CLEANIT) && !(pg->flags & PG_BUSY)) {
      // Freeing: remove the mappings first so that PG_CLEAN is final (the
      // modified bits are harvested as the mappings go).
      if ((pg->flags & PG_CLEAN) && (flags & PGO_FREE) && pg->queue() == PageQueue::kActive &&
          pg->wire_count == 0 && pg->loan_count == 0)
        uvm_pageunmap(*uvm.pm, pg);
      if ((pg->flags & PG_CLEAN) && Pmap::is_modified(pg)) pg->flags &= ~PG_CLEAN;
      needs_clean = !(pg->flags & PG_CLEAN);
    }
    if (!needs_clean) {
      dispose(pg, flags);
      continue;
    }

    int n = 0;
    const int err = clean_cluster(pg, stop, &n);
    run.clear();
    for (int i = 0; i < n; i++)
      if (Page* p = find_page(off + ptoa(i))) run.push_back(p);
    done_until = off + ptoa(static_cast<std::uint64_t>(n));
    if (err != 0) {
      // The data is still only in memory: keep the pages (dirty), whatever
      // the caller wanted freed.
      error = err;
      if (flags & PGO_DEACTIVATE)
        for (Page* p : run) dispose(p, PGO_DEACTIVATE);
      continue;
    }
    for (Page* p : run) dispose(p, flags);
  }
  return error;
}

// uvm_pager_put of a cluster around pg (uvn_cluster: forward from pg, at most
// MAXBSIZE, not past end of file, only dirty non-busy pages), then uvn_io.
int Vnode::clean_cluster(Page* pg, voff_t stop, int* run_len) {
  const voff_t first = pg->offset();
  std::vector<Page*> run{pg};
  for (voff_t off = first + kPageSize;
       static_cast<int>(run.size()) < kMaxCluster && off < stop && off < size_; off += kPageSize) {
    Page* p = find_page(off);
    if (!p || (p->flags & PG_BUSY)) break;
    if ((p->flags & PG_CLEAN) && Pmap::is_modified(p)) p->flags &= ~PG_CLEAN;
    if (p->flags & PG_CLEAN) break;
    run.push_back(p);
  }
  *run_len = static_cast<int>(run.size());

  for (Page* p : run) p->flags |= PG_BUSY;  // ours during the I/O
  int err = 0;
  if (first < size_) {
    // Never past end of file: the last page contributes only its bytes
    // before it; the file's size is whatever create/truncate made it.
    std::uint64_t left = std::min<std::uint64_t>(ptoa(run.size()), size_ - first);
    std::vector<iovec> iov;
    for (Page* p : run) {
      if (left == 0) break;
      const std::uint64_t len = std::min<std::uint64_t>(kPageSize, left);
      iov.push_back(iovec{uvm.pm->data(p), len});
      left -= len;
    }
    err = uvm.io.writev(fd_, IoFile::kBacking, name_, iov, first);
    if (err == 0) {
      uvm.cnt.vnode_clusters++;
      uvm.cnt.vnode_pageout += iov.size();
      trace_io(uvm, "file-write", iov.size());
    } else {
      uvm.cnt.vnode_ioerr++;
    }
  }
  for (Page* p : run) {
    p->flags &= ~PG_BUSY;
    if (err == 0) {
      p->flags |= PG_CLEAN;
      Pmap::clear_modified(p);
    }
  }
  return err;
}

void Vnode::dispose(Page* pg, int flags) {
  if (flags & PGO_DEACTIVATE) {
    if (pg->queue() != PageQueue::kInactive && pg->wire_count == 0 && pg->loan_count == 0 &&
        !(pg->flags & PG_BUSY)) {
      uvm_pageunmap(*uvm.pm, pg);
      Pmap::clear_referenced(pg);
      uvm.pm->deactivate(pg);
      uvm.cnt.vnode_deactivated++;
    }
  } else if (flags & PGO_FREE) {
    // Loaned pages belong to their borrowers too; wired and busy ones are
    // in use: keep them all.
    if (pg->loan_count > 0 || pg->wire_count > 0 || (pg->flags & PG_BUSY)) {
      uvm.cnt.vnode_free_skipped++;
      return;
    }
    uvm.pagefree(pg);
    uvm.cnt.vnode_freed++;
  }
}

// uvm_pagefree: unmapped, out of the object; a loaned page lives on for its
// borrowers (an orphan, or adopted by a borrowing anon). A wired page's
// wired mappings go with it.
void Vnode::drop_page(Page* pg) { uvm.pagefree(pg); }

int Vnode::setsize(std::uint64_t newsize) {
  uvm.cnt.vnode_setsize++;
  const std::uint64_t oldsize = size_;
  // The page holding the end (the new one when shrinking, the old one when
  // growing) has its bytes past the end zeroed below: a write to the page.
  // NetBSD writes it through UBC, whose write fault breaks the page's loans
  // first (uvm_loanbreak), so the borrowers keep the bytes they were lent
  // and the file gets a fresh copy. Done before anything changes: without
  // memory for the copy the truncation fails with ENOMEM and leaves all as
  // it was.
  const std::uint64_t edge = std::min(newsize, oldsize);
  if (edge & kPageMask) {
    Page* pg = find_page(trunc_page(edge));
    if (pg && pg->loan_count > 0 && !uvm_loanbreak(uvm, pg)) return ENOMEM;
  }
  if (int err = uvm.io.truncate(fd_, IoFile::kBacking, name_, newsize); err != 0) {
    uvm.cnt.vnode_ioerr++;
    return err;  // nothing changed: the old size, every page as it was
  }
  size_ = newsize;
  if (newsize < oldsize) {
    // Pages wholly past the new end: gone, faults there give SIGBUS.
    std::vector<Page*> victims;
    for (auto it = memq.lower_bound(round_page(newsize)); it != memq.end(); ++it)
      victims.push_back(it->second);
    for (Page* pg : victims) {
      drop_page(pg);
      uvm.cnt.vnode_truncated++;
    }
  }
  // The page holding the end reads as zeros past it: in memory there may be
  // bytes written through a mapping past end of file, or bytes the file
  // just lost. The bytes before the end stay, dirty or clean as they were.
  if (edge & kPageMask) {
    if (Page* pg = find_page(trunc_page(edge))) {
      const std::uint64_t keep = edge & kPageMask;
      std::memset(uvm.pm->data(pg) + keep, 0, kPageSize - keep);
    }
  }
  return 0;
}

int Vnode::terminate() {
  int error = flush(0, 0, PGO_CLEANIT | PGO_SYNCIO | PGO_ALLPAGES);
  std::vector<Page*> all;
  for (auto& [off, pg] : memq) all.push_back(pg);
  for (Page* pg : all) {
    drop_page(pg);
    uvm.cnt.vnode_freed++;
  }
  return error;
}

}  // namespace uvmsim
