// CUBIC (RFC 9438) and HyStart++ (RFC 9406) driven directly, in virtual time: the window
// against the RFC's formulas, the Reno-friendly region, fast convergence, β on loss and on
// RTO, and the slow-start exit through CSS. Also the IW10 initial window (RFC 6928).
#include "stack/tcp/cubic.h"

#include <gtest/gtest.h>

#include <cmath>

#include "stack/tcp/hystart.h"

namespace ustack {
namespace {

using namespace ustack::literals;

constexpr std::uint32_t kMss = 1000;
constexpr std::uint32_t kNoSsthresh = 0x7fffffff;
const Instant kT0 = Instant::from_millis(1000);

// RFC 9438 Figure 1 in segments, written out independently of the implementation.
double rfc_w_cubic_segments(double t, double w_max, double k) {
  return 0.4 * (t - k) * (t - k) * (t - k) + w_max;
}

// A CUBIC in congestion avoidance right after recovering from a loss at `w_max_bytes`:
// ssthresh = cwnd = 0.7 * W_max, and no epoch started yet.
Cubic after_loss_at(std::uint32_t w_max_bytes) {
  Cubic c;
  c.resume(w_max_bytes, kNoSsthresh - 1, kMss);
  c.on_enter_recovery(kT0, w_max_bytes, kMss);
  c.on_exit_recovery(w_max_bytes, kMss);  // cwnd = ssthresh
  return c;
}

// ACKs one full window (one ACK per segment) per `rtt`, `rounds` times, from `start`.
Instant ack_windows(Cubic& c, Instant start, Duration rtt, int rounds) {
  Instant now = start;
  for (int r = 0; r < rounds; ++r) {
    std::uint32_t acks = c.cwnd() / kMss;
    for (std::uint32_t i = 0; i < acks; ++i) c.on_ack(now, kMss, kMss, rtt);
    now += rtt;
  }
  return now;
}

// RFC 6928 §2: IW = min(10*MSS, max(2*MSS, 14600)).
TEST(InitialWindow, Iw10IsMinOfTenSegmentsAndMax2Or14600) {
  EXPECT_EQ(initial_window(1460), 14600u);  // 10 segments
  EXPECT_EQ(initial_window(1448), 14480u);
  EXPECT_EQ(initial_window(536), 5360u);
  EXPECT_EQ(initial_window(4000), 14600u);  // capped at 14600 bytes
  EXPECT_EQ(initial_window(9000), 18000u);  // but at least 2 segments
  Cubic c;
  c.init(1460);
  EXPECT_EQ(c.cwnd(), 14600u);
  NewReno r;
  r.init(1460);
  EXPECT_EQ(r.cwnd(), 14600u);
}

// RFC 9438 §4.6: on a loss ssthresh = cwnd * β_cubic (0.7), and recovery ends at ssthresh.
TEST(Cubic, LossReducesWindowByBeta) {
  Cubic c;
  c.resume(100 * kMss, kNoSsthresh - 1, kMss);
  c.on_enter_recovery(kT0, 100 * kMss, kMss);
  EXPECT_EQ(c.ssthresh(), 70 * kMss);
  EXPECT_EQ(c.cwnd(), 73 * kMss);  // + 3 duplicate ACKs (RFC 5681 §3.2 step 3)
  EXPECT_DOUBLE_EQ(c.w_max(), 100.0 * kMss);
  EXPECT_DOUBLE_EQ(c.cwnd_prior(), 100.0 * kMss);
  c.on_dupack_in_recovery(kMss);
  EXPECT_EQ(c.cwnd(), 74 * kMss);
  c.on_exit_recovery(80 * kMss, kMss);
  EXPECT_EQ(c.cwnd(), 70 * kMss);
}

// RFC 9438 §4.2 eq. 2: K = cbrt((W_max - cwnd_epoch)/C) = cbrt(W_max*(1-β)/C), and the window
// follows W_cubic(t) = C(t-K)^3 + W_max: at t = 0 it is cwnd_epoch, at t = K it is W_max.
TEST(Cubic, CurveMatchesRfc9438Formula) {
  Cubic c = after_loss_at(100 * kMss);
  c.on_ack(kT0, kMss, kMss, 100_ms);  // the epoch starts at the first ACK in avoidance
  ASSERT_EQ(c.epoch_start(), kT0);
  const double k = std::cbrt(100.0 * (1 - 0.7) / 0.4);  // 4.2172 s
  EXPECT_NEAR(c.k_seconds(), k, 1e-12);
  EXPECT_NEAR(k, 4.21716, 1e-5);
  for (double t : {0.0, 1.0, 2.0, 3.0, k, 5.0, 6.0}) {
    Duration d = Duration::nanos(static_cast<std::int64_t>(t * 1e9));
    EXPECT_NEAR(c.w_cubic(d, kMss) / kMss, rfc_w_cubic_segments(d.total_seconds(), 100, k), 1e-9)
        << "t=" << t;
  }
  EXPECT_NEAR(c.w_cubic(Duration::zero(), kMss), 70.0 * kMss, 1e-6);
  EXPECT_NEAR(c.w_cubic(Duration::seconds(1), kMss) / kMss, 0.4 * std::pow(1 - k, 3) + 100, 1e-9);
  EXPECT_NEAR(c.w_cubic(Duration::seconds(1), kMss) / kMss, 86.6808, 1e-4);
  EXPECT_NEAR(c.w_cubic(Duration::seconds(6), kMss) / kMss, 102.2667, 1e-4);
}

// RFC 9438 §4.4: each ACK moves cwnd by (target - cwnd)/cwnd segments, target = W_cubic(t+RTT)
// clamped to [cwnd, 1.5 cwnd]. One ACK at t = 1 s, checked to the byte fraction.
TEST(Cubic, PerAckIncreaseTowardsCurveOneRttAhead) {
  Cubic c = after_loss_at(100 * kMss);
  c.on_ack(kT0, kMss, kMss, 100_ms);  // epoch start
  double before = c.cwnd_exact();
  c.on_ack(kT0 + 1_s, kMss, kMss, 100_ms);
  const double k = std::cbrt(75.0);
  double target = rfc_w_cubic_segments(1.1, 100, k) * kMss;
  EXPECT_NEAR(c.cwnd_exact(), before + (target - before) / before * kMss, 1e-6);
  // Convex region past W_max with a huge jump: the target is capped at 1.5*cwnd.
  double cw = c.cwnd_exact();
  c.on_ack(kT0 + 30_s, kMss, kMss, 100_ms);
  EXPECT_NEAR(c.cwnd_exact(), cw + (1.5 * cw - cw) / cw * kMss, 1e-6);
}

// The window over time, ACK-clocked (one full window per RTT of 100 ms) after a loss at
// W_max = 1000 segments (K = cbrt(750) = 9.09 s): concave up to W_max at t = K, a plateau
// there, convex after it. With the target one RTT ahead, approached per ACK, the window stays
// within 2% of the curve at every t; W_est (Reno, +0.53 segment per RTT) stays far below.
TEST(Cubic, WindowTracksCurveConcaveThenConvex) {
  Cubic c = after_loss_at(1000 * kMss);
  const double k = std::cbrt(750.0);
  Instant now = kT0;
  c.on_ack(now, kMss, kMss, 100_ms);
  for (int step = 1; step <= 140; ++step) {
    now = ack_windows(c, now, 100_ms, 1);
    double t = (now - kT0).total_seconds();
    double curve = rfc_w_cubic_segments(t, 1000, k);
    EXPECT_NEAR(c.cwnd_exact() / kMss, curve, 0.02 * curve) << "t=" << t;
    if (t < k - 0.5) EXPECT_LT(c.cwnd_exact(), 1000.0 * kMss) << "concave region, t=" << t;
    if (t > k + 1) EXPECT_GT(c.cwnd_exact(), 1000.0 * kMss) << "convex region, t=" << t;
    if (t > 1) EXPECT_LT(c.w_est(), c.cwnd_exact()) << "t=" << t;
  }
}

// RFC 9438 §4.3: with a short RTT Reno's window (W_est, grown α_cubic = 3(1-β)/(1+β) segments
// per window) outruns the curve, and cwnd is set to W_est; α becomes 1 once W_est passes
// cwnd_prior.
TEST(Cubic, RenoFriendlyRegionUsesWest) {
  Cubic c = after_loss_at(20 * kMss);  // cwnd_epoch 14 segments, K = cbrt(15) = 2.47 s
  c.on_ack(kT0, kMss, kMss, 1_ms);
  const double alpha = 3 * (1 - 0.7) / (1 + 0.7);
  EXPECT_NEAR(Cubic::kAlpha, 0.529412, 1e-6);
  // The first ACK: W_est = cwnd_epoch + α * 1 segment / 14 segments.
  EXPECT_NEAR(c.w_est(), 14.0 * kMss + alpha * kMss / 14.0, 1e-9);
  EXPECT_DOUBLE_EQ(c.cwnd_exact(), c.w_est());
  Instant now = ack_windows(c, kT0 + 1_ms, 1_ms, 30);  // 30 RTTs in 30 ms
  Duration t = now - kT0;
  EXPECT_LT(c.w_cubic(t, kMss), c.w_est());
  EXPECT_DOUBLE_EQ(c.cwnd_exact(), c.w_est());
  // 30 windows at α per window would give 14 + 30 * 0.53 = 29.9 segments; α = 1 after W_est
  // passed cwnd_prior (20 segments) makes it more, and Reno's one-per-RTT bounds it above.
  EXPECT_GT(c.cwnd_exact(), 30.0 * kMss);
  EXPECT_LT(c.cwnd_exact(), 45.0 * kMss);
}

// RFC 9438 §4.7: a loss below the previous W_max (a new flow is taking bandwidth) sets
// W_max = cwnd * (1+β)/2 instead of cwnd.
TEST(Cubic, FastConvergenceLowersWmax) {
  Cubic c = after_loss_at(100 * kMss);  // W_max 100, cwnd 70 segments
  Instant now = kT0;
  while (c.cwnd() < 80 * kMss) now = ack_windows(c, now, 100_ms, 1);
  double cwnd = c.cwnd_exact();
  ASSERT_LT(cwnd, c.w_max());
  c.on_enter_recovery(now, c.cwnd(), kMss);
  EXPECT_NEAR(c.w_max(), cwnd * 1.7 / 2, 1e-9);
  EXPECT_EQ(c.ssthresh(), static_cast<std::uint32_t>(cwnd * 0.7));
  // Above the old W_max, a loss just records cwnd.
  Cubic d = after_loss_at(100 * kMss);
  now = kT0;
  while (d.cwnd() < 110 * kMss) now = ack_windows(d, now, 100_ms, 1);
  cwnd = d.cwnd_exact();
  d.on_enter_recovery(now, d.cwnd(), kMss);
  EXPECT_DOUBLE_EQ(d.w_max(), cwnd);
}

// RFC 9438 §4.8: a timeout sets ssthresh with β, cwnd to one segment; a second timeout of the
// same data keeps ssthresh; the first avoidance stage after it has W_max = cwnd and K = 0.
TEST(Cubic, RtoCollapsesWindowAndRestartsCurveAtCwnd) {
  Cubic c;
  c.resume(50 * kMss, kNoSsthresh - 1, kMss);
  c.on_rto(kT0, 50 * kMss, kMss, /*reduce=*/true);
  EXPECT_EQ(c.cwnd(), kMss);
  EXPECT_EQ(c.ssthresh(), 35 * kMss);
  c.on_rto(kT0 + 1_s, kMss, kMss, /*reduce=*/true);
  EXPECT_EQ(c.ssthresh(), 35 * kMss);
  // Slow start back to ssthresh.
  Instant now = kT0 + 2_s;
  while (c.cwnd() < c.ssthresh()) c.on_ack(now, 2 * kMss, kMss, 100_ms);
  std::uint32_t cwnd_epoch = c.cwnd();
  c.on_ack(now, kMss, kMss, 100_ms);
  EXPECT_EQ(c.epoch_start(), now);
  EXPECT_DOUBLE_EQ(c.w_max(), cwnd_epoch);
  EXPECT_DOUBLE_EQ(c.k_seconds(), 0.0);
}

// A receiver that coalesces ACKs (GRO, one ACK per 16 segments) does not slow the window down:
// slow start after an RTO counts every byte acked (Linux tcp_slow_start, not RFC 3465's two
// segments per ACK), and stops at ssthresh.
TEST(Cubic, SlowStartAfterRtoCountsEveryByteOfAStretchAck) {
  for (CongestionAlgorithm a : {CongestionAlgorithm::kCubic, CongestionAlgorithm::kNewReno}) {
    auto c = make_congestion_control(a);
    c->resume(40 * kMss, kNoSsthresh - 1, kMss);
    c->on_rto(kT0, 40 * kMss, kMss,
              /*reduce=*/true);  // ssthresh 28 (CUBIC) or 20 (NewReno) segments
    EXPECT_EQ(c->cwnd(), kMss);
    c->on_ack(kT0 + 1_s, 16 * kMss, kMss, 100_ms);
    EXPECT_EQ(c->cwnd(), 17 * kMss) << to_string(a);
    c->on_ack(kT0 + 2_s, 16 * kMss, kMss, 100_ms);
    EXPECT_EQ(c->cwnd(), c->ssthresh()) << to_string(a);
  }
}

// Recovery ends at ssthresh (RFC 6582 §3.2 step 3 option (2), Linux tcp_end_cwnd_reduction), also
// when the full ACK is a stretch ACK that leaves nothing in flight: the sender does not drop to
// one segment and slow-start back.
TEST(Cubic, RecoveryExitsAtSsthreshWhenTheFullAckEmptiesTheFlight) {
  for (CongestionAlgorithm a : {CongestionAlgorithm::kCubic, CongestionAlgorithm::kNewReno}) {
    auto c = make_congestion_control(a);
    c->resume(20 * kMss, kNoSsthresh - 1, kMss);
    c->on_enter_recovery(kT0, 20 * kMss, kMss);
    std::uint32_t ssthresh = c->ssthresh();
    c->on_exit_recovery(/*flight_size=*/0, kMss);
    EXPECT_EQ(c->cwnd(), ssthresh) << to_string(a);
  }
}

// Linux tcp_reinit_congestion_control: a new algorithm on a live connection keeps the window.
TEST(Cubic, ResumeKeepsWindowAndSsthresh) {
  Cubic c;
  c.resume(30 * kMss, 20 * kMss, kMss);
  EXPECT_EQ(c.cwnd(), 30 * kMss);
  EXPECT_EQ(c.ssthresh(), 20 * kMss);
  EXPECT_EQ(c.hystart().phase(), HyStartPlusPlus::Phase::kDone);
}

// RFC 9438 §4.9: a spurious loss is taken back - the window, ssthresh and the curve (W_max,
// K, cwnd_prior, the epoch) from before it - so growth goes on as if it never happened.
TEST(Cubic, UndoRestoresWindowSsthreshAndCurve) {
  Cubic c = after_loss_at(100 * kMss);  // W_max 100, cwnd = ssthresh = 70 segments
  Instant later = ack_windows(c, kT0, 100_ms, 3);
  double w_max = c.w_max(), k = c.k_seconds(), prior = c.cwnd_prior();
  std::uint32_t cwnd = c.cwnd(), ssthresh = c.ssthresh();
  c.on_enter_recovery(later, cwnd, kMss);
  c.on_exit_recovery(cwnd, kMss);
  EXPECT_LT(c.cwnd(), cwnd);
  EXPECT_LT(c.w_max(), w_max);  // fast convergence lowered it
  c.on_undo(cwnd, ssthresh);
  EXPECT_EQ(c.cwnd(), cwnd);
  EXPECT_EQ(c.ssthresh(), ssthresh);
  EXPECT_DOUBLE_EQ(c.w_max(), w_max);
  EXPECT_DOUBLE_EQ(c.k_seconds(), k);
  EXPECT_DOUBLE_EQ(c.cwnd_prior(), prior);
  EXPECT_EQ(c.epoch_start(), kT0);
}

// Linux tcp_reno_undo_cwnd: max(cwnd, prior_cwnd) - a window that grew past the prior one
// since is kept; ssthresh never comes down.
TEST(Cubic, UndoNeverLowersTheWindow) {
  Cubic c;
  c.resume(30 * kMss, 20 * kMss, kMss);
  c.on_undo(10 * kMss, 5 * kMss);
  EXPECT_EQ(c.cwnd(), 30 * kMss);
  EXPECT_EQ(c.ssthresh(), 20 * kMss);
  NewReno r;
  r.resume(10 * kMss, 20 * kMss, kMss);
  r.on_rto(kT0, 10 * kMss, kMss, /*reduce=*/true);
  r.on_undo(10 * kMss, 0x7fffffff);
  EXPECT_EQ(r.cwnd(), 10 * kMss);
  EXPECT_EQ(r.ssthresh(), 0x7fffffffu);
}

// A sender that keeps its window full: each ACK of one segment carries an RTT sample; rounds
// end when SND.UNA passes the SND.NXT of the round's start, as RFC 9406 §4.2 counts them.
struct SlowStartSender {
  Cubic cc;
  Instant now = kT0;
  SeqNum una{0};
  SeqNum max{0};
  SeqNum round_end{0};
  int round = -1;

  SlowStartSender() {
    cc.init(kMss);
    max = una + cc.cwnd();
  }
  // Acks one segment with the RTT this round has; returns the round it belonged to.
  void ack(Duration (*rtt_of_round)(int)) {
    if (round < 0) {
      round = 0;
      round_end = max;
    }
    una += kMss;
    Duration rtt = rtt_of_round(round);
    cc.on_rtt_sample(now, rtt, una, max);
    cc.on_ack(now, kMss, kMss, rtt);
    if (una >= round_end) {  // the last ACK of the round
      ++round;
      round_end = max;
    }
    max = una + cc.cwnd();
    now += 1_ms;
  }
};

Duration delay_grows_at_round_3(int round) { return round < 3 ? 20_ms : 30_ms; }

// RFC 9406 §4.2: a round whose minimum RTT is at least lastRoundMinRTT + RttThresh (here
// 20 ms + max(4 ms, min(20/8 ms, 16 ms)) = 24 ms) after N_RTT_SAMPLE = 8 samples ends slow
// start into CSS, where growth is a quarter; after CSS_ROUNDS = 5 rounds, congestion
// avoidance with ssthresh = cwnd.
TEST(HyStartPlusPlus, DelayIncreaseEndsSlowStartIntoCssThenAvoidance) {
  SlowStartSender s;
  EXPECT_EQ(s.cc.cwnd(), 10 * kMss);
  while (s.round < 3) s.ack(delay_grows_at_round_3);
  EXPECT_EQ(s.cc.hystart().phase(), HyStartPlusPlus::Phase::kSlowStart);
  EXPECT_EQ(s.cc.cwnd(), 74 * kMss);  // one segment per ACK since the initial 10
  for (int sample = 1; sample < 8; ++sample) {
    s.ack(delay_grows_at_round_3);
    EXPECT_EQ(s.cc.hystart().phase(), HyStartPlusPlus::Phase::kSlowStart) << sample;
  }
  EXPECT_EQ(s.cc.cwnd(), 81 * kMss);
  s.ack(delay_grows_at_round_3);  // the eighth sample of round 3: 30 ms >= 20 + 4 ms
  ASSERT_EQ(s.cc.hystart().phase(), HyStartPlusPlus::Phase::kConservativeSlowStart);
  EXPECT_EQ(s.cc.hystart().last_round_min_rtt(), 20_ms);
  EXPECT_EQ(s.cc.hystart().current_round_min_rtt(), 30_ms);
  // The ACK that brought the eighth sample already grows at CSS's rate: CSS_GROWTH_DIVISOR 4.
  EXPECT_EQ(s.cc.cwnd(), 81 * kMss + kMss / 4);
  std::uint32_t before = s.cc.cwnd();
  s.ack(delay_grows_at_round_3);
  EXPECT_EQ(s.cc.cwnd(), before + kMss / 4);
  // CSS lasts until CSS_ROUNDS rounds are complete, the round it began in counting.
  while (s.round < 8) {
    EXPECT_EQ(s.cc.hystart().phase(), HyStartPlusPlus::Phase::kConservativeSlowStart)
        << "round " << s.round;
    s.ack(delay_grows_at_round_3);
  }
  EXPECT_EQ(s.cc.hystart().phase(), HyStartPlusPlus::Phase::kDone);
  EXPECT_EQ(s.cc.ssthresh(), 235500u);  // the cwnd when the fifth CSS round ended
  // The ACK that ended CSS is already an avoidance ACK: RFC 9438 §4.10, the first epoch after
  // a loss-free exit starts with W_max = cwnd and K = 0 (and grows a few bytes on it).
  EXPECT_EQ(s.cc.epoch_start(), s.now - 1_ms);
  EXPECT_NEAR(s.cc.w_max(), s.cc.ssthresh(), 1.0);
  EXPECT_DOUBLE_EQ(s.cc.k_seconds(), 0.0);
  EXPECT_DOUBLE_EQ(s.cc.cwnd_prior(), s.cc.w_max());
  EXPECT_GE(s.cc.cwnd(), s.cc.ssthresh());
  EXPECT_LT(s.cc.cwnd(), s.cc.ssthresh() + kMss / 10);
}

Duration jitter_at_round_3(int round) {
  if (round < 3) return 20_ms;
  return round == 3 ? 30_ms : 19_ms;
}

// RFC 9406 §4.2: in CSS a round whose minimum RTT is below cssBaselineMinRtt means the
// increase was jitter: back to standard slow start.
TEST(HyStartPlusPlus, RttBelowBaselineInCssResumesSlowStart) {
  SlowStartSender s;
  while (s.round < 4) s.ack(jitter_at_round_3);
  ASSERT_EQ(s.cc.hystart().phase(), HyStartPlusPlus::Phase::kConservativeSlowStart);
  for (int i = 0; i < 8; ++i) s.ack(jitter_at_round_3);
  EXPECT_EQ(s.cc.hystart().phase(), HyStartPlusPlus::Phase::kSlowStart);
  std::uint32_t before = s.cc.cwnd();
  s.ack(jitter_at_round_3);
  EXPECT_EQ(s.cc.cwnd(), before + kMss);
}

Duration steady_20ms(int) { return 20_ms; }

// A loss during slow start ends HyStart++ (RFC 9406 §4.2); a steady RTT never leaves slow
// start on its own.
TEST(HyStartPlusPlus, SteadyRttStaysInSlowStartUntilLoss) {
  SlowStartSender s;
  while (s.round < 5) s.ack(steady_20ms);
  EXPECT_EQ(s.cc.hystart().phase(), HyStartPlusPlus::Phase::kSlowStart);
  EXPECT_EQ(s.cc.ssthresh(), kNoSsthresh);
  s.cc.on_enter_recovery(s.now, s.cc.cwnd(), kMss);
  EXPECT_EQ(s.cc.hystart().phase(), HyStartPlusPlus::Phase::kDone);
}

}  // namespace
}  // namespace ustack
