#include "replay/textbook_memory.h"

#include <algorithm>

namespace uvmsim::replay_impl {

TextbookMemory::TextbookMemory(ReplacementPolicy& policy, std::uint64_t frames)
    : policy_(policy), nframes_(static_cast<std::uint32_t>(frames)) {
  const PolicyNeeds needs = policy.needs();
  wants_refs_ = needs.references;
  tick_every_ = needs.tick_every;
  id_of_.assign(nframes_, 0);
  page_of_.assign(nframes_, kNoPage);
  ref_.assign(nframes_, 0);
  dirty_.assign(nframes_, 0);
  free_.reserve(nframes_);
  for (std::uint32_t f = nframes_; f-- > 0;) free_.push_back(f);
}

std::uint32_t TextbookMemory::next(std::uint32_t frame) const {
  if (frame >= nframes_) return kNone;
  if (active_.contains(frame)) return active_.next(frame);
  if (inactive_.contains(frame)) return inactive_.next(frame);
  return kNone;
}

void TextbookMemory::activate(std::uint32_t frame) {
  if (frame >= nframes_ || page_of_[frame] == kNoPage) return;
  inactive_.remove(frame);
  active_.push_tail(frame);
}

void TextbookMemory::deactivate(std::uint32_t frame) {
  if (frame >= nframes_ || page_of_[frame] == kNoPage) return;
  active_.remove(frame);
  inactive_.push_tail(frame);
}

bool TextbookMemory::clean(std::uint32_t frame) {
  if (frame >= nframes_ || !dirty_[frame]) return false;
  dirty_[frame] = 0;
  writebacks++;
  return true;
}

bool TextbookMemory::evict(std::uint32_t frame) {
  if (frame >= nframes_ || page_of_[frame] == kNoPage) return false;
  const PageIdentity gone = identity(frame);
  evictions++;
  if (dirty_[frame]) writebacks++;
  frame_of_[id_of_[frame]] = kNoFrame;
  page_of_[frame] = kNoPage;
  ref_[frame] = dirty_[frame] = 0;
  active_.remove(frame);
  inactive_.remove(frame);
  free_.push_back(frame);
  policy_.page_removed(gone, RemoveReason::kEvicted);
  return true;
}

bool TextbookMemory::miss(std::uint32_t id, std::uint64_t page, bool write) {
  faults++;
  if (free_.empty()) {
    PageIdentity x;
    x.space = 1;
    x.vaddr = x.offset = page << 12;
    x.key = page;
    x.dirty = write;
    faulting_ = &x;
    policy_.run(*this);
    faulting_ = nullptr;
    if (free_.empty()) return false;  // a broken policy: the caller says so
  }
  const std::uint32_t f = free_.back();
  free_.pop_back();
  if (id >= frame_of_.size()) frame_of_.resize(std::max<std::size_t>(id + 1, frame_of_.size() * 2), kNoFrame);
  frame_of_[id] = f;
  id_of_[f] = id;
  page_of_[f] = page;
  ref_[f] = 1;
  dirty_[f] = write;
  active_.push_tail(f);
  policy_.page_inserted(identity(f));
  return true;
}

}  // namespace uvmsim::replay_impl
