// uvmsim: page loan-out (uvm_loan) — UVM's zero-copy mechanism.
//
// A process's pages are lent to a borrower without copying:
//   to kernel (uvm_loan ... UVM_LOAN_TOPAGE): the borrower holds the pages
//     themselves (O->K object page, A->K anon page, or the shared zero page
//     for untouched copy-on-write memory);
//   to anon (UVM_LOAN_TOANON): the borrower holds anons (A->A: the owner's
//     anon becomes copy-on-write shared; O->A: a new anon borrowing the
//     object's page; zero loans share one anon on the zero page).
// Every mapping of a loaned page becomes read-only on its first loan; a write
// by the owner then breaks the loan (the owner gets a fresh copy) and the
// borrower keeps seeing the old contents until it unloans.
#pragma once

#include <cstdint>

namespace uvmsim {

enum class LoanTo : std::uint8_t { kKernel, kAnon };

// A loan made by Machine::loan; returned with Machine::unloan.
struct LoanHandle {
  std::uint64_t id = 0;
};

}  // namespace uvmsim
