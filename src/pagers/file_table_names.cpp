// FileTable::name_of: which file a vnode belongs to, for dumps. A linear
// scan: scripts have a handful of files and dumps are rare.
#include "pagers/file_table.h"

namespace uvmsim {

std::string_view FileTable::name_of(const UvmObject* obj) const {
  for (const auto& [name, f] : files_)
    if (f.vnode.get() == obj) return name;
  return {};
}

}  // namespace uvmsim
