// The compact TIME-WAIT record (time_wait.h) through the layer, segment by segment: RFC 9293
// §3.10.7.4 / §3.10.8 with Linux's choices (tcp_timewait_state_process), the 2 MSL timer, the
// bucket limit (tcp_max_tw_buckets) and what a user's handle sees.
#include <gtest/gtest.h>

#include "stack/tcp/testbed.h"

namespace ustack::testing {
namespace {

using namespace ustack::literals;

// Established with timestamps (peer TSval 200 on its FIN), closed by us first: TIME-WAIT at
// 10 ms, the handle given back. Returns our TSval and window field on the ACK of the peer's
// FIN.
struct LastAck {
  std::uint32_t tsval = 0;
  std::uint16_t window = 0;
};
LastAck into_time_wait(TcpTestbed& t) {
  EXPECT_FALSE(t.layer().close(t.conn()));
  t.expect(seg().fin().ack_flag().seq(1));
  t.at(10_ms).inject(seg().fin().ack(2).seq(1001).ts(200, _));
  auto ack = t.pop();
  EXPECT_TRUE(ack.has_value());
  EXPECT_EQ(ack->repr.ack.raw(), 1002u);
  EXPECT_EQ(ack->repr.options.timestamps->ecr, 200u);
  EXPECT_EQ(t.layer().time_wait_count(), 1u);
  return {ack->repr.options.timestamps->val, ack->repr.window};
}

// RFC 9293 §3.10.8: a retransmitted FIN is ACKed again and restarts 2 MSL. The ACK carries the
// window the connection advertised and TSval from the 4-tuple's offset, TSecr = TS.Recent (an
// out-of-window FIN does not update it). The record's expiry is the layer's only timer.
TEST(TcpTimeWaitRecord, RetransmittedFinIsReAckedAndRestartsTwoMsl) {
  TcpTestbed t = TcpTestbed::established();
  LastAck last = into_time_wait(t);
  EXPECT_EQ(t.layer().memory().timers, 1u);
  EXPECT_EQ(t.layer().poll_at(), t.instant() + 60_s);
  t.at(20_s).inject(seg().fin().ack(2).seq(1001).ts(300, _));
  t.expect(seg().ack(1002).seq(2).win(last.window).ts(last.tsval + 19990, 200));
  t.expect_nothing_until(80_s - 1_ms);
  EXPECT_EQ(t.layer().time_wait_count(), 1u);
  t.at(80_s + 1_ms);
  EXPECT_EQ(t.layer().time_wait_count(), 0u);
  EXPECT_EQ(t.layer().counters().time_wait_expired, 1u);
  EXPECT_EQ(t.layer().poll_at(), Instant::never());
}

// Linux: a bare ACK at RCV.NXT restarts the timer and updates TS.Recent, silently.
TEST(TcpTimeWaitRecord, BareAckAtRcvNxtRestartsTheTimerSilently) {
  TcpTestbed t = TcpTestbed::established();
  LastAck last = into_time_wait(t);
  t.at(30_s).inject(seg().ack(2).seq(1002).ts(250, _));
  t.expect_nothing_until(89_s);
  EXPECT_EQ(t.layer().time_wait_count(), 1u);
  // TS.Recent is 250 now: the next re-ACK echoes it.
  t.inject(seg().fin().ack(2).seq(1001).ts(260, _));
  t.expect(seg().ack(1002).seq(2).ts(last.tsval + 88990, 250));
}

// Linux tcp_oow_rate_limited: out-of-window pure ACKs get one ACK per tcp_invalid_ratelimit
// (500 ms); a FIN, which occupies sequence space, always gets its ACK.
TEST(TcpTimeWaitRecord, OutOfWindowAcksAreRateLimitedFinsAreNot) {
  TcpTestbed t = TcpTestbed::established();
  into_time_wait(t);
  t.at(1_s).inject(seg().ack(2).seq(5000).ts(210, _));
  t.expect(seg().ack(1002).seq(2));
  t.at(1100_ms).inject(seg().ack(2).seq(5000).ts(211, _));
  t.expect_nothing();
  t.inject(seg().fin().ack(2).seq(1001).ts(212, _));
  t.expect(seg().ack(1002).seq(2));
  t.at(1600_ms).inject(seg().ack(2).seq(5000).ts(213, _));
  t.expect(seg().ack(1002).seq(2));
}

// RFC 1337 (TIME-WAIT assassination) with Linux's default tcp_rfc1337 = 0: a RST at RCV.NXT
// ends TIME-WAIT; the 4-tuple then belongs to nobody (a late ACK meets the listener: RST).
TEST(TcpTimeWaitRecord, RstAtRcvNxtEndsTimeWait) {
  TcpTestbed t = TcpTestbed::established();
  into_time_wait(t);
  t.at(1_s).inject(seg().rst().seq(1002));
  t.expect_nothing();
  EXPECT_EQ(t.layer().time_wait_count(), 0u);
  EXPECT_EQ(t.layer().counters().time_wait_killed, 1u);
  EXPECT_EQ(t.layer().poll_at(), Instant::never());
  t.inject(seg().ack(2).seq(1002));
  t.expect(seg().rst().seq(2));
}

// Any other RST (out of window, or older than TS.Recent within 60 s) is dropped silently.
TEST(TcpTimeWaitRecord, OtherRstsAreIgnored) {
  TcpTestbed t = TcpTestbed::established();
  into_time_wait(t);
  t.at(1_s).inject(seg().rst().seq(900));
  t.inject(seg().rst().seq(1002).ts(150, _));  // PAWS: older than TS.Recent (200)
  t.expect_nothing();
  EXPECT_EQ(t.layer().time_wait_count(), 1u);
  EXPECT_EQ(t.layer().counters().time_wait_killed, 0u);
}

// RFC 7323 §5.3: PAWS rejects a segment with an older TSval; TIME-WAIT answers with an ACK
// and restarts 2 MSL (Linux).
TEST(TcpTimeWaitRecord, PawsRejectedSegmentGetsAnAck) {
  TcpTestbed t = TcpTestbed::established();
  into_time_wait(t);
  t.at(30_s).inject(seg().ack(2).seq(1002).ts(100, _));
  t.expect(seg().ack(1002).seq(2).ts(_, 200));
  t.at(89_s);
  EXPECT_EQ(t.layer().time_wait_count(), 1u);
  t.at(90_s + 1_ms);
  EXPECT_EQ(t.layer().time_wait_count(), 0u);
}

// Linux tcp_v4_rcv (TCP_TW_SYN without a listener falls through to TCP_TW_ACK): a SYN that
// could reuse the 4-tuple but finds no listener gets the TIME-WAIT ACK, not a RST.
TEST(TcpTimeWaitRecord, AcceptableSynWithoutListenerGetsTheAck) {
  TcpTestbed t = TcpTestbed::established();
  into_time_wait(t);
  ASSERT_FALSE(t.layer().close(t.listener()));
  t.at(1_s).inject(seg().syn().seq(5000).mss(1460).ts(300, 0));
  t.expect(seg().ack(1002).seq(2));
  EXPECT_EQ(t.layer().time_wait_count(), 1u);
  EXPECT_EQ(t.layer().counters().time_wait_reused, 0u);
}

// 2 MSL is TcpConfig::time_wait, not a constant.
TEST(TcpTimeWaitRecord, ExpiresAfterTheConfiguredTimeWait) {
  TcpLayerConfig cfg = TcpTestbed::default_config();
  cfg.tcp.time_wait = 5_s;
  TcpTestbed t = TcpTestbed::established(cfg);
  into_time_wait(t);
  t.at(5_s + 9_ms);
  EXPECT_EQ(t.layer().time_wait_count(), 1u);
  t.at(5_s + 10_ms);
  EXPECT_EQ(t.layer().time_wait_count(), 0u);
}

// Linux tcp_max_tw_buckets: past the limit a connection closes without TIME-WAIT ("TCP: time
// wait bucket table overflow"), counted; a retransmitted FIN then meets the listener (RST).
TEST(TcpTimeWaitRecord, BucketLimitClosesWithoutTimeWait) {
  TcpLayerConfig cfg = TcpTestbed::default_config();
  cfg.max_time_wait = 0;
  TcpTestbed t = TcpTestbed::established(cfg);
  ASSERT_FALSE(t.layer().close(t.conn()));
  t.expect(seg().fin().ack_flag().seq(1));
  t.at(10_ms).inject(seg().fin().ack(2).seq(1001).ts(200, _));
  t.expect(seg().ack(1002).seq(2));
  EXPECT_EQ(t.layer().time_wait_count(), 0u);
  EXPECT_EQ(t.layer().counters().time_wait_overflow, 1u);
  EXPECT_EQ(t.layer().socket_count(), 1u);  // the listener
  EXPECT_EQ(t.layer().poll_at(), Instant::never());
  t.inject(seg().fin().ack(2).seq(1001).ts(201, _));
  t.expect(seg().rst().seq(2));
}

// A connection the user still holds stays whole in TIME-WAIT (its handle reports the state
// and unread data stays readable); closing the handle turns it into a record, with the rest
// of its 2 MSL, and the handle is then stale like any closed socket's.
TEST(TcpTimeWaitRecord, UserHeldConnectionBecomesARecordWhenClosed) {
  TcpTestbed t = TcpTestbed::established();
  ASSERT_FALSE(t.layer().shutdown(t.conn()));
  t.expect(seg().fin().ack_flag().seq(1));
  t.at(10_ms).inject(seg().fin().ack(2).seq(1001).ts(200, _).data("bye"));
  t.expect(seg().ack(1005).seq(2));
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kTimeWait);
  EXPECT_EQ(t.layer().time_wait_count(), 0u);
  EXPECT_EQ(t.recv(), "bye");
  t.at(20_s);
  ASSERT_FALSE(t.layer().close(t.conn()));
  EXPECT_LE(t.layer().poll_at(), t.instant());  // close() pokes the connection: poll now
  t.at(20_s);
  EXPECT_EQ(t.layer().time_wait_count(), 1u);
  EXPECT_EQ(t.layer().state(t.conn()).error(), TcpError::kBadHandle);
  EXPECT_TRUE(t.layer().readiness(t.conn()).closed);
  t.inject(seg().fin().ack(2).seq(1004).ts(210, _));
  t.expect(seg().ack(1005).seq(2).ts(_, 200));
  // The 2 MSL restarted at 20 s by the FIN: gone at 80 s.
  t.at(80_s + 1_ms);
  EXPECT_EQ(t.layer().time_wait_count(), 0u);
}

// Linux inet_csk_bind_conflict: a TIME-WAIT record holds its port against bind() unless the
// new socket sets SO_REUSEADDR.
TEST(TcpTimeWaitRecord, BindToATimeWaitPortNeedsReuseAddr) {
  TcpTestbed t = TcpTestbed::established();
  into_time_wait(t);
  ASSERT_FALSE(t.layer().close(t.listener()));
  SocketHandle a = t.layer().open(IpVersion::kV4);
  EXPECT_EQ(t.layer().bind(a, t.ip().local, 80), TcpError::kAddressInUse);
  SocketHandle b = t.layer().open(IpVersion::kV4, {.reuse_addr = true});
  EXPECT_EQ(t.layer().bind(b, t.ip().local, 80), std::nullopt);
  // bind(0) never picks a port with TIME-WAIT records.
  EXPECT_EQ(t.layer().bind(a, t.ip().local, 0), std::nullopt);
  EXPECT_NE(t.layer().tuple(a)->local_port, 80);
}

// Linux tcp_twsk_unique (tcp_tw_reuse = 1), packet by packet: with one ephemeral port, a new
// connect() to the same peer waits until TS.Recent of the TIME-WAIT record is older than 1 s,
// then takes the 4-tuple over with ISS = old SND.NXT + 65537 (above anything the old
// connection sent) and a TSval that continues the old connection's (same offset, later clock).
TEST(TcpTimeWaitRecord, ConnectTakesOverARecordAboveTheOldSequenceSpace) {
  TcpLayerConfig cfg = TcpTestbed::default_config();
  cfg.ephemeral_low = cfg.ephemeral_high = 50000;
  TcpTestbed t = TcpTestbed::connecting(80, cfg);
  t.expect(seg().syn().seq(0).ts(_, 0));
  t.inject(seg().syn().ack(1).seq(1000).mss(1460).ts(100, _));
  t.expect(seg().ack(1001).seq(1));
  ASSERT_FALSE(t.layer().close(t.conn()));
  t.expect(seg().fin().ack(1001).seq(1));
  t.at(10_ms).inject(seg().fin().ack(2).seq(1001).ts(200, _));
  t.expect(seg().ack(1002).seq(2));
  const std::uint32_t old_tsval = t.last_tsval();
  ASSERT_EQ(t.layer().time_wait_count(), 1u);
  const IpAddr peer = Ipv4Addr({198, 18, 0, 1});
  t.at(1_s);  // TS.Recent is 990 ms old: not yet
  EXPECT_EQ(t.layer().connect(t.instant(), t.ip(), peer, 80).error(), TcpError::kNoPorts);
  EXPECT_EQ(t.layer().counters().ephemeral_ports_exhausted, 1u);
  t.at(1011_ms);
  auto h = t.layer().connect(t.instant(), t.ip(), peer, 80);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(t.layer().tuple(*h)->local_port, 50000);
  EXPECT_EQ(t.layer().time_wait_count(), 0u);
  EXPECT_EQ(t.layer().counters().time_wait_reused_connect, 1u);
  t.at(1011_ms);
  auto syn = t.pop();
  ASSERT_TRUE(syn.has_value());
  EXPECT_TRUE(syn->repr.has(tcp_flags::kSyn));
  EXPECT_EQ(syn->repr.seq.raw(), t.iss() + 2 + 65537);
  EXPECT_EQ(syn->repr.options.timestamps->val, old_tsval + 1001);
}

}  // namespace
}  // namespace ustack::testing
