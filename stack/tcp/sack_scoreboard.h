// RFC 6675 §4 scoreboard queries over the SACKed ranges, for the sender without RACK
// (TcpConfig::rack = false): IsLost() and SetPipe(). With RACK the per-segment scoreboard
// (sent_queue.h) answers the same questions.
//
// IsLost is monotone in the sequence number (an octet has at least as much SACKed above it as
// any octet after it), so the holes below a SACKed range are either all lost or all not: the
// queries walk the (at most Assembler::kMaxRanges) ranges once.
#pragma once

#include <cstdint>
#include <optional>

#include "stack/base/seqnum.h"
#include "stack/tcp/assembler.h"

namespace ustack {

// RFC 6675 §2 DupThresh.
inline constexpr std::uint32_t kDupThresh = 3;

struct SackScoreboard {
  const Assembler& sacked;  // SACKed ranges above SND.UNA, in sequence order
  SeqNum snd_una;           // HighACK
  SeqNum snd_max;           // HighData
  SeqNum high_rxt;          // HighRxt: end of the highest retransmitted octet
  std::uint32_t mss;        // SMSS

  // IsLost(seq), §4: DupThresh discontiguous SACKed ranges above `seq`, or more than
  // (DupThresh - 1) * SMSS bytes SACKed above it. (The RFC counts SACKed segments; a range
  // holds at least one, and the byte rule covers a range of several.)
  bool is_lost(SeqNum seq) const;
  // The end of the highest hole IsLost() holds lost (snd_una if none): every octet below it
  // that is not SACKed is lost.
  SeqNum lost_end() const;
  // NextSeg() rules 1 and 3, §4: the smallest unSACKed octet at or above HighRxt (our
  // high_rxt is one past the highest retransmitted octet) and below the highest SACKed octet;
  // rule 1 also wants IsLost() of it. Returns the segment to resend, [start, end) with end at
  // most one SMSS on and never into a SACKed range, or nothing.
  std::optional<TcpSackBlock> next_hole(bool lost_only) const;
  // NextSeg() rule 4, §4: the rescue retransmission, one segment that holds the highest
  // outstanding unSACKed octet below `data_end`, or nothing if every octet is SACKed.
  std::optional<TcpSackBlock> rescue(SeqNum data_end) const;
  // SetPipe(), §4: for each octet in [HighACK, HighData) not SACKed, one if it is not lost
  // plus one if it was retransmitted (below HighRxt). In bytes.
  std::uint32_t pipe() const;
};

}  // namespace ustack
