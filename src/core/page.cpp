// Page owner bookkeeping: the tagged owner word and the side table for the
// object page lent to an anon (see page.h).
#include "core/page.h"

#include "core/uvm.h"
#include "core/uvm_object.h"

namespace uvmsim {

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
