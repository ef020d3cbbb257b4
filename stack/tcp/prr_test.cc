// Proportional Rate Reduction as a pure module (RFC 6937 §3): the send quantities per ACK of
// the RFC's §3.1 examples. The packet-level behaviour is in retransmit_test.cc and
// rack_connection_test.cc.
#include "stack/tcp/prr.h"

#include <gtest/gtest.h>

#include <vector>

namespace ustack {
namespace {

constexpr std::uint32_t kMss = 1000;

// The RFC 6937 §3.1 setting: bulk data, cwnd = FlightSize = pipe = 20 segments, so ssthresh =
// 10 (AIMD); limited transmit sends 2 new segments on the first 2 duplicate ACKs, the third
// enters recovery. Every ACK of the first round trip SACKs one segment (DeliveredData = 1
// SMSS). `pipe` is the RFC 6675 pipe when the ACK arrives (before sending); everything sndcnt
// allows is sent. Returns the segments sent per ACK, from the ACK that enters recovery.
std::vector<std::uint32_t> run_round(Prr& prr, std::uint32_t pipe, int acks, bool safe_ack) {
  prr.on_enter(20 * kMss, 10 * kMss, kMss);
  std::vector<std::uint32_t> sent;
  for (int i = 0; i < acks; ++i) {
    std::uint32_t sndcnt = prr.on_ack(kMss, pipe, safe_ack);
    std::uint32_t segs = sndcnt / kMss;
    prr.on_sent(segs * kMss);
    pipe = pipe + segs * kMss - kMss;  // the next ACK takes one segment out of the pipe
    sent.push_back(segs);
  }
  return sent;
}

// RFC 6937 §3.1, one loss: segment 0 lost, the third duplicate ACK (for segment 3) enters
// recovery with pipe = 22 - 3 SACKed - 1 lost = 18. PRR sends on every other ACK (the fast
// retransmit, then one new segment per two delivered) and ends the round with pipe = ssthresh.
// The RFC's figure draws the last two sends one ACK later (on the ACKs for segments 18 and
// 19) and its pipe row does not follow its own pseudocode there; this pins the pseudocode:
// CEIL(15 * 10 / 20) - 7 = 1 on the ACK for segment 17.
TEST(Prr, SingleLossSendsOnEveryOtherAckDownToSsthresh) {
  Prr prr;
  // ACKs for segments 3 .. 19.
  std::vector<std::uint32_t> sent = run_round(prr, 18 * kMss, 17, /*safe_ack=*/false);
  EXPECT_EQ(sent, (std::vector<std::uint32_t>{1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0}));
  EXPECT_EQ(prr.prr_delivered(), 17 * kMss);
  EXPECT_EQ(prr.prr_out(), 8 * kMss);
  // The flight at the end of the round: 18 + 8 sent - 17 delivered = ssthresh - 1 (the lost
  // segment's retransmission is still in flight and comes back with the full ACK).
}

// RFC 6937 §3.1, 15 losses (segments 0-14): only 5 ACKs come back in the round, the third of
// them enters recovery with pipe = 22 - 3 SACKed - 15 lost = 4, far below ssthresh.
// PRR-SSRB sends 2 per ACK (pipe 4, 5, 6: slow start during recovery, RB "bd", "d", "d").
TEST(Prr, SsrbCatchesUpLikeSlowStartAfterHeavyLoss) {
  Prr prr(Prr::Bound::kSsrb);
  EXPECT_EQ(run_round(prr, 4 * kMss, 3, /*safe_ack=*/true), (std::vector<std::uint32_t>{2, 2, 2}));
}

// The same with PRR-CRB: exactly what was delivered, one per ACK (pipe stays 4, RB "b").
TEST(Prr, CrbSendsWhatWasDelivered) {
  Prr prr(Prr::Bound::kCrb);
  EXPECT_EQ(run_round(prr, 4 * kMss, 3, /*safe_ack=*/true), (std::vector<std::uint32_t>{1, 1, 1}));
}

// Linux tcp_cwnd_reduction (and RFC 9937): the extra SMSS only on an ACK that advanced
// SND.UNA without a new loss. The example's ACKs only SACK, so SSRB sends what they deliver.
TEST(Prr, SsrbExtraSegmentOnlyOnSafeAcks) {
  Prr prr(Prr::Bound::kSsrb);
  EXPECT_EQ(run_round(prr, 4 * kMss, 3, /*safe_ack=*/false), (std::vector<std::uint32_t>{1, 1, 1}));
}

// SSRB's catch-up never overshoots ssthresh.
TEST(Prr, ReductionBoundStopsAtSsthresh) {
  Prr prr;
  prr.on_enter(20 * kMss, 10 * kMss, kMss);
  prr.on_sent(kMss);
  // Banked 30 segments (a stretch ACK), pipe 9: only ssthresh - pipe = 1 segment.
  EXPECT_EQ(prr.on_ack(30 * kMss, 9 * kMss), kMss);
}

// Linux tcp_cwnd_reduction: the first ACK of recovery lets the fast retransmit out even when
// the proportional share rounds to zero (here CEIL(1 * 1 / 100) = 1 byte).
TEST(Prr, FirstAckAlwaysAllowsTheFastRetransmit) {
  Prr prr;
  prr.on_enter(100 * kMss, 1, kMss);
  EXPECT_EQ(prr.on_ack(1, 50 * kMss), kMss);
  prr.on_sent(kMss);
  EXPECT_EQ(prr.on_ack(kMss, 50 * kMss), 0u);
}

// In bytes the share is rounded up to whole segments, as Linux computes it in segments: with
// CUBIC (ssthresh = 0.7 * RecoverFS) and 2 segments delivered, CEIL(2920 * 10220 / 14600) =
// 2044 bytes becomes 2 segments, less the one sent.
TEST(Prr, RoundsTheProportionalShareUpToWholeSegments) {
  Prr prr;
  prr.on_enter(14600, 10220, 1460);
  prr.on_sent(1460);
  EXPECT_EQ(prr.on_ack(2920, 13000), 1460u);
}

}  // namespace
}  // namespace ustack
