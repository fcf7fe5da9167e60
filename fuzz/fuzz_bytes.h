// The fuzz targets' view of their input: a stream of choices. Every read
// succeeds; past the end it gives zeros, so each input — however short —
// is a complete, deterministic run, and a crash reproduces from the bytes
// alone. (libFuzzer's FuzzedDataProvider does the same, but the targets are
// also built with g++ as regression tests, where clang's header is absent.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <vector>

namespace uvmsim::fuzz {

class FuzzBytes {
 public:
  FuzzBytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }
  std::size_t remaining() const { return empty() ? 0 : size_ - pos_; }

  std::uint8_t byte() { return empty() ? 0 : data_[pos_++]; }
  bool flag() { return byte() & 1; }
  // One of n choices (n > 0).
  std::size_t pick(std::size_t n) { return n <= 256 ? byte() % n : u32() % n; }
  std::uint32_t u32() { return static_cast<std::uint32_t>(bits(4)); }
  std::uint64_t u64() { return bits(8); }
  // Up to `max` raw bytes (fewer at the end of the input).
  std::vector<std::uint8_t> bytes(std::size_t max) {
    const std::size_t n = std::min<std::size_t>(byte() % (max + 1), remaining());
    std::vector<std::uint8_t> v(data_ + pos_, data_ + pos_ + n);
    pos_ += n;
    return v;
  }

 private:
  std::uint64_t bits(int nbytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < nbytes; i++) v = v << 8 | byte();
    return v;
  }

  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

}  // namespace uvmsim::fuzz
