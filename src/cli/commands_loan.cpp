// Global commands on page loans: loan, kread, unloan.
//
// Not supported yet: they need uvm_loan, which has not landed. Each parses
// completely; wiring one up means writing its exec_* body (and
// Session::add_loan; a failed loan prints `loan L = error ENAME`).
#include "cli/scenario_commands.h"

namespace uvmsim::cli {

namespace {

constexpr std::string_view kWhy = "page loans need uvm_loan, which has not landed";

// ---- loan L P ADDR LEN kernel|anon ----

struct LoanArgs {
  std::string loan, process;
  std::uint64_t addr = 0, len = 0;
  bool to_anon = false;  // uvm_loan to-anon (else to-page, a kernel borrower)
};

LoanArgs parse_loan(ArgReader& r) {
  LoanArgs a;
  a.loan = r.name("L");
  a.process = r.name("P");
  a.addr = r.number("ADDR");
  a.len = r.number("LEN");
  a.to_anon = r.keyword("borrower", {"kernel", "anon"}) == 1;
  return a;
}

Status exec_loan(Session&, const Subject&, const LoanArgs&) { return not_supported("loan", kWhy); }

// ---- kread L OFF LEN ----

struct KreadArgs {
  std::string loan;
  std::uint64_t off = 0, len = 0;
};

KreadArgs parse_kread(ArgReader& r) {
  KreadArgs a;
  a.loan = r.name("L");
  a.off = r.number("OFF");
  a.len = r.number("LEN");
  return a;
}

Status exec_kread(Session&, const Subject&, const KreadArgs&) { return not_supported("kread", kWhy); }

// ---- unloan L ----

struct UnloanArgs {
  std::string loan;
};

UnloanArgs parse_unloan(ArgReader& r) { return {r.name("L")}; }

Status exec_unloan(Session&, const Subject&, const UnloanArgs&) {
  return not_supported("unloan", kWhy);
}

}  // namespace

void add_loan_commands(CommandTable& t) {
  t.push_back(make_command<LoanArgs>("loan", Scope::kGlobal, "loan L P ADDR LEN kernel|anon",
                                     "loan the pages of P's range out (uvm_loan); L names the loan (not supported yet)",
                                     parse_loan, exec_loan));
  t.push_back(make_command<KreadArgs>("kread", Scope::kGlobal, "kread L OFF LEN",
                                      "print bytes of loan L as the borrower sees them (not supported yet)",
                                      parse_kread, exec_kread));
  t.push_back(make_command<UnloanArgs>("unloan", Scope::kGlobal, "unloan L", "return the loan (not supported yet)",
                                       parse_unloan, exec_unloan));
}

}  // namespace uvmsim::cli
