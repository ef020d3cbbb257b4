#include "stack/tcp/rack.h"

#include <algorithm>

namespace ustack {

void WindowedMinFilter::update(Instant now, Duration sample) {
  // Linux minmax_running_min(): a new minimum, or a window with nothing in it, resets all
  // three candidates; otherwise the sample may replace the 2nd or 3rd best, and the best
  // ages out to them once it is older than the window.
  if (!valid_ || sample <= s_[0].v || now - s_[2].t > window_) {
    s_[0] = s_[1] = s_[2] = Sample{now, sample};
    valid_ = true;
    return;
  }
  if (sample <= s_[1].v) {
    s_[1] = s_[2] = Sample{now, sample};
  } else if (sample <= s_[2].v) {
    s_[2] = Sample{now, sample};
  }
  Duration dt = now - s_[0].t;
  if (dt > window_) {
    // The best is too old: the 2nd becomes the best, the 3rd the 2nd, the sample the 3rd.
    s_[0] = s_[1];
    s_[1] = s_[2];
    s_[2] = Sample{now, sample};
    if (now - s_[0].t > window_) {
      s_[0] = s_[1];
      s_[1] = s_[2];
    }
  } else if (s_[1].t == s_[0].t && dt > window_ / 4) {
    // A quarter of the window passed with no 2nd choice: take one from this quarter.
    s_[1] = s_[2] = Sample{now, sample};
  } else if (s_[2].t == s_[1].t && dt > window_ / 2) {
    s_[2] = Sample{now, sample};
  }
}

void Rack::on_delivered(Instant now, const SentSegment& s, bool echo_predates_xmit) {
  // Step 2, RACK_update(). A retransmitted segment is ambiguous: the ACK may be for the
  // original. Skip it if the timestamp echo predates the retransmission, or if the RTT it would
  // give is below the minimum ever seen (Linux tcp_rack_advance).
  Duration rtt = now - s.xmit_ts;
  bool ambiguous =
      s.retransmitted && (echo_predates_xmit || (min_rtt_.get() && rtt < *min_rtt_.get()));
  if (!ambiguous) {
    rtt_ = rtt;
    if (!xmit_ts_valid_ || rack_sent_after(s.xmit_ts, s.end, xmit_ts_, end_seq_)) {
      xmit_ts_ = s.xmit_ts;
      end_seq_ = s.end;
      xmit_ts_valid_ = true;
    }
  }
  // Step 3, RACK_detect_reordering(): a never-retransmitted segment delivered below the
  // highest delivered one arrived out of order.
  if (!fack_valid_ || s.end > fack_) {
    fack_ = s.end;
    fack_valid_ = true;
  } else if (s.end < fack_ && !s.retransmitted) {
    reordering_seen_ = true;
  }
}

void Rack::on_ack_dsack(bool dsack, SeqNum snd_una, SeqNum snd_nxt) {
  // Step 4: grow the window by min_RTT/4 per round trip that sees a D-SACK (a retransmission
  // was spurious: the window was too small), and keep it for 16 recoveries.
  if (dsack_round_ && snd_una >= *dsack_round_) dsack_round_.reset();
  if (!dsack_round_ && dsack) {
    dsack_round_ = snd_nxt;
    ++reo_wnd_mult_;
    reo_wnd_persist_ = kReoWndPersist;
  }
}

void Rack::on_recovery_exit() {
  if (--reo_wnd_persist_ <= 0) {
    reo_wnd_persist_ = 0;
    reo_wnd_mult_ = 1;
  }
}

void Rack::on_spurious_retransmission() {
  reordering_seen_ = true;
  reo_wnd_persist_ = std::min(reo_wnd_persist_ + 1, kReoWndPersist);
}

Duration Rack::reo_wnd(bool in_recovery, std::uint32_t segs_sacked, Duration srtt) const {
  // Without reordering seen, no window in recovery or once DupThresh segments are SACKed:
  // RACK is then at least as fast as the duplicate-ACK rule it replaces.
  if (!reordering_seen_ && (in_recovery || segs_sacked >= kDupThresh)) return Duration::zero();
  Duration min_rtt = min_rtt_.get().value_or(Duration::zero());
  return std::min(min_rtt * reo_wnd_mult_ / 4, srtt);
}

Rack::Detection Rack::detect_loss(Instant now, SentQueue& q, bool in_recovery, Duration srtt,
                                  FunctionRef<void(const SentSegment&)> lost) {
  Detection d;
  if (!xmit_ts_valid_) return d;
  Duration wnd = reo_wnd(in_recovery, q.segs_sacked(), srtt);
  last_reo_wnd_ = wnd;
  q.for_each([&](SentSegment& s) {
    // Delivered segments, and lost ones not yet resent (the RFC's INFINITE_TS), are done.
    if (s.sacked || s.lost) return;
    if (!rack_sent_after(xmit_ts_, end_seq_, s.xmit_ts, s.end)) return;
    Duration remaining = s.xmit_ts + rtt_ + wnd - now;
    if (remaining <= Duration::zero()) {
      q.mark_lost(s);
      ++d.lost;
      lost(s);
    } else {
      d.timeout = std::max(d.timeout, remaining);
    }
  });
  return d;
}

Duration tlp_pto(std::optional<Duration> srtt, bool flight_is_one_segment, Duration max_ack_delay,
                 Duration rto) {
  Duration pto = Duration::seconds(1);
  if (srtt) {
    pto = *srtt * 2;
    if (flight_is_one_segment) pto += max_ack_delay;
  }
  // Not below Linux's TCP_TIMEOUT_MIN (2 ms): a path measured at 0 ms (in memory, loopback)
  // would otherwise probe in the same instant it sent.
  pto = std::max(pto, kTlpMinTimeout);
  return std::min(pto, rto);
}

TlpEpisode::Verdict TlpEpisode::on_ack(SeqNum ack, bool dsack_of_probe, bool dupack) {
  if (!end_seq_ || ack < *end_seq_) return Verdict::kPending;
  if (!is_retrans_) {
    end_seq_.reset();  // a probe of new data was delivered: nothing to learn
    return Verdict::kNoLoss;
  }
  if (dsack_of_probe) {
    end_seq_.reset();  // the original arrived too: the probe was redundant
    return Verdict::kNoLoss;
  }
  if (ack > *end_seq_) {
    // SND.UNA passed the probe with no D-SACK for it: only one of the original and the probe
    // arrived, so a segment was lost and the probe repaired it (RFC 8985 §7.4.1).
    end_seq_.reset();
    return Verdict::kLossRepaired;
  }
  if (dupack) {
    end_seq_.reset();  // a duplicate ACK at TLP.end_seq: both copies arrived (Linux)
    return Verdict::kNoLoss;
  }
  return Verdict::kPending;
}

}  // namespace ustack
