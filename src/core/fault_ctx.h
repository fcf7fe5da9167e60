// What the steps of one fault share (NetBSD's struct uvm_faultctx), and the
// generic pieces every step may end with: entering the page, or failing.
// The anonymous-memory layer (core/anon_layer.h) handles the upper part of
// a fault with these, so that fault.cpp never needs to know which layer runs.
#pragma once

#include "core/fault.h"
#include "uvmsim/types.h"

namespace uvmsim {

struct MapEntry;
struct Page;
struct Uvm;
class UvmObject;
class VmMap;

struct FaultCtx {
  VmMap& map;
  Uvm& uvm;
  vaddr_t va;                  // page-aligned
  bool write;                  // the access is a store
  bool wire_fault;             // uvm_fault_wire: wire what is mapped
  bool wired = false;          // the mapping is entered wired
  // Resolve copy-on-write and loans now. A normal fault does so for a
  // write. A wiring fault does so when the entry's *maximum* protection
  // allows writing, as NetBSD's UVM_FAULT_MAXPROT wiring does, whatever the
  // current protection: a later mprotect to writable then never needs a
  // fault on wired memory. (`write` stays the access that dirties the page.)
  bool cow_now = false;
  MapEntry* entry = nullptr;
  Prot enter_prot = kProtNone;  // the most the mapping may get
  UvmObject* uobj = nullptr;    // the entry's object, or null
  int nahead = 0;
};

// A failed fault: counts the failure (flt_segv, flt_bus, flt_noram).
Fault uvm_fault_failed(FaultCtx& f, FaultResult r);

// A pager's errno as a fault result: no memory, or SIGBUS (past the end of
// the object, an I/O error).
FaultResult uvm_fault_errno(int err);

// uvm_fault_enter: map pg at f.va with prot (wired for a wired fault), queue
// or wire the page, pmap_update; the fault's outcome with case c.
Fault uvm_fault_enter(FaultCtx& f, Page* pg, Prot prot, FaultCase c);

}  // namespace uvmsim
