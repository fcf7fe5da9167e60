// Aobj's part of object inspection (uvm_object.h, "inspection"): how many
// pages of a range live in swap.
#include "pagers/aobj.h"

namespace uvmsim {

std::uint64_t Aobj::swap_blocks(voff_t start, voff_t end) const {
  std::uint64_t n = 0;
  const voff_t first = start >> kPageShift;
  const voff_t last = end == ~voff_t{0} ? ~voff_t{0} : (end + kPageSize - 1) >> kPageShift;
  for_each_swslot([&](int idx, int) {
    if (static_cast<voff_t>(idx) >= first && static_cast<voff_t>(idx) < last) n++;
  });
  return n;
}

std::uint64_t Aobj::swap_only_blocks(voff_t start, voff_t end) const {
  std::uint64_t n = 0;
  const voff_t first = start >> kPageShift;
  const voff_t last = (end + kPageSize - 1) >> kPageShift;
  for_each_swslot([&](int idx, int) {
    const voff_t i = static_cast<voff_t>(idx);
    // A page brought back in keeps its slot while clean: not "only in swap".
    if (i >= first && i < last && !find_page(i << kPageShift)) n++;
  });
  return n;
}

}  // namespace uvmsim
