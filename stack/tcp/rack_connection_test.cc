// RACK-TLP in the connection (RFC 8985), packet by packet in virtual time: the tail-loss probe
// and what its ACK reveals, RACK's time-based loss marks and reordering timer, reordering that
// is not retransmitted, the D-SACK-widened reordering window and its decay, a lost
// retransmission found without an RTO, and the switch that turns it all off.
//
// Every test starts from a handshake with a 100 ms round trip: SRTT 100 ms, RTTVAR 50 ms,
// RTO 300 ms, RACK.min_RTT 100 ms, so RACK's reordering window is min_RTT/4 = 25 ms and the
// PTO 2*SRTT = 200 ms. Segments carry 1448 bytes (MSS 1460 less the timestamp option).
#include <gtest/gtest.h>

#include "stack/tcp/testbed.h"

namespace ustack::testing {
namespace {

using namespace ustack::literals;

constexpr std::uint32_t kSeg = 1448;

TcpLayerConfig rack_config(bool rack = true) {
  TcpLayerConfig c = TcpTestbed::default_config();
  c.tcp.rack = rack;
  return c;
}

TcpTestbed established_100ms(TcpLayerConfig cfg = rack_config(), bool peer_sack = true) {
  TcpTestbed t = TcpTestbed::listening(80, cfg);
  SegSpec syn = seg().syn().seq(1000).win(64240).mss(1460).ts(100, 0).wscale(7);
  if (peer_sack) syn.sack_perm();
  t.inject(syn);
  t.expect(seg().syn().ack(1001));
  t.at(100_ms).inject(seg().seq(1001).ack(1).win(502).ts(101, _));
  t.accept();
  return t;
}

// Relative sequence number of segment i (0-based) of a burst starting at relative seq 1.
std::uint32_t seq_of(int i) { return 1 + static_cast<std::uint32_t>(i) * kSeg; }

// A data segment of ours: ACKs the peer's 1001, full-sized unless told.
SegSpec out(std::uint32_t seq, std::uint32_t len = kSeg) {
  return seg().ack(1001).seq(seq).len(len);
}

// Sends n full segments at the current time and checks they go out back to back.
std::uint32_t send_burst(TcpTestbed& t, int n, int first = 0) {
  t.send(std::string(static_cast<std::size_t>(n) * kSeg, 'x'));
  for (int i = first; i < first + n; ++i) t.expect(out(seq_of(i)));
  return t.last_tsval();
}

TcpStats stats(TcpTestbed& t) { return *t.layer().stats(t.conn()); }

// RFC 8985 §7: the last two segments of a flight are lost and no ACK comes back for them. The
// PTO (2*SRTT, two segments in flight) fires 200 ms after the last ACK, before the 300 ms RTO;
// the probe resends the last segment, its SACK lets RACK mark the other lost, and both are
// repaired without a timeout.
TEST(TcpRack, TailLossIsRepairedByAProbeAtTwoSrtt) {
  TcpTestbed t = established_100ms();
  t.at(1_s);
  send_burst(t, 4);
  t.at(1100_ms).inject(seg().seq(1001).ack(seq_of(2)).win(502).ts(102, _));
  EXPECT_EQ(t.expect_next(out(seq_of(3))), 1300_ms);  // the probe
  t.at(1400_ms).inject(
      seg().seq(1001).ack(seq_of(2)).win(502).ts(103, _).sack(seq_of(3), seq_of(4)));
  t.expect(out(seq_of(2)));  // RACK: sent before the SACKed probe, RTT gone
  t.at(1500_ms).inject(seg().seq(1001).ack(seq_of(4)).win(502).ts(104, _));
  t.expect_nothing_until(5_s);
  TcpStats st = stats(t);
  EXPECT_EQ(st.retrans_rto, 0u);
  EXPECT_EQ(st.rack.tlp_probes, 1u);
  EXPECT_EQ(st.rack.lost, 1u);
  EXPECT_EQ(st.retrans_fast, 1u);
  // The layer sums them for its counters (`ustack` prints tlp_probes, rack_lost).
  EXPECT_EQ(t.layer().counters().rack.tlp_probes, 1u);
  EXPECT_EQ(t.layer().counters().rack.lost, 1u);
}

// RACK-TLP needs SACK (Linux runs it only with SACK): with a peer that does not SACK the tail
// is left to the RTO and holes to three duplicate ACKs, as before.
TEST(TcpRack, WithoutSackThePeerGetsTheRtoAndDuplicateAcks) {
  TcpTestbed t = established_100ms(rack_config(), /*peer_sack=*/false);
  t.at(1_s);
  send_burst(t, 4);
  t.at(1100_ms).inject(seg().seq(1001).ack(seq_of(2)).win(502).ts(102, _));
  EXPECT_EQ(t.expect_next(out(seq_of(2))), 1400_ms);  // the RTO, no probe at 1300 ms
  EXPECT_EQ(stats(t).retrans_rto, 1u);
  EXPECT_EQ(stats(t).rack.tlp_probes, 0u);
}

// RFC 8985 §7.2/§7.4: with one segment in flight the PTO allows for a delayed ACK (2*SRTT +
// 200 ms, capped at the RTO, and the probe wins the tie). The probe's ACK alone cannot tell a
// lost original from a late one; the next ACK beyond TLP.end_seq without a D-SACK says the
// probe repaired a loss, and cwnd comes down once.
TEST(TcpRack, SingleTailLossProbeCountsARecoveryAndReducesCwnd) {
  TcpTestbed t = established_100ms();
  t.at(1_s);
  send_burst(t, 3);
  t.at(1100_ms).inject(seg().seq(1001).ack(seq_of(2)).win(502).ts(102, _));
  EXPECT_EQ(t.expect_next(out(seq_of(2))), 1400_ms);  // PTO = RTO = 300 ms
  t.at(1500_ms).inject(seg().seq(1001).ack(seq_of(3)).win(502).ts(103, _));
  std::uint32_t cwnd = stats(t).cwnd;
  EXPECT_EQ(stats(t).rack.tlp_recoveries, 0u);
  t.at(2_s);
  send_burst(t, 1, 3);
  t.at(2100_ms).inject(seg().seq(1001).ack(seq_of(4)).win(502).ts(104, _));
  TcpStats st = stats(t);
  EXPECT_EQ(st.rack.tlp_probes, 1u);
  EXPECT_EQ(st.rack.tlp_recoveries, 1u);
  EXPECT_LT(st.cwnd, cwnd);
  EXPECT_EQ(st.retrans_rto, 0u);
}

// RFC 8985 §6.2: one segment SACKed after a hole (no three duplicate ACKs) is enough: the
// hole is lost once RACK.rtt + reo_wnd (min_RTT/4 = 25 ms) has passed since it was sent, which
// the reordering timer waits for.
TEST(TcpRack, OneSackAfterTheHoleMarksItLostAfterTheReorderTimer) {
  TcpTestbed t = established_100ms();
  t.at(1_s);
  send_burst(t, 2);
  t.at(1100_ms).inject(seg().seq(1001).ack(1).win(502).ts(102, _).sack(seq_of(1), seq_of(2)));
  t.expect_nothing_until(1124_ms);
  EXPECT_EQ(t.expect_next(out(1)), 1125_ms);
  TcpStats st = stats(t);
  EXPECT_EQ(st.rack.lost, 1u);
  EXPECT_EQ(st.retrans_fast, 1u);
  EXPECT_EQ(st.dup_acks_in, 1u);
  t.at(1225_ms).inject(seg().seq(1001).ack(seq_of(2)).win(502).ts(103, _));
  t.expect_nothing_until(5_s);
  EXPECT_EQ(stats(t).retrans_rto, 0u);
}

// Without RACK the same single SACK does nothing until the RTO (300 ms after the send).
TEST(TcpRack, SwitchedOffTheSameHoleWaitsForTheRto) {
  TcpTestbed t = established_100ms(rack_config(false));
  t.at(1_s);
  send_burst(t, 2);
  t.at(1100_ms).inject(seg().seq(1001).ack(1).win(502).ts(102, _).sack(seq_of(1), seq_of(2)));
  EXPECT_EQ(t.expect_next(out(1)), 1300_ms);
  EXPECT_EQ(stats(t).retrans_rto, 1u);
  EXPECT_EQ(stats(t).rack.lost, 0u);
}

// RFC 8985 §6.2: a segment that arrives late but within the reordering window is not resent.
TEST(TcpRack, ReorderingWithinTheWindowIsNotRetransmitted) {
  TcpTestbed t = established_100ms();
  t.at(1_s);
  send_burst(t, 2);
  t.at(1100_ms).inject(seg().seq(1001).ack(1).win(502).ts(102, _).sack(seq_of(1), seq_of(2)));
  t.at(1120_ms).inject(seg().seq(1001).ack(seq_of(2)).win(502).ts(103, _));
  t.expect_nothing_until(5_s);
  TcpStats st = stats(t);
  EXPECT_EQ(st.rack.lost, 0u);
  EXPECT_EQ(st.bytes_retrans, 0u);
}

// One round of: two segments, the second SACKed 100 ms later, the first resent when the
// reordering window ends and acknowledged 100 ms after that (the final ACK echoes the resend,
// so the loss was genuine and min_RTT stays 100 ms); returns when (relative to the round's
// start) the resend went out. `dsack` makes the final ACK report the resend as a duplicate
// (the original was only late: the recovery is undone, undo.h).
Duration hole_round(TcpTestbed& t, int round, Duration start, bool dsack) {
  int first = 2 * round;
  t.at(start);
  std::uint32_t tsval = send_burst(t, 2, first);
  t.at(start + 100_ms)
      .inject(seg()
                  .seq(1001)
                  .ack(seq_of(first))
                  .win(502)
                  .ts(200 + 2 * round, tsval)
                  .sack(seq_of(first + 1), seq_of(first + 2)));
  Duration at = t.expect_next(out(seq_of(first)), 1_s);
  SegSpec ack = seg().seq(1001).ack(seq_of(first + 2)).win(502).ts(201 + 2 * round, t.last_tsval());
  if (dsack) ack.sack(seq_of(first), seq_of(first + 1));
  t.at(at + 100_ms).inject(ack);
  return at - start;
}

// RFC 8985 §6.2 step 4: a D-SACK shows a retransmission was spurious, so the reordering
// window grows to 2 * min_RTT/4 and stays for 16 recoveries; after the 16th without D-SACK it
// is min_RTT/4 again.
TEST(TcpRack, DsackWidensTheReorderingWindowUntil16RecoveriesPass) {
  TcpTestbed t = established_100ms();
  EXPECT_EQ(hole_round(t, 0, 1_s, /*dsack=*/true), 125_ms);
  for (int i = 1; i <= 16; ++i) {
    EXPECT_EQ(hole_round(t, i, Duration::seconds(1 + i), false), 150_ms) << "round " << i;
  }
  EXPECT_EQ(hole_round(t, 17, 18_s, false), 125_ms);
  EXPECT_EQ(stats(t).retrans_rto, 0u);
  EXPECT_EQ(stats(t).rack.undo_dsack, 1u);  // round 0 only
}

// RFC 8985 §6.1 (lost retransmissions): the fast retransmission is lost too; a segment sent
// after it is SACKed, so RACK, which orders by transmission time, resends the hole again at
// once - well before the RTO.
TEST(TcpRack, LostRetransmissionIsFoundWithoutAnRto) {
  TcpTestbed t = established_100ms();
  t.at(1_s);
  send_burst(t, 2);
  t.at(1100_ms).inject(seg().seq(1001).ack(1).win(502).ts(102, _).sack(seq_of(1), seq_of(2)));
  EXPECT_EQ(t.expect_next(out(1)), 1125_ms);  // lost again
  t.at(1130_ms);
  send_burst(t, 1, 2);  // new data after the retransmission
  t.at(1230_ms).inject(seg().seq(1001).ack(1).win(502).ts(103, _).sack(seq_of(1), seq_of(3)));
  EXPECT_EQ(t.expect_next(out(1)), 1230_ms);
  t.at(1330_ms).inject(seg().seq(1001).ack(seq_of(3)).win(502).ts(104, _));
  t.expect_nothing_until(5_s);
  TcpStats st = stats(t);
  EXPECT_EQ(st.retrans_rto, 0u);
  EXPECT_EQ(st.rack.lost, 2u);
  EXPECT_EQ(st.retrans_fast, 1u);  // one recovery episode
}

// RFC 8985 §7.3: when unsent data waits and the receive window allows, the probe is new data
// (here Nagle held a small tail back while a small segment was in flight).
TEST(TcpRack, ProbeSendsNewDataWhenThereIsSome) {
  TcpTestbed t = established_100ms();
  t.at(1_s);
  send_burst(t, 2);
  t.send("abc");  // held back by Nagle? no: full segments are in flight, so it goes at once
  t.expect(seg().ack(1001).seq(seq_of(2)).data("abc"));
  t.send("def");  // a small segment is unacknowledged: Nagle holds this one
  t.expect_nothing();
  // The PTO fires (three segments in flight: 2*SRTT) and the probe carries "def".
  EXPECT_EQ(t.expect_next(seg().ack(1001).seq(seq_of(2) + 3).data("def")), 1200_ms);
  EXPECT_EQ(stats(t).rack.tlp_probes, 1u);
  EXPECT_EQ(stats(t).bytes_retrans, 0u);
}

}  // namespace
}  // namespace ustack::testing
