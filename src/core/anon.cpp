#include "core/anon.h"

#include "core/page.h"
#include "core/pmap.h"
#include "core/uvm.h"

namespace uvmsim {

Anon* uvm_analloc(Uvm& uvm) {
  Anon* a = new Anon();
  a->an_ref = 1;
  uvm.nanons++;
  uvm.cnt.anon_alloc++;
  return a;
}

void uvm_anfree(Uvm& uvm, Anon* anon) {
  if (Page* pg = anon->an_page) {
    // No one may keep a translation to a page that goes back to the free list.
    Pmap::page_protect(pg, kProtNone);
    pg->uanon = nullptr;
    pg->flags &= ~PG_ANON;
    if (pg->wire_count > 0) pg->wire_count = 0;  // the last reference unwires
    uvm.pm->free(pg);
    anon->an_page = nullptr;
  }
  delete anon;
  uvm.nanons--;
  uvm.cnt.anon_free++;
}

int uvm_anon_dropref(Uvm& uvm, Anon* anon) {
  int refs = --anon->an_ref;
  if (refs == 0) uvm_anfree(uvm, anon);
  return refs;
}

}  // namespace uvmsim
