// Connection establishment (RFC 9293 §3.5, §3.10.7.2-3), option negotiation (RFC 7323,
// RFC 2018, RFC 9293 §3.7.1), SYN retransmission (RFC 6298) and the layer's listen/connect.
#include <gtest/gtest.h>

#include <set>

#include "stack/tcp/testbed.h"

namespace ustack::testing {
namespace {

using namespace ustack::literals;

// RFC 9293 §3.10.7.2: a SYN to a listener gets a SYN-ACK carrying our options.
TEST(TcpListen, SynGetsSynAckWithNegotiatedOptions) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.at(0_ms).inject(seg().syn().seq(1000).win(64240).mss(1460).sack_perm().ts(7, 0).wscale(7));
  t.expect(seg().syn().ack(1001).seq(0).mss(1460).sack_perm().ts(_, 7).wscale(_));
  t.expect_nothing_until(999_ms);  // no retransmission before the initial RTO
}

// RFC 7323 §1.3/§3.2, RFC 2018 §2: a SYN-ACK answers only the options the SYN offered.
TEST(TcpListen, SynAckOmitsOptionsThePeerDidNotOffer) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.inject(seg().syn().seq(1000).win(8192));
  t.expect(seg().syn().ack(1001).mss(1460).no_ts().no_wscale().no_sack_perm());
}

// RFC 9293 §3.7.1: the MSS we advertise comes from the route's MTU.
TEST(TcpListen, AdvertisedMssFollowsPathMtu) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.ip().mtu = 1280;
  t.inject(seg().syn().seq(1000).mss(1460));
  t.expect(seg().syn().ack(1001).mss(1240));
}

// RFC 6298 §2.1/§5.5, Linux tcp_synack_retries: SYN-ACK retransmitted at 1, 3, 7... seconds,
// then the embryonic connection is dropped.
TEST(TcpListen, SynAckIsRetransmittedWithBackoffThenDropped) {
  TcpLayerConfig cfg = TcpTestbed::default_config();
  cfg.tcp.synack_retries = 2;
  TcpTestbed t = TcpTestbed::listening(80, cfg);
  t.inject(seg().syn().seq(1000).mss(1460));
  t.expect(seg().syn().ack(1001));
  EXPECT_EQ(t.expect_next(seg().syn().ack(1001)), 1_s);
  EXPECT_EQ(t.expect_next(seg().syn().ack(1001)), 3_s);
  t.expect_nothing_until(20_s);
  EXPECT_EQ(t.layer().socket_count(), 1u);  // only the listener is left
}

// RFC 9293 §3.10.7.2 third: the handshake completes with the ACK; accept() returns it.
TEST(TcpListen, AckCompletesHandshakeAndAcceptReturnsConnection) {
  TcpTestbed t = TcpTestbed::listening(80);
  EXPECT_EQ(t.layer().accept(t.listener()).error(), TcpError::kWouldBlock);
  t.inject(seg().syn().seq(1000).mss(1460));
  t.expect(seg().syn().ack(1001));
  EXPECT_FALSE(t.layer().readiness(t.listener()).accept_ready);
  t.inject(seg().ack(1).seq(1001));
  EXPECT_TRUE(t.layer().readiness(t.listener()).accept_ready);
  t.accept();
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kEstablished);
  EXPECT_TRUE(t.layer().readiness(t.conn()).writable);
  t.expect_nothing_until(10_s);
}

// RFC 9293 §3.10.7.2 second: an ACK to a listener gets <SEQ=SEG.ACK><CTL=RST>.
TEST(TcpListen, AckToListenerGetsReset) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.inject(seg().ack(5555).seq(1000));
  t.expect(seg().rst().seq(5555));
}

// RFC 9293 §3.10.7.2 first: a RST to a listener is ignored.
TEST(TcpListen, RstToListenerIsIgnored) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.inject(seg().rst().seq(1000));
  t.expect_nothing_until(5_s);
}

// RFC 9293 §3.10.7.1: a segment for no connection gets a RST; an ACK-less one RST,ACK.
TEST(TcpClosed, SynToClosedPortGetsRstAck) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.set_conn({});
  TcpTestbed u(TcpTestbed::default_config());
  u.inject(seg().syn().seq(1000).len(0));
  // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, SYN counts as one.
  auto r = u.pop();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->repr.flags, tcp_flags::kRst | tcp_flags::kAck);
  EXPECT_EQ(r->repr.seq.raw(), 0u);
  EXPECT_EQ(r->repr.ack.raw(), 1001u);
  EXPECT_EQ(u.layer().counters().rsts_no_socket, 1u);
}

// RFC 9293 §3.10.7.1: a segment with ACK for no connection gets <SEQ=SEG.ACK><CTL=RST>.
TEST(TcpClosed, AckToClosedPortGetsRstWithItsAck) {
  TcpTestbed u(TcpTestbed::default_config());
  u.inject(seg().ack(777).seq(1000).data("hello"));
  u.expect(seg().rst().seq(777));
}

// RFC 9293 §3.10.7.1: a RST is never answered.
TEST(TcpClosed, RstToClosedPortIsNotAnswered) {
  TcpTestbed u(TcpTestbed::default_config());
  u.inject(seg().rst().ack(1).seq(1000));
  u.expect_nothing();
}

// RFC 9293 §3.10.1 / §3.7.1, RFC 7323, RFC 2018: connect() sends a SYN offering MSS, SACK,
// timestamps and window scaling like Linux.
TEST(TcpConnect, SynOffersLinuxOptions) {
  TcpTestbed t = TcpTestbed::connecting(8080);
  t.expect(seg().syn().seq(0).win(65535).mss(1460).sack_perm().ts(_, 0).wscale(3));
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kSynSent);
  EXPECT_FALSE(t.layer().readiness(t.conn()).writable);
}

// RFC 9293 §3.10.7.3: an acceptable SYN-ACK establishes the connection; we ACK it.
TEST(TcpConnect, SynAckEstablishesAndIsAcked) {
  TcpTestbed t = TcpTestbed::connecting(8080);
  t.expect(seg().syn());
  t.at(10_ms).inject(seg().syn().ack(1).seq(5000).mss(1400).sack_perm().ts(99, _).wscale(7));
  t.expect(seg().ack(5001).seq(1).ts(_, 99).no_sack());
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kEstablished);
  TcpStats st = *t.layer().stats(t.conn());
  EXPECT_EQ(st.snd_mss, 1400u - 12u);  // peer MSS minus the timestamp option
  EXPECT_EQ(st.snd_wscale, 7);
  EXPECT_TRUE(st.sack);
  EXPECT_TRUE(st.timestamps);
  EXPECT_EQ(st.srtt, 10_ms);  // RTT sample from the SYN (RFC 6298 §2.2)
}

// RFC 9293 §3.10.7.3 first: an ACK that does not acknowledge our SYN gets a RST.
TEST(TcpConnect, BadAckInSynSentGetsReset) {
  TcpTestbed t = TcpTestbed::connecting(8080);
  t.expect(seg().syn());
  t.inject(seg().syn().ack(12345).seq(5000));
  t.expect(seg().rst().seq(12345));
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kSynSent);
}

// RFC 9293 §3.10.7.3 second, RFC 5961 §3.2: RST acknowledging our SYN = connection refused.
TEST(TcpConnect, RstAckAnswerIsRefused) {
  TcpTestbed t = TcpTestbed::connecting(8080);
  t.expect(seg().syn());
  t.inject(seg().rst().ack(1).seq(0));
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kClosed);
  EXPECT_EQ(t.layer().error(t.conn()), TcpError::kRefused);
  EXPECT_TRUE(t.layer().readiness(t.conn()).error);
  EXPECT_EQ(t.layer().send(t.conn(), as_bytes(std::string("x"))).error(), TcpError::kRefused);
  t.expect_nothing_until(200_s);
}

// RFC 5961 §3.2: in SYN-SENT a RST without an acceptable ACK is dropped.
TEST(TcpConnect, RstWithoutAckInSynSentIsIgnored) {
  TcpTestbed t = TcpTestbed::connecting(8080);
  t.expect(seg().syn());
  t.inject(seg().rst().seq(0));
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kSynSent);
}

// RFC 6298 §5.5 and Linux tcp_syn_retries: SYN resent at 1, 3, 7 s ... then ETIMEDOUT.
TEST(TcpConnect, SynRetriesBackOffThenTimeOut) {
  TcpLayerConfig cfg = TcpTestbed::default_config();
  cfg.tcp.syn_retries = 3;
  TcpTestbed t = TcpTestbed::connecting(8080, cfg);
  t.expect(seg().syn().seq(0));
  EXPECT_EQ(t.expect_next(seg().syn().seq(0)), 1_s);
  EXPECT_EQ(t.expect_next(seg().syn().seq(0)), 3_s);
  EXPECT_EQ(t.expect_next(seg().syn().seq(0)), 7_s);
  t.expect_nothing_until(15_s - 1_ms);
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kSynSent);
  t.at(15_s);
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kClosed);
  EXPECT_EQ(t.layer().error(t.conn()), TcpError::kTimedOut);
  EXPECT_EQ(t.layer().poll_at(), Instant::never());
}

// A peer announcing a tiny MSS gets segments of Linux's tcp_min_snd_mss (48) octets, not 20:
// a floor on the per-segment work a peer can demand (CVE-2019-11479).
TEST(TcpListen, TinyPeerMssIsRaisedToFortyEight) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.inject(seg().syn().seq(1000).win(64240).mss(20));
  t.expect(seg().syn().ack(1001));
  t.inject(seg().ack(1).seq(1001).win(64240));
  SocketHandle c = *t.layer().accept(t.listener());
  t.set_conn(c);
  EXPECT_EQ(t.send(std::string(100, 'x')), 100u);
  t.expect(seg().ack(1001).seq(1).data(std::string(48, 'x')));
}

// A tiny MSS with timestamps does not wrap around when the 12 option octets are taken off:
// like Linux (__tcp_mtu_to_mss, tcp_mtu_to_mss) the MSS is raised to tcp_min_snd_mss (48)
// first and the timestamp option then takes its 12 octets from it.
TEST(TcpListen, TinyPeerMssWithTimestampsDoesNotWrap) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.inject(seg().syn().seq(1000).win(64240).mss(8).ts(100, 0));
  t.expect(seg().syn().ack(1001));
  t.inject(seg().ack(1).seq(1001).win(64240).ts(101, _));
  t.accept();
  EXPECT_EQ(t.layer().stats(t.conn())->snd_mss, 36u);
  EXPECT_EQ(t.send(std::string(100, 'x')), 100u);
  t.expect(seg().ack(1001).seq(1).data(std::string(36, 'x')));
}

// An MSS option of 0 is ignored, as if absent (Linux tcp_parse_options only takes a non-zero
// value): the send MSS is the RFC 9293 §3.7.1 default (MUST-15), 536 for IPv4.
TEST(TcpListen, ZeroMssOptionMeansDefault536) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.inject(seg().syn().seq(1000).mss(0));
  t.expect(seg().syn().ack(1001));
  t.inject(seg().ack(1).seq(1001));
  t.accept();
  EXPECT_EQ(t.layer().stats(t.conn())->snd_mss, 536u);
}

// The same for an active open, with timestamps (536 - 12).
TEST(TcpConnect, ZeroMssOptionInSynAckMeansDefault536) {
  TcpTestbed t = TcpTestbed::connecting(8080);
  t.expect(seg().syn().seq(0));
  t.inject(seg().syn().seq(5000).ack(1).mss(0).ts(100, _));
  t.expect(seg().ack(5001).seq(1));
  EXPECT_EQ(t.layer().stats(t.conn())->snd_mss, 524u);
}

// RFC 9293 §3.5 figure 7: simultaneous open - SYN crosses SYN, both end ESTABLISHED.
TEST(TcpConnect, SimultaneousOpen) {
  TcpTestbed t = TcpTestbed::connecting(8080);
  t.expect(seg().syn().seq(0));
  // The peer's own SYN (no ACK) to our port.
  t.inject(seg().syn().seq(300).mss(1460));
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kSynReceived);
  t.expect(seg().syn().seq(0).ack(301));
  // The peer's SYN-ACK acknowledges our SYN; its SYN is a duplicate, so it gets an ACK.
  t.inject(seg().syn().ack(1).seq(300).mss(1460));
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kEstablished);
  t.expect(seg().ack(301).seq(1));
}

// Linux: with SACK, that ACK reports the duplicate SYN as a D-SACK (RFC 2883 §4).
TEST(TcpConnect, SimultaneousOpenAcksTheDuplicateSynWithADsack) {
  TcpTestbed t = TcpTestbed::connecting(8080);
  t.expect(seg().syn().seq(0));
  t.inject(seg().syn().seq(300).mss(1460).sack_perm());
  t.expect(seg().syn().seq(0).ack(301).sack_perm());
  t.inject(seg().syn().ack(1).seq(300).mss(1460).sack_perm());
  t.expect(seg().ack(301).seq(1).sack(300, 301));
}

// RFC 6528 §3: ISN = M + F(4-tuple, key): different per 4-tuple, advancing with a 4 us clock,
// and the same for the same seed, tuple and time (replayable).
// The connection table's hash is keyed: the same tuple lands elsewhere under another key, so
// a peer cannot precompute colliding tuples (issue 11: "the 4-tuple hash is unkeyed").
TEST(TcpConnect, TupleHashIsKeyed) {
  TcpTuple t{Ipv4Addr({198, 18, 0, 2}), Ipv4Addr({198, 18, 0, 1}), 80, 40000};
  TcpTupleHash k1{{1, 2}}, k1_again{{1, 2}}, k2{{3, 4}};
  EXPECT_EQ(k1(t), k1_again(t));
  EXPECT_NE(k1(t), k2(t));
  TcpTuple u = t;
  u.remote_port = 40001;
  EXPECT_NE(k1(t), k1(u));
}

TEST(TcpConnect, IsnDependsOnTupleAndTime) {
  IpAddr peer = Ipv4Addr({198, 18, 0, 1});
  auto isn_of = [&](Duration at, std::uint16_t local_port) {
    TcpLayer layer(TcpTestbed::default_config());
    FakeIpSender ip;
    EXPECT_TRUE(layer.connect(Instant() + at, ip, peer, 80, std::nullopt, local_port).ok());
    layer.poll(Instant() + at, ip);
    EXPECT_EQ(ip.sent.size(), 1u);
    return ip.sent.empty() ? 0u : load_be32(ip.sent[0].bytes, 4);
  };
  std::uint32_t a = isn_of(0_s, 1111);
  EXPECT_NE(a, isn_of(0_s, 2222));
  EXPECT_EQ(a, isn_of(0_s, 1111));
  EXPECT_EQ(isn_of(1_s, 1111) - a, 250000u);  // 1 s in 4 us ticks
}

// RFC 6056 §3.3.3: ephemeral ports come from the configured range and do not repeat for the
// same destination.
TEST(TcpConnect, EphemeralPortsAreDistinctAndInRange) {
  TcpLayer layer(TcpTestbed::default_config());
  FakeIpSender ip;
  IpAddr peer = Ipv4Addr({198, 18, 0, 1});
  std::set<std::uint16_t> ports;
  for (int i = 0; i < 200; ++i) {
    auto h = layer.connect(Instant(), ip, peer, 80);
    ASSERT_TRUE(h.ok());
    std::uint16_t p = layer.tuple(*h)->local_port;
    EXPECT_GE(p, 32768);
    EXPECT_LE(p, 60999);
    ports.insert(p);
  }
  EXPECT_EQ(ports.size(), 200u);
}

TEST(TcpConnect, NoRouteIsReported) {
  TcpLayer layer(TcpTestbed::default_config());
  FakeIpSender ip;
  ip.reachable = false;
  auto h = layer.connect(Instant(), ip, Ipv4Addr({198, 18, 9, 9}), 80);
  EXPECT_EQ(h.error(), TcpError::kNoRoute);
}

// Linux bind rules: a second listener on the same port is refused even with SO_REUSEADDR.
TEST(TcpListen, SecondListenerOnSamePortIsAddressInUse) {
  TcpTestbed t = TcpTestbed::listening(80);
  TcpSocketOptions reuse;
  reuse.reuse_addr = true;
  EXPECT_EQ(t.layer().listen(Ipv4Addr({198, 18, 0, 2}), 80, 5, reuse).error(),
            TcpError::kAddressInUse);
  EXPECT_EQ(t.layer().listen(IpAddr(Ipv4Addr()), 80, 5).error(), TcpError::kAddressInUse);
  EXPECT_TRUE(t.layer().listen(Ipv4Addr({198, 18, 0, 2}), 81, 5).ok());
}

// Linux bind rules: a connection left from an old listener blocks a new listener unless both
// use SO_REUSEADDR.
TEST(TcpListen, ReuseAddrAllowsListeningOverOldConnections) {
  TcpSocketOptions reuse;
  reuse.reuse_addr = true;
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), reuse);
  ASSERT_FALSE(t.layer().close(t.listener()));
  EXPECT_EQ(t.layer().listen(Ipv4Addr({198, 18, 0, 2}), 80, 5).error(), TcpError::kAddressInUse);
  EXPECT_TRUE(t.layer().listen(Ipv4Addr({198, 18, 0, 2}), 80, 5, reuse).ok());
}

// Linux: a SYN is dropped while the accept queue is full (SYN cookies or not); so is the final
// ACK.
TEST(TcpListen, BacklogBoundsSynQueueAndAcceptQueue) {
  TcpTestbed t = TcpTestbed::listening(80, TcpTestbed::default_config(), 1);
  t.inject(seg().syn().seq(1000));
  t.expect(seg().syn().ack(1001));
  t.inject(seg().ack(1).seq(1001));
  EXPECT_TRUE(t.layer().readiness(t.listener()).accept_ready);
  // Accept queue full: a new SYN (another peer port) is dropped.
  SegSpec syn2 = seg().syn().seq(7000);
  TcpRepr r;
  r.src_port = 40001;
  r.dst_port = 80;
  r.seq = SeqNum(7000);
  r.flags = tcp_flags::kSyn;
  r.window = 1000;
  ByteVec b(r.buffer_len());
  r.emit(b, Ipv4Addr({198, 18, 0, 1}), Ipv4Addr({198, 18, 0, 2}), ChecksumMode::kCompute);
  t.inject_bytes(b);
  t.expect_nothing();
  EXPECT_EQ(t.layer().counters().drops_listen_overflow, 1u);
  t.accept();
  t.inject_bytes(b);
  auto synack = t.pop();
  ASSERT_TRUE(synack.has_value());
  EXPECT_EQ(synack->repr.flags, tcp_flags::kSyn | tcp_flags::kAck);
  (void)syn2;
}

// Linux inet_csk_listen_stop: closing a listener resets connections not yet accepted.
TEST(TcpListen, ClosingListenerResetsUnacceptedConnections) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.inject(seg().syn().seq(1000));
  t.expect(seg().syn().ack(1001));
  t.inject(seg().ack(1).seq(1001));
  ASSERT_FALSE(t.layer().close(t.listener()));
  t.at(1_ms);
  t.expect(seg().rst().ack(1001).seq(1));
  EXPECT_EQ(t.layer().socket_count(), 0u);
}

// RFC 9293 §3.10.7.4 fourth (RFC 5961 §4): a retransmitted SYN in SYN-RECEIVED gets the
// SYN-ACK again (Linux).
TEST(TcpListen, RetransmittedSynGetsSynAckAgain) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.inject(seg().syn().seq(1000));
  t.expect(seg().syn().ack(1001));
  t.at(300_ms).inject(seg().syn().seq(1000));
  t.expect(seg().syn().ack(1001));
}

// RFC 9293 §3.10.7.4 second: a RST in SYN-RECEIVED (passive) drops the embryonic connection.
TEST(TcpListen, RstInSynReceivedReturnsToListen) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.inject(seg().syn().seq(1000));
  t.expect(seg().syn().ack(1001));
  t.inject(seg().rst().seq(1001));
  EXPECT_EQ(t.layer().socket_count(), 1u);
  t.expect_nothing_until(10_s);
}

// RFC 9293 §3.10.7.4 "fourth" (SYN-RECEIVED from a passive OPEN: back to LISTEN) as Linux
// does it (tcp_check_req, embryonic_reset): an in-window SYN that is not a retransmission of
// the first gets <SEQ=0><ACK=SEG.SEQ+1><RST,ACK> and the embryonic connection is dropped, not
// a challenge ACK.
TEST(TcpListen, InWindowSynInSynReceivedResetsTheEmbryonicConnection) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.inject(seg().syn().seq(1000));
  t.expect(seg().syn().ack(1001));
  t.inject(seg().syn().seq(1500));
  t.expect(seg().rst().ack(1501));
  EXPECT_EQ(t.layer().socket_count(), 1u);  // only the listener
  t.expect_nothing_until(10_s);
}

// Linux tcp_rcv_state_process (LISTEN): a SYN that also carries FIN is discarded, no SYN-ACK.
TEST(TcpListen, SynFinToListenerIsDropped) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.inject(seg().syn().fin().seq(1000));
  t.expect_nothing_until(5_s);
  EXPECT_EQ(t.layer().socket_count(), 1u);
}

// RFC 9293 §3.10.7.4 fifth: in SYN-RECEIVED an unacceptable ACK gets <SEQ=SEG.ACK><RST>.
TEST(TcpListen, BadAckInSynReceivedGetsReset) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.inject(seg().syn().seq(1000));
  t.expect(seg().syn().ack(1001));
  t.inject(seg().ack(50).seq(1001));
  t.expect(seg().rst().seq(50));
}

// A bare SYN from 198.18.0.1:40000 to 198.18.0.2:80 as raw bytes, for the tests that deliver
// it outside inject() (own IpRxMeta, corrupted bytes).
ByteVec raw_syn_to_port_80() {
  TcpRepr r;
  r.src_port = 40000;
  r.dst_port = 80;
  r.flags = tcp_flags::kSyn;
  ByteVec b(r.buffer_len());
  r.emit(b, Ipv4Addr({198, 18, 0, 1}), Ipv4Addr({198, 18, 0, 2}), ChecksumMode::kCompute);
  return b;
}

// RFC 9293 §3.9.2.1 (MUST-57 area), RFC 1122 §4.2.3.10: segments to a broadcast or multicast
// destination are dropped silently.
TEST(TcpListen, SynToBroadcastIsDropped) {
  TcpTestbed t = TcpTestbed::listening(80);
  ByteVec b = raw_syn_to_port_80();
  IpRxMeta meta;
  meta.src = Ipv4Addr({198, 18, 0, 1});
  meta.dst = Ipv4Addr({198, 18, 0, 2});
  meta.dst_is_broadcast_or_multicast = true;
  t.layer().on_packet(Instant(), meta, b, t.ip());
  t.expect_nothing();
  EXPECT_EQ(t.layer().counters().drops_broadcast, 1u);
}

// Linux tcp_parse_options: a SYN whose option list breaks (an option of length 0 after the MSS)
// is still answered, with the options before the bad one (the MSS) taken; the bad option is
// counted.
TEST(TcpListen, SynWithAMalformedOptionIsAnsweredWithTheOptionsBeforeIt) {
  TcpTestbed t = TcpTestbed::listening(80);
  ByteVec b(28);
  store_be16(b, 0, 40000);
  store_be16(b, 2, 80);
  store_be32(b, 4, 1000);
  b[12] = 7 << 4;
  b[13] = tcp_flags::kSyn;
  store_be16(b, 14, 64240);
  const std::uint8_t opts[] = {2, 4, 0x02, 0x18, 3, 0, 1, 1};  // mss 536, wscale length 0
  std::copy(std::begin(opts), std::end(opts), b.begin() + 20);
  TcpRepr::fill_checksum(b, Ipv4Addr({198, 18, 0, 1}), Ipv4Addr({198, 18, 0, 2}),
                         ChecksumMode::kCompute);
  t.inject_bytes(b);
  t.expect(seg().syn().ack(1001).mss(1460).no_wscale().no_sack_perm().no_ts());
  EXPECT_EQ(t.layer().counters().options_malformed, 1u);
  EXPECT_EQ(t.layer().counters().drops_malformed, 0u);
}

// Corrupted segments fail the checksum and are counted, not answered.
TEST(TcpListen, CorruptSegmentIsDroppedByChecksum) {
  TcpTestbed t = TcpTestbed::listening(80);
  ByteVec b = raw_syn_to_port_80();
  b[5] ^= 0x40;
  t.inject_bytes(b);
  t.expect_nothing();
  EXPECT_EQ(t.layer().counters().drops_bad_checksum, 1u);
}

// RFC 9293 §3.9.1.1 (MUST-42): several listeners on one port with different local addresses.
TEST(TcpListen, ListenersOnSamePortWithDifferentAddresses) {
  TcpLayer layer(TcpTestbed::default_config());
  EXPECT_TRUE(layer.listen(Ipv4Addr({198, 18, 0, 2}), 80, 4).ok());
  EXPECT_TRUE(layer.listen(Ipv4Addr({198, 18, 0, 3}), 80, 4).ok());
  EXPECT_TRUE(layer.listen(*Ipv6Addr::parse("fd00::2"), 80, 4).ok());
}

// RFC 9293 §3.9.1.1 (MUST-46): no active open toward a broadcast or multicast address.
TEST(TcpConnect, ConnectToBroadcastOrMulticastIsInvalid) {
  TcpLayer layer(TcpTestbed::default_config());
  FakeIpSender ip;
  EXPECT_EQ(layer.connect(Instant(), ip, Ipv4Addr::broadcast(), 80).error(), TcpError::kInvalid);
  EXPECT_EQ(layer.connect(Instant(), ip, Ipv4Addr({224, 0, 0, 1}), 80).error(), TcpError::kInvalid);
}

// RFC 9293 §3.7.1 (MUST-15): without an MSS option the send MSS is 536 (IPv4).
TEST(TcpListen, MissingMssOptionMeansDefault536) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.inject(seg().syn().seq(1000));
  t.expect(seg().syn().ack(1001));
  t.inject(seg().ack(1).seq(1001));
  t.accept();
  EXPECT_EQ(t.layer().stats(t.conn())->snd_mss, 536u);
}

// IPv6: the pseudo header and the default MSS of 1220 (MUST-15) for IPv6.
TEST(TcpListen, Ipv6HandshakeWorks) {
  TcpTestbed t(TcpTestbed::default_config());
  IpAddr local = *Ipv6Addr::parse("fd00:1::2");
  IpAddr peer = *Ipv6Addr::parse("fd00:1::1");
  t.ip().local = local;
  auto l = t.layer().listen(local, 80, 4);
  ASSERT_TRUE(l.ok());
  TcpRepr syn;
  syn.src_port = 40000;
  syn.dst_port = 80;
  syn.seq = SeqNum(1000);
  syn.flags = tcp_flags::kSyn;
  syn.window = 64800;
  ByteVec b(syn.buffer_len());
  syn.emit(b, peer, local, ChecksumMode::kCompute);
  IpRxMeta meta;
  meta.src = peer;
  meta.dst = local;
  t.layer().on_packet(Instant(), meta, b, t.ip());
  ASSERT_EQ(t.ip().sent.size(), 1u);
  auto r = TcpRepr::parse(t.ip().sent[0].bytes, local, peer);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->flags, tcp_flags::kSyn | tcp_flags::kAck);
  EXPECT_EQ(r->options.mss, 1440);  // 1500 - 40 - 20
}

// RFC 9293 §3.9.2.1 (MUST-63): a SYN from a multicast or broadcast source is dropped.
TEST(TcpListen, SynFromInvalidSourceIsDropped) {
  TcpTestbed t = TcpTestbed::listening(80);
  TcpRepr syn;
  syn.src_port = 40000;
  syn.dst_port = 80;
  syn.flags = tcp_flags::kSyn;
  IpAddr bad = Ipv4Addr::broadcast();
  ByteVec b(syn.buffer_len());
  syn.emit(b, bad, t.ip().local, ChecksumMode::kCompute);
  IpRxMeta meta;
  meta.src = bad;
  meta.dst = t.ip().local;
  t.layer().on_packet(Instant(), meta, b, t.ip());
  t.expect_nothing();
  EXPECT_EQ(t.layer().counters().drops_broadcast, 1u);
}

}  // namespace
}  // namespace ustack::testing
