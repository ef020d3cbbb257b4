#include "stack/tcp/hystart.h"

#include <algorithm>

namespace ustack {

void HyStartPlusPlus::reset() { *this = HyStartPlusPlus(); }

void HyStartPlusPlus::start_round(SeqNum snd_max) {
  // RFC 9406 §4.2 "At the start of each round during standard slow start and CSS".
  last_round_min_rtt_ = current_round_min_rtt_;
  current_round_min_rtt_.reset();
  rtt_sample_count_ = 0;
  window_end_ = snd_max;  // windowEnd = SND.NXT (the highest sequence sent)
}

void HyStartPlusPlus::on_rtt_sample(Duration rtt, SeqNum snd_una, SeqNum snd_max) {
  if (phase_ == Phase::kDone) return;
  if (!window_end_) start_round(snd_max);
  // "Keep track of the minimum observed RTT".
  current_round_min_rtt_ = std::min(current_round_min_rtt_.value_or(rtt), rtt);
  ++rtt_sample_count_;
  check_delay_increase();
  // The ACK that reaches windowEnd is the last of its round (as Linux's HyStart and quiche's
  // HyStart++ count it); the next ACK opens a round that ends at today's SND.NXT.
  if (snd_una >= *window_end_) {
    // RFC 9406 §4.2: "If CSS_ROUNDS rounds are complete, enter congestion avoidance by
    // setting the ssthresh to the current cwnd" (the owner reads phase() and does that).
    if (phase_ == Phase::kConservativeSlowStart && ++css_rounds_ >= kCssRounds) {
      phase_ = Phase::kDone;
      return;
    }
    start_round(snd_max);
  }
}

void HyStartPlusPlus::check_delay_increase() {
  if (rtt_sample_count_ < kNRttSample || !current_round_min_rtt_) return;
  if (phase_ == Phase::kSlowStart) {
    if (!last_round_min_rtt_) return;
    // RFC 9406 §4.2: RttThresh = max(MIN_RTT_THRESH, min(lastRoundMinRTT / MIN_RTT_DIVISOR,
    // MAX_RTT_THRESH)); a round whose minimum grew by that much ends slow start into CSS.
    Duration thresh =
        std::max(kMinRttThresh, std::min(*last_round_min_rtt_ / kMinRttDivisor, kMaxRttThresh));
    if (*current_round_min_rtt_ >= *last_round_min_rtt_ + thresh) {
      css_baseline_min_rtt_ = current_round_min_rtt_;
      phase_ = Phase::kConservativeSlowStart;
      css_rounds_ = 0;
    }
    return;
  }
  // In CSS: "If currentRoundMinRTT < cssBaselineMinRtt", the delay increase was spurious
  // (jitter): resume standard slow start.
  if (*current_round_min_rtt_ < *css_baseline_min_rtt_) {
    css_baseline_min_rtt_.reset();
    phase_ = Phase::kSlowStart;
    css_rounds_ = 0;
  }
}

std::uint32_t HyStartPlusPlus::increase(std::uint32_t bytes_acked, std::uint32_t mss) const {
  // RFC 9406 §4.2: cwnd += min(N, L * SMSS) in slow start, that over CSS_GROWTH_DIVISOR in CSS.
  std::uint32_t n = std::min(bytes_acked, kL * mss);
  return phase_ == Phase::kConservativeSlowStart ? n / kCssGrowthDivisor : n;
}

}  // namespace ustack
