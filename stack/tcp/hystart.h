// HyStart++ (RFC 9406): leave slow start when the round-trip delay grows, before the queue
// overflows, through a phase of Conservative Slow Start (CSS) that guards against jitter.
//
// Pure: fed with RTT samples and the sequence numbers that delimit rounds; no clock. Used for
// the initial slow start only (RFC 9406 §4.3 "it is RECOMMENDED that HyStart++ be used only
// for the initial slow start"); later slow starts are standard RFC 5681 ones.
//
// Rounds need an RTT sample per ACK (TCP timestamps, Linux's default). Without timestamps a
// connection gets one sample per round trip (Karn, RFC 6298 §3), never N_RTT_SAMPLE in a
// round, and HyStart++ never fires: slow start then ends at the first loss, as before.
#pragma once

#include <cstdint>
#include <optional>

#include "stack/base/seqnum.h"
#include "stack/base/time.h"

namespace ustack {

class HyStartPlusPlus {
 public:
  // RFC 9406 §4.3, the recommended constants.
  static constexpr Duration kMinRttThresh = Duration::millis(4);
  static constexpr Duration kMaxRttThresh = Duration::millis(16);
  static constexpr std::int64_t kMinRttDivisor = 8;
  static constexpr unsigned kNRttSample = 8;
  static constexpr std::uint32_t kCssGrowthDivisor = 4;
  static constexpr unsigned kCssRounds = 5;
  // L, the per-ACK growth limit in segments: 8 for a sender that does not pace (we do not).
  static constexpr std::uint32_t kL = 8;

  enum class Phase : std::uint8_t {
    kSlowStart,              // standard slow start with delay-increase detection
    kConservativeSlowStart,  // CSS: growth divided by CSS_GROWTH_DIVISOR
    kDone,                   // congestion avoidance (or a loss ended slow start)
  };

  // A new connection: standard slow start, no round measured yet.
  void reset();
  // RFC 9406 §4.2, per ACK with an RTT sample: the sample updates the round's minimum and may
  // move between the phases; the round ends with the ACK that reaches windowEnd.
  void on_rtt_sample(Duration rtt, SeqNum snd_una, SeqNum snd_max);
  // How much slow start (or CSS) grows cwnd for an ACK of `bytes_acked` new bytes:
  // min(N, L*SMSS), divided by CSS_GROWTH_DIVISOR in CSS.
  std::uint32_t increase(std::uint32_t bytes_acked, std::uint32_t mss) const;
  // RFC 9406 §4.2: a loss (or ECN mark) in slow start or CSS ends HyStart++.
  void on_congestion() { phase_ = Phase::kDone; }

  Phase phase() const { return phase_; }
  unsigned css_rounds() const { return css_rounds_; }
  std::optional<Duration> last_round_min_rtt() const { return last_round_min_rtt_; }
  std::optional<Duration> current_round_min_rtt() const { return current_round_min_rtt_; }

 private:
  void start_round(SeqNum snd_max);
  void check_delay_increase();

  Phase phase_ = Phase::kSlowStart;
  std::optional<SeqNum> window_end_;  // the round ends when SND.UNA reaches it
  std::optional<Duration> last_round_min_rtt_, current_round_min_rtt_;  // nullopt = infinity
  std::optional<Duration> css_baseline_min_rtt_;
  unsigned rtt_sample_count_ = 0;
  unsigned css_rounds_ = 0;  // rounds completed in CSS, the one it was entered in included
};

}  // namespace ustack
