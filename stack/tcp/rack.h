// RACK-TLP loss detection (RFC 8985), as Linux does it by default (tcp_recovery=1).
//
// RACK ("recent ACK", §6) deems a segment lost when a segment sent sufficiently later has been
// delivered: time, not a count of duplicate ACKs, decides. The reordering window (reo_wnd)
// that "sufficiently" allows starts at min_RTT/4 and widens when D-SACKs show the
// retransmissions were spurious (§6.2 step 4). TLP ("tail loss probe", §7) sends one probe
// about two round trips after the last transmission when no ACK came back, so the ACK it
// draws lets RACK repair a lost tail without waiting for the RTO.
//
// Pure: the caller passes the time and the scoreboard (sent_queue.h) and acts on the answers
// (retransmit what is lost, arm the timers). Names follow the RFC's pseudocode: RACK.xmit_ts,
// RACK.end_seq, RACK.fack, RACK.rtt, RACK.min_RTT, RACK.reo_wnd, TLP.end_seq, ...
#pragma once

#include <cstdint>
#include <optional>

#include "stack/base/function_ref.h"
#include "stack/base/seqnum.h"
#include "stack/base/time.h"
#include "stack/tcp/sent_queue.h"

namespace ustack {

// A windowed minimum (Kathleen Nichols' algorithm, Linux lib/win_minmax.c): the smallest
// sample seen in the last `window`, tracked with three candidates so an old minimum ages out
// without storing every sample. RACK.min_RTT uses Linux's window, tcp_min_rtt_wlen = 300 s.
class WindowedMinFilter {
 public:
  explicit WindowedMinFilter(Duration window) : window_(window) {}
  void update(Instant now, Duration sample);
  std::optional<Duration> get() const {
    return valid_ ? std::optional<Duration>(s_[0].v) : std::nullopt;
  }

 private:
  struct Sample {
    Instant t;
    Duration v;
  };
  Duration window_;
  bool valid_ = false;
  Sample s_[3];
};

// RFC 8985 §6.3 RACK_sent_after(): was (t1, seq1) sent after (t2, seq2)? Segments sent at the
// same instant are ordered by their end sequence number.
inline bool rack_sent_after(Instant t1, SeqNum seq1, Instant t2, SeqNum seq2) {
  return t1 > t2 || (t1 == t2 && seq1 > seq2);
}

class Rack {
 public:
  // RFC 8985 §6.2 DupThresh: RACK waits no reordering window once this many segments are
  // SACKed and no reordering was seen (the classic three duplicate ACKs).
  static constexpr std::uint32_t kDupThresh = 3;
  // §6.2 step 4: the number of recoveries a widened reordering window survives.
  static constexpr int kReoWndPersist = 16;

  Rack() : min_rtt_(Duration::seconds(300)) {}

  // Step 1: an RTT measurement of RFC 6298 / RFC 7323 updates RACK.min_RTT.
  void on_rtt_sample(Instant now, Duration rtt) { min_rtt_.update(now, rtt); }

  // Steps 2 and 3 for one segment the ACK newly acknowledged, cumulatively or selectively.
  // `echo_predates_xmit`: the ACK's TSecr is older than the segment's latest transmission, so
  // for a retransmitted segment the ACK is for an earlier copy (RACK_update()).
  void on_delivered(Instant now, const SentSegment& s, bool echo_predates_xmit);

  // Step 4, first half: adapt the reordering window to D-SACK (RACK_update_reo_wnd()).
  // `dsack`: the latest ACK carried a D-SACK block.
  void on_ack_dsack(bool dsack, SeqNum snd_una, SeqNum snd_nxt);
  // Step 4: "exiting Fast or RTO recovery" - a widened window decays after kReoWndPersist
  // recoveries without D-SACK.
  void on_recovery_exit();
  // A fast retransmit was undone (undo.h): the path reorders more than the window allowed.
  // Linux tcp_try_undo_partial counts it as reordering seen (tcp_check_sack_reordering), so the
  // window no longer drops to zero in recovery, and tcp_try_undo_dsack keeps a widened window
  // one recovery longer.
  void on_spurious_retransmission();

  // Step 4, second half: RACK.reo_wnd now. `in_recovery`: fast or RTO recovery.
  Duration reo_wnd(bool in_recovery, std::uint32_t segs_sacked, Duration srtt) const;

  struct Detection {
    std::uint32_t lost = 0;  // segments newly marked lost
    // How long until the next segment sent before RACK.xmit_ts runs out of reordering window:
    // the RACK reordering timer (zero: no timer).
    Duration timeout = Duration::zero();
  };
  // Step 5, RACK_detect_loss(): marks in `q` every segment sent before the most recently
  // delivered one whose reordering window has passed, and calls `lost` for each.
  Detection detect_loss(Instant now, SentQueue& q, bool in_recovery, Duration srtt,
                        FunctionRef<void(const SentSegment&)> lost);

  // RACK.xmit_ts was ever set: something was delivered.
  bool advanced() const { return xmit_ts_valid_; }
  Instant xmit_ts() const { return xmit_ts_; }
  SeqNum end_seq() const { return end_seq_; }
  SeqNum fack() const { return fack_; }
  Duration rtt() const { return rtt_; }
  std::optional<Duration> min_rtt() const { return min_rtt_.get(); }
  bool reordering_seen() const { return reordering_seen_; }
  unsigned reo_wnd_mult() const { return reo_wnd_mult_; }
  int reo_wnd_persist() const { return reo_wnd_persist_; }
  std::optional<SeqNum> dsack_round() const { return dsack_round_; }
  // The reordering window detect_loss() last used (traced with a RACK retransmission).
  Duration last_reo_wnd() const { return last_reo_wnd_; }

 private:
  Instant xmit_ts_;  // RACK.xmit_ts: latest transmission time of a delivered segment
  SeqNum end_seq_;   // RACK.end_seq: its end
  bool xmit_ts_valid_ = false;
  SeqNum fack_;  // RACK.fack: the highest end of a delivered segment
  bool fack_valid_ = false;
  Duration rtt_;  // RACK.rtt: the RTT of the most recently delivered segment
  WindowedMinFilter min_rtt_;
  bool reordering_seen_ = false;
  unsigned reo_wnd_mult_ = 1;
  int reo_wnd_persist_ = 0;
  std::optional<SeqNum> dsack_round_;
  Duration last_reo_wnd_ = Duration::zero();
};

// --- TLP (RFC 8985 §7) ---------------------------------------------------------------------

inline constexpr Duration kTlpMinTimeout = Duration::millis(2);
// §7.2: the probe timeout. 2*SRTT (1 s before any RTT sample); when only one segment is in
// flight the peer may be holding its ACK back, so the worst-case delayed ACK is added; never
// below kTlpMinTimeout and never later than the RTO would fire.
Duration tlp_pto(std::optional<Duration> srtt, bool flight_is_one_segment, Duration max_ack_delay,
                 Duration rto);

// §7.3: what the probe carries.
enum class TlpProbe : std::uint8_t {
  kNewData,         // a previously unsent segment, if the windows allow it
  kRetransmitLast,  // otherwise the highest-sequence segment sent
};
inline TlpProbe tlp_choose_probe(bool new_data_allowed) {
  return new_data_allowed ? TlpProbe::kNewData : TlpProbe::kRetransmitLast;
}

// §7.4: one TLP episode - a probe sent and the ACKs that tell whether it repaired a loss.
class TlpEpisode {
 public:
  enum class Verdict : std::uint8_t {
    kPending,       // the episode goes on
    kNoLoss,        // over: the probe carried new data, or both the original and probe arrived
    kLossRepaired,  // over: only the probe arrived; the congestion window must come down
  };
  // §7.3: the probe went out; `snd_nxt` after it, `is_retrans` if it resent old data.
  void on_probe_sent(SeqNum snd_nxt, bool is_retrans) {
    end_seq_ = snd_nxt;
    is_retrans_ = is_retrans;
  }
  // §7.4.2 TLP_process_ack(). `dsack_of_probe`: the ACK D-SACKs the probe's last byte
  // (TLP.end_seq - 1); `dupack`: the ACK neither advances SND.UNA nor SACKs anything.
  Verdict on_ack(SeqNum ack, bool dsack_of_probe, bool dupack);
  // An RTO or fast recovery ends the episode (Linux clears tlp_high_seq when it enters
  // recovery or loss state).
  void reset() { end_seq_.reset(); }
  // TLP.end_seq is set: no other probe may go out until the episode ends (one probe per
  // flight, RFC 8985 §7.3 and Linux "allow at most one TLP probe per flight").
  bool active() const { return end_seq_.has_value(); }
  std::optional<SeqNum> end_seq() const { return end_seq_; }
  bool is_retrans() const { return is_retrans_; }

 private:
  std::optional<SeqNum> end_seq_;  // TLP.end_seq
  bool is_retrans_ = false;        // TLP.is_retrans
};

}  // namespace ustack
