// Global commands on page loans: loan, kread, unloan (uvm_loan, the
// borrower's view, uvm_unloan). A loan the library refuses prints
// `loan L = error ENAME` and L stays undefined; a kread whose lent page
// cannot be brought back prints `kread L OFF LEN = error ENAME`.
#include <cerrno>

#include "cli/scenario_commands.h"

#include "fmt/format.h"

namespace uvmsim::cli {

namespace {

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

Status exec_loan(Session& s, const Subject&, const LoanArgs& a) {
  if (Status st = s.check_new_name(a.loan); !st.ok())
    return absl::FailedPreconditionError(fmt::format("loan: {}", std::string(st.message())));
  auto p = s.live_process(a.process);
  if (!p.ok()) return p.status();
  auto h = s.machine().loan(**p, a.addr, a.len, a.to_anon ? LoanTo::kAnon : LoanTo::kKernel);
  if (!h.ok()) {
    print_errno_line(s, "loan", fmt::format("loan {}", a.loan), h.status(), [&](JsonWriter& w) {
      w.field("loan", a.loan).field("proc", a.process).field("addr", a.addr).field("len", a.len);
    });
    return absl::OkStatus();
  }
  s.add_loan(a.loan, *h);
  return absl::OkStatus();
}

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

Status exec_kread(Session& s, const Subject&, const KreadArgs& a) {
  auto h = s.live_loan(a.loan);
  if (!h.ok()) return h.status();
  auto bytes = s.machine().loan_read(*h, a.off, a.len);
  if (!bytes.ok()) {
    const int err = errno_of(bytes.status());
    // Bytes beyond the loan are the script's mistake; a lent page that
    // cannot be brought back (memory and swap full, an I/O error) is
    // something the simulated machine did: an error line, and the run goes on.
    if (err == EINVAL || err == ENOENT)
      return absl::InvalidArgumentError(fmt::format("kread {} {} {}: {}", a.loan, a.off, a.len, std::string(bytes.status().message())));
    const std::string ename(errno_name(err));
    s.emit({"kread", fmt::format("kread {} {} {} = error {}", a.loan, a.off, a.len, ename), [&](JsonWriter& w) {
              w.field("loan", a.loan).field("off", a.off).field("len", a.len).field("result", "error").field("errno", ename);
            }});
    return absl::OkStatus();
  }
  const std::string hex = to_hex(*bytes);
  s.emit({"kread", fmt::format("kread {} {} {} = {}", a.loan, a.off, a.len, hex), [&](JsonWriter& w) {
            w.field("loan", a.loan).field("off", a.off).field("len", a.len).field("result", "ok").field("hex", hex);
          }});
  return absl::OkStatus();
}

// ---- unloan L ----

struct UnloanArgs {
  std::string loan;
};

UnloanArgs parse_unloan(ArgReader& r) { return {r.name("L")}; }

Status exec_unloan(Session& s, const Subject&, const UnloanArgs& a) {
  auto h = s.live_loan(a.loan);
  if (!h.ok()) return h.status();
  if (Status st = s.machine().unloan(*h); !st.ok()) return st;
  s.loan_returned(a.loan);
  return absl::OkStatus();
}

}  // namespace

void add_loan_commands(CommandTable& t) {
  t.push_back(make_command<LoanArgs>("loan", Scope::kGlobal, "loan L P ADDR LEN kernel|anon",
                                     "loan the pages of P's range out (uvm_loan); L names the loan",
                                     parse_loan, exec_loan));
  t.push_back(make_command<KreadArgs>("kread", Scope::kGlobal, "kread L OFF LEN",
                                      "print bytes of loan L as the borrower sees them",
                                      parse_kread, exec_kread));
  t.push_back(make_command<UnloanArgs>("unloan", Scope::kGlobal, "unloan L", "return the loan",
                                       parse_unloan, exec_unloan));
}

}  // namespace uvmsim::cli
