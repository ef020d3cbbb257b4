// CUBIC congestion control (RFC 9438) with HyStart++ (RFC 9406) for the initial slow start:
// Linux's default algorithm.
//
// Units: cwnd, ssthresh, W_max, W_est and cwnd_prior are in bytes (doubles inside, so the
// per-ACK increments of a fraction of a byte add up); the RFC's formulas are written in
// segments, so its constant C = 0.4 segments/s^3 becomes C*SMSS bytes/s^3 here and
// W_cubic(t) = C*SMSS*(t-K)^3 + W_max is the RFC's Figure 1 times SMSS. Time t is seconds
// since the epoch start, measured with the `now` each hook receives (the caller's clock,
// virtual in tests); nothing here reads a clock.
//
// Loss recovery stays the connection's (RFC 6582 NewReno fast recovery, as RFC 9438 §4.6
// defers to the recovery algorithm): on entering recovery CUBIC sets ssthresh with β_cubic and
// inflates cwnd by the three duplicate ACKs, and recovery ends with cwnd <= ssthresh.
#pragma once

#include <cstdint>
#include <optional>

#include "stack/tcp/congestion.h"
#include "stack/tcp/hystart.h"

namespace ustack {

class Cubic final : public CongestionControl {
 public:
  static constexpr double kC = 0.4;     // RFC 9438 §5.1, segments/s^3
  static constexpr double kBeta = 0.7;  // β_cubic, RFC 9438 §4.6
  // RFC 9438 §4.3: α_cubic = 3(1-β)/(1+β) keeps the Reno-friendly estimate's average rate
  // equal to Reno's with β = 0.5.
  static constexpr double kAlpha = 3.0 * (1.0 - kBeta) / (1.0 + kBeta);
  static constexpr bool kFastConvergence = true;  // RFC 9438 §4.7, Linux's default too

  const char* name() const override { return "cubic"; }
  void init(std::uint32_t mss) override;
  void resume(std::uint32_t cwnd, std::uint32_t ssthresh, std::uint32_t mss) override;
  void on_rtt_sample(Instant now, Duration rtt, SeqNum snd_una, SeqNum snd_max) override;
  void on_ack(Instant now, std::uint32_t bytes_acked, std::uint32_t mss, Duration srtt) override;
  void on_enter_recovery(Instant now, std::uint32_t flight_size, std::uint32_t mss) override;
  void on_dupack_in_recovery(std::uint32_t mss) override;
  void on_partial_ack(std::uint32_t bytes_acked, std::uint32_t mss) override;
  void on_exit_recovery(std::uint32_t flight_size, std::uint32_t mss) override;
  void set_cwnd_in_recovery(std::uint32_t cwnd) override { set_cwnd(cwnd); }
  void on_rto(Instant now, std::uint32_t flight_size, std::uint32_t mss, bool reduce) override;
  // RFC 9438 §4.9 (spurious congestion events): the curve from before the reduction (W_max,
  // K, W_est, cwnd_prior, the epoch) comes back with the window, as Linux's cubic takes back
  // cwnd with tcp_reno_undo_cwnd: max(cwnd, prior_cwnd).
  void on_undo(std::uint32_t prior_cwnd, std::uint32_t prior_ssthresh) override;

  // RFC 9438 Figure 1, in bytes: W_cubic(t) = C*SMSS*(t-K)^3 + W_max.
  double w_cubic(Duration t, std::uint32_t mss) const;
  // The state behind the window, for tests and traces.
  double w_max() const { return w_max_; }
  double k_seconds() const { return k_; }
  double w_est() const { return w_est_; }
  double cwnd_prior() const { return cwnd_prior_.value_or(0); }
  double cwnd_exact() const { return cwnd_d_; }
  std::optional<Instant> epoch_start() const { return epoch_start_; }
  const HyStartPlusPlus& hystart() const { return hystart_; }

 private:
  void set_cwnd_after_idle(std::uint32_t cwnd) override;
  void set_cwnd(double bytes);
  void start_epoch(Instant now, std::uint32_t mss);
  void reduce_on_congestion(std::uint32_t mss);
  void congestion_avoidance(Instant now, std::uint32_t bytes_acked, std::uint32_t mss,
                            Duration srtt);

  double cwnd_d_ = 0;  // cwnd_ with its fraction
  double w_max_ = 0;   // the window just before the last reduction (§4.6, §4.7)
  double k_ = 0;       // seconds the curve takes from cwnd_epoch back to W_max (eq. 2)
  double w_est_ = 0;   // the Reno-friendly estimate (§4.3)
  std::optional<double> cwnd_prior_;  // cwnd before the last reduction (§4.6)
  std::optional<Instant> epoch_start_;
  // §4.8 after an RTO and §4.10 after a slow start that ended without loss: the next epoch
  // starts with W_max = cwnd_epoch and K = 0.
  bool w_max_from_epoch_ = true;
  bool in_recovery_ = false;
  bool rto_backoff_ = false;  // an RTO with no ACK of new data since
  // The curve just before the last reduce_on_congestion(), for on_undo().
  struct Curve {
    double w_max = 0, k = 0, w_est = 0;
    std::optional<double> cwnd_prior;
    std::optional<Instant> epoch_start;
    bool w_max_from_epoch = true;
  };
  std::optional<Curve> before_reduction_;
  HyStartPlusPlus hystart_;
};

}  // namespace ustack
