// A map entry's reference to its first anonymous object on the shadow model
// (core/shadow_object.h): FreeBSD's entry->object.vm_object and
// entry->offset, kept beside MapEntry::object (the entry's file or aobj),
// which stays the bottom of the chain as UVM's object layer.
#pragma once

#include <cstdint>

namespace uvmsim {

class ShadowObject;

struct Sref {
  ShadowObject* obj = nullptr;
  std::uint64_t off = 0;  // page index in obj of the entry's start
};

}  // namespace uvmsim
