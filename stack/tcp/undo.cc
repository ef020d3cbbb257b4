#include "stack/tcp/undo.h"

#include <algorithm>

namespace ustack {

void UndoTracker::on_enter_recovery(Episode kind, std::uint32_t cwnd, std::uint32_t ssthresh,
                                    SeqNum snd_una, SeqNum snd_max, bool new_reduction) {
  if (new_reduction) {
    // tcp_init_undo: the undo window opens at SND.UNA, nothing resent yet. prior_ssthresh is
    // Linux's tcp_current_ssthresh outside a reduction: max(ssthresh, 3/4 cwnd).
    armed_ = true;
    undo_marker_ = snd_una;
    retrans_high_ = snd_una;
    prior_ = Prior{cwnd, std::max(ssthresh, cwnd / 2 + cwnd / 4)};
    retrans_stamp_.reset();
    undo_retrans_.reset();
  }
  // tcp_enter_loss sets high_seq on every timeout; a timeout turns the episode into Loss.
  if (new_reduction || kind == Episode::kLoss) kind_ = kind;
  high_seq_ = snd_max;
  in_episode_ = true;
}

void UndoTracker::on_retransmit(std::uint32_t tsval, SeqNum start, SeqNum end) {
  if (!armed_ || !in_episode_) return;
  if (!retrans_stamp_) retrans_stamp_ = tsval;
  undo_retrans_ = undo_retrans_.value_or(0) + static_cast<std::uint32_t>(end - start);
  retrans_high_ = seq_max(retrans_high_, end);
}

void UndoTracker::on_dsack(SeqNum left, SeqNum right) {
  if (!armed_ || !undo_retrans_ || *undo_retrans_ == 0) return;
  // Only the part of the block that this episode resent counts (Linux: after undo_marker, and
  // a segment marked TCPCB_RETRANS).
  SeqNum l = seq_max(left, undo_marker_);
  SeqNum r = seq_min(right, retrans_high_);
  if (!(l < r)) return;
  undo_retrans_ = *undo_retrans_ - std::min(static_cast<std::uint32_t>(r - l), *undo_retrans_);
}

bool UndoTracker::packet_delayed(std::optional<std::uint32_t> tsecr) const {
  // RFC 3522 §2 / tcp_packet_delayed: "got echoed TS before first retransmission", or nothing
  // was retransmitted at all.
  if (!retrans_stamp_) return true;
  return tsecr && static_cast<std::int32_t>(*tsecr - *retrans_stamp_) < 0;
}

bool UndoTracker::may_undo(std::optional<std::uint32_t> tsecr) const {
  return armed_ && ((undo_retrans_ && *undo_retrans_ == 0) || packet_delayed(tsecr));
}

UndoTracker::Decision UndoTracker::finish(Decision d) {
  // tcp_undo_cwnd_reduction: undo_marker = 0, the episode is closed.
  armed_ = false;
  in_episode_ = false;
  return d;
}

UndoTracker::Decision UndoTracker::on_ack(const Ack& a) {
  if (!armed_) return Decision::kNone;
  bool all_dsacked = undo_retrans_ && *undo_retrans_ == 0;
  if (!in_episode_) {
    // Recovery ended without an undo; D-SACKs for its retransmissions can still arrive
    // (tcp_try_undo_dsack in the Open state). Not for ever: marks 2^31 behind SND.UNA would
    // compare the wrong way (RFC 9293 §3.4).
    if (a.snd_una - high_seq_ > kStaleAfter) return finish(Decision::kNone);
    return all_dsacked ? finish(Decision::kUndoDsack) : Decision::kNone;
  }
  bool over = a.snd_una >= high_seq_;
  if (kind_ == Episode::kLoss) {
    // tcp_process_loss -> tcp_try_undo_loss: an ACK of new data that shows the originals
    // arrived (Eifel, RFC 3522) or that every resend was a duplicate.
    if (a.advanced && may_undo(a.tsecr)) return finish(Decision::kUndoLoss);
    if (over) in_episode_ = false;
    return Decision::kNone;
  }
  if (over) {
    // tcp_try_undo_recovery: the ACK that ends recovery.
    if (may_undo(a.tsecr)) {
      return finish(packet_delayed(a.tsecr) ? Decision::kUndoRecovery : Decision::kUndoDsack);
    }
    in_episode_ = false;
    return Decision::kNone;
  }
  // tcp_try_undo_partial: the hole was filled by the delayed original, not the resend; with
  // retransmissions still in flight Linux waits (they may yet turn out needed).
  if (a.advanced && packet_delayed(a.tsecr) && !a.retrans_in_flight) {
    return finish(Decision::kUndoRecovery);
  }
  // tcp_try_undo_dsack.
  return all_dsacked ? finish(Decision::kUndoDsack) : Decision::kNone;
}

}  // namespace ustack
