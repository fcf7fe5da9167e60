#include "core/promote.h"

#include <cstring>

#include "core/anon.h"
#include "core/kassert.h"
#include "core/process_counters.h"
#include "core/uvm.h"

namespace uvmsim {

Page* uvm_pagecopy(Uvm& uvm, Page* src) {
  UVM_KASSERT_MSG(!src || !(src->flags & PG_BUSY), "the source page must not be busy already");
  if (src) src->flags |= PG_BUSY;  // held across the allocation: not for the daemon
  Page* pg = uvm.pagealloc(src == nullptr);
  if (src) src->flags &= ~PG_BUSY;
  if (!pg) return nullptr;
  if (src) {
    std::memcpy(uvm.pm->data(pg), uvm.pm->data(src), kPageSize);
    count_fault_event(uvm, &UvmExp::pagecopies, &ProcessStats::pagecopies);
  }
  pg->flags = static_cast<std::uint16_t>(pg->flags & ~(PG_BUSY | PG_FAKE | PG_CLEAN));
  return pg;
}

void uvm_anon_setpage(Uvm& uvm, Anon* anon, Page* pg, bool clean) {
  pg->set_uanon(anon);
  pg->flags = static_cast<std::uint16_t>((pg->flags | PG_ANON) & ~(PG_BUSY | PG_FAKE | PG_CLEAN));
  if (clean) pg->flags |= PG_CLEAN;
  uvm.pm->set_anon_page(anon, pg);
}

Anon* uvm_promote(Uvm& uvm, Page* src) {
  Page* pg = uvm_pagecopy(uvm, src);
  if (!pg) return nullptr;
  Anon* anon = uvm_analloc(uvm);
  uvm_anon_setpage(uvm, anon, pg);
  return anon;
}

}  // namespace uvmsim
