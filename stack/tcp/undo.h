// Undo of spurious retransmissions: the bookkeeping that tells, after a fast retransmit or an
// RTO, that the retransmissions were not needed, so the congestion window reduction can be
// taken back (Linux tcp_input.c: undo_marker, undo_retrans, retrans_stamp, prior_cwnd,
// prior_ssthresh, tcp_may_undo, tcp_packet_delayed and the tcp_try_undo_* family).
//
// Two kinds of evidence, both Linux's:
// - Timestamps (Eifel detection, RFC 3522 §2): an ACK that echoes a TSval older than the
//   episode's first retransmission was triggered by an original transmission - the original
//   arrived, so the retransmission was spurious (tcp_packet_delayed).
// - D-SACK (RFC 2883, RFC 3708 §3): every retransmission of the episode was reported as a
//   duplicate - the receiver had the originals (undo_retrans reaching zero).
//
// Pure: the connection reports the episode's start, its retransmissions, the D-SACK blocks and
// each ACK; on_ack() answers whether to undo, and the connection does it (restores cwnd and
// ssthresh through CongestionControl::on_undo, leaves recovery, stops a go-back-N).
#pragma once

#include <cstdint>
#include <optional>

#include "stack/base/seqnum.h"

namespace ustack {

class UndoTracker {
 public:
  // An episode over for this many bytes is no longer undone by late D-SACKs.
  static constexpr std::int32_t kStaleAfter = 1 << 30;
  enum class Episode : std::uint8_t {
    kRecovery,  // fast retransmit / fast recovery (Linux TCP_CA_Recovery)
    kLoss,      // retransmission timeout (Linux TCP_CA_Loss)
  };
  enum class Decision : std::uint8_t {
    kNone,
    kUndoLoss,      // spurious RTO (tcp_try_undo_loss; TcpExtTCPLossUndo)
    kUndoRecovery,  // spurious fast retransmit by timestamps (tcp_try_undo_recovery/_partial)
    kUndoDsack,     // every retransmission D-SACKed (tcp_try_undo_dsack; TcpExtTCPDSACKUndo)
  };
  // What the connection knows about one ACK, after processing it.
  struct Ack {
    std::optional<std::uint32_t> tsecr;  // the ACK's TSecr, if it has a non-zero one
    bool advanced = false;               // SND.UNA moved
    SeqNum snd_una;                      // after the ACK
    bool retrans_in_flight = false;      // retransmitted data above SND.UNA, not yet delivered
  };

  // A reduction starts (tcp_enter_recovery, tcp_enter_loss) with `cwnd` and `ssthresh` still
  // the ones before it; `snd_una`, `snd_max` the current edges. A new reduction records them
  // and opens the undo window at SND.UNA (tcp_init_undo); a timeout that does not reduce again
  // (`new_reduction` false: inside the window a fast recovery, an ECE or an earlier timeout of
  // the same head reduced, Linux tcp_enter_loss "Reduce ssthresh if it has not yet been made
  // inside this window") keeps them, so the undo restores the window from before the first
  // reduction and the first retransmission's timestamp still counts; after an ECE the episode
  // stays not undoable (forbid_undo).
  void on_enter_recovery(Episode kind, std::uint32_t cwnd, std::uint32_t ssthresh, SeqNum snd_una,
                         SeqNum snd_max, bool new_reduction = true);
  // Data [start, end) was resent with TSval `tsval` (tcp_retransmit_skb: retrans_stamp is the
  // first one's, undo_retrans counts what is outstanding).
  void on_retransmit(std::uint32_t tsval, SeqNum start, SeqNum end);
  // A D-SACK block (RFC 2883 §4): a duplicate of data resent in this episode is one
  // retransmission fewer that may have been needed (tcp_sacktag_one, tcp_check_dsack).
  void on_dsack(SeqNum left, SeqNum right);
  // The episode must not be undone: a congestion signal that is no loss (ECN-Echo, Linux
  // tcp_enter_cwr clears prior_ssthresh), or a path MTU drop whose go-back-N resends are all
  // needed (tcp_simple_retransmit clears undo_marker).
  void forbid_undo() { armed_ = false; }
  // The decision for one ACK (Linux tcp_fastretrans_alert order: the Loss state first, then
  // the end of recovery, a partial ACK, D-SACK). After a decision other than kNone the
  // episode is over and prior() holds what to restore.
  Decision on_ack(const Ack& ack);

  struct Prior {
    std::uint32_t cwnd = 0;
    std::uint32_t ssthresh = 0;
  };
  Prior prior() const { return prior_; }
  // An episode may still be undone (Linux undo_marker != 0).
  bool armed() const { return armed_; }
  // Retransmitted bytes not (yet) reported as duplicates; nullopt before the first resend.
  std::optional<std::uint32_t> undo_retrans() const { return undo_retrans_; }

 private:
  // tcp_packet_delayed: the echo predates the first retransmission (or nothing was resent).
  bool packet_delayed(std::optional<std::uint32_t> tsecr) const;
  // tcp_may_undo: every retransmission D-SACKed, or the original arrived.
  bool may_undo(std::optional<std::uint32_t> tsecr) const;
  Decision finish(Decision d);

  bool armed_ = false;
  bool in_episode_ = false;  // SND.UNA has not yet passed high_seq_
  Episode kind_ = Episode::kRecovery;
  SeqNum undo_marker_;  // SND.UNA when the episode began
  SeqNum high_seq_;     // SND.MAX when it (last) entered recovery: its end
  Prior prior_;
  std::optional<std::uint32_t> retrans_stamp_;  // TSval of the first retransmission
  std::optional<std::uint32_t> undo_retrans_;   // bytes resent and not D-SACKed
  SeqNum retrans_high_;                         // end of the highest retransmission
};

}  // namespace ustack
