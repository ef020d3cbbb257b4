// TCP_MAXSEG (Linux rx_opt.user_mss, man 7 tcp): the cap on the MSS we announce in our SYN or
// SYN-ACK and on the segments we send (RFC 9293 §3.7.1: Eff.snd.MSS = min(SendMSS, MMS_S)),
// its range (Linux do_tcp_setsockopt) and what getsockopt reports (do_tcp_getsockopt).
#include <gtest/gtest.h>

#include "stack/tcp/testbed.h"

namespace ustack::testing {
namespace {

using namespace ustack::literals;

TcpSocketOptions maxseg(std::uint32_t mss) {
  TcpSocketOptions o;
  o.max_segment = mss;
  return o;
}

// Linux tcp_make_synack -> tcp_mss_clamp: a listener's TCP_MAXSEG caps the MSS its SYN-ACK
// announces, whatever the peer offered.
TEST(TcpMaxseg, ListenerSynAckAnnouncesTheCappedMss) {
  TcpTestbed t = TcpTestbed::listening(80, TcpTestbed::default_config(), 16, maxseg(536));
  t.inject(seg().syn().seq(1000).mss(1460));
  t.expect(seg().syn().ack(1001).mss(536));
}

// Linux tcp_parse_options clamps the peer's MSS to user_mss: an accepted connection sends
// segments of at most TCP_MAXSEG even though the peer offered more.
TEST(TcpMaxseg, AcceptedConnectionSendsSegmentsOfAtMostTheCap) {
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), maxseg(536),
                                         /*peer_ts=*/false);
  t.layer().set_nodelay(t.conn(), true);
  EXPECT_EQ(t.send(std::string(1000, 'x')), 1000u);
  t.expect(seg().ack(1001).seq(1).len(536));
  t.expect(seg().psh().ack(1001).seq(537).len(464));
  EXPECT_EQ(t.layer().stats(t.conn())->snd_mss, 536u);
}

// Linux: accepted sockets inherit the listener's user_mss (tcp_create_openreq_child copies
// rx_opt), so getsockopt on them shows it.
TEST(TcpMaxseg, AcceptedSocketInheritsTheListenersValue) {
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), maxseg(600));
  EXPECT_EQ(*t.layer().options(t.conn())->max_segment, 600u);
}

// Linux tcp_connect_init: user_mss caps the MSS our SYN announces.
TEST(TcpMaxseg, ConnectSynAnnouncesTheCappedMss) {
  TcpTestbed t = TcpTestbed::connecting(8080, TcpTestbed::default_config(), maxseg(1000));
  t.expect(seg().syn().mss(1000));
}

// The cap only lowers: a TCP_MAXSEG above the route's MSS leaves the route's (Linux
// tcp_mss_clamp takes the smaller).
TEST(TcpMaxseg, ValueAboveTheRouteMssChangesNothing) {
  TcpTestbed t = TcpTestbed::listening(80, TcpTestbed::default_config(), 16, maxseg(9000));
  t.inject(seg().syn().seq(1000).mss(1460));
  t.expect(seg().syn().ack(1001).mss(1460));
}

// Linux do_tcp_setsockopt: below TCP_MIN_MSS (88) or above MAX_TCP_WINDOW (32767) is EINVAL.
TEST(TcpMaxseg, ValueOutOfRangeIsInvalid) {
  TcpTestbed t = TcpTestbed::listening(80);
  EXPECT_EQ(t.layer().set_options(t.listener(), maxseg(87)), TcpError::kInvalid);
  EXPECT_EQ(t.layer().set_options(t.listener(), maxseg(32768)), TcpError::kInvalid);
  EXPECT_EQ(*t.layer().options(t.listener())->max_segment, 0u);  // unchanged
  EXPECT_FALSE(t.layer().set_options(t.listener(), maxseg(88)));
  EXPECT_FALSE(t.layer().set_options(t.listener(), maxseg(32767)));
}

// Linux do_tcp_setsockopt: 0 clears TCP_MAXSEG (the route decides again).
TEST(TcpMaxseg, ZeroClearsTheValue) {
  TcpTestbed t = TcpTestbed::listening(80, TcpTestbed::default_config(), 16, maxseg(536));
  EXPECT_FALSE(t.layer().set_options(t.listener(), maxseg(0)));
  t.inject(seg().syn().seq(1000).mss(1460));
  t.expect(seg().syn().ack(1001).mss(1460));
}

// Linux do_tcp_getsockopt: before connecting, TCP_MAXSEG reads back the user's value, or
// TCP_MSS_DEFAULT (536) if none was set.
TEST(TcpMaxseg, GetBeforeConnectingIsTheUserValueOrDefault) {
  TcpTestbed t = TcpTestbed::listening(80);
  SocketHandle h = t.layer().open(IpVersion::kV4);
  EXPECT_EQ(*t.layer().maxseg(h), 536u);
  ASSERT_FALSE(t.layer().set_options(h, maxseg(1000)));
  EXPECT_EQ(*t.layer().maxseg(h), 1000u);
  EXPECT_EQ(*t.layer().maxseg(t.listener()), 536u);
}

// Linux do_tcp_getsockopt: once connected, TCP_MAXSEG is the MSS the connection sends with
// (mss_cache: the timestamp option taken off).
TEST(TcpMaxseg, GetOnAConnectionIsItsSendMss) {
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), maxseg(1000));
  EXPECT_EQ(*t.layer().maxseg(t.conn()), 1000u - 12u);
}

// Linux: TCP_MAXSEG set on a live connection is stored (getsockopt in CLOSE/LISTEN shows it)
// but the negotiated MSS stays: mss_cache is only clamped at the handshake.
TEST(TcpMaxseg, SetOnALiveConnectionKeepsItsMss) {
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), {}, /*peer_ts=*/false);
  ASSERT_FALSE(t.layer().set_options(t.conn(), maxseg(500)));
  t.layer().set_nodelay(t.conn(), true);
  EXPECT_EQ(t.send(std::string(1000, 'x')), 1000u);
  t.expect(seg().psh().ack(1001).seq(1).len(1000));
  EXPECT_EQ(*t.layer().maxseg(t.conn()), 1460u);
}

}  // namespace
}  // namespace ustack::testing
