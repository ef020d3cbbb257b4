#include "stack/tcp/cubic.h"

#include <algorithm>
#include <cmath>

namespace ustack {

namespace {
constexpr double kMaxCwnd = 1 << 30;  // bytes; far beyond any window the peer can offer
constexpr std::uint32_t kInitialSsthresh = 0x7fffffff;
}  // namespace

void Cubic::set_cwnd(double bytes) {
  cwnd_d_ = std::clamp(bytes, 0.0, kMaxCwnd);
  cwnd_ = static_cast<std::uint32_t>(cwnd_d_);
}

void Cubic::init(std::uint32_t mss) {
  *this = Cubic();
  // RFC 6928 §2 (IW10) and RFC 9438 §4.10: slow start with HyStart++ until the first loss.
  set_cwnd(initial_window(mss));
  ssthresh_ = kInitialSsthresh;
}

void Cubic::resume(std::uint32_t cwnd, std::uint32_t ssthresh, std::uint32_t mss) {
  *this = Cubic();
  set_cwnd(std::max(cwnd, mss));
  ssthresh_ = ssthresh;
  // Still in the initial slow start: HyStart++ may end it; otherwise slow starts are standard.
  if (ssthresh_ != kInitialSsthresh) hystart_.on_congestion();
}

double Cubic::w_cubic(Duration t, std::uint32_t mss) const {
  double dt = t.total_seconds() - k_;
  return kC * mss * dt * dt * dt + w_max_;
}

void Cubic::on_rtt_sample(Instant, Duration rtt, SeqNum snd_una, SeqNum snd_max) {
  if (cwnd_ >= ssthresh_ || hystart_.phase() == HyStartPlusPlus::Phase::kDone) return;
  hystart_.on_rtt_sample(rtt, snd_una, snd_max);
  if (hystart_.phase() == HyStartPlusPlus::Phase::kDone) {
    // RFC 9406 §4.2: after CSS_ROUNDS rounds of CSS, "enter congestion avoidance by setting
    // the ssthresh to the current cwnd". RFC 9438 §4.10: with no loss W_max is undefined, so
    // cwnd_prior = cwnd and the first epoch starts with W_max = cwnd, K = 0.
    ssthresh_ = cwnd_;
    cwnd_prior_ = cwnd_d_;
    w_max_from_epoch_ = true;
  }
}

void Cubic::on_ack(Instant now, std::uint32_t bytes_acked, std::uint32_t mss, Duration srtt) {
  rto_backoff_ = false;
  if (cwnd_ < ssthresh_) {
    // RFC 9438 §4.10: slow start. The initial one is HyStart++'s (RFC 9406 §4.2: min(N, L*SMSS)
    // per ACK, a quarter of it in CSS); later ones (after an RTO or below ssthresh after
    // recovery) grow by every byte acked, as Linux's tcp_slow_start does: RFC 3465's L = 2 cap
    // starves a sender whose peer sends stretch ACKs (GRO, ACK coalescing: one ACK per 16 or
    // more segments is common over a TUN device).
    if (hystart_.phase() == HyStartPlusPlus::Phase::kDone) {
      set_cwnd(std::min<double>(cwnd_d_ + bytes_acked, std::max(ssthresh_, cwnd_ + mss)));
    } else {
      set_cwnd(cwnd_d_ + hystart_.increase(bytes_acked, mss));
    }
    return;
  }
  congestion_avoidance(now, bytes_acked, mss, srtt);
}

void Cubic::start_epoch(Instant now, std::uint32_t mss) {
  // RFC 9438 §4.2: t counts from the start of this congestion avoidance stage.
  epoch_start_ = now;
  double cwnd_epoch = cwnd_d_;
  if (w_max_from_epoch_) {
    // §4.8 (after an RTO) and §4.10 (slow start left without a loss): W_max is the window at
    // the start of congestion avoidance and K = 0, so the curve starts on its plateau.
    w_max_ = cwnd_epoch;
    if (!cwnd_prior_) cwnd_prior_ = cwnd_epoch;
    w_max_from_epoch_ = false;
  }
  // Eq. 2: K = cbrt((W_max - cwnd_epoch) / C), in segments; with cwnd_epoch = β*W_max this is
  // cbrt(W_max*(1-β)/C). A cwnd_epoch above W_max (fast convergence lowered W_max) gives a
  // negative K: the curve is already in its convex region.
  k_ = std::cbrt((w_max_ - cwnd_epoch) / (kC * mss));
  // §4.3: the Reno-friendly estimate starts from the same window.
  w_est_ = cwnd_epoch;
}

void Cubic::congestion_avoidance(Instant now, std::uint32_t bytes_acked, std::uint32_t mss,
                                 Duration srtt) {
  if (!epoch_start_) start_epoch(now, mss);
  double segments_acked = static_cast<double>(bytes_acked) / mss;
  // §4.3: W_est grows by α_cubic segments per cwnd of acknowledged segments, α = 1 once it
  // has passed cwnd_prior (from there on it grows like Reno).
  double alpha = w_est_ >= cwnd_prior_.value_or(0) ? 1.0 : kAlpha;
  w_est_ += alpha * segments_acked * mss * mss / cwnd_d_;
  Duration t = now - *epoch_start_;
  if (w_cubic(t, mss) < w_est_) {
    // §4.3: the Reno-friendly region, "cwnd SHOULD be set to W_est".
    set_cwnd(std::max(cwnd_d_, w_est_));
    return;
  }
  // §4.4 (concave, cwnd < W_max) and §4.5 (convex, cwnd >= W_max) share the update: the
  // target is the curve one RTT ahead, kept within [cwnd, 1.5*cwnd], and cwnd moves
  // (target - cwnd)/cwnd segments per acknowledged segment.
  double target = std::clamp(w_cubic(t + srtt, mss), cwnd_d_, 1.5 * cwnd_d_);
  set_cwnd(cwnd_d_ + (target - cwnd_d_) / cwnd_d_ * segments_acked * mss);
}

void Cubic::reduce_on_congestion(std::uint32_t mss) {
  before_reduction_ = Curve{w_max_, k_, w_est_, cwnd_prior_, epoch_start_, w_max_from_epoch_};
  // RFC 9406 §4.2: a loss ends HyStart++ for good.
  hystart_.on_congestion();
  epoch_start_.reset();
  w_max_from_epoch_ = false;
  // RFC 9438 §4.7 fast convergence: a flow whose window is below the last W_max is losing
  // ground to a new flow and releases more: W_max = cwnd*(1+β)/2.
  if (kFastConvergence && cwnd_d_ < w_max_) {
    w_max_ = cwnd_d_ * (1.0 + kBeta) / 2.0;
  } else {
    w_max_ = cwnd_d_;
  }
  // §4.6: cwnd_prior = cwnd; ssthresh = cwnd*β (Linux bictcp_recalc_ssthresh uses cwnd, the
  // RFC's note allows it for flight_size), at least 2 segments.
  cwnd_prior_ = cwnd_d_;
  ssthresh_ = std::max(static_cast<std::uint32_t>(cwnd_d_ * kBeta), 2 * mss);
}

void Cubic::on_enter_recovery(Instant, std::uint32_t, std::uint32_t mss) {
  reduce_on_congestion(mss);
  // RFC 9438 §4.6: cwnd = ssthresh; plus the three segments that left the network (RFC 5681
  // §3.2 step 3), since the connection's fast recovery inflates and deflates from there.
  set_cwnd(ssthresh_ + 3.0 * mss);
  in_recovery_ = true;
}

void Cubic::on_dupack_in_recovery(std::uint32_t mss) { set_cwnd(cwnd_d_ + mss); }

void Cubic::on_partial_ack(std::uint32_t bytes_acked, std::uint32_t mss) {
  // RFC 6582 §3.2 step 3 "Partial acknowledgments": deflate by the amount acknowledged, add
  // back one SMSS.
  set_cwnd(std::max(cwnd_d_ - bytes_acked, 0.0) + mss);
}

void Cubic::on_exit_recovery(std::uint32_t, std::uint32_t) {
  // RFC 6582 §3.2 step 3 "Full acknowledgments" option (2), RFC 6937 §3 (PRR ends at
  // ssthresh), Linux tcp_end_cwnd_reduction: cwnd = ssthresh. Option (1) (min(ssthresh,
  // max(FlightSize, SMSS) + SMSS)) drops
  // to one segment when a stretch ACK empties the flight, and slow start must climb back.
  set_cwnd(ssthresh_);
  in_recovery_ = false;
}

void Cubic::on_rto(Instant, std::uint32_t, std::uint32_t mss, bool reduce) {
  // RFC 9438 §4.8: ssthresh from β_cubic as on a loss (§4.6), cwnd to the loss window of one
  // segment (RFC 5681 §3.1). Not again for a timeout during recovery (ssthresh was set on
  // entering it, Linux tcp_enter_loss) nor for a backed-off timeout of the same segment (RFC
  // 5681 eq. 4's note: ssthresh is held when a retransmission is lost).
  if (reduce && !in_recovery_ && !rto_backoff_) reduce_on_congestion(mss);
  hystart_.on_congestion();
  epoch_start_.reset();
  // §4.8: the first congestion avoidance stage after it starts with W_max = cwnd, K = 0, and
  // W_est = cwnd.
  w_max_from_epoch_ = true;
  in_recovery_ = false;
  rto_backoff_ = true;
  set_cwnd(mss);
}

void Cubic::set_cwnd_after_idle(std::uint32_t cwnd) {
  // The idle time is not congestion avoidance time: a new epoch starts at the next ACK (Linux
  // bictcp_cwnd_event shifts the epoch).
  set_cwnd(cwnd);
  epoch_start_.reset();
}

void Cubic::on_undo(std::uint32_t prior_cwnd, std::uint32_t prior_ssthresh) {
  // RFC 9438 §4.9: a spurious congestion event restores the state from before it. HyStart++
  // stays done (RFC 9406 §4.2 ends it at the first loss; Linux does not restart it either).
  if (before_reduction_ && cwnd_ < prior_cwnd) {
    w_max_ = before_reduction_->w_max;
    k_ = before_reduction_->k;
    w_est_ = before_reduction_->w_est;
    cwnd_prior_ = before_reduction_->cwnd_prior;
    epoch_start_ = before_reduction_->epoch_start;
    w_max_from_epoch_ = before_reduction_->w_max_from_epoch;
  }
  before_reduction_.reset();
  set_cwnd(std::max<double>(cwnd_d_, prior_cwnd));
  ssthresh_ = std::max(ssthresh_, prior_ssthresh);
  in_recovery_ = false;
  rto_backoff_ = false;
}

}  // namespace ustack
