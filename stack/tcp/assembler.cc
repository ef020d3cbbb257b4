#include "stack/tcp/assembler.h"

#include <algorithm>

namespace ustack {

Assembler::AddResult Assembler::add(SeqNum left, SeqNum right) {
  // Find the first range whose right edge reaches `left` (could merge or follow).
  std::size_t i = 0;
  while (i < count_ && ranges_[i].right < left) ++i;
  // Already covered entirely?
  if (i < count_ && ranges_[i].left <= left && right <= ranges_[i].right) {
    return AddResult::kDuplicate;
  }
  // Ranges i..j-1 overlap or touch [left, right): merge them into one.
  std::size_t j = i;
  while (j < count_ && ranges_[j].left <= right) ++j;
  if (j == i) {
    if (count_ == kMaxRanges) return AddResult::kFull;
    std::move_backward(ranges_.begin() + static_cast<std::ptrdiff_t>(i),
                       ranges_.begin() + static_cast<std::ptrdiff_t>(count_),
                       ranges_.begin() + static_cast<std::ptrdiff_t>(count_ + 1));
    ranges_[i] = {left, right, ++clock_};
    ++count_;
    return AddResult::kAdded;
  }
  Range merged{seq_min(left, ranges_[i].left), seq_max(right, ranges_[j - 1].right), ++clock_};
  ranges_[i] = merged;
  std::move(ranges_.begin() + static_cast<std::ptrdiff_t>(j),
            ranges_.begin() + static_cast<std::ptrdiff_t>(count_),
            ranges_.begin() + static_cast<std::ptrdiff_t>(i + 1));
  count_ -= (j - i - 1);
  return AddResult::kAdded;
}

std::optional<SeqNum> Assembler::pop_contiguous(SeqNum rcv_nxt) {
  if (count_ == 0 || ranges_[0].left > rcv_nxt) return std::nullopt;
  SeqNum right = ranges_[0].right;
  std::move(ranges_.begin() + 1, ranges_.begin() + static_cast<std::ptrdiff_t>(count_),
            ranges_.begin());
  --count_;
  return right;
}

void Assembler::trim_below(SeqNum s) {
  std::size_t drop = 0;
  while (drop < count_ && ranges_[drop].right <= s) ++drop;
  std::move(ranges_.begin() + static_cast<std::ptrdiff_t>(drop),
            ranges_.begin() + static_cast<std::ptrdiff_t>(count_), ranges_.begin());
  count_ -= drop;
  if (count_ > 0 && ranges_[0].left < s) ranges_[0].left = s;
}

std::optional<SeqNum> Assembler::end_of_range_containing(SeqNum s) const {
  for (std::size_t i = 0; i < count_; ++i) {
    if (s.in_range(ranges_[i].left, ranges_[i].right)) return ranges_[i].right;
  }
  return std::nullopt;
}

std::optional<SeqNum> Assembler::next_left_after(SeqNum s) const {
  for (std::size_t i = 0; i < count_; ++i) {
    if (ranges_[i].left > s) return ranges_[i].left;
  }
  return std::nullopt;
}

std::uint32_t Assembler::bytes() const {
  std::uint32_t n = 0;
  for (std::size_t i = 0; i < count_; ++i)
    n += static_cast<std::uint32_t>(ranges_[i].right - ranges_[i].left);
  return n;
}

std::size_t Assembler::sack_blocks(TcpSackBlock* out, std::size_t max) const {
  std::array<const Range*, kMaxRanges> by_recency{};
  for (std::size_t i = 0; i < count_; ++i) by_recency[i] = &ranges_[i];
  std::sort(by_recency.begin(), by_recency.begin() + static_cast<std::ptrdiff_t>(count_),
            [](const Range* a, const Range* b) { return a->touched > b->touched; });
  std::size_t n = std::min(max, count_);
  for (std::size_t i = 0; i < n; ++i) out[i] = {by_recency[i]->left, by_recency[i]->right};
  return n;
}

}  // namespace ustack
