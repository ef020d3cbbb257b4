// Reliability and flow control: RFC 6298 (RTO, backoff, Karn), RFC 5681 §3.2 / RFC 6582
// (fast retransmit, NewReno), retries2 give-up, zero-window probing (RFC 9293 §3.8.6.1),
// receive window and SWS avoidance (RFC 9293 §3.8.6.2), window updates.
#include <gtest/gtest.h>

#include "stack/tcp/testbed.h"

namespace ustack::testing {
namespace {

using namespace ustack::literals;

TcpSocketOptions nodelay() {
  TcpSocketOptions o;
  o.nodelay = true;
  return o;
}

TcpSocketOptions small_rcvbuf() {
  TcpSocketOptions o;
  o.recv_buffer = 4096;
  return o;
}

TcpTestbed plain(TcpSocketOptions o = {}) {
  return TcpTestbed::established(TcpTestbed::default_config(), o, false);
}

// RFC 6298 §5.4-5.6: retransmit the earliest unacknowledged segment when the timer expires,
// doubling the RTO each time; RTO_min is 200 ms like Linux.
TEST(TcpRetransmit, RtoRetransmitsWithExponentialBackoff) {
  TcpTestbed t = plain();
  t.send("hello");
  t.expect(seg().ack(1001).seq(1).data("hello"));
  EXPECT_EQ(t.expect_next(seg().ack(1001).seq(1).data("hello")), 200_ms);
  EXPECT_EQ(t.expect_next(seg().ack(1001).seq(1).data("hello")), 600_ms);
  EXPECT_EQ(t.expect_next(seg().ack(1001).seq(1).data("hello")), 1400_ms);
  t.inject(seg().ack(6).seq(1001));
  t.expect_nothing_until(10_s);
  TcpStats st = *t.layer().stats(t.conn());
  EXPECT_EQ(st.retrans_rto, 3u);
  EXPECT_EQ(st.bytes_retrans, 15u);
}

// RFC 6298 §5.3: an ACK for new data restarts the retransmission timer.
TEST(TcpRetransmit, AckOfNewDataRestartsTimer) {
  TcpTestbed t = plain(nodelay());
  t.send("aaaa");
  t.expect(seg().seq(1).data("aaaa").ack(1001));
  t.at(100_ms);
  t.send("bbbb");
  t.expect(seg().seq(5).data("bbbb").ack(1001));
  t.at(150_ms).inject(seg().ack(5).seq(1001));
  // The timer now runs from 150 ms: "bbbb" is resent at 150 + RTO, not at 200 ms.
  t.expect_nothing_until(340_ms);
  Duration at = t.expect_next(seg().seq(5).data("bbbb").ack(1001));
  EXPECT_GT(at, 340_ms);
}

// RFC 6298 §3 (Karn): no RTT sample from an ACK of retransmitted data (no timestamps).
TEST(TcpRetransmit, KarnNoRttSampleFromRetransmittedSegment) {
  TcpTestbed t = plain();
  Duration srtt0 = t.layer().stats(t.conn())->srtt;
  t.send("hello");
  t.expect(seg().data("hello").ack(1001));
  t.expect_next(seg().data("hello").ack(1001));  // 200 ms
  t.at(250_ms).inject(seg().ack(6).seq(1001));
  EXPECT_EQ(t.layer().stats(t.conn())->srtt, srtt0);
  // A fresh segment is timed: 100 ms round trip.
  t.at(1_s);
  t.send("again");
  t.expect(seg().data("again").ack(1001));
  t.at(1100_ms).inject(seg().ack(11).seq(1001));
  EXPECT_EQ(t.layer().stats(t.conn())->srtt, srtt0 * 7 / 8 + 100_ms / 8);
}

// RFC 6298 §5.7 / Karn: the backed-off RTO stays until a valid RTT sample; an ACK of a
// retransmitted segment is not one (Linux tcp_ack_update_rtt: "only reset backoff on valid
// RTT measurement"), so the next segment's timer still runs with the doubled RTO.
TEST(TcpRetransmit, BackoffStaysUntilAValidRttSample) {
  TcpTestbed t = plain();
  t.send("hello");
  t.expect(seg().data("hello").ack(1001));
  EXPECT_EQ(t.expect_next(seg().data("hello").ack(1001)), 200_ms);
  t.at(250_ms).inject(seg().ack(6).seq(1001));  // acknowledges the retransmission: no sample
  t.at(1_s);
  t.send("again");
  t.expect(seg().seq(6).data("again").ack(1001));
  EXPECT_EQ(t.expect_next(seg().seq(6).data("again").ack(1001)), 1400_ms);
  t.at(1450_ms).inject(seg().ack(11).seq(1001));
  EXPECT_EQ(t.layer().stats(t.conn())->backoff, 2u);
  // A valid sample (a segment sent once) resets the backoff.
  t.at(2_s);
  t.send("fresh");
  t.expect(seg().seq(11).data("fresh").ack(1001));
  t.at(2050_ms).inject(seg().ack(16).seq(1001));
  EXPECT_EQ(t.layer().stats(t.conn())->backoff, 0u);
}

// RFC 6298 §5.7: after a retransmitted SYN, with no RTT sample from the handshake, the RTO is
// re-initialized to 3 s when the connection is established (Linux TCP_TIMEOUT_FALLBACK).
TEST(TcpRetransmit, RtoIsThreeSecondsAfterARetransmittedSyn) {
  TcpTestbed t = TcpTestbed::connecting(8080);
  t.expect(seg().syn().seq(0));
  EXPECT_EQ(t.expect_next(seg().syn().seq(0)), 1_s);
  t.at(1100_ms).inject(seg().syn().ack(1).seq(5000).mss(1460));
  t.expect(seg().ack(5001).seq(1));
  EXPECT_EQ(t.layer().stats(t.conn())->rto, 3_s);
  t.send("hello");
  t.expect(seg().seq(1).data("hello").ack(5001));
  EXPECT_EQ(t.expect_next(seg().seq(1).data("hello").ack(5001)), 4100_ms);
}

// The same for a passive open whose SYN-ACK was retransmitted.
TEST(TcpRetransmit, RtoIsThreeSecondsAfterARetransmittedSynAck) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.inject(seg().syn().seq(1000).mss(1460));
  t.expect(seg().syn().ack(1001));
  EXPECT_EQ(t.expect_next(seg().syn().ack(1001)), 1_s);
  t.at(1100_ms).inject(seg().ack(1).seq(1001));
  t.accept();
  EXPECT_EQ(t.layer().stats(t.conn())->rto, 3_s);
}

// RFC 7323 §4: with timestamps every ACK of new data gives a sample from TSecr.
TEST(TcpRetransmit, TimestampsGiveRttSamples) {
  TcpTestbed t = TcpTestbed::established();
  t.send("hello");
  t.expect(seg().data("hello").ack(1001));
  std::uint32_t tsval = t.last_tsval();
  t.at(80_ms).inject(seg().ack(6).seq(1001).ts(200, tsval));
  TcpStats st = *t.layer().stats(t.conn());
  EXPECT_GT(st.srtt, 0_ms);
  EXPECT_EQ(st.rto, 200_ms + st.srtt);  // SRTT + max(RTO_min, 4*RTTVAR), RTTVAR small
}

// Karn's rule for timestamps: after a timeout, an ACK echoing a TSval from before the
// retransmission (the peer's stale TS.Recent) is not an RTT sample.
TEST(TcpRetransmit, StaleTimestampEchoAfterTimeoutIsNotSampled) {
  TcpTestbed t = TcpTestbed::established();
  Duration srtt0 = t.layer().stats(t.conn())->srtt;
  t.send("hello");
  t.expect(seg().data("hello").ack(1001));
  std::uint32_t original = t.last_tsval();
  t.expect_next(seg().data("hello").ack(1001));  // RTO retransmission at 200 ms
  t.at(5_s).inject(seg().ack(6).seq(1001).ts(300, original));
  EXPECT_EQ(t.layer().stats(t.conn())->srtt, srtt0);
}

// RFC 9293 §3.8.3 (R2), Linux tcp_retries2: give up after the configured number of
// retransmissions and report ETIMEDOUT.
TEST(TcpRetransmit, GivesUpAfterRetries2WithTimedOut) {
  TcpLayerConfig cfg = TcpTestbed::default_config();
  cfg.tcp.retries2 = 3;
  TcpTestbed t = TcpTestbed::established(cfg, {}, false);
  t.send("hello");
  t.expect(seg().data("hello").ack(1001));
  t.expect_next(seg().data("hello").ack(1001));
  t.expect_next(seg().data("hello").ack(1001));
  t.expect_next(seg().data("hello").ack(1001));
  t.expect_nothing_until(10_s);
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kClosed);
  EXPECT_EQ(t.layer().error(t.conn()), TcpError::kTimedOut);
}

// RFC 5681 §3.2 / RFC 6582 §3.2: the third duplicate ACK triggers a fast retransmit of the
// first unacknowledged segment, long before the RTO; cwnd = ssthresh + 3*MSS.
TEST(TcpRetransmit, ThreeDupAcksTriggerFastRetransmit) {
  TcpSocketOptions reno;
  reno.congestion = CongestionAlgorithm::kNewReno;  // ssthresh = FlightSize / 2 (RFC 5681 eq. 4)
  TcpTestbed t = plain(reno);
  t.send(std::string(6 * 1460, 'x'));
  for (int i = 0; i < 6; ++i) t.expect(seg().seq(1 + i * 1460).len(1460).ack(1001));
  t.at(10_ms).inject(seg().ack(1461).seq(1001));
  t.inject(seg().ack(1461).seq(1001));
  t.inject(seg().ack(1461).seq(1001));
  t.expect_nothing();
  t.inject(seg().ack(1461).seq(1001));
  t.expect(seg().seq(1461).len(1460).ack(1001));
  TcpStats st = *t.layer().stats(t.conn());
  EXPECT_EQ(st.retrans_fast, 1u);
  EXPECT_EQ(st.ssthresh, 2u * 1460 + 1460 / 2 * 0 + (5 * 1460) / 2 - 2 * 1460);
  EXPECT_EQ(st.cwnd, st.ssthresh + 3 * 1460);
}

// RFC 3042 (Limited Transmit): each of the first two duplicate ACKs lets one new segment
// out beyond cwnd (cwnd itself unchanged), so a small window still gets the third duplicate
// ACK that fast retransmit needs.
TEST(TcpRetransmit, LimitedTransmitSendsANewSegmentOnEachOfTheFirstTwoDupAcks) {
  TcpTestbed t = plain(nodelay());
  t.send(std::string(12 * 1460, 'x'));
  for (int i = 0; i < 10; ++i) t.expect(seg().seq(1 + i * 1460).len(1460).ack(1001));
  t.expect_nothing();  // cwnd (IW10) is full
  std::uint32_t cwnd = t.layer().stats(t.conn())->cwnd;
  // Duplicate ACKs repeat the window of the handshake's ACK (RFC 5681 §2: same window).
  t.at(10_ms).inject(seg().ack(1).seq(1001).win(502));
  t.expect(seg().seq(1 + 10 * 1460).len(1460).ack(1001));
  t.expect_nothing();
  t.inject(seg().ack(1).seq(1001).win(502));
  t.expect(seg().seq(1 + 11 * 1460).len(1460).ack(1001));
  t.expect_nothing();
  EXPECT_EQ(t.layer().stats(t.conn())->cwnd, cwnd);
  t.inject(seg().ack(1).seq(1001).win(502));
  t.expect(seg().seq(1).len(1460).ack(1001));  // the third: fast retransmit
}

// RFC 7661 §4 (Linux tcp_is_cwnd_limited): cwnd grows only when the flight used it. An
// application that sends one small message per round trip never fills the initial window, so
// its ACKs do not raise cwnd (in slow start Linux grows it only while cwnd < 2 * the flight).
TEST(TcpFlow, CwndDoesNotGrowWhileTheSenderIsApplicationLimited) {
  TcpTestbed t = plain(nodelay());
  std::uint32_t cwnd = t.layer().stats(t.conn())->cwnd;
  std::uint32_t una = 1;
  for (int i = 0; i < 50; ++i) {
    t.at(t.now() + 10_ms);
    t.send(std::string(100, 'm'));
    t.expect(seg().seq(una).len(100).ack(1001));
    una += 100;
    t.at(t.now() + 5_ms).inject(seg().ack(una).seq(1001).win(502));
  }
  EXPECT_EQ(t.layer().stats(t.conn())->cwnd, cwnd);
}

// ...while a sender that fills cwnd still grows it in slow start.
TEST(TcpFlow, CwndGrowsWhenTheFlightFillsIt) {
  TcpTestbed t = plain(nodelay());
  std::uint32_t cwnd = t.layer().stats(t.conn())->cwnd;
  t.send(std::string(10 * 1460, 'x'));
  for (int i = 0; i < 10; ++i) t.expect(seg().seq(1 + i * 1460).len(1460).ack(1001));
  t.at(10_ms).inject(seg().ack(1 + 2 * 1460).seq(1001).win(502));
  EXPECT_GT(t.layer().stats(t.conn())->cwnd, cwnd);
}

// RFC 6582 §3.2 step 3 (partial acknowledgments): a partial ACK during recovery retransmits the
// next hole at once.
TEST(TcpRetransmit, NewRenoPartialAckRetransmitsNextHole) {
  TcpTestbed t = plain();
  t.send(std::string(6 * 1460, 'x'));
  for (int i = 0; i < 6; ++i) t.expect(seg().seq(1 + i * 1460).len(1460).ack(1001));
  for (int i = 0; i < 4; ++i) t.inject(seg().ack(1).seq(1001));
  t.expect(seg().seq(1).len(1460).ack(1001));  // fast retransmit of segment 1
  t.inject(seg().ack(2921).seq(1001));         // partial: segments 1-2 acked, 3 missing
  t.expect(seg().seq(2921).len(1460).ack(1001));
  t.inject(seg().ack(8761).seq(1001));  // full ACK ends recovery
  TcpStats st = *t.layer().stats(t.conn());
  EXPECT_EQ(st.unacked, 0u);
  EXPECT_LE(st.cwnd, st.ssthresh);
}

// RFC 6675 §5 (NextSeg): during recovery further duplicate ACKs resend the next hole below
// the highest SACKed byte, not new data.
TEST(TcpRetransmit, SackRecoveryResendsNextHole) {
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), {}, false, true);
  t.send(std::string(6 * 1460, 'x'));
  for (int i = 0; i < 6; ++i) t.expect(seg().seq(1 + i * 1460).len(1460).ack(1001));
  // Segments 1 and 3 are lost; the peer SACKs 2, 4, 5, 6.
  t.inject(seg().ack(1).seq(1001).win(502).sack(1461, 2921));
  t.inject(seg().ack(1).seq(1001).win(502).sack(4381, 5841).sack(1461, 2921));
  t.inject(seg().ack(1).seq(1001).win(502).sack(4381, 7301).sack(1461, 2921));
  t.expect(seg().seq(1).len(1460).ack(1001));  // fast retransmit of the first hole
  t.inject(seg().ack(1).seq(1001).win(502).sack(4381, 8761).sack(1461, 2921));
  t.expect(seg().seq(2921).len(1460).ack(1001));  // the second hole, at once
}

// RFC 6675 §5.1: after a timeout the go-back-N resend skips what the peer SACKed.
TEST(TcpRetransmit, TimeoutResendSkipsSackedData) {
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), {}, false, true);
  t.send(std::string(4 * 1460, 'x'));
  for (int i = 0; i < 4; ++i) t.expect(seg().seq(1 + i * 1460).len(1460).ack(1001));
  t.inject(seg().ack(1).seq(1001).win(502).sack(2921, 5841));  // segments 3 and 4 arrived
  EXPECT_EQ(t.expect_next(seg().seq(1).len(1460).ack(1001)), 200_ms);
  t.inject(seg().ack(1461).seq(1001).sack(2921, 5841));
  t.expect(seg().seq(1461).len(1460).ack(1001));
  t.expect_nothing();  // 2921..5841 is not sent again
  t.inject(seg().ack(5841).seq(1001));
  t.expect_nothing_until(5_s);
}

// RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17: with a zero window the sender probes, backing off
// (Linux probes with <SEQ=SND.UNA-1>, no data); when the window opens the data flows.
TEST(TcpFlow, ZeroWindowIsProbedWithBackoff) {
  TcpTestbed t = plain();
  t.inject(seg().ack(1).seq(1001).win(0));
  t.send("waiting");
  t.expect_nothing();
  EXPECT_EQ(t.expect_next(seg().seq(0).ack(1001).len(0)), 200_ms);
  EXPECT_EQ(t.expect_next(seg().seq(0).ack(1001).len(0)), 600_ms);
  EXPECT_EQ(t.expect_next(seg().seq(0).ack(1001).len(0)), 1400_ms);
  t.at(1500_ms).inject(seg().ack(1).seq(1001).win(100));
  t.expect(seg().seq(1).data("waiting").ack(1001));
  EXPECT_EQ(t.layer().stats(t.conn())->zero_window_probes, 3u);
}

// MUST-37 with a dead peer: zero-window probes that are never answered end the connection
// after retries2 probes (Linux tcp_probe_timer); answered ones never do.
TEST(TcpFlow, UnansweredZeroWindowProbesTimeOut) {
  TcpLayerConfig cfg = TcpTestbed::default_config();
  cfg.tcp.retries2 = 3;
  TcpTestbed t = TcpTestbed::established(cfg, {}, false);
  t.inject(seg().ack(1).seq(1001).win(0));
  t.send("waiting");
  for (int i = 0; i < 3; ++i) t.expect_next(seg().seq(0).ack(1001).len(0));
  // The peer answers the third probe: probing goes on.
  t.inject(seg().ack(1).seq(1001).win(0));
  for (int i = 0; i < 3; ++i) t.expect_next(seg().seq(0).ack(1001).len(0));
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kEstablished);
  t.at(t.now() + 200_s);
  EXPECT_EQ(t.layer().error(t.conn()), TcpError::kTimedOut);
}

// RFC 9293 §3.8.6.1 (MUST-34/36): a peer that closes its window while data is in flight gets
// the head retransmitted as a window probe (Linux tcp_retransmit_timer: "our retransmits become
// zero probes"), and the connection never times out while the peer answers the probes.
TEST(TcpFlow, ZeroWindowWithDataInFlightIsProbedWithTheHeadForever) {
  TcpTestbed t = plain();
  t.send("inflight");
  t.expect(seg().seq(1).data("inflight").ack(1001));
  // The peer acknowledges nothing and closes its window.
  t.at(10_ms).inject(seg().ack(1).seq(1001).win(0));
  for (int i = 0; i < 40; ++i) {
    t.expect_next(seg().seq(1).data("inflight").ack(1001), 300_s);
    t.inject(seg().ack(1).seq(1001).win(0));  // the peer answers each probe
  }
  EXPECT_GT(t.now(), 1800_s);
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kEstablished);
  // The window opens: the data is acknowledged and the connection carries on.
  t.inject(seg().ack(9).seq(1001).win(100));
  t.send("more");
  t.expect(seg().seq(9).data("more").ack(1001));
}

// A dead peer behind a zero window with data in flight: unanswered head probes end the
// connection after retries2 of them (Linux tcp_rtx_probe0_timed_out).
TEST(TcpFlow, UnansweredHeadProbesIntoZeroWindowTimeOut) {
  TcpLayerConfig cfg = TcpTestbed::default_config();
  cfg.tcp.retries2 = 3;
  TcpTestbed t = TcpTestbed::established(cfg, {}, false);
  t.send("inflight");
  t.expect(seg().seq(1).data("inflight").ack(1001));
  t.at(10_ms).inject(seg().ack(1).seq(1001).win(0));
  for (int i = 0; i < 3; ++i) t.expect_next(seg().seq(1).data("inflight").ack(1001));
  t.inject(seg().ack(1).seq(1001).win(0));
  for (int i = 0; i < 3; ++i) t.expect_next(seg().seq(1).data("inflight").ack(1001));
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kEstablished);
  t.at(t.now() + 300_s);
  EXPECT_EQ(t.layer().error(t.conn()), TcpError::kTimedOut);
}

// RFC 9293 §3.10.7.4 "fifth": the send window is updated only when SND.UNA =< SEG.ACK (and
// SND.WL1/WL2 say the segment is newer); a reordered segment carrying an older ACK does not
// close the window (Linux tcp_ack: an old ACK goes to old_ack, no window update).
TEST(TcpFlow, OldAckDoesNotUpdateTheSendWindow) {
  TcpTestbed t = plain(nodelay());
  t.send("hello");
  t.expect(seg().seq(1).data("hello").ack(1001));
  t.inject(seg().ack(6).seq(1001).data("ab"));  // SND.WL1 = 1001
  t.expect(seg().ack(1003));
  // Newer data (SEG.SEQ > SND.WL1) but an ACK below SND.UNA, with a zero window.
  t.inject(seg().ack(1).seq(1003).data("cd").win(0));
  t.expect(seg().ack(1005));
  t.send("more");
  t.expect(seg().seq(6).data("more").ack(1005));
}

// RFC 9293 §3.8.6.2.1: the sender does not send a tiny segment into a small window (SWS),
// but the persist timer eventually pushes what fits.
TEST(TcpFlow, SenderSwsAvoidanceWaitsForWindow) {
  TcpTestbed t = plain();
  t.inject(seg().ack(1).seq(1001).win(10));  // peer wscale 7: 1280 bytes
  t.send(std::string(4000, 'x'));
  // 1280 < MSS and < half of the largest window seen (64240 << 7): held back ...
  t.expect_nothing();
  // ... until the persist timer sends what fits.
  EXPECT_EQ(t.expect_next(seg().seq(1).len(1280).ack(1001)), 200_ms);
}

// RFC 9293 §3.8.6.2.2, §3.10.7.4: the advertised window shrinks as the receive buffer fills
// (SO_RCVBUF), data beyond it is dropped, and reading re-opens it with a window update.
TEST(TcpFlow, ReceiveWindowClosesAndReopensWithUpdate) {
  TcpTestbed t = plain(small_rcvbuf());
  std::string chunk(1024, 'r');
  std::uint32_t seq = 1001;
  for (int i = 0; i < 4; ++i, seq += 1024) t.inject(seg().ack(1).seq(seq).data(chunk));
  // Quick ACKs; the last shows a zero window.
  t.pop();
  t.pop();
  t.pop();
  // The fourth segment is ACKed by the delayed-ACK timer, with a zero window.
  EXPECT_EQ(t.expect_next(seg().ack(seq).win(0)), 40_ms);
  // More data is outside the window: dropped, and the ACK repeats the zero window.
  t.inject(seg().ack(1).seq(seq).data("overflow"));
  t.expect(seg().ack(seq).win(0));
  // Reading a little (less than min(RCVBUF/2, MSS)) does not open the window (receiver SWS).
  std::uint8_t small[100];
  ASSERT_EQ(*t.layer().recv(t.conn(), small), 100u);
  t.expect_nothing();
  // Reading the rest sends a window update.
  EXPECT_EQ(t.recv().size(), 4096u - 100);
  t.expect(seg().ack(seq).win(4096));
}

// RFC 7323 §2.3: windows are scaled by the negotiated shift both ways.
TEST(TcpFlow, WindowScalingAppliesBothWays) {
  TcpTestbed t = TcpTestbed::established();  // peer wscale 7, ours 3 (256 KiB buffer)
  t.inject(seg().ack(1).seq(1001).win(100).ts(102, _));
  EXPECT_EQ(t.layer().stats(t.conn())->snd_wnd, 100u << 7);
  t.inject(seg().ack(1).seq(1001).data("x").ts(103, _));
  t.expect(seg().ack(1002).win((256 * 1024 - 1) >> 3));
}

}  // namespace
}  // namespace ustack::testing
