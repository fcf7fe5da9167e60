// The anonymous object pager (uao, seed 000): a uvm_object whose pages are
// zero-filled on first touch. It backs shared anonymous memory (mmap
// MAP_SHARED|MAP_ANON): every process sharing the mapping refers to the same
// object, so a store by one is seen by all.
//
// Swap: the pagers issue gives aobj pages swap slots (an array for small
// objects, a hash of 16-slot clusters above 64 pages). The interface is ready
// for it: put() with PGO_CLEANIT is where pages go to swap, get() where they
// come back.
#pragma once

#include "core/uvm_object.h"

namespace uvmsim {

class Aobj final : public UvmObject {
 public:
  // A new aobj of `size` bytes with one reference.
  static Aobj* create(Uvm& uvm, vsize_t size);

  void detach() override;
  int get(voff_t offset, Page** pgp, int flags) override;
  int put(voff_t start, voff_t end, int flags) override;
  const char* kind() const override { return "aobj"; }

  vsize_t size() const { return size_; }

 private:
  Aobj(Uvm& uvm, vsize_t size) : UvmObject(uvm), size_(size) {}
  vsize_t size_;
};

}  // namespace uvmsim
