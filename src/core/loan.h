// Page loan-out (seed 002, uvm_loan.c): see include/uvmsim/loan.h for the
// kinds of loan. The bookkeeping, exactly as the seed keeps it:
//   - pg->loan_count counts borrowers of a page: each kernel (->K) loan of it,
//     plus one when an anon borrows an object's (or the zero) page (O->A).
//   - an anon loaned to an anon (A->A) just gains a reference (an_ref): it is
//     copy-on-write shared from then on.
//   - a page an anon borrowed from an object has uanon set *without* PG_ANON
//     (PQ_ANON in NetBSD): the object still owns it.
//   - every mapping of a page becomes read-only on its first loan (only).
// Orphans: when the owner lets go of a loaned page (frees or truncates it, or
// writes it and so breaks the loan), the page lives on for the borrowers and
// is freed at the last unloan — or, for an O->A loan, adopted by the anon.
#pragma once

#include <cstdint>
#include <vector>

#include "uvmsim/loan.h"
#include "uvmsim/types.h"

namespace uvmsim {

struct Uvm;
struct Page;
struct Anon;
class VmMap;
class UvmObject;

struct LoanRecord {
  LoanTo to = LoanTo::kKernel;
  std::vector<Page*> pages;  // kKernel
  std::vector<Anon*> anons;  // kAnon
};

// uvm_loan: loan [start, start+len) of map. errno result, NetBSD's: ENOENT
// for a hole, EINVAL for a page that cannot be lent (wired, past end of
// file, pager error, no memory); EBUSY when a page's 16-bit loan_count is
// full (the model's limit). Protection is not checked. On failure every
// page loaned so far is returned (rolled back) and *out is empty.
int uvm_loan(VmMap& map, vaddr_t start, vsize_t len, LoanTo to, LoanRecord* out);
// uvm_unloan: return every page or anon of the record.
void uvm_unloan(Uvm& uvm, LoanRecord& rec);
// uvm_loanbreak: the owner object writes its loaned page: give the object a
// fresh copy (returned; nullptr when out of memory); the old page stays with
// the borrowers.
Page* uvm_loanbreak(Uvm& uvm, Page* uobjpage);
// uvm_loanbreak_anon: the owning anon writes its loaned page: the anon gets a
// fresh copy. errno result.
int uvm_loanbreak_anon(Uvm& uvm, Anon* anon);
// An O->A loan of one object page (fetched through the pager): the anon
// borrowing it (a new one with an_ref 1, or the page's existing borrower
// with one more reference) in *out. errno result (EBUSY: wired page).
int uvm_loan_obj_to_anon(Uvm& uvm, UvmObject* uobj, voff_t off, Anon** out);
// The shared zero page (allocated on first use), or nullptr when no memory.
Page* uvm_loanzero_page(Uvm& uvm);

}  // namespace uvmsim
