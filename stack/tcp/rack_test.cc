// RACK-TLP as a pure module (RFC 8985): the per-segment scoreboard, RACK_detect_loss, the
// reordering window and its D-SACK adaptation, the windowed min_RTT, the PTO and the TLP
// episode. The packet-level behaviour is in rack_connection_test.cc.
#include "stack/tcp/rack.h"

#include <gtest/gtest.h>

#include <vector>

#include "stack/tcp/sent_queue.h"

namespace ustack {
namespace {

using namespace ustack::literals;

constexpr std::uint32_t kMss = 1000;
const Instant kT0 = Instant() + 1_s;

// Sends `n` segments of kMss from `base`, one every `gap`, starting at `at`.
void send_segments(SentQueue& q, SeqNum base, int n, Instant at, Duration gap) {
  for (int i = 0; i < n; ++i) {
    SeqNum s = base + static_cast<std::uint32_t>(i) * kMss;
    q.on_transmit(s, s + kMss, s, at + gap * i);
  }
}

TEST(SentQueue, CountsFlightSackedAndLostBytes) {
  SentQueue q;
  send_segments(q, SeqNum(1), 4, kT0, 1_ms);
  EXPECT_EQ(q.size(), 4u);
  EXPECT_EQ(q.pipe(), 4 * kMss);
  std::vector<std::uint32_t> delivered;
  q.on_sack(SeqNum(2001), SeqNum(3001),
            [&](const SentSegment& s) { delivered.push_back(s.start.raw()); });
  EXPECT_EQ(delivered, std::vector<std::uint32_t>{2001});
  EXPECT_EQ(q.segs_sacked(), 1u);
  EXPECT_EQ(q.pipe(), 3 * kMss);
  q.for_each([&](SentSegment& s) {
    if (s.start == SeqNum(1)) q.mark_lost(s);
  });
  EXPECT_EQ(q.pipe(), 2 * kMss);
  ASSERT_NE(q.first_lost(), nullptr);
  EXPECT_EQ(q.first_lost()->start, SeqNum(1));
  // Retransmitting it clears "lost" and stamps it.
  q.on_transmit(SeqNum(1), SeqNum(1001), SeqNum(4001), kT0 + 50_ms);
  EXPECT_EQ(q.first_lost(), nullptr);
  EXPECT_EQ(q.pipe(), 3 * kMss);
  // The cumulative ACK reports the unSACKed segments only.
  delivered.clear();
  q.on_cumulative_ack(SeqNum(3001),
                      [&](const SentSegment& s) { delivered.push_back(s.start.raw()); });
  EXPECT_EQ(delivered, (std::vector<std::uint32_t>{1, 1001}));
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.segs_sacked(), 0u);
  EXPECT_EQ(q.pipe(), kMss);
}

TEST(SentQueue, RetransmissionAndSackSplitSegments) {
  SentQueue q;
  send_segments(q, SeqNum(1), 2, kT0, 1_ms);
  // A retransmission of [501, 1501) after an MSS change: three entries, the middle two resent.
  q.on_transmit(SeqNum(501), SeqNum(1501), SeqNum(2001), kT0 + 10_ms);
  EXPECT_EQ(q.size(), 4u);
  int retransmitted = 0;
  q.for_each([&](SentSegment& s) { retransmitted += s.retransmitted ? 1 : 0; });
  EXPECT_EQ(retransmitted, 2);
  q.on_sack(SeqNum(1501), SeqNum(1801), [](const SentSegment&) {});
  EXPECT_EQ(q.size(), 5u);
  EXPECT_EQ(q.pipe(), 2000u - 300u);
  q.on_cumulative_ack(SeqNum(1201), [](const SentSegment&) {});
  EXPECT_EQ(q.pipe(), 2000u - 1200u - 300u);
}

// Sequence numbers compare modulo 2^32: a flight across the wrap keeps its order.
TEST(SentQueue, WorksAcrossTheSequenceWrap) {
  SentQueue q;
  SeqNum base(0xffffffffu - 1500);
  send_segments(q, base, 3, kT0, 1_ms);
  q.on_sack(base + 2000, base + 3000, [](const SentSegment&) {});
  EXPECT_EQ(q.segs_sacked(), 1u);
  q.on_cumulative_ack(base + 1000, [](const SentSegment&) {});
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.pipe(), 0u + kMss);
}

TEST(WindowedMinFilter, KeepsTheMinimumOfTheWindow) {
  WindowedMinFilter f(10_s);
  EXPECT_FALSE(f.get());
  f.update(kT0, 50_ms);
  f.update(kT0 + 1_s, 80_ms);
  f.update(kT0 + 2_s, 40_ms);
  EXPECT_EQ(*f.get(), 40_ms);
  f.update(kT0 + 6_s, 70_ms);
  EXPECT_EQ(*f.get(), 40_ms);
  // Once the minimum is older than the window, a later candidate takes over.
  f.update(kT0 + 13_s, 90_ms);
  EXPECT_EQ(*f.get(), 70_ms);
}

// A flight of `n` segments sent `gap` apart from kT0, on a path whose min_RTT is 100 ms.
struct Flight {
  Flight(int n, Duration gap) {
    r.on_rtt_sample(kT0, 100_ms);
    send_segments(q, SeqNum(1), n, kT0, gap);
  }
  // Delivers [left, right) to RACK as a SACK at `now`.
  void sack(std::uint32_t left, std::uint32_t right, Instant now) {
    q.on_sack(SeqNum(left), SeqNum(right),
              [&](const SentSegment& s) { r.on_delivered(now, s, false); });
  }
  SentQueue q;
  Rack r;
};

// RFC 8985 §6.2 step 5: a segment sent before a delivered one is lost once RACK.rtt + reo_wnd
// has passed since it was sent; until then the reordering timer covers it.
TEST(Rack, LostAfterTheReorderingWindow) {
  Flight f(2, 2_ms);
  SentQueue& q = f.q;
  Rack& r = f.r;
  f.sack(1001, 2001, kT0 + 102_ms);
  EXPECT_EQ(r.rtt(), 100_ms);
  EXPECT_EQ(r.reo_wnd(false, q.segs_sacked(), 100_ms), 25_ms);  // min_RTT / 4
  std::vector<std::uint32_t> lost;
  auto on_lost = [&](const SentSegment& s) { lost.push_back(s.start.raw()); };
  // At t0+102ms the first segment has 100 + 25 - 102 ms of window left.
  Rack::Detection d = r.detect_loss(kT0 + 102_ms, q, false, 100_ms, on_lost);
  EXPECT_EQ(d.lost, 0u);
  EXPECT_EQ(d.timeout, 23_ms);
  d = r.detect_loss(kT0 + 125_ms, q, false, 100_ms, on_lost);
  EXPECT_EQ(d.lost, 1u);
  EXPECT_EQ(lost, std::vector<std::uint32_t>{1});
  EXPECT_EQ(d.timeout, 0_ms);
  ASSERT_NE(q.first_lost(), nullptr);
}

// §6.2 step 4: with DupThresh segments SACKed and no reordering seen, no window at all.
TEST(Rack, NoWindowOnceDupThreshSegmentsAreSacked) {
  Flight f(4, 0_ms);
  SentQueue& q = f.q;
  Rack& r = f.r;
  f.sack(1001, 4001, kT0 + 100_ms);
  EXPECT_EQ(r.reo_wnd(false, q.segs_sacked(), 100_ms), 0_ms);
  Rack::Detection d = r.detect_loss(kT0 + 100_ms, q, false, 100_ms, [](const SentSegment&) {});
  EXPECT_EQ(d.lost, 1u);
}

// §6.2 step 3: a never-retransmitted segment delivered below RACK.fack is reordering, which
// keeps the window open even with DupThresh SACKs and in recovery.
TEST(Rack, ReorderingSeenKeepsTheWindow) {
  Flight f(5, 0_ms);
  SentQueue& q = f.q;
  Rack& r = f.r;
  f.sack(2001, 5001, kT0 + 100_ms);
  EXPECT_FALSE(r.reordering_seen());
  f.sack(1001, 2001, kT0 + 101_ms);
  EXPECT_TRUE(r.reordering_seen());
  EXPECT_EQ(r.reo_wnd(true, q.segs_sacked(), 100_ms), 25_ms);
  // ... but never more than SRTT.
  EXPECT_EQ(r.reo_wnd(true, q.segs_sacked(), 10_ms), 10_ms);
}

// An undone fast retransmit (undo.h) counts as reordering seen (Linux tcp_try_undo_partial ->
// tcp_check_sack_reordering), so DupThresh SACKs no longer zero the window, and keeps a widened
// window one recovery longer (tcp_try_undo_dsack).
TEST(Rack, SpuriousRetransmissionKeepsTheWindow) {
  Flight f(4, 0_ms);
  f.sack(1001, 4001, kT0 + 100_ms);
  Rack& r = f.r;
  EXPECT_EQ(r.reo_wnd(true, f.q.segs_sacked(), 100_ms), 0_ms);
  r.on_spurious_retransmission();
  EXPECT_TRUE(r.reordering_seen());
  EXPECT_EQ(r.reo_wnd(true, f.q.segs_sacked(), 100_ms), 25_ms);
  EXPECT_EQ(r.reo_wnd_persist(), 1);
}

// SentQueue::unmark_all_lost: after an undo nothing in flight is lost any more.
TEST(SentQueue, UnmarkAllLostClearsTheLostBytes) {
  Flight f(4, 0_ms);
  f.sack(1001, 2001, kT0 + 100_ms);
  f.q.mark_all_lost();
  EXPECT_EQ(f.q.pipe(), 0u);
  f.q.unmark_all_lost();
  EXPECT_EQ(f.q.first_lost(), nullptr);
  EXPECT_EQ(f.q.pipe(), 3000u);
}

// §6.2 step 4: a D-SACK grows reo_wnd_mult once per round trip; the widened window lasts 16
// recoveries without D-SACK, then returns to min_RTT/4.
TEST(Rack, DsackWidensTheWindowAndItDecaysAfter16Recoveries) {
  Rack r;
  r.on_rtt_sample(kT0, 100_ms);
  r.on_ack_dsack(true, SeqNum(1000), SeqNum(5000));
  EXPECT_EQ(r.reo_wnd_mult(), 2u);
  EXPECT_EQ(r.reo_wnd_persist(), 16);
  EXPECT_EQ(r.dsack_round(), SeqNum(5000));
  // More D-SACKs in the same round trip do not grow it again.
  r.on_ack_dsack(true, SeqNum(3000), SeqNum(6000));
  EXPECT_EQ(r.reo_wnd_mult(), 2u);
  // The next round trip's D-SACK does.
  r.on_ack_dsack(true, SeqNum(5000), SeqNum(9000));
  EXPECT_EQ(r.reo_wnd_mult(), 3u);
  EXPECT_EQ(r.reo_wnd(false, 0, 1_s), 75_ms);
  for (int i = 0; i < 15; ++i) r.on_recovery_exit();
  EXPECT_EQ(r.reo_wnd_mult(), 3u);
  r.on_recovery_exit();
  EXPECT_EQ(r.reo_wnd_mult(), 1u);
  EXPECT_EQ(r.reo_wnd(false, 0, 1_s), 25_ms);
}

// RACK_update(): an ACK of a retransmitted segment whose echo predates the retransmission,
// or whose RTT is below min_RTT, is for the original: it does not move RACK.xmit_ts.
TEST(Rack, AmbiguousAckOfARetransmissionIsIgnored) {
  Flight f(1, 0_ms);
  SentQueue& q = f.q;
  Rack& r = f.r;
  q.on_transmit(SeqNum(1), SeqNum(1001), SeqNum(1001), kT0 + 300_ms);
  q.on_cumulative_ack(SeqNum(1001), [&](const SentSegment& s) {
    r.on_delivered(kT0 + 310_ms, s, false);  // 10 ms < min_RTT
  });
  EXPECT_FALSE(r.advanced());
}

// RFC 8985 §7.2.
TEST(Tlp, ProbeTimeout) {
  EXPECT_EQ(tlp_pto(100_ms, false, 200_ms, 1_s), 200_ms);
  EXPECT_EQ(tlp_pto(100_ms, true, 200_ms, 1_s), 400_ms);     // + worst-case delayed ACK
  EXPECT_EQ(tlp_pto(100_ms, true, 200_ms, 300_ms), 300_ms);  // never after the RTO
  EXPECT_EQ(tlp_pto(std::nullopt, false, 200_ms, 3_s), 1_s);
  EXPECT_EQ(tlp_choose_probe(true), TlpProbe::kNewData);
  EXPECT_EQ(tlp_choose_probe(false), TlpProbe::kRetransmitLast);
}

// RFC 8985 §7.4.
TEST(Tlp, EpisodeVerdicts) {
  TlpEpisode e;
  e.on_probe_sent(SeqNum(5001), true);
  EXPECT_TRUE(e.active());
  EXPECT_EQ(e.on_ack(SeqNum(4001), false, false), TlpEpisode::Verdict::kPending);
  EXPECT_EQ(e.on_ack(SeqNum(5001), false, false), TlpEpisode::Verdict::kPending);
  EXPECT_EQ(e.on_ack(SeqNum(6001), false, false), TlpEpisode::Verdict::kLossRepaired);
  EXPECT_FALSE(e.active());

  e.on_probe_sent(SeqNum(5001), true);
  EXPECT_EQ(e.on_ack(SeqNum(5001), true, true), TlpEpisode::Verdict::kNoLoss);
  e.on_probe_sent(SeqNum(5001), true);
  EXPECT_EQ(e.on_ack(SeqNum(5001), false, true), TlpEpisode::Verdict::kNoLoss);
  e.on_probe_sent(SeqNum(5001), false);
  EXPECT_EQ(e.on_ack(SeqNum(5001), false, false), TlpEpisode::Verdict::kNoLoss);
}

}  // namespace
}  // namespace ustack
