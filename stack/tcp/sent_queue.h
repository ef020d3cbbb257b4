// The sender's per-segment scoreboard for RACK-TLP (RFC 8985 §5.2, §6.1): every segment in
// flight, [start, end) in sequence space (a FIN counts as one byte), with when it was last
// (re)transmitted and whether it is SACKed, deemed lost or retransmitted.
//
// Like Linux's retransmit queue of skbs (tcp_rtx_queue) with their TCPCB_SACKED_ACKED /
// TCPCB_LOST / TCPCB_SACKED_RETRANS bits: one entry per segment sent, so memory follows the
// number of segments in flight. Entries stay sorted by sequence number and never overlap; a
// retransmission or SACK block whose edges fall inside an entry splits it. Sequence numbers
// are compared modulo 2^32 (SeqNum), so the scoreboard works across the wrap.
#pragma once

#include <cstdint>
#include <optional>

#include "stack/base/function_ref.h"
#include "stack/base/ring_deque.h"
#include "stack/base/seqnum.h"
#include "stack/base/time.h"

namespace ustack {

// RFC 8985 §5.2 "per-segment variables".
struct SentSegment {
  SeqNum start, end;           // end_seq is RFC 8985's Segment.end_seq
  Instant xmit_ts;             // Segment.xmit_ts: the latest (re)transmission
  bool sacked = false;         // selectively acknowledged
  bool lost = false;           // deemed lost (RACK or RTO) and not retransmitted since
  bool retransmitted = false;  // Segment.retransmitted: sent more than once
  std::uint32_t len() const { return static_cast<std::uint32_t>(end - start); }
};

class SentQueue {
 public:
  using Visit = FunctionRef<void(const SentSegment&)>;

  // [start, end) went out at `now`. `snd_max` is the highest sequence sent before it: the part
  // below is a retransmission of entries already held, the part above new entries.
  void on_transmit(SeqNum start, SeqNum end, SeqNum snd_max, Instant now);
  // The cumulative ACK moved to `snd_una`: drops the entries below it and calls `delivered`
  // for each entry acknowledged here that was not already SACKed (RFC 8985 §6.2 step 2).
  void on_cumulative_ack(SeqNum snd_una, Visit delivered);
  // A SACK block [left, right) (already checked against the flight): marks the entries inside
  // it and calls `delivered` for each one newly SACKed.
  void on_sack(SeqNum left, SeqNum right, Visit delivered);
  // Marks `s` lost (RACK_detect_loss, or an RTO for every entry not SACKed).
  void mark_lost(SentSegment& s);
  void mark_all_lost();
  // Clears every lost mark: the losses were spurious (undo.h; Linux tcp_undo_cwnd_reduction
  // with unmark_loss).
  void unmark_all_lost();
  // The first entry deemed lost and not yet retransmitted, if any.
  const SentSegment* first_lost() const;
  // The highest entry (the tail of the flight), if any.
  const SentSegment* last() const { return q_.empty() ? nullptr : &q_.back(); }
  // Every entry in sequence order, mutable (RACK_detect_loss walks them).
  template <typename F>
  void for_each(F&& f) {
    for (std::size_t i = 0; i < q_.size(); ++i) f(q_[i]);
  }
  void clear();

  std::size_t size() const { return q_.size(); }
  bool empty() const { return q_.empty(); }
  std::uint32_t segs_sacked() const { return segs_sacked_; }  // RACK.segs_sacked
  // RFC 6675 §4 "pipe" with RACK's notion of lost (Linux tcp_packets_in_flight, in bytes):
  // what is in flight and neither SACKed nor deemed lost.
  std::uint32_t pipe() const { return in_flight_ - sacked_bytes_ - lost_bytes_; }

 private:
  // Index of the entry holding `s`, or of the first entry after it.
  std::size_t lower(SeqNum s) const;
  // Splits the entry holding `s` (if `s` is strictly inside it) so an entry starts at `s`.
  void split_at(SeqNum s);
  void forget(const SentSegment& s);  // takes an entry out of the byte counters

  RingDeque<SentSegment> q_;  // no heap call per segment once it holds the flight
  std::uint32_t in_flight_ = 0, sacked_bytes_ = 0, lost_bytes_ = 0, segs_sacked_ = 0;
};

}  // namespace ustack
