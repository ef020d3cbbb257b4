// Undo of spurious retransmissions in the connection (undo.h), packet by packet in virtual
// time: a timeout whose ACKs were only late (Eifel, RFC 3522), a fast retransmit caused by
// reordering and shown spurious by a D-SACK (RFC 2883, RFC 3708) or by timestamps (with and
// without SACK), and the genuine losses that must keep their reduction.
//
// Every test starts from a handshake with a 100 ms round trip: SRTT 100 ms, RTTVAR 50 ms, RTO
// 300 ms, RACK.min_RTT 100 ms. Segments carry 1448 bytes (MSS 1460 less the timestamp option);
// the initial window is ten of them, ssthresh unset.
#include <gtest/gtest.h>

#include "stack/tcp/testbed.h"

namespace ustack::testing {
namespace {

using namespace ustack::literals;

constexpr std::uint32_t kSeg = 1448;

TcpTestbed established_100ms(bool rack, bool peer_sack = true) {
  TcpLayerConfig cfg = TcpTestbed::default_config();
  cfg.tcp.rack = rack;
  return TcpTestbed::established(cfg, {}, /*peer_ts=*/true, peer_sack, 7, 100_ms);
}

std::uint32_t seq_of(int i) { return 1 + static_cast<std::uint32_t>(i) * kSeg; }
SegSpec out(std::uint32_t seq) { return seg().ack(1001).seq(seq).len(kSeg); }
// An ACK from the peer with TSval `tsval` echoing `ecr`.
SegSpec ack(int segs_acked, std::uint32_t tsval, std::uint32_t ecr) {
  return seg().seq(1001).ack(seq_of(segs_acked)).win(502).ts(tsval, ecr);
}
TcpStats stats(TcpTestbed& t) { return *t.layer().stats(t.conn()); }

// Sends four full segments at 1 s; returns their TSval.
std::uint32_t send_four(TcpTestbed& t) {
  t.at(1_s);
  t.send(std::string(4 * kSeg, 'x'));
  for (int i = 0; i < 4; ++i) t.expect(out(seq_of(i)));
  return t.last_tsval();
}

// RFC 3522 §2 (Eifel) / Linux tcp_try_undo_loss: the ACKs are delayed past the RTO, which
// resends the head and collapses cwnd; the first ACK then echoes the originals' TSval, so the
// originals arrived and the timeout was spurious: cwnd and ssthresh come back and the
// go-back-N walk stops (segments 2 and 3 are not resent).
void spurious_rto(bool rack) {
  TcpTestbed t = established_100ms(rack);
  std::uint32_t original = send_four(t);
  TcpStats before = stats(t);
  if (rack) {
    // RACK-TLP first probes with the last segment (PTO 2*SRTT), then the RTO resends the head.
    EXPECT_EQ(t.expect_next(out(seq_of(3))), 1200_ms);
  }
  Duration rto = t.expect_next(out(seq_of(0)));
  std::uint32_t resend = t.last_tsval();
  EXPECT_EQ(stats(t).cwnd, kSeg);
  t.at(rto + 50_ms).inject(ack(2, 102, original));
  EXPECT_EQ(stats(t).cwnd, before.cwnd);
  EXPECT_EQ(stats(t).ssthresh, before.ssthresh);
  t.at(rto + 60_ms).inject(ack(4, 103, original));
  // The peer reports the resend as a duplicate; nothing changes any more.
  t.at(rto + 100_ms).inject(ack(4, 104, resend).sack(seq_of(0), seq_of(1)));
  t.expect_nothing_until(10_s);
  TcpStats st = stats(t);
  EXPECT_EQ(st.cwnd, before.cwnd);
  EXPECT_EQ(st.ssthresh, before.ssthresh);
  EXPECT_EQ(st.retrans_rto, 1u);
  EXPECT_EQ(st.rack.undo_rto, 1u);
  EXPECT_EQ(st.rack.undo_dsack, 0u);
  EXPECT_EQ(t.layer().counters().rack.undo_rto, 1u);  // `ustack` prints undo_rto
}

TEST(TcpUndo, SpuriousRtoRestoresCwndAndStopsGoBackN) { spurious_rto(/*rack=*/false); }
TEST(TcpUndo, SpuriousRtoWithRackRestoresCwndAndStopsGoBackN) { spurious_rto(/*rack=*/true); }

// The same timeout, but the ACK echoes the resend: the originals were lost, the reduction
// stays and go-back-N goes on with segments 2 and 3.
TEST(TcpUndo, GenuineRtoIsNotUndone) {
  TcpTestbed t = established_100ms(false);
  send_four(t);
  TcpStats before = stats(t);
  Duration rto = t.expect_next(out(seq_of(0)));
  std::uint32_t resend = t.last_tsval();
  t.at(rto + 100_ms).inject(ack(1, 102, resend));
  t.expect(out(seq_of(1)));
  t.expect(out(seq_of(2)));
  TcpStats st = stats(t);
  EXPECT_LT(st.ssthresh, before.ssthresh);
  EXPECT_LT(st.cwnd, before.cwnd);
  EXPECT_EQ(st.rack.undo_rto, 0u);
}

// Segment 0 is held back by the network; SACKs for 1-3 (DupThresh segments, no reordering
// seen yet) make RACK resend it at once and enter fast recovery.
struct Reordered {
  TcpTestbed t = established_100ms(true);
  std::uint32_t original = 0, resend = 0;
  TcpStats before;
  Reordered() {
    original = send_four(t);
    before = stats(t);
    t.at(1100_ms).inject(ack(0, 102, original).sack(seq_of(1), seq_of(4)));
    t.expect(out(seq_of(0)));
    resend = t.last_tsval();
    EXPECT_LT(stats(t).ssthresh, before.ssthresh);  // cwnd: ssthresh + 3 segments for now
  }
};

// RFC 2883 §4.2 / RFC 3708 §3 / Linux tcp_try_undo_dsack: the resend filled the hole first (its
// echo is no evidence), then the late original arrives and the peer D-SACKs it: every
// retransmission of the episode was a duplicate, so the reduction is taken back.
TEST(TcpUndo, DsackOfTheFastRetransmissionRestoresCwnd) {
  Reordered r;
  TcpTestbed& t = r.t;
  t.at(1150_ms).inject(ack(4, 103, r.resend));
  EXPECT_LT(stats(t).cwnd, r.before.cwnd);  // recovery over, still reduced
  t.at(1160_ms).inject(ack(4, 104, r.resend).sack(seq_of(0), seq_of(1)));
  TcpStats st = stats(t);
  EXPECT_EQ(st.cwnd, r.before.cwnd);
  EXPECT_EQ(st.ssthresh, r.before.ssthresh);
  EXPECT_EQ(st.rack.undo_dsack, 1u);
  EXPECT_EQ(st.rack.undo_recovery, 0u);
  EXPECT_EQ(t.layer().counters().rack.undo_dsack, 1u);
  // RFC 8985 §6.2 step 4 with the undo: the path reorders, so the next hole with three SACKed
  // segments after it waits out a reordering window instead of being resent at once.
  t.at(2_s);
  t.send(std::string(4 * kSeg, 'x'));
  for (int i = 4; i < 8; ++i) t.expect(out(seq_of(i)));
  std::uint32_t tsval = t.last_tsval();
  t.at(2100_ms).inject(ack(4, 105, tsval).sack(seq_of(5), seq_of(8)));
  t.expect_nothing();
  EXPECT_GT(t.expect_next(out(seq_of(4))), 2100_ms);
}

// RFC 3522 / Linux tcp_try_undo_recovery: the late original fills the hole before the resend
// arrives; the ACK that ends recovery echoes the original's TSval.
TEST(TcpUndo, TimestampOfTheOriginalUndoesAFastRetransmit) {
  Reordered r;
  TcpTestbed& t = r.t;
  t.at(1120_ms).inject(ack(4, 103, r.original));
  TcpStats st = stats(t);
  EXPECT_EQ(st.cwnd, r.before.cwnd);
  EXPECT_EQ(st.ssthresh, r.before.ssthresh);
  EXPECT_EQ(st.rack.undo_recovery, 1u);
  // The resend's D-SACK afterwards changes nothing (one undo per episode).
  t.at(1150_ms).inject(ack(4, 104, r.resend).sack(seq_of(0), seq_of(1)));
  EXPECT_EQ(stats(t).rack.undo_dsack, 0u);
  EXPECT_EQ(stats(t).cwnd, r.before.cwnd);
}

// Without SACK only timestamps can tell (RFC 3522): three duplicate ACKs resend segment 0
// (RFC 5681 §3.2), then the late original fills the hole and the ACK that ends recovery echoes
// its TSval.
TEST(TcpUndo, TimestampsUndoAFastRetransmitWithoutSack) {
  TcpTestbed t = established_100ms(false, /*peer_sack=*/false);
  t.at(1_s);
  t.send(std::string(5 * kSeg, 'x'));
  for (int i = 0; i < 5; ++i) t.expect(out(seq_of(i)));
  std::uint32_t original = t.last_tsval();
  TcpStats before = stats(t);
  for (int i = 0; i < 3; ++i) t.at(1100_ms + Duration::millis(i)).inject(ack(0, 102, original));
  t.expect(out(seq_of(0)));
  EXPECT_LT(stats(t).ssthresh, before.ssthresh);
  t.at(1120_ms).inject(ack(5, 103, original));
  TcpStats st = stats(t);
  EXPECT_EQ(st.retrans_fast, 1u);
  EXPECT_EQ(st.cwnd, before.cwnd);
  EXPECT_EQ(st.ssthresh, before.ssthresh);
  EXPECT_EQ(st.rack.undo_recovery, 1u);
}

// A genuine loss: only the resend arrives and no D-SACK ever comes - the reduction stays.
TEST(TcpUndo, GenuineLossKeepsTheReduction) {
  Reordered r;
  TcpTestbed& t = r.t;
  t.at(1200_ms).inject(ack(4, 103, r.resend));
  t.expect_nothing_until(5_s);
  TcpStats st = stats(t);
  EXPECT_LT(st.cwnd, r.before.cwnd);
  EXPECT_LT(st.ssthresh, r.before.ssthresh);
  EXPECT_EQ(st.rack.undo_recovery + st.rack.undo_dsack + st.rack.undo_rto, 0u);
}

// NewReno (Reno halves the flight: easy numbers), SACK, no RACK; ten segments out at 1 s.
TcpTestbed reno_sends_ten() {
  TcpLayerConfig cfg = TcpTestbed::default_config();
  cfg.tcp.congestion = CongestionAlgorithm::kNewReno;
  TcpTestbed t = TcpTestbed::established(cfg, {}, /*peer_ts=*/true, /*peer_sack=*/true, 7, 100_ms);
  t.at(1_s);
  t.send(std::string(10 * kSeg, 'x'));
  for (int i = 0; i < 10; ++i) t.expect(out(seq_of(i)));
  return t;
}

// Linux tcp_enter_loss: a timeout inside the window fast recovery reduced keeps that ssthresh
// ("Reduce ssthresh if it has not yet been made inside this window") and keeps the undo
// episode; a backed-off timeout of the same head keeps it too. NewReno with SACK: ten segments,
// SACKs for 1-3 resend segment 0 (RFC 6675 §5, ssthresh = FlightSize/2 = 5 segments), a
// partial ACK to 4 leaves 4-9 outstanding, then the timeout. Before, the timeout recomputed
// FlightSize/2 = 3 segments.
TEST(TcpUndo, TimeoutDuringRecoveryKeepsTheRecoverySsthresh) {
  TcpTestbed t = reno_sends_ten();
  std::uint32_t original = t.last_tsval();
  for (int i = 1; i <= 3; ++i) {
    t.at(1100_ms + Duration::millis(i))
        .inject(ack(0, 102, original).sack(seq_of(1), seq_of(i + 1)));
  }
  t.expect(out(seq_of(0)));
  std::uint32_t resend = t.last_tsval();
  EXPECT_EQ(stats(t).ca_state, CaState::kRecovery);
  EXPECT_EQ(stats(t).ssthresh, 5 * kSeg);
  t.at(1200_ms).inject(ack(4, 103, resend));
  EXPECT_EQ(stats(t).ca_state, CaState::kRecovery);
  while (t.pop()) {
  }
  Duration rto = t.expect_next(out(seq_of(4)));
  EXPECT_EQ(stats(t).ca_state, CaState::kLoss);
  EXPECT_EQ(stats(t).cwnd, kSeg);
  EXPECT_EQ(stats(t).ssthresh, 5 * kSeg);
  // The backed-off timeout of the same head: still the same window.
  t.expect_next(out(seq_of(4)));
  EXPECT_EQ(stats(t).ssthresh, 5 * kSeg);
  t.at(t.now() + 100_ms).inject(ack(10, 104, t.last_tsval()));
  TcpStats st = stats(t);
  EXPECT_EQ(st.ca_state, CaState::kOpen);
  EXPECT_EQ(st.ssthresh, 5 * kSeg);
  EXPECT_EQ(st.retrans_rto, 2u);
  EXPECT_EQ(st.rack.undo_recovery + st.rack.undo_dsack + st.rack.undo_rto, 0u);
  EXPECT_GT(rto, 1200_ms);
}

// A timeout after the timed-out head was acknowledged (Linux: Loss with icsk_retransmits
// cleared by the ACK) is a new loss in the rest of the window: ssthresh is set again, from
// what is in flight then.
TEST(TcpUndo, TimeoutAfterAPartialAckInLossReducesAgain) {
  TcpTestbed t = reno_sends_ten();
  Duration rto = t.expect_next(out(seq_of(0)));
  EXPECT_EQ(stats(t).ssthresh, 5 * kSeg);
  t.at(rto + 100_ms).inject(ack(1, 102, t.last_tsval()));
  t.expect(out(seq_of(1)));
  t.expect(out(seq_of(2)));
  t.expect_next(out(seq_of(1)));
  EXPECT_EQ(stats(t).ca_state, CaState::kLoss);
  EXPECT_EQ(stats(t).ssthresh, 4 * kSeg + kSeg / 2);  // FlightSize/2: 9 segments out
}

}  // namespace
}  // namespace ustack::testing
