#include "stack/tcp/buffer_tuning.h"

#include <algorithm>
#include <bit>

namespace ustack {

void RcvBufTuner::init(Instant now, SeqNum copied_seq, std::uint32_t rcv_wnd,
                       std::uint32_t adv_mss) {
  space_ = std::min(rcv_wnd, kInitialBufferSegments * adv_mss);
  space_seq_ = copied_seq;
  space_at_ = now;
}

void RcvBufTuner::rtt_update(Duration sample, bool window_dependent) {
  // Linux tcp_rcv_rtt_update: window-dependent samples (no timestamps) overestimate, so the
  // smallest wins; timestamp samples are smoothed with gain 1/8.
  if (rtt_ == Duration::zero()) {
    rtt_ = sample;
  } else if (window_dependent) {
    rtt_ = std::min(rtt_, sample);
  } else {
    rtt_ = rtt_ + (sample - rtt_) / 8;
  }
  if (rtt_ == Duration::zero()) rtt_ = Duration::micros(1);  // a sample was taken
}

void RcvBufTuner::on_timestamp_sample(std::uint32_t tsecr, Duration sample) {
  if (tsecr == last_tsecr_) return;  // one sample per echoed value
  last_tsecr_ = tsecr;
  if (sample >= Duration::zero()) rtt_update(sample, false);
}

void RcvBufTuner::on_data(Instant now, SeqNum rcv_nxt, std::uint32_t rcv_wnd) {
  if (measuring_) {
    if (rcv_nxt < measure_seq_) return;
    rtt_update(now - measure_at_, true);
  }
  measuring_ = true;
  measure_seq_ = rcv_nxt + rcv_wnd;
  measure_at_ = now;
}

std::size_t RcvBufTuner::adjust(Instant now, SeqNum copied_seq, std::uint32_t inq,
                                std::uint32_t adv_mss, std::size_t current, std::size_t max) {
  if (rtt_ == Duration::zero() || now - space_at_ < rtt_) return 0;
  // Bytes the application read in the last RTT, less what it left queued (Linux 6.x).
  std::uint32_t read = static_cast<std::uint32_t>(copied_seq - space_seq_);
  std::uint32_t copied = read > inq ? read - inq : 0;
  std::size_t want = 0;
  if (copied > space_) {
    // Linux: "to cope with packet losses, we need a 2x factor", plus 16 segments of cushion;
    // then the sender's growth (slow start doubles per RTT): twice the relative increase.
    std::uint64_t rcvwin = 2 * std::uint64_t{copied} + 16 * std::uint64_t{adv_mss};
    std::uint64_t grow = space_ == 0 ? rcvwin : rcvwin * (copied - space_) / space_;
    rcvwin += 2 * grow;
    if (rcvwin > current) want = static_cast<std::size_t>(std::min<std::uint64_t>(rcvwin, max));
    if (want <= current) want = 0;
    space_ = copied;
  }
  space_seq_ = copied_seq;
  space_at_ = now;
  return want;
}

std::size_t sndbuf_for_cwnd(std::uint32_t mss, std::uint32_t cwnd_bytes, std::size_t max) {
  std::uint64_t segs = std::max<std::uint64_t>(kInitialBufferSegments, mss ? cwnd_bytes / mss : 0);
  return static_cast<std::size_t>(std::min<std::uint64_t>(2 * segs * mss, max));
}

std::size_t ring_size_for(std::size_t wanted, std::size_t max) {
  return std::min(std::bit_ceil(wanted), max);
}

}  // namespace ustack
