// ECN (RFC 3168 §6.1) segment by segment: negotiation in the handshake (and through SYN
// cookies), ECT(0) on new data only, the receiver's ECE echo until CWR, and the sender's one
// window reduction per window of data with CWR on the next new data.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "stack/tcp/testbed.h"

namespace ustack::testing {
namespace {

using namespace ustack::literals;

constexpr std::uint32_t kNotEct = 0, kEct0 = 2, kCe = 3;

TcpLayerConfig with_ecn(TcpEcnMode mode) {
  TcpLayerConfig c = TcpTestbed::default_config();
  c.tcp.ecn = mode;
  return c;
}

// A connection accepted from a peer whose SYN asked for ECN (no timestamps, window scale 7:
// the peer's window field 502 is 64256 bytes, MSS 1460).
TcpTestbed ecn_established(TcpLayerConfig cfg = TcpTestbed::default_config(),
                           TcpSocketOptions opts = {}) {
  TcpTestbed t = TcpTestbed::listening(80, cfg, 16, opts);
  t.inject(seg().syn().ece().cwr().seq(1000).win(64240).mss(1460).sack_perm().wscale(7));
  t.expect(seg().syn().ece().ack(1001).ip_ecn(kNotEct));
  t.inject(seg().seq(1001).ack(1).win(502));
  t.accept();
  return t;
}

TcpStats stats(TcpTestbed& t) { return *t.layer().stats(t.conn()); }

// --- Negotiation (§6.1.1) -------------------------------------------------------------------

// Linux tcp_ecn=2 (our default): an ECN-setup SYN (ECE|CWR) gets an ECN-setup SYN-ACK (ECE
// without CWR), itself Not-ECT, and the connection's data is then ECT(0).
TEST(TcpEcn, ListenerAcceptsEcnSetupSynByDefault) {
  TcpTestbed t = ecn_established();
  EXPECT_TRUE(stats(t).ecn);
  EXPECT_EQ(t.layer().counters().ecn.negotiated, 1u);
  t.send("data");
  t.expect(seg().seq(1).ack(1001).data("data").ip_ecn(kEct0));
}

// A SYN that does not ask gets a plain SYN-ACK, and ECN stays off.
TEST(TcpEcn, PlainSynGetsPlainSynAck) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.inject(seg().syn().seq(1000).mss(1460));
  t.expect(seg().syn().ack(1001).ip_ecn(kNotEct));  // flags must match exactly: no ECE
  t.inject(seg().seq(1001).ack(1));
  t.accept();
  EXPECT_FALSE(stats(t).ecn);
  t.send("data");
  t.expect(seg().seq(1).ack(1001).data("data").ip_ecn(kNotEct));
}

// A SYN with only ECE (or only CWR) is no ECN-setup SYN (§6.1.1).
TEST(TcpEcn, SynWithEceAloneIsNotEcnSetup) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.inject(seg().syn().ece().seq(1000).mss(1460));
  t.expect(seg().syn().ack(1001));
}

// tcp_ecn=0: an ECN-setup SYN is answered without ECE.
TEST(TcpEcn, ListenerWithEcnOffDeclines) {
  TcpTestbed t = TcpTestbed::listening(80, with_ecn(TcpEcnMode::kOff));
  t.inject(seg().syn().ece().cwr().seq(1000).mss(1460));
  t.expect(seg().syn().ack(1001));
  t.inject(seg().seq(1001).ack(1));
  t.accept();
  EXPECT_FALSE(stats(t).ecn);
}

// tcp_ecn=2 does not ask: connect() sends a plain SYN.
TEST(TcpEcn, ConnectDoesNotAskByDefault) {
  TcpTestbed t = TcpTestbed::connecting(80);
  t.expect(seg().syn().seq(0).ip_ecn(kNotEct));
}

// tcp_ecn=1: the SYN asks (ECE|CWR, Not-ECT); an ECN-setup SYN-ACK turns ECN on.
TEST(TcpEcn, ConnectAsksAndEcnSetupSynAckTurnsItOn) {
  TcpTestbed t = TcpTestbed::connecting(80, with_ecn(TcpEcnMode::kRequest));
  t.expect(seg().syn().ece().cwr().seq(0).ip_ecn(kNotEct));
  t.inject(seg().syn().ece().seq(5000).ack(1).mss(1460));
  t.expect(seg().seq(1).ack(5001).ip_ecn(kNotEct));  // the handshake's ACK: no ECE
  EXPECT_TRUE(stats(t).ecn);
  t.send("data");
  t.expect(seg().seq(1).ack(5001).data("data").ip_ecn(kEct0));
}

// "If a host has received a non-ECN-setup SYN-ACK packet, then it MUST NOT set ECT on data
// packets" (§6.1.1).
TEST(TcpEcn, SynAckWithoutEceTurnsItOff) {
  TcpTestbed t = TcpTestbed::connecting(80, with_ecn(TcpEcnMode::kRequest));
  t.expect(seg().syn().ece().cwr().seq(0));
  t.inject(seg().syn().seq(5000).ack(1).mss(1460));
  t.expect(seg().seq(1).ack(5001));
  EXPECT_FALSE(stats(t).ecn);
  t.send("data");
  t.expect(seg().seq(1).ack(5001).data("data").ip_ecn(kNotEct));
}

// A SYN-ACK with ECE and CWR reflects our flags (a broken middlebox or peer), it is not an
// ECN-setup SYN-ACK (§6.1.1; Linux tcp_ecn_rcv_synack).
TEST(TcpEcn, SynAckWithEceAndCwrTurnsItOff) {
  TcpTestbed t = TcpTestbed::connecting(80, with_ecn(TcpEcnMode::kRequest));
  t.expect(seg().syn().ece().cwr().seq(0));
  t.inject(seg().syn().ece().cwr().seq(5000).ack(1).mss(1460));
  t.expect(seg().seq(1).ack(5001));
  EXPECT_FALSE(stats(t).ecn);
}

// Linux tcp_ecn_fallback: a retransmitted SYN no longer asks, in case ECN-setup SYNs are what
// gets dropped on the path.
TEST(TcpEcn, RetransmittedSynDoesNotAsk) {
  TcpTestbed t = TcpTestbed::connecting(80, with_ecn(TcpEcnMode::kRequest));
  t.expect(seg().syn().ece().cwr().seq(0));
  EXPECT_EQ(t.expect_next(seg().syn().seq(0)), 1_s);
}

// Linux cookie_init_timestamp: a SYN cookie carries the ECN bit in the SYN-ACK's TSval, and the
// connection made from the final ACK uses ECN.
TEST(TcpEcn, SynCookieCarriesEcn) {
  TcpLayerConfig c = TcpTestbed::default_config();
  c.syn_cookies = SynCookieMode::kAlways;
  TcpTestbed t = TcpTestbed::listening(80, c);
  t.inject(seg().syn().ece().cwr().seq(1000).mss(1460).ts(100, 0).sack_perm().wscale(7));
  t.expect(seg().syn().ece().ack(1001).ts(_, 100));
  t.inject(seg().seq(1001).ack(1).win(502).ts(101, _));
  t.accept();
  EXPECT_EQ(t.layer().counters().syncookies_recv, 1u);
  EXPECT_TRUE(stats(t).ecn);
  t.send("data");
  t.expect(seg().seq(1).ack(1001).data("data").ip_ecn(kEct0));
}

// Without timestamps a cookie cannot carry ECN, so the SYN-ACK does not offer it (Linux
// tcp_conn_request: tcp_ecn_create_request only if !want_cookie || tstamp_ok).
TEST(TcpEcn, SynCookieWithoutTimestampsDeclines) {
  TcpLayerConfig c = TcpTestbed::default_config();
  c.syn_cookies = SynCookieMode::kAlways;
  TcpTestbed t = TcpTestbed::listening(80, c);
  t.inject(seg().syn().ece().cwr().seq(1000).mss(1460));
  t.expect(seg().syn().ack(1001).no_ts());
}

// --- ECT(0) only on new data (§6.1.4, §6.1.5) -----------------------------------------------

// Pure ACKs are Not-ECT (§6.1.4), and so is a retransmission (§6.1.5); the window reduction of
// the timeout puts CWR on the first new data segment after it (§6.1.2: "for any reason").
TEST(TcpEcn, AcksAndRetransmissionsAreNotEct) {
  TcpTestbed t = ecn_established();
  t.inject(seg().seq(1001).ack(1).win(502).data("ping"));
  t.expect(seg().seq(1).ack(1005).ip_ecn(kNotEct));
  t.send("hello");
  t.expect(seg().seq(1).ack(1005).data("hello").ip_ecn(kEct0));
  EXPECT_EQ(t.expect_next(seg().seq(1).ack(1005).data("hello").ip_ecn(kNotEct)), 200_ms);
  t.inject(seg().seq(1005).ack(6).win(502));
  t.send("more");
  t.expect(seg().cwr().seq(6).ack(1005).data("more").ip_ecn(kEct0));
  t.inject(seg().seq(1005).ack(10).win(502));
  t.send("again");
  t.expect(seg().seq(10).ack(1005).data("again").ip_ecn(kEct0));  // CWR once
  EXPECT_EQ(stats(t).ecn_events.cwr_sent, 1u);
}

// --- The receiver: CE -> ECE until CWR (§6.1.3) ---------------------------------------------

TEST(TcpEcn, CeMarkIsEchoedUntilCwr) {
  TcpSocketOptions small;
  small.recv_buffer = 4096;  // three quick ACKs at the start, then delayed ACKs
  TcpTestbed t = ecn_established(TcpTestbed::default_config(), small);
  std::uint32_t seq = 1001;
  for (int i = 0; i < 3; ++i, ++seq) {
    t.inject(seg().seq(seq).ack(1).win(502).data("a").ip_ecn(kEct0));
    t.expect(seg().seq(1).ack(seq + 1).ip_ecn(kNotEct));
  }
  t.inject(seg().seq(seq++).ack(1).win(502).data("b").ip_ecn(kEct0));
  t.expect_nothing();  // delayed ACK
  // A CE mark: the ACK goes at once, with ECE (Linux tcp_ecn_check_ce: quick-ACK mode).
  t.inject(seg().seq(seq++).ack(1).win(502).data("c").ip_ecn(kCe));
  t.expect(seg().ece().seq(1).ack(seq).ip_ecn(kNotEct));
  // Every segment carries ECE until CWR arrives, data too; data stays ECT(0).
  t.inject(seg().seq(seq++).ack(1).win(502).data("d").ip_ecn(kEct0));
  t.expect(seg().ece().seq(1).ack(seq));
  t.send("reply");
  t.expect(seg().ece().seq(1).ack(seq).data("reply").ip_ecn(kEct0));
  t.inject(seg().cwr().seq(seq++).ack(6).win(502).data("e").ip_ecn(kEct0));
  t.expect_next(seg().seq(6).ack(seq));  // no ECE any more
  t.inject(seg().seq(seq++).ack(6).win(502).data("f").ip_ecn(kEct0));
  t.expect_next(seg().seq(6).ack(seq));
  TcpStats st = stats(t);
  EXPECT_EQ(st.ecn_events.ce_received, 1u);
  EXPECT_EQ(st.ecn_events.cwr_received, 1u);
}

// Without ECN negotiated a CE mark means nothing to TCP (§6.1.1): no ECE.
TEST(TcpEcn, CeWithoutNegotiationIsIgnored) {
  TcpTestbed t = TcpTestbed::established();
  t.inject(seg().seq(1001).ack(1).win(502).ts(102, _).data("c").ip_ecn(kCe));
  t.expect(seg().seq(1).ack(1002));  // exact flags: no ECE
  EXPECT_EQ(t.layer().counters().ecn.ce_received, 0u);
}

// --- The sender: ECE -> one reduction per window, CWR once (§6.1.2) ------------------------

// Linux tcp_enter_cwr: ssthresh at once (CUBIC 0.7 cwnd), cwnd brought down by PRR (RFC 6937
// §3, tcp_cwnd_reduction) over the ACKs of the next round trip - 7 segments sent for each 10
// delivered (RecoverFS is the cwnd before the reduction, 10 segments) - instead of at once, and
// to ssthresh when the ACK beyond the reduced window ends CWR. Nothing is resent.
TEST(TcpEcn, EceReducesOncePerWindowWithoutRetransmitting) {
  TcpTestbed t = ecn_established();
  t.send(std::string(30000, 'x'));
  for (std::uint32_t i = 0; i < 10; ++i) {  // IW10
    t.expect(seg().seq(1 + i * 1460).ack(1001).len(1460).ip_ecn(kEct0));
  }
  t.expect_nothing();
  std::uint32_t cwnd_before = stats(t).cwnd;
  EXPECT_EQ(cwnd_before, 14600u);
  // The ECE's ACK delivered one segment: PRR lets CEIL(1 * 7/10) = 1 out, with CWR.
  t.at(10_ms).inject(seg().ece().seq(1001).ack(1461).win(502));
  TcpStats st = stats(t);
  EXPECT_EQ(st.ca_state, CaState::kCwr);
  EXPECT_EQ(st.ssthresh, 10220u);
  EXPECT_EQ(st.cwnd, 14600u);  // pipe 13140 + sndcnt 1460
  t.expect(seg().cwr().seq(14601).ack(1001).len(1460).ip_ecn(kEct0));
  t.expect_nothing();
  // The receiver goes on echoing until it sees CWR: the same window, no second reduction.
  // Delivered 2, 3, 4, 5 segments: CEIL(0.7 * n) = 2, 3, 3, 4 sent in all.
  t.inject(seg().ece().seq(1001).ack(2921).win(502));
  t.expect(seg().seq(16061).ack(1001).len(1460).ip_ecn(kEct0));  // CWR only once
  t.inject(seg().ece().seq(1001).ack(4381).win(502));
  t.expect(seg().seq(17521).ack(1001).len(1460));
  t.inject(seg().ece().seq(1001).ack(5841).win(502));
  t.expect_nothing();
  EXPECT_EQ(stats(t).cwnd, 13140u);
  t.inject(seg().ece().seq(1001).ack(7301).win(502));
  t.expect(seg().seq(18981).ack(1001).len(1460));
  t.expect_nothing();
  st = stats(t);
  EXPECT_EQ(st.cwnd, 13140u);
  EXPECT_EQ(st.ca_state, CaState::kCwr);
  EXPECT_EQ(st.ecn_events.cwnd_reductions, 1u);
  EXPECT_EQ(st.ecn_events.cwr_sent, 1u);
  EXPECT_EQ(st.ecn_events.ece_received, 5u);
  EXPECT_EQ(st.retrans_fast + st.retrans_rto, 0u);
  EXPECT_EQ(st.bytes_retrans, 0u);
  // An ACK of exactly the window's end (SND.MAX 14601 at the reduction) is not beyond it: still
  // CWR (Linux "CWR is to be held something *above* high_seq is ACKed"). The one beyond ends
  // CWR with cwnd = ssthresh (tcp_end_cwnd_reduction).
  t.inject(seg().seq(1001).ack(14601).win(502));
  EXPECT_EQ(stats(t).ca_state, CaState::kCwr);
  t.inject(seg().seq(1001).ack(16061).win(502));
  st = stats(t);
  EXPECT_EQ(st.ca_state, CaState::kOpen);
  EXPECT_GE(st.cwnd, 10220u);
  EXPECT_LT(st.cwnd, 10220u + 1460);  // CUBIC's growth on that ACK
  std::uint32_t cwnd_open = st.cwnd;
  // Every segment from here on is new data (nothing resent); the first one sent after the
  // second reduction carries CWR.
  std::uint32_t next = 20441;
  std::vector<bool> cwr;
  auto drain = [&] {
    while (auto s = t.pop()) {
      EXPECT_EQ(s->repr.seq.raw() - t.iss(), next);
      next += static_cast<std::uint32_t>(s->repr.payload.size());
      cwr.push_back(s->repr.has(tcp_flags::kCwr));
    }
  };
  drain();  // sent before the second ECE
  std::size_t before = cwr.size();
  // A new ECE is new congestion, reduced again, and the next new data carries CWR again.
  t.inject(seg().ece().seq(1001).ack(17521).win(502));
  st = stats(t);
  EXPECT_EQ(st.ecn_events.cwnd_reductions, 2u);
  EXPECT_LT(st.ssthresh, cwnd_open);
  t.inject(seg().seq(1001).ack(next).win(502));
  drain();
  ASSERT_GT(cwr.size(), before + 1);
  EXPECT_TRUE(cwr[before]);
  EXPECT_EQ(std::count(cwr.begin(), cwr.end(), true), 1);
  EXPECT_EQ(stats(t).ecn_events.cwr_sent, 2u);
}

// NewReno: ssthresh = FlightSize / 2 on an ECE as on a loss (RFC 3168 §6.1.2, RFC 5681 eq. 4).
TEST(TcpEcn, NewRenoHalvesOnEce) {
  TcpLayerConfig c = TcpTestbed::default_config();
  c.tcp.congestion = CongestionAlgorithm::kNewReno;
  TcpTestbed t = ecn_established(c);
  t.send(std::string(14600, 'x'));
  for (std::uint32_t i = 0; i < 10; ++i) t.expect(seg().seq(1 + i * 1460).ack(1001).len(1460));
  t.inject(seg().ece().seq(1001).ack(1461).win(502));
  TcpStats st = stats(t);
  EXPECT_EQ(st.ssthresh, 7300u);  // FlightSize before the ACK: 14600
  EXPECT_EQ(st.cwnd, 14600u);     // PRR: 13140 in the pipe, one segment (CEIL(1 * 5/10)) out
  t.expect_nothing();             // no data left to send
}

// IW10 goes out, the first segment is missing: three SACKs, fast retransmit.
void lose_first_of_ten(TcpTestbed& t) {
  t.send(std::string(14600, 'x'));
  for (std::uint32_t i = 0; i < 10; ++i) t.expect(seg().seq(1 + i * 1460).ack(1001).len(1460));
  for (int i = 0; i < 3; ++i)
    t.inject(seg().seq(1001).ack(1).win(502).sack(1461, 1461 + 1460 * (i + 1)));
}

// An ECE during loss recovery is the same congestion the loss already answered (§6.1.2).
TEST(TcpEcn, EceDuringRecoveryDoesNotReduceAgain) {
  TcpTestbed t = ecn_established();
  lose_first_of_ten(t);
  t.expect(seg().seq(1).ack(1001).len(1460).ip_ecn(kNotEct));  // fast retransmit, Not-ECT, no CWR
  std::uint32_t cwnd = stats(t).cwnd;
  t.inject(seg().ece().seq(1001).ack(1).win(502).sack(1461, 1461 + 1460 * 4));
  EXPECT_EQ(stats(t).ecn_events.cwnd_reductions, 0u);
  EXPECT_GE(stats(t).cwnd, cwnd);
}

// ...and a loss inside the window an ECE already reduced is the same congestion (§6.1.2: once
// per window, Linux tcp_enter_recovery in TCP_CA_CWR): the hole is resent, ssthresh stays, no
// second CWR.
TEST(TcpEcn, LossInTheWindowAnEceReducedDoesNotReduceAgain) {
  TcpTestbed t = ecn_established();
  t.send(std::string(14600, 'x'));
  for (std::uint32_t i = 0; i < 10; ++i) t.expect(seg().seq(1 + i * 1460).ack(1001).len(1460));
  t.at(10_ms).inject(seg().ece().seq(1001).ack(1461).win(502));
  ASSERT_EQ(stats(t).ssthresh, 10220u);
  // The segment at 1461 was lost: three SACKs above it.
  for (int i = 0; i < 3; ++i) {
    t.inject(seg().ece().seq(1001).ack(1461).win(502).sack(2921, 2921 + 1460 * (i + 1)));
  }
  t.expect(seg().seq(1461).ack(1001).len(1460));  // fast retransmit, no CWR
  TcpStats st = stats(t);
  EXPECT_EQ(st.retrans_fast, 1u);
  EXPECT_EQ(st.ssthresh, 10220u);
  EXPECT_EQ(st.ecn_events.cwnd_reductions, 1u);
  EXPECT_EQ(st.ecn_events.cwr_sent, 0u);
}

// ...nor does a timeout inside that window (Linux tcp_enter_loss reduces ssthresh only "if it
// has not yet been made inside this window"): cwnd falls to one segment, ssthresh stays.
TEST(TcpEcn, TimeoutInTheWindowAnEceReducedKeepsSsthresh) {
  for (CongestionAlgorithm a : {CongestionAlgorithm::kCubic, CongestionAlgorithm::kNewReno}) {
    TcpLayerConfig c = TcpTestbed::default_config();
    c.tcp.congestion = a;
    TcpTestbed t = ecn_established(c);
    t.send(std::string(14600, 'x'));
    for (std::uint32_t i = 0; i < 10; ++i) t.expect(seg().seq(1 + i * 1460).ack(1001).len(1460));
    t.at(10_ms).inject(seg().ece().seq(1001).ack(1461).win(502));
    std::uint32_t ssthresh = stats(t).ssthresh;
    ASSERT_EQ(stats(t).ca_state, CaState::kCwr);
    t.expect_next(seg().seq(1461).ack(1001).len(1460).ip_ecn(kNotEct));  // the timeout
    TcpStats st = stats(t);
    EXPECT_EQ(st.ca_state, CaState::kLoss) << to_string(a);
    EXPECT_EQ(st.cwnd, 1460u) << to_string(a);
    EXPECT_EQ(st.ssthresh, ssthresh) << to_string(a);
    EXPECT_EQ(st.ecn_events.cwnd_reductions, 1u) << to_string(a);
  }
}

// Linux tcp_enter_cwr clears undo_marker: once an ECE has reduced the window, a late D-SACK
// for the last recovery's retransmission no longer undoes (it would take back the ECN
// reduction too).
TEST(TcpEcn, LateDsackDoesNotUndoAnEceReduction) {
  TcpTestbed t = ecn_established();
  lose_first_of_ten(t);
  t.expect(seg().seq(1).ack(1001).len(1460));     // fast retransmit
  t.inject(seg().seq(1001).ack(14601).win(502));  // the resend filled the hole
  t.send(std::string(2920, 'x'));
  while (t.pop()) {
  }
  t.inject(seg().ece().seq(1001).ack(16061).win(502));
  TcpStats st = stats(t);
  EXPECT_EQ(st.ecn_events.cwnd_reductions, 1u);
  t.inject(seg().seq(1001).ack(16061).win(502).sack(1, 1461));  // the original was only late
  EXPECT_EQ(stats(t).cwnd, st.cwnd);
  EXPECT_EQ(stats(t).rack.undo_dsack, 0u);
}

// --- ECN in the Loss state (Linux tcp_enter_loss, tcp_process_loss, tcp_try_to_open) --------

// After a timeout the Loss state has reduced for this window already: ECEs change nothing, and
// cwnd slow-starts as without ECN (Linux tcp_cong_control: only CWR and Recovery hold cwnd).
// The go-back-N resends are Not-ECT without CWR; the first new data carries the CWR the timeout
// queued. The ACK that ends Loss is in the Open state again, so its ECE is new congestion:
// CWR, one reduction (tcp_fastretrans_alert falls through to tcp_try_to_open).
TEST(TcpEcn, EceDuringLossNeitherReducesNorStopsSlowStart) {
  TcpTestbed t = ecn_established();
  t.send(std::string(30000, 'x'));
  for (std::uint32_t i = 0; i < 10; ++i) t.expect(seg().seq(1 + i * 1460).ack(1001).len(1460));
  t.expect_nothing();
  Duration rto = t.expect_next(seg().seq(1).ack(1001).len(1460).ip_ecn(kNotEct));
  ASSERT_EQ(stats(t).ca_state, CaState::kLoss);
  ASSERT_EQ(stats(t).cwnd, 1460u);
  std::uint32_t ssthresh = stats(t).ssthresh;
  t.at(rto + 10_ms).inject(seg().ece().seq(1001).ack(1461).win(502));
  EXPECT_EQ(stats(t).ca_state, CaState::kLoss);
  EXPECT_EQ(stats(t).cwnd, 2920u);  // slow start: one segment acknowledged, one more
  EXPECT_EQ(stats(t).ssthresh, ssthresh);
  t.expect(seg().seq(1461).ack(1001).len(1460).ip_ecn(kNotEct));
  t.expect(seg().seq(2921).ack(1001).len(1460).ip_ecn(kNotEct));
  t.expect_nothing();
  t.inject(seg().ece().seq(1001).ack(4381).win(502));
  EXPECT_EQ(stats(t).cwnd, 5840u);
  for (std::uint32_t i = 0; i < 4; ++i) {
    t.expect(seg().seq(4381 + i * 1460).ack(1001).len(1460).ip_ecn(kNotEct));
  }
  t.expect_nothing();
  t.inject(seg().ece().seq(1001).ack(10221).win(502));
  EXPECT_EQ(stats(t).cwnd, ssthresh);  // slow start up to ssthresh (0.7 * 14600)
  for (std::uint32_t i = 0; i < 3; ++i) {
    t.expect(seg().seq(10221 + i * 1460).ack(1001).len(1460).ip_ecn(kNotEct));
  }
  t.expect(seg().cwr().seq(14601).ack(1001).len(1460).ip_ecn(kEct0));  // new data: CWR
  for (std::uint32_t i = 1; i < 4; ++i) {
    t.expect(seg().seq(14601 + i * 1460).ack(1001).len(1460).ip_ecn(kEct0));
  }
  t.expect_nothing();
  TcpStats st = stats(t);
  EXPECT_EQ(st.ecn_events.ece_received, 3u);
  EXPECT_EQ(st.ecn_events.cwnd_reductions, 0u);
  EXPECT_EQ(st.ecn_events.cwr_sent, 1u);
  EXPECT_EQ(st.retrans_rto, 1u);
  // SND.UNA reaches the end of the window of the timeout: Open, and this ECE reduces.
  t.inject(seg().ece().seq(1001).ack(14601).win(502));
  st = stats(t);
  EXPECT_EQ(st.ca_state, CaState::kCwr);
  EXPECT_EQ(st.ecn_events.cwnd_reductions, 1u);
  EXPECT_EQ(st.ssthresh, ssthresh * 7 / 10);  // CUBIC β from cwnd, which did not grow
  // PRR: the pipe (5840) is below ssthresh already; the first ACK lets one segment out.
  EXPECT_EQ(st.cwnd, 5840u + 1460);
}

// Linux tcp_fastretrans_alert step A: an ECE forbids undoing the reduction in progress, also in
// the Loss state where it reduces nothing. A timeout whose originals arrive (the ACK echoes
// their TSval, RFC 3522) is undone, unless that ACK carries ECE: then the congestion was real.
TEST(TcpEcn, EceInLossForbidsTheUndoOfASpuriousTimeout) {
  for (bool ece : {false, true}) {
    TcpTestbed t = TcpTestbed::listening(80);
    t.inject(
        seg().syn().ece().cwr().seq(1000).win(64240).mss(1460).sack_perm().ts(100, 0).wscale(7));
    t.expect(seg().syn().ece().ack(1001).ts(_, 100));
    t.inject(seg().seq(1001).ack(1).win(502).ts(101, _));
    t.accept();
    t.send(std::string(4 * 1448, 'x'));
    for (std::uint32_t i = 0; i < 4; ++i) t.expect(seg().seq(1 + i * 1448).ack(1001).len(1448));
    std::uint32_t original = t.last_tsval();
    std::uint32_t cwnd = stats(t).cwnd;
    Duration rto = t.expect_next(seg().seq(1).ack(1001).len(1448));
    ASSERT_EQ(stats(t).cwnd, 1448u);
    SegSpec a = seg().seq(1001).ack(1 + 1448).win(502).ts(102, original);
    if (ece) a.ece();
    t.at(rto + 10_ms).inject(a);
    TcpStats st = stats(t);
    EXPECT_EQ(st.rack.undo_rto, ece ? 0u : 1u) << "ece " << ece;
    EXPECT_EQ(st.ca_state, ece ? CaState::kLoss : CaState::kOpen) << "ece " << ece;
    if (ece) {
      EXPECT_EQ(st.cwnd, 2 * 1448u);  // slow start from the loss window
    } else {
      EXPECT_EQ(st.cwnd, cwnd);  // the window from before the timeout
    }
    EXPECT_EQ(st.ecn_events.cwnd_reductions, 0u);
  }
}

// The tracer's text (TraceEvent::to_string) names ECE and CWR with tcpdump's letters.
TEST(TcpEcn, TraceShowsEceAndCwr) {
  TraceEvent e;
  e.kind = TraceKind::kTcpSegmentOut;
  e.flags = tcp_flags::kSyn | tcp_flags::kEce | tcp_flags::kCwr;
  EXPECT_NE(e.to_string().find(" [SEW] "), std::string::npos) << e.to_string();
  e.flags = tcp_flags::kAck | tcp_flags::kEce;
  EXPECT_NE(e.to_string().find(" [.E] "), std::string::npos) << e.to_string();
}

}  // namespace
}  // namespace ustack::testing
