#include "core/anon.h"

#include <cerrno>

#include "core/page.h"
#include "core/pmap.h"
#include "core/uvm.h"

namespace uvmsim {

Anon* AnonPool::alloc() {
  Anon* a;
  if (!free_.empty()) {
    a = free_.back();
    free_.pop_back();
  } else {
    if (used_in_last_ == kSlab) {
      slabs_.push_back(std::make_unique<Anon[]>(kSlab));
      used_in_last_ = 0;
    }
    a = &slabs_.back()[used_in_last_++];
  }
  *a = Anon{};
  return a;
}

void AnonPool::free(Anon* a) { free_.push_back(a); }

Anon* uvm_analloc(Uvm& uvm) {
  Anon* a = uvm.anon_pool.alloc();
  a->an_ref = 1;
  uvm.nanons++;
  uvm.cnt.anon_alloc++;
  return a;
}

void uvm_anfree(Uvm& uvm, Anon* anon) {
  if (anon->an_swslot) {
    if (!anon->an_page && uvm.swap) uvm.swap->swpgonly--;
    if (uvm.swap) uvm.swap->free(anon->an_swslot, 1);
    anon->an_swslot = 0;
  }
  if (Page* pg = anon->an_page) {
    if (!(pg->flags & PG_ANON)) {
      // Borrowed from an object (O->A) or the zero page: drop our loan; the
      // owner keeps the page.
      pg->loan_count--;
      pg->set_uanon(nullptr);
      anon->an_page = nullptr;
      if (!pg->uobject() && pg->loan_count == 0) uvm.pm->free(pg);
    } else {
      uvm.pagefree(pg);  // loaned to the kernel: becomes an orphan
    }
    anon->an_page = nullptr;
  }
  uvm.anon_pool.free(anon);
  uvm.nanons--;
  uvm.cnt.anon_free++;
}

int uvm_anon_dropref(Uvm& uvm, Anon* anon) {
  int refs = --anon->an_ref;
  if (refs == 0) uvm_anfree(uvm, anon);
  return refs;
}

}  // namespace uvmsim

namespace uvmsim {

int uvm_anon_pagein(Uvm& uvm, Anon* anon) {
  if (anon->an_page) return 0;
  if (!anon->an_swslot || !uvm.swap) return EIO;
  Page* pg = uvm.pagealloc(false);
  if (!pg) return ENOMEM;
  if (int err = uvm.swap->read(anon->an_swslot, uvm.pm->data(pg)); err != 0) {
    uvm.pm->free(pg);
    return EIO;
  }
  uvm.swap->swpgonly--;
  uvm.cnt.pgswapin++;
  pg->set_uanon(anon);
  pg->flags = static_cast<std::uint16_t>((pg->flags | PG_ANON | PG_CLEAN) & ~(PG_BUSY | PG_FAKE));
  anon->an_page = pg;
  uvm.pm->activate(pg);
  return 0;
}

void uvm_anon_dropswap(Uvm& uvm, Anon* anon) {
  if (!anon->an_swslot || !anon->an_page) return;
  uvm.swap->free(anon->an_swslot, 1);
  anon->an_swslot = 0;
  anon->an_page->flags &= ~PG_CLEAN;
}

}  // namespace uvmsim
