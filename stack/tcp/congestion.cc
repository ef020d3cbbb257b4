#include "stack/tcp/congestion.h"

#include <algorithm>

#include "stack/tcp/cubic.h"

namespace ustack {

std::uint32_t initial_window(std::uint32_t mss) {
  // RFC 6928 §2: IW = min(10*MSS, max(2*MSS, 14600)).
  return std::min(10 * mss, std::max(2 * mss, std::uint32_t{14600}));
}

void NewReno::init(std::uint32_t mss) {
  cwnd_ = initial_window(mss);
  ssthresh_ = 0x7fffffff;
  bytes_acked_ca_ = 0;
}

void NewReno::resume(std::uint32_t cwnd, std::uint32_t ssthresh, std::uint32_t mss) {
  cwnd_ = std::max(cwnd, mss);
  ssthresh_ = ssthresh;
  bytes_acked_ca_ = 0;
}

void NewReno::on_ack(Instant, std::uint32_t bytes_acked, std::uint32_t mss, Duration) {
  if (cwnd_ < ssthresh_) {
    // RFC 5681 §3.1 slow start, counting every byte acked as Linux's tcp_slow_start does (no
    // RFC 3465 L = 2 cap: it starves a sender whose peer sends stretch ACKs), up to ssthresh.
    cwnd_ = std::min(cwnd_ + bytes_acked, std::max(ssthresh_, cwnd_ + mss));
    return;
  }
  // Congestion avoidance: one SMSS per cwnd's worth of acknowledged bytes.
  bytes_acked_ca_ += bytes_acked;
  if (bytes_acked_ca_ >= cwnd_) {
    bytes_acked_ca_ -= cwnd_;
    cwnd_ += mss;
  }
}

void NewReno::on_enter_recovery(Instant, std::uint32_t flight_size, std::uint32_t mss) {
  // RFC 5681 eq. 4 and §3.2 steps 2-3 (entered by RFC 6582 §3.2 step 2).
  ssthresh_ = std::max(flight_size / 2, 2 * mss);
  cwnd_ = ssthresh_ + 3 * mss;
  bytes_acked_ca_ = 0;
}

void NewReno::on_dupack_in_recovery(std::uint32_t mss) { cwnd_ += mss; }

void NewReno::on_partial_ack(std::uint32_t bytes_acked, std::uint32_t mss) {
  cwnd_ = cwnd_ > bytes_acked ? cwnd_ - bytes_acked : 0;
  cwnd_ = std::max(cwnd_ + mss, mss);
}

void NewReno::on_exit_recovery(std::uint32_t, std::uint32_t) {
  // RFC 6582 §3.2 step 3 "Full acknowledgments", option (2) (Linux tcp_end_cwnd_reduction):
  // cwnd = ssthresh. Option (1), min(ssthresh, max(FlightSize, SMSS) + SMSS), drops to one
  // segment when a stretch ACK empties the flight.
  cwnd_ = ssthresh_;
}

void NewReno::on_rto(Instant, std::uint32_t flight_size, std::uint32_t mss, bool reduce) {
  if (reduce) ssthresh_ = std::max(flight_size / 2, 2 * mss);
  cwnd_ = mss;  // loss window (RFC 5681 §3.1)
  bytes_acked_ca_ = 0;
}

void CongestionControl::restart_after_idle(Duration idle, Duration rto, std::uint32_t mss) {
  ssthresh_ = std::max(ssthresh_, cwnd_ / 2 + cwnd_ / 4);  // Linux tcp_current_ssthresh
  std::uint32_t restart = std::min(cwnd_, initial_window(mss));
  std::uint32_t cwnd = cwnd_;
  for (idle -= rto; idle > Duration::zero() && cwnd > restart; idle -= rto) cwnd >>= 1;
  set_cwnd_after_idle(std::max(cwnd, restart));
}

void CongestionControl::application_limited(std::uint32_t used, std::uint32_t mss) {
  std::uint32_t win_used = std::max(used, initial_window(mss));
  if (win_used >= cwnd_) return;
  ssthresh_ = std::max(ssthresh_, cwnd_ / 2 + cwnd_ / 4);  // Linux tcp_current_ssthresh
  set_cwnd_after_idle((cwnd_ + win_used) / 2);
}

void NewReno::set_cwnd_after_idle(std::uint32_t cwnd) {
  cwnd_ = cwnd;
  bytes_acked_ca_ = 0;
}

void NewReno::on_undo(std::uint32_t prior_cwnd, std::uint32_t prior_ssthresh) {
  // Linux tcp_reno_undo_cwnd and tcp_undo_cwnd_reduction.
  cwnd_ = std::max(cwnd_, prior_cwnd);
  ssthresh_ = std::max(ssthresh_, prior_ssthresh);
  bytes_acked_ca_ = 0;
}

std::unique_ptr<CongestionControl> make_congestion_control(CongestionAlgorithm a) {
  switch (a) {
    case CongestionAlgorithm::kNewReno:
      return std::make_unique<NewReno>();
    case CongestionAlgorithm::kCubic:
      return std::make_unique<Cubic>();
  }
  return std::make_unique<Cubic>();
}

const char* to_string(CongestionAlgorithm a) {
  switch (a) {
    case CongestionAlgorithm::kNewReno:
      return "reno";
    case CongestionAlgorithm::kCubic:
      return "cubic";
  }
  return "?";
}

std::optional<CongestionAlgorithm> congestion_algorithm_from_name(std::string_view name) {
  // Linux tcp_ca_find(): the exact name of a registered algorithm.
  for (CongestionAlgorithm a : {CongestionAlgorithm::kNewReno, CongestionAlgorithm::kCubic}) {
    if (name == to_string(a)) return a;
  }
  return std::nullopt;
}

}  // namespace ustack
