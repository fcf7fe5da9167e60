// Page owner bookkeeping: the tagged owner word and the side table for the
// object page lent to an anon (see page.h).
#include "core/page.h"

#include "core/uvm.h"
#include "core/uvm_object.h"
#include "core/pv.h"

namespace uvmsim {

// The tagged owner word uses the two low bits of the pointers.
static_assert(alignof(Anon) >= 4 && alignof(UvmObject) >= 4);
// flags is an 8-bit field.
static_assert((PG_BUSY | PG_WANTED | PG_RELEASED | PG_CLEAN | PG_FAKE | PG_TABLED | PG_ANON) <= 0xff);
// The embedded pv entry keeps 35 bits of virtual page number.
static_assert((kUserMax >> kPageShift) <= (1ull << 35));

Anon* Page::lent_anon() const {
  const UvmObject* obj = uobject();
  auto it = obj->uvm.loan_anons.find(this);
  return it == obj->uvm.loan_anons.end() ? nullptr : it->second;
}

void Page::set_uobject(UvmObject* obj) {
  Anon* anon = uanon();
  if (owner_ & kOwnerLoanAnon) uobject()->uvm.loan_anons.erase(this);
  if (obj) {
    owner_ = reinterpret_cast<std::uintptr_t>(obj);
    if (anon) {
      obj->uvm.loan_anons[this] = anon;
      owner_ |= kOwnerLoanAnon;
    }
  } else {
    owner_ = anon ? reinterpret_cast<std::uintptr_t>(anon) | kOwnerAnon : 0;
  }
}

void Page::set_uanon(Anon* anon) {
  UvmObject* obj = uobject();
  if (!obj) {
    owner_ = anon ? reinterpret_cast<std::uintptr_t>(anon) | kOwnerAnon : 0;
    return;
  }
  if (anon) {
    obj->uvm.loan_anons[this] = anon;
    owner_ |= kOwnerLoanAnon;
  } else if (owner_ & kOwnerLoanAnon) {
    obj->uvm.loan_anons.erase(this);
    owner_ &= ~kOwnerLoanAnon;
  }
}

}  // namespace uvmsim
