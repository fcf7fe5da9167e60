#include "kvm/invalidator.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "kvm/error.h"
#include "kvm/guest.h"
#include "kvm/guest_code.h"

namespace uvmsim::kvm {

std::string_view to_string(Method m) {
  switch (m) {
    case Method::kNone: return "none";
    case Method::kGuestInvlpg: return "guest-invlpg";
    case Method::kGuestCr3Reload: return "guest-cr3-reload";
    case Method::kZapOldFrame: return "zap-old-frame";
    case Method::kZapOldTable: return "zap-old-table";
    case Method::kRing0Store: return "ring0-store";
    case Method::kGlobalZap: return "global-zap";
  }
  return "?";
}

void Invalidator::add_page(std::uint64_t root_gpa, std::uint64_t va, std::uint64_t old_frame_gpa) {
  ++c_.pages;
  switch (strategy_.pte) {
    case Method::kGuestInvlpg: vas_.emplace_back(root_gpa, va & ~0xfffull); break;
    case Method::kGuestCr3Reload: reload_roots_.push_back(root_gpa); break;
    case Method::kGlobalZap: global_pending_ = true; break;
    default: frames_.push_back(old_frame_gpa & ~0xfffull); break;
  }
}

Status Invalidator::set_table_entry(std::uint64_t root_gpa, std::uint64_t va, const Frame& table,
                                    unsigned index, std::uint64_t value) {
  ++c_.table_entries;
  if (index >= 512 || !table) return absl::InvalidArgumentError("set_table_entry: bad entry");
  switch (strategy_.pde) {
    case Method::kRing0Store: return ring0_store(table, index, value);
    case Method::kGuestInvlpg: vas_.emplace_back(root_gpa, va & ~0xfffull); break;
    case Method::kGuestCr3Reload: reload_roots_.push_back(root_gpa); break;
    case Method::kZapOldFrame: break;  // the caller zapped the leaves below
    default: global_pending_ = true; break;
  }
  __atomic_store_n(&table.table()[index], value, __ATOMIC_RELEASE);
  return absl::OkStatus();
}

Status Invalidator::flush() {
  if (!pending()) return absl::OkStatus();
  ++c_.flushes;
  Status st;
  if (global_pending_) {
    st = global_zap();  // covers everything else
  } else {
    if (!frames_.empty()) st.Update(zap_frames(frames_));
    if (!vas_.empty()) {
      std::sort(vas_.begin(), vas_.end());
      std::size_t i = 0;
      while (i < vas_.size() && st.ok()) {
        std::vector<std::uint64_t> list;
        std::size_t j = i;
        for (; j < vas_.size() && vas_[j].first == vas_[i].first; ++j) list.push_back(vas_[j].second);
        st.Update(guest_invlpg(vas_[i].first, list));
        i = j;
      }
    }
    std::sort(reload_roots_.begin(), reload_roots_.end());
    reload_roots_.erase(std::unique(reload_roots_.begin(), reload_roots_.end()),
                        reload_roots_.end());
    for (std::uint64_t root : reload_roots_)
      if (st.ok()) st.Update(guest_cr3_reload(root));
  }
  frames_.clear();
  vas_.clear();
  reload_roots_.clear();
  global_pending_ = false;
  return st;
}

Status Invalidator::zap_frames(std::span<const std::uint64_t> gpas) {
  std::vector<std::uint8_t*> h;
  h.reserve(gpas.size());
  for (std::uint64_t gpa : gpas) {
    std::uint8_t* p = g_.hva(gpa & ~0xfffull);
    if (p == nullptr)
      return absl::InvalidArgumentError(
          fmt::format("Invalidator: frame {:#x} is not guest memory", gpa));
    h.push_back(p);
  }
  std::sort(h.begin(), h.end());
  h.erase(std::unique(h.begin(), h.end()), h.end());
  // MADV_DONTNEED on a MAP_SHARED memfd mapping keeps the data (it lives in
  // the file) and runs the MMU notifier: KVM zaps every shadow entry that
  // maps these frames, in every address space and on every vCPU.
  for (std::size_t i = 0; i < h.size();) {
    std::size_t j = i + 1;
    while (j < h.size() && h[j] == h[j - 1] + 4096) ++j;
    const std::size_t len = (j - i) * 4096;
    if (::madvise(h[i], len, MADV_DONTNEED) < 0)
      return sys_error("madvise(MADV_DONTNEED)", fmt::format("{} pages", j - i), errno);
    ++c_.madvise_calls;
    c_.frames_zapped += j - i;
    i = j;
  }
  return absl::OkStatus();
}

Status Invalidator::global_zap() {
  // Deleting any memslot makes KVM x86 drop every shadow page of the VM (the
  // fast zap-all path); the one-page zap slot exists only for this.
  ++c_.global_zaps;
  if (Status s = g_.vm().readd_slot(g_.zap_slot_); !s.ok()) return s;
  // Nothing can refer to quarantined table frames any more.
  g_.pool().release_quarantine();
  return absl::OkStatus();
}

Status Invalidator::guest_invlpg(std::uint64_t root_gpa, std::span<const std::uint64_t> vas) {
  // The list goes in the ring-0 argument page, 512 addresses at a time.
  for (std::size_t i = 0; i < vas.size(); i += 512) {
    const std::size_t n = std::min<std::size_t>(512, vas.size() - i);
    std::memcpy(g_.layout().args(), vas.data() + i, n * 8);
    ++c_.ring0_runs;
    if (Status s = g_.run_ring0(root_gpa, guest_code::r0_invlpg(), layout::kArgs, n); !s.ok())
      return s;
  }
  return absl::OkStatus();
}

Status Invalidator::guest_cr3_reload(std::uint64_t root_gpa) {
  ++c_.ring0_runs;
  return g_.run_ring0(root_gpa, guest_code::r0_cr3_reload(), 0, 0);
}

Status Invalidator::ring0_store(const Frame& table, unsigned index, std::uint64_t value) {
  if (!g_.pool().contains(table.gpa) || index >= 512)
    return absl::InvalidArgumentError("ring0_store: the table must be a pool frame");
  ++c_.ring0_runs;
  return g_.run_ring0(g_.layout().template_root().gpa, guest_code::r0_store(),
                      g_.layout().pool_va(table.gpa) + index * 8, value);
}

}  // namespace uvmsim::kvm
