// A doubly linked list of frame numbers, with the links in vectors indexed
// by frame (no allocation per page): the building block of the list-based
// policies (fifo, lru, second-chance, arc). Head is the oldest end.
#pragma once

#include <cstdint>
#include <algorithm>
#include <vector>

namespace uvmsim::policies {

class FrameList {
 public:
  static constexpr std::uint32_t kNil = ~0u;

  bool contains(std::uint32_t f) const { return f < in_.size() && in_[f]; }
  std::uint32_t head() const { return head_; }
  std::uint32_t tail() const { return tail_; }
  std::uint32_t next(std::uint32_t f) const { return next_[f]; }
  std::uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  void push_tail(std::uint32_t f) {
    grow(f);
    if (in_[f]) unlink(f);
    prev_[f] = tail_;
    next_[f] = kNil;
    if (tail_ != kNil) next_[tail_] = f;
    else head_ = f;
    tail_ = f;
    in_[f] = 1;
    size_++;
  }
  // Unlink f if it is on the list.
  void remove(std::uint32_t f) {
    if (contains(f)) unlink(f);
  }
  std::uint32_t pop_head() {
    const std::uint32_t f = head_;
    if (f != kNil) unlink(f);
    return f;
  }

 private:
  void grow(std::uint32_t f) {
    if (f >= in_.size()) {
      const std::size_t n = std::max<std::size_t>(f + 1, in_.size() * 2);
      prev_.resize(n, kNil);
      next_.resize(n, kNil);
      in_.resize(n, 0);
    }
  }
  void unlink(std::uint32_t f) {
    if (prev_[f] != kNil) next_[prev_[f]] = next_[f];
    else head_ = next_[f];
    if (next_[f] != kNil) prev_[next_[f]] = prev_[f];
    else tail_ = prev_[f];
    prev_[f] = next_[f] = kNil;
    in_[f] = 0;
    size_--;
  }
  std::vector<std::uint32_t> prev_, next_;
  std::vector<std::uint8_t> in_;
  std::uint32_t head_ = kNil, tail_ = kNil;
  std::uint64_t size_ = 0;
};

}  // namespace uvmsim::policies
