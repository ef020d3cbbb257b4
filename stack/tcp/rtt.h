// Round-trip time estimation and the retransmission timeout (RFC 6298).
//
// Linux flavour: the RTO is SRTT + max(RTO_min, 4*RTTVAR) with RTO_min = 200 ms, capped at
// 120 s (TCP_RTO_MIN / TCP_RTO_MAX), initial RTO 1 s (RFC 6298 §2.1).
#pragma once

#include <algorithm>
#include <optional>

#include "stack/base/time.h"

namespace ustack {

class RttEstimator {
 public:
  RttEstimator(Duration rto_min, Duration rto_max, Duration rto_initial)
      : rto_min_(rto_min), rto_max_(rto_max), rto_(rto_initial) {}

  // RFC 6298 §2.2 and §2.3.
  void sample(Duration r) {
    if (r < Duration::zero()) return;
    if (!srtt_) {
      srtt_ = r;
      rttvar_ = r / 2;
    } else {
      Duration diff = *srtt_ > r ? *srtt_ - r : r - *srtt_;
      rttvar_ = (rttvar_ * 3) / 4 + diff / 4;
      srtt_ = (*srtt_ * 7) / 8 + r / 8;
    }
    rto_ = std::clamp(*srtt_ + std::max(rto_min_, rttvar_ * 4), rto_min_, rto_max_);
  }

  // RFC 6298 §5.7: the SYN was retransmitted and the handshake gave no sample: the RTO is
  // re-initialized (to 3 s) when data transmission begins.
  void reinitialize_without_sample(Duration rto) {
    if (!srtt_) rto_ = std::clamp(rto, rto_min_, rto_max_);
  }

  // The base RTO (without backoff).
  Duration rto() const { return rto_; }
  // RFC 6298 §5.5: doubled per consecutive timeout, capped at RTO_max.
  Duration backed_off_rto(unsigned backoff) const {
    Duration d = rto_;
    for (unsigned i = 0; i < backoff && d < rto_max_; ++i) d = d * 2;
    return std::min(d, rto_max_);
  }
  std::optional<Duration> srtt() const { return srtt_; }
  Duration rttvar() const { return rttvar_; }
  Duration rto_max() const { return rto_max_; }

 private:
  Duration rto_min_, rto_max_;
  Duration rto_;
  std::optional<Duration> srtt_;
  Duration rttvar_;
};

}  // namespace ustack
