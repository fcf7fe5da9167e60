#include "core/uvm_object.h"

#include <algorithm>
#include <vector>

#include "core/page.h"
#include "core/pmap.h"
#include "core/uvm.h"

namespace uvmsim {

UvmObject::UvmObject(Uvm& u) : uvm(u) { uvm.objects.insert(this); }

UvmObject::~UvmObject() { uvm.objects.erase(this); }

Page* UvmObject::find_page(voff_t offset) const {
  auto it = memq.find(offset);
  return it == memq.end() ? nullptr : it->second;
}

std::vector<voff_t> UvmObject::held_offsets(voff_t start, voff_t end) const {
  std::vector<voff_t> out;
  for (auto it = memq.lower_bound(start); it != memq.end() && it->first < end; ++it) out.push_back(it->first);
  for_each_swslot([&](std::uint64_t idx, int) {
    const voff_t off = ptoa(idx);
    if (off >= start && off < end && !memq.contains(off)) out.push_back(off);
  });
  std::sort(out.begin(), out.end());
  return out;
}

void UvmObject::insert_page(Page* pg, voff_t offset) {
  pg->set_uobject(this);
  pg->set_offset(offset);
  pg->flags |= PG_TABLED;
  memq[offset] = pg;
}

void UvmObject::remove_page(Page* pg) {
  memq.erase(pg->offset());
  pg->set_uobject(nullptr);
  pg->flags &= ~PG_TABLED;
}

void UvmObject::free_pages(voff_t start, voff_t end) {
  // Collect first: erasing from a B-tree invalidates its iterators.
  std::vector<Page*> victims;
  for (auto it = memq.lower_bound(start); it != memq.end() && it->first < end; ++it)
    victims.push_back(it->second);
  for (Page* pg : victims) uvm.pagefree(pg);  // loaned pages live on for their borrowers
}

}  // namespace uvmsim
