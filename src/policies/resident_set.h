// The resident frames a policy knows, in an array with O(1) insert and
// removal (the last element moves into the hole): what random and aging
// iterate or draw from.
#pragma once

#include <cstdint>
#include <algorithm>
#include <vector>

namespace uvmsim::policies {

class ResidentSet {
 public:
  static constexpr std::uint32_t kNil = ~0u;
  bool contains(std::uint32_t f) const { return f < pos_.size() && pos_[f] != kNil; }
  void insert(std::uint32_t f) {
    if (f >= pos_.size()) pos_.resize(std::max<std::size_t>(f + 1, pos_.size() * 2), kNil);
    if (pos_[f] != kNil) return;
    pos_[f] = static_cast<std::uint32_t>(slots_.size());
    slots_.push_back(f);
  }
  void remove(std::uint32_t f) {
    if (!contains(f)) return;
    const std::uint32_t at = pos_[f];
    slots_[at] = slots_.back();
    pos_[slots_[at]] = at;
    slots_.pop_back();
    pos_[f] = kNil;
  }
  const std::vector<std::uint32_t>& slots() const { return slots_; }
  std::size_t size() const { return slots_.size(); }

 private:
  std::vector<std::uint32_t> slots_;
  std::vector<std::uint32_t> pos_;
};

}  // namespace uvmsim::policies
