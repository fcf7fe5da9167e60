// The vnode pager (uvn, seed 004 uvm_vnode.c 1.9): a uvm_object whose pages
// are the pages of a real host file.
//
// One Vnode exists per backing file (FileTable owns it) and every mapping of
// the file refers to it, so all shared mappings see the same pages.
//
//   state          uo_refs  pages               (seed flag)
//   unreferenced   0        none                !VALID
//   active         > 0      any                 VALID
//   persisting     0        clean, inactive     VALID|CANPERSIST, no VREF
//
// attach (uvn_attach) takes a reference; a persisting vnode is reclaimed with
// its cached pages (a "persist hit": no re-read). The last detach writes the
// dirty pages back and deactivates the rest (uvn_detach's CANPERSIST path):
// the object stays in the FileTable with its clean pages until the page
// daemon takes them or the machine goes away (terminate: clean and free all).
//
// get: a resident page, else a new page read with pread; the bytes of the
// last partial page past end of file are zero; an offset wholly past end of
// file is EFAULT (the fault handler's SIGBUS).
//
// put / flush (uvn_flush): the seed's traversal choice — walk the object's
// page list, or look each offset of the range up — then for each page:
// dirty (PG_CLEAN clear or modified in the pmap) and PGO_CLEANIT: write it
// back in a cluster of contiguous dirty pages (one pwritev, at most
// kMaxCluster pages, never past end of file), then PG_CLEAN and the pmap's
// modified bit cleared; then PGO_DEACTIVATE or PGO_FREE. Loaned and wired
// pages are never freed, busy ones never touched.
//
// setsize (uvm_vnp_setsize): pages wholly past the new end are unmapped and
// freed; the page holding the new end keeps its bytes before it (dirty ones
// stay dirty and are written at the next flush) and is zeroed past it in
// memory — unlike seed 004, which discarded that page (seeds/README.md).
// Growing exposes zeros: the old last partial page is zeroed past the old end
// (it may hold bytes written through a mapping past end of file).
//
// All I/O is synchronous (the seed's uvn_io is too): PGO_SYNCIO is accepted
// and implied. It goes through the machine's host I/O layer (core/host_io.h).
// A write-back that fails leaves its pages dirty in memory, whatever the
// caller wanted freed, and returns the errno (msync reports it); a read that
// fails gives EIO (SIGBUS for the faulting access).
#pragma once

#include <cstdint>
#include <string>

#include "core/uvm_object.h"

namespace uvmsim {

struct Page;

class Vnode final : public UvmObject {
 public:

  // Pages in one write-back cluster (the seed's MAXBSIZE / PAGE_SIZE).
  static constexpr int kMaxCluster = 16;
  // uvn_flush: a lookup by offset is taken to cost this many list steps.
  static constexpr std::uint64_t kHashPenalty = 4;

  // A vnode over open file descriptor fd (owned: closed by the destructor)
  // of `size` bytes, with no reference. `name` is the file's name in the
  // machine (what the host I/O layer's failure rules match).
  Vnode(Uvm& uvm, int fd, std::uint64_t size, std::string name);
  ~Vnode() override;

  // uvn_attach: a new mapping refers to the vnode.
  void attach();
  void detach() override;
  int get(voff_t offset, Page** pgp, int flags) override;
  int put(voff_t start, voff_t end, int flags) override;
  int flush(voff_t start, voff_t end, int flags) override;
  const char* kind() const override { return "vnode"; }

  // uvm_vnp_setsize plus ftruncate of the file: 0 or an errno.
  int setsize(std::uint64_t newsize);
  // uvn_terminate's page part: write every dirty page back and free all
  // pages (loaned ones are given up to their borrowers). 0 or an errno.
  int terminate();

  std::uint64_t size() const { return size_; }
  int fd() const { return fd_; }
  bool persisting() const { return uo_refs == 0 && !memq.empty(); }

  // Dirty in the seed's sense: PG_CLEAN clear, or modified through a mapping.
  static bool dirty(const Page* pg);

 private:
  // Write back the run of contiguous dirty pages starting at pg (at most
  // kMaxCluster, below `stop`). Returns the pages of the run in *run_len and
  // 0 or an errno; on success they are clean.
  int clean_cluster(Page* pg, voff_t stop, int* run_len);
  // PGO_DEACTIVATE / PGO_FREE of one page after any cleaning.
  void dispose(Page* pg, int flags);
  // Drop a page from the object whatever its state (truncate, terminate).
  void drop_page(Page* pg);

  int fd_;
  std::uint64_t size_;
  std::string name_;
};

}  // namespace uvmsim
