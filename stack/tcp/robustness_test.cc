// Robustness: RFC 5961 (blind RST/SYN/data injection), keepalive (RFC 1122 §4.2.3.6), ICMP
// errors (RFC 5927, RFC 1122 §4.2.3.9), path MTU (RFC 1191/8201), tracer events, socket
// handles.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stack/tcp/testbed.h"

namespace ustack::testing {
namespace {

using namespace ustack::literals;

TcpTestbed plain() { return TcpTestbed::established(TcpTestbed::default_config(), {}, false); }

// RFC 5961 §3.2: a RST inside the window but not at RCV.NXT gets a challenge ACK and does
// not reset the connection.
TEST(TcpRfc5961, InWindowRstGetsChallengeAck) {
  TcpTestbed t = plain();
  t.inject(seg().rst().seq(1500));
  t.expect(seg().ack(1001).seq(1));
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kEstablished);
  EXPECT_EQ(t.layer().stats(t.conn())->challenge_acks, 1u);
}

// RFC 5961 §3.2 / RFC 9293 §3.10.7.4: a RST outside the window is dropped silently.
TEST(TcpRfc5961, OutOfWindowRstIsIgnored) {
  TcpTestbed t = plain();
  t.inject(seg().rst().seq(1001 + 10'000'000));
  t.expect_nothing();
  t.inject(seg().rst().seq(900));
  t.expect_nothing();
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kEstablished);
}

// RFC 5961 §4.2: a SYN on a synchronized connection gets a challenge ACK, whatever its
// sequence number; the connection survives.
TEST(TcpRfc5961, SynInEstablishedGetsChallengeAck) {
  TcpTestbed t = plain();
  t.inject(seg().syn().seq(1001));
  t.expect(seg().ack(1001).seq(1));
  t.inject(seg().syn().seq(77));
  t.expect(seg().ack(1001).seq(1));
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kEstablished);
}

// RFC 5961 §7: challenge ACKs are rate limited (100 per second per connection here).
TEST(TcpRfc5961, ChallengeAcksAreRateLimited) {
  TcpTestbed t = plain();
  int acks = 0;
  for (int i = 0; i < 300; ++i) {
    t.inject(seg().syn().seq(5000 + i));
    while (t.pop()) ++acks;
  }
  EXPECT_EQ(acks, 100);
  t.at(1100_ms).inject(seg().syn().seq(1));
  t.expect(seg().ack(1001));
}

// RFC 5961 §5.2 / RFC 9293 §3.10.7.4 fifth: an ACK for data never sent is answered with an
// ACK and its text dropped.
TEST(TcpRfc5961, AckOfUnsentDataIsAnsweredAndDropped) {
  TcpTestbed t = plain();
  t.inject(seg().ack(5000).seq(1001).data("injected"));
  t.expect(seg().ack(1001).seq(1));
  EXPECT_EQ(t.layer().stats(t.conn())->unread, 0u);
}

// RFC 5961 §5.2: an ACK older than SND.UNA - MAX.SND.WND is not acceptable either.
TEST(TcpRfc5961, AckFarBelowWindowIsAnsweredAndDropped) {
  TcpTestbed t = plain();
  t.inject(seg().ack(0x80000000u).seq(1001).data("injected"));
  t.expect(seg().ack(1001).seq(1));
  EXPECT_EQ(t.layer().stats(t.conn())->unread, 0u);
}

// Keepalive on: first probe after 10 s idle, then every 1 s, reset after 3 unanswered.
TcpSocketOptions keepalive_10s_1s_3() {
  TcpSocketOptions o;
  o.keepalive = true;
  o.keepalive_idle = 10_s;
  o.keepalive_interval = 1_s;
  o.keepalive_count = 3;
  return o;
}

// RFC 1122 §4.2.3.6, Linux TCP_KEEPIDLE/KEEPINTVL/KEEPCNT: probes after the idle time, then
// at the interval; after KEEPCNT unanswered probes the connection is reset with ETIMEDOUT.
TEST(TcpKeepalive, UnansweredProbesTimeOut) {
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), keepalive_10s_1s_3(), false);
  EXPECT_EQ(t.expect_next(seg().ack(1001).seq(0).len(0)), 10_s);
  EXPECT_EQ(t.expect_next(seg().ack(1001).seq(0).len(0)), 11_s);
  EXPECT_EQ(t.expect_next(seg().ack(1001).seq(0).len(0)), 12_s);
  EXPECT_EQ(t.expect_next(seg().rst().ack(1001).seq(1)), 13_s);
  EXPECT_EQ(t.layer().error(t.conn()), TcpError::kTimedOut);
}

// RFC 1122 §4.2.3.6: an answered probe keeps the connection; the idle time restarts.
TEST(TcpKeepalive, AnsweredProbeKeepsConnection) {
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), keepalive_10s_1s_3(), false);
  EXPECT_EQ(t.expect_next(seg().ack(1001).seq(0).len(0)), 10_s);
  t.inject(seg().ack(1).seq(1001));
  EXPECT_EQ(t.expect_next(seg().ack(1001).seq(0).len(0)), 20_s);
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kEstablished);
}

TEST(TcpKeepalive, OffByDefault) {
  TcpTestbed t = plain();
  t.expect_nothing_until(10800_s);
  EXPECT_EQ(t.layer().poll_at(), Instant::never());
}

IcmpError icmp_for(TcpTestbed& t, IcmpError::Kind kind, bool hard, std::uint32_t rel_seq) {
  IcmpError e;
  e.kind = kind;
  e.hard = hard;
  e.quoted_src = Ipv4Addr({198, 18, 0, 2});
  e.quoted_dst = Ipv4Addr({198, 18, 0, 1});
  static ByteVec quoted(8);
  store_be16(quoted, 0, t.local_port());
  store_be16(quoted, 2, t.layer().tuple(t.conn())->remote_port);
  store_be32(quoted, 4, t.iss() + rel_seq);
  e.quoted_transport = quoted;
  return e;
}

// RFC 5927 §4.1 / RFC 1122 §4.2.3.9: a hard ICMP error aborts a connection in SYN-SENT.
TEST(TcpIcmp, HardErrorAbortsConnectingSocket) {
  TcpTestbed t = TcpTestbed::connecting(8080);
  t.expect(seg().syn());
  t.layer().on_icmp_error(t.instant(), icmp_for(t, IcmpError::Kind::kPortUnreachable, true, 0),
                          t.ip());
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kClosed);
  EXPECT_EQ(t.layer().error(t.conn()), TcpError::kPortUnreachable);
}

// RFC 1122 §4.2.3.9: a soft error is remembered and reported if the connection times out.
TEST(TcpIcmp, SoftErrorIsReportedOnTimeout) {
  TcpLayerConfig cfg = TcpTestbed::default_config();
  cfg.tcp.syn_retries = 1;
  TcpTestbed t = TcpTestbed::connecting(8080, cfg);
  t.expect(seg().syn());
  t.layer().on_icmp_error(t.instant(), icmp_for(t, IcmpError::Kind::kHostUnreachable, false, 0),
                          t.ip());
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kSynSent);
  t.expect_next(seg().syn());
  t.at(10_s);
  EXPECT_EQ(t.layer().error(t.conn()), TcpError::kHostUnreachable);
}

// RFC 5927 §4.1: an ICMP error quoting a sequence number not in flight is ignored.
TEST(TcpIcmp, ErrorWithSequenceOutsideFlightIsIgnored) {
  TcpTestbed t = TcpTestbed::connecting(8080);
  t.expect(seg().syn());
  t.layer().on_icmp_error(t.instant(), icmp_for(t, IcmpError::Kind::kPortUnreachable, true, 5000),
                          t.ip());
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kSynSent);
  EXPECT_EQ(t.layer().counters().icmp_ignored, 1u);
}

// RFC 1191 §6.4 / RFC 8201: "fragmentation needed" lowers the MSS and what is in flight is
// resent in smaller segments.
TEST(TcpIcmp, FragmentationNeededLowersMss) {
  TcpTestbed t = plain();
  t.send(std::string(1460, 'x'));
  t.expect(seg().seq(1).len(1460).ack(1001));
  IcmpError e = icmp_for(t, IcmpError::Kind::kFragmentationNeeded, false, 1);
  e.next_hop_mtu = 1000;
  t.layer().on_icmp_error(t.instant(), e, t.ip());
  t.expect(seg().seq(1).len(960).ack(1001));
  EXPECT_EQ(t.layer().stats(t.conn())->snd_mss, 960u);
}

struct Recorder : Tracer {
  std::vector<TraceEvent> events;
  void on_event(const TraceEvent& e) override { events.push_back(e); }
  std::vector<std::string> states() const {
    std::vector<std::string> s;
    for (const auto& e : events) {
      if (e.kind == TraceKind::kTcpState) s.push_back(e.what);
    }
    return s;
  }
  int count(TraceKind k) const {
    int n = 0;
    for (const auto& e : events) n += e.kind == k;
    return n;
  }
};

// Every state change, segment, retransmission, RTT sample and cwnd change is traced.
TEST(TcpTrace, LifecycleIsTraced) {
  Recorder rec;
  TcpLayer layer(TcpTestbed::default_config(), &rec);
  FakeIpSender ip;
  IpAddr peer = Ipv4Addr({198, 18, 0, 1});
  auto h = layer.connect(Instant(), ip, peer, 80);
  ASSERT_TRUE(h.ok());
  layer.poll(Instant(), ip);
  ASSERT_EQ(ip.sent.size(), 1u);
  SeqNum iss(load_be32(ip.sent[0].bytes, 4));
  // SYN-ACK from the peer.
  TcpRepr synack;
  synack.src_port = 80;
  synack.dst_port = layer.tuple(*h)->local_port;
  synack.seq = SeqNum(9000);
  synack.ack = iss + 1;
  synack.flags = tcp_flags::kSyn | tcp_flags::kAck;
  synack.window = 65535;
  synack.options.mss = 1460;
  ByteVec b(synack.buffer_len());
  synack.emit(b, peer, ip.local, ChecksumMode::kCompute);
  IpRxMeta meta;
  meta.src = peer;
  meta.dst = ip.local;
  layer.on_packet(Instant() + Duration::millis(5), meta, b, ip);
  (void)layer.send(*h, as_bytes(std::string("data")));
  layer.poll(Instant() + Duration::millis(5), ip);
  layer.poll(Instant() + Duration::seconds(2), ip);  // RTO fires
  EXPECT_EQ(rec.states(), (std::vector<std::string>{"CLOSED->SYN_SENT", "SYN_SENT->ESTABLISHED"}));
  EXPECT_GE(rec.count(TraceKind::kTcpSegmentOut), 3);
  EXPECT_GE(rec.count(TraceKind::kTcpSegmentIn), 1);
  EXPECT_EQ(rec.count(TraceKind::kTcpRttSample), 1);
  EXPECT_GE(rec.count(TraceKind::kTcpRetransmit), 1);
  EXPECT_GE(rec.count(TraceKind::kTcpCongestion), 1);
  for (const auto& e : rec.events) EXPECT_FALSE(e.to_string().empty());
}

// Handles are generation-checked: a freed slot reused by a new socket does not answer to the
// old handle.
TEST(TcpHandles, StaleHandleIsRejectedAfterSlotReuse) {
  TcpLayer layer(TcpTestbed::default_config());
  auto l1 = layer.listen(Ipv4Addr({198, 18, 0, 2}), 80, 4);
  ASSERT_TRUE(l1.ok());
  ASSERT_FALSE(layer.close(*l1));
  auto l2 = layer.listen(Ipv4Addr({198, 18, 0, 2}), 81, 4);
  ASSERT_TRUE(l2.ok());
  EXPECT_EQ(l2->index, l1->index);
  EXPECT_NE(l2->generation, l1->generation);
  EXPECT_EQ(layer.state(*l1).error(), TcpError::kBadHandle);
  EXPECT_EQ(layer.close(*l1), TcpError::kBadHandle);
  EXPECT_EQ(*layer.state(*l2), TcpState::kListen);
}

TEST(TcpHandles, WrongKindOfSocketIsRejected) {
  TcpTestbed t = plain();
  EXPECT_EQ(t.layer().accept(t.conn()).error(), TcpError::kInvalid);
  EXPECT_EQ(t.layer().send(t.listener(), as_bytes(std::string("x"))).error(),
            TcpError::kNotConnected);
  EXPECT_EQ(t.layer().stats(t.listener()).error(), TcpError::kInvalid);
}

// `ss -ti`-like statistics.
TEST(TcpStatsTest, StatsLineShowsStateAndCounters) {
  TcpTestbed t = TcpTestbed::established();
  t.send("hello");
  t.expect(seg().data("hello").ack(1001));
  std::string line = t.layer().stats(t.conn())->to_string();
  EXPECT_NE(line.find("ESTABLISHED sack ts wscale:7,3"), std::string::npos) << line;
  EXPECT_NE(line.find("mss:1448"), std::string::npos) << line;
  EXPECT_NE(line.find("cwnd:10"), std::string::npos) << line;
  EXPECT_NE(line.find("bytes_sent:5"), std::string::npos) << line;
}

// RFC 9293 §3.9.2.2 (MUST-55/56): source quench (unknown kinds) is ignored; time exceeded and
// parameter problem never abort, even while connecting.
TEST(TcpIcmp, TimeExceededAndUnknownNeverAbort) {
  TcpTestbed t = TcpTestbed::connecting(8080);
  t.expect(seg().syn());
  for (auto kind : {IcmpError::Kind::kTimeExceeded, IcmpError::Kind::kParameterProblem,
                    IcmpError::Kind::kOther, IcmpError::Kind::kHostUnreachable}) {
    t.layer().on_icmp_error(t.instant(), icmp_for(t, kind, true, 0), t.ip());
    EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kSynSent);
  }
}

// RFC 9293 §3.10.7.4 (MUST-66): a RST is processed even when our receive window is zero.
TEST(TcpRfc5961, RstIsProcessedWithZeroWindow) {
  TcpSocketOptions o;
  o.recv_buffer = 2048;
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), o, false);
  t.inject(seg().ack(1).seq(1001).data(std::string(2048, 'z')));
  t.at(100_ms);
  while (t.pop()) {
  }
  t.inject(seg().rst().seq(1001 + 2048));
  EXPECT_EQ(t.layer().error(t.conn()), TcpError::kReset);
}

// RFC 9293 §3.7.1 (MUST-65): the MSS option only appears on SYNs.
TEST(TcpRfc5961, NoMssOptionOnDataSegments) {
  TcpTestbed t = plain();
  t.send("x");
  t.expect(seg().data("x").ack(1001).no_mss());
}

// R2 per socket (MUST-21).
TEST(TcpRetransmitOption, Retries2CanBeSetPerSocket) {
  TcpSocketOptions o;
  o.retries2 = 1;
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), o, false);
  t.send("x");
  t.expect(seg().data("x").ack(1001));
  t.expect_next(seg().data("x").ack(1001));
  t.at(5_s);
  EXPECT_EQ(t.layer().error(t.conn()), TcpError::kTimedOut);
}

// RFC 7323 §4.3 (Linux tcp_ack -> tcp_replace_ts_recent): TS.Recent is taken only from a
// segment that passes the RST, SYN and ACK checks, so a blind attacker who guesses the
// sequence number but not the ACK cannot poison PAWS against the real peer.
TEST(TcpRfc7323, SegmentWithUnacceptableAckDoesNotUpdateTsRecent) {
  TcpTestbed t = TcpTestbed::established();
  t.inject(seg().ack(50000).seq(1001).data("evil").ts(2000000000, 0));
  t.expect(seg().ack(1001).seq(1).ts(_, 101));  // the challenge ACK echoes the old TS.Recent
  t.inject(seg().ack(1).seq(1001).data("good").ts(200, _));
  t.expect(seg().ack(1005).ts(_, 200));
  EXPECT_EQ(t.recv(), "good");
  EXPECT_EQ(t.layer().stats(t.conn())->drops_paws, 0u);
}

// RFC 7323 §4.3: an in-window SYN (answered with a challenge ACK, RFC 5961 §4.2) does not
// update TS.Recent.
TEST(TcpRfc7323, SynInWindowDoesNotUpdateTsRecent) {
  TcpTestbed t = TcpTestbed::established();
  t.inject(seg().syn().seq(1001).ts(2000000000, 0));
  t.expect(seg().ack(1001).seq(1).ts(_, 101));
  t.inject(seg().ack(1).seq(1001).data("good").ts(200, _));
  t.expect(seg().ack(1005).ts(_, 200));
  EXPECT_EQ(t.recv(), "good");
}

// RFC 7323 §4.3: a segment without ACK is dropped (RFC 9293 §3.10.7.4 "fifth") and does not
// update TS.Recent either.
TEST(TcpRfc7323, SegmentWithoutAckDoesNotUpdateTsRecent) {
  TcpTestbed t = TcpTestbed::established();
  t.inject(seg().seq(1001).data("evil").ts(2000000000, 0));
  t.expect_nothing();
  t.inject(seg().ack(1).seq(1001).data("good").ts(200, _));
  t.expect(seg().ack(1005).ts(_, 200));
  EXPECT_EQ(t.recv(), "good");
}

// RFC 7323 §5.5 (Linux tcp_paws_check, TCP_PAWS_24DAYS): after more than 24 days without a
// segment, TS.Recent is invalid: a segment whose TSval looks older (the peer's clock wrapped
// or restarted) is accepted and its TSval becomes TS.Recent.
TEST(TcpRfc7323, TsRecentIsInvalidAfter24DaysIdle) {
  TcpTestbed t = TcpTestbed::established();
  t.inject(seg().ack(1).seq(1001).data("a").ts(2000000000u, _));
  t.expect(seg().ack(1002).ts(_, 2000000000u));
  t.at(t.now() + Duration::seconds(25 * 86400));
  t.inject(seg().ack(1).seq(1002).data("b").ts(5, _));
  t.expect(seg().ack(1003).ts(_, 5));
  EXPECT_EQ(t.recv(), "ab");
  EXPECT_EQ(t.layer().stats(t.conn())->drops_paws, 0u);
}

// Within 24 days PAWS still applies.
TEST(TcpRfc7323, TsRecentIsValidWithin24Days) {
  TcpTestbed t = TcpTestbed::established();
  t.inject(seg().ack(1).seq(1001).data("a").ts(2000000000u, _));
  t.expect(seg().ack(1002).ts(_, 2000000000u));
  t.at(t.now() + Duration::seconds(23 * 86400));
  t.inject(seg().ack(1).seq(1002).data("b").ts(5, _));
  t.expect(seg().ack(1002).ts(_, 2000000000u));
  EXPECT_EQ(t.layer().stats(t.conn())->drops_paws, 1u);
}

// Linux tcp_oow_rate_limited (sysctl tcp_invalid_ratelimit, 500 ms): a pure ACK outside the
// window is answered with a duplicate ACK at most once per 500 ms, so two hosts that disagree
// about the window cannot ACK each other in a loop (RFC 9293 §3.10.7.4 "first" asks for the
// ACK; RFC 5961 §7 spirit for the limit).
TEST(TcpOutOfWindow, PureAckOutsideTheWindowIsAnsweredAtMostEvery500ms) {
  TcpTestbed t = plain();
  t.inject(seg().ack(1).seq(1001 + 10'000'000));
  t.expect(seg().ack(1001).seq(1));
  t.at(100_ms).inject(seg().ack(1).seq(1001 + 10'000'000));
  t.expect_nothing();
  t.at(600_ms).inject(seg().ack(1).seq(1001 + 10'000'000));
  t.expect(seg().ack(1001).seq(1));
}

// The same limit applies to PAWS rejects (Linux tcp_validate_incoming); data segments are
// always answered (they are not part of an ACK loop).
TEST(TcpOutOfWindow, PawsRejectedPureAckIsRateLimitedButDataIsNot) {
  TcpTestbed t = TcpTestbed::established();
  t.inject(seg().ack(1).seq(1001).data("a").ts(500, _));
  t.expect(seg().ack(1002).ts(_, 500));
  t.inject(seg().ack(1).seq(1002).ts(400, _));
  t.expect(seg().ack(1002).ts(_, 500));
  t.inject(seg().ack(1).seq(1002).ts(400, _));
  t.expect_nothing();
  t.inject(seg().ack(1).seq(1001).data("a").ts(400, _));
  t.expect(seg().ack(1002).ts(_, 500));
}

}  // namespace
}  // namespace ustack::testing
