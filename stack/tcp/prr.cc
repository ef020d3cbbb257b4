#include "stack/tcp/prr.h"

#include <algorithm>

namespace ustack {

void Prr::on_enter(std::uint32_t recover_fs, std::uint32_t ssthresh, std::uint32_t mss) {
  // RFC 6937 §3 "On entering recovery".
  prr_delivered_ = 0;
  prr_out_ = 0;
  recover_fs_ = std::max<std::uint32_t>(recover_fs, 1);
  ssthresh_ = ssthresh;
  mss_ = std::max<std::uint32_t>(mss, 1);
}

std::uint32_t Prr::on_ack(std::uint32_t delivered_data, std::uint32_t pipe, bool safe_ack) {
  // RFC 6937 §3 "On every ACK during recovery".
  prr_delivered_ += delivered_data;
  std::int64_t sndcnt;
  if (pipe > ssthresh_) {
    // Proportional Rate Reduction: sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out,
    // the CEIL to a whole segment as Linux counts in segments: a share of part of a segment
    // would wait for the next ACK (sender SWS avoidance holds a runt).
    std::uint64_t target = (prr_delivered_ * ssthresh_ + recover_fs_ - 1) / recover_fs_;
    target = (target + mss_ - 1) / mss_ * mss_;
    sndcnt = static_cast<std::int64_t>(target) - static_cast<std::int64_t>(prr_out_);
  } else {
    // The pipe fell to ssthresh or below (more loss than the reduction asked for): catch up
    // as far as the reduction bound lets.
    std::int64_t banked =
        static_cast<std::int64_t>(prr_delivered_) - static_cast<std::int64_t>(prr_out_);
    std::int64_t limit = banked;
    if (bound_ == Bound::kSsrb) {
      limit = std::max<std::int64_t>(banked, delivered_data);
      if (safe_ack) limit += mss_;
    }
    sndcnt = std::min<std::int64_t>(static_cast<std::int64_t>(ssthresh_) - pipe, limit);
  }
  // Linux tcp_cwnd_reduction: the first ACK of recovery always lets the fast retransmit out.
  if (prr_out_ == 0) sndcnt = std::max<std::int64_t>(sndcnt, mss_);
  return static_cast<std::uint32_t>(std::max<std::int64_t>(sndcnt, 0));
}

}  // namespace ustack
