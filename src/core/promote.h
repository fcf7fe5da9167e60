// The one copy step of the VM: every place that gives an owner a private
// copy of a page — fault case 1B (anon copy-on-write) and 2B (promotion of
// an object page or zero-fill into a new anon), amap_cow_now (fork of a
// wired entry), the fork snapshot of shared anonymous memory, and the two
// loan breaks — goes through these (NetBSD: uvmfault_promote and the
// copies in uvm_loanbreak / uvm_loanbreak_anon / amap_cow_now).
//
// The contract of the copy: the source page (if any) is held PG_BUSY across
// the allocation, because allocating may run the page daemon, which must not
// page out or free the page being copied; the new page comes back dirty
// (not PG_CLEAN), not busy, not fake and on no paging queue — the caller
// maps it (pmap_enter) and queues it (activate) when it is in place.
#pragma once

#include "core/page.h"

namespace uvmsim {

struct Anon;
struct Uvm;

// A new page holding a copy of src, or zeros when src is null. nullptr when
// memory and swap are exhausted (nothing changed).
Page* uvm_pagecopy(Uvm& uvm, Page* src);

// Give anon the page pg (owner, PG_ANON, the anon's frame); pg is dirty
// unless `clean`.
void uvm_anon_setpage(Uvm& uvm, Anon* anon, Page* pg, bool clean = false);

// uvmfault_promote: a new anon (an_ref 1) owning a copy of src (zeros when
// src is null). nullptr when memory ran out (nothing allocated). Counts
// pagecopies; the caller counts the case (flt_acow, flt_prcopy, ...).
Anon* uvm_promote(Uvm& uvm, Page* src);

}  // namespace uvmsim
