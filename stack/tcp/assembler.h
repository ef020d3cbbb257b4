// Sets of received sequence ranges: the receiver's out-of-order data, and (reused by the
// sender) the SACK scoreboard. Out-of-order receive ranges (RFC 9293 §3.10.7.4 "seventh", RFC 2018
// SACK, RFC 2883 D-SACK).
//
// Keeps a bounded, sorted set of disjoint sequence ranges received beyond rcv_nxt; the bytes
// themselves sit in the receive ring at their offset. Adding a range merges it with its
// neighbours; the ranges are reported as SACK blocks most recently changed first (RFC 2018
// §4). The bound keeps memory fixed however many holes a peer creates.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "stack/base/seqnum.h"
#include "stack/wire/tcp.h"

namespace ustack {

class Assembler {
 public:
  static constexpr std::size_t kMaxRanges = 32;

  enum class AddResult : std::uint8_t {
    kAdded,      // new bytes recorded (possibly merged)
    kDuplicate,  // every byte was already held: report a D-SACK
    kFull,       // would need another range and the table is full: segment dropped
  };

  // Records [left, right) (must lie after rcv_nxt).
  AddResult add(SeqNum left, SeqNum right);
  // If the first range starts at or before `rcv_nxt`, removes it and returns its right edge.
  std::optional<SeqNum> pop_contiguous(SeqNum rcv_nxt);
  // Forgets everything (connection reset).
  void clear() { count_ = 0; }
  // Drops everything before `s` (trimming a range that straddles it).
  void trim_below(SeqNum s);
  // The right edge of the range holding `s`, if any.
  std::optional<SeqNum> end_of_range_containing(SeqNum s) const;
  // The left edge of the first range starting after `s`, if any.
  std::optional<SeqNum> next_left_after(SeqNum s) const;

  std::size_t range_count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Highest sequence number held (right edge of the last range); only if !empty().
  SeqNum highest() const { return ranges_[count_ - 1].right; }
  // The i-th range in sequence order (i < range_count()).
  TcpSackBlock range(std::size_t i) const { return {ranges_[i].left, ranges_[i].right}; }
  // Bytes held in all ranges.
  std::uint32_t bytes() const;
  // Writes up to `max` blocks, most recently changed first.
  std::size_t sack_blocks(TcpSackBlock* out, std::size_t max) const;

 private:
  struct Range {
    SeqNum left, right;
    std::uint64_t touched = 0;
  };
  std::array<Range, kMaxRanges> ranges_{};
  std::size_t count_ = 0;
  std::uint64_t clock_ = 0;
};

}  // namespace ustack
