// Catch-all UDP sockets (UdpLayer::set_catch_all, send_as): a gateway's socket that receives the
// datagrams its clients send to any address and port and answers from there.
#include <gtest/gtest.h>

#include "stack/udp/testbed.h"

namespace ustack::testing {
namespace {

const IpAddr kFar4 = Ipv4Addr({198, 19, 7, 7});  // none of our addresses

// The baseline: a datagram nobody's socket takes gets ICMP port unreachable (RFC 1122
// §4.1.3.1).
TEST(UdpCatchAll, WithoutCatchAllNobodyTakesIt) {
  UdpTestbed t;
  t.bound(kAny4, 9999);
  EXPECT_EQ(t.inject(dgram(kPeer4, 5000, kFar4, 53, "q")), RxVerdict::kPortUnreachable);
}

// The catch-all socket gets it, with the address and port it was sent to (IP_RECVORIGDSTADDR).
TEST(UdpCatchAll, ReceivesDatagramsToAnyAddressAndPort) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 9999);
  ASSERT_FALSE(t.layer().set_catch_all(s));
  EXPECT_EQ(t.inject(dgram(kPeer4, 5000, kFar4, 53, "query")), RxVerdict::kDelivered);
  ByteVec buf(64);
  auto info = t.layer().recv_from(s, buf);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->from, (UdpEndpoint{kPeer4, 5000}));
  EXPECT_EQ(info->local, kFar4);
  EXPECT_EQ(info->local_port, 53);
}

// A socket bound to the port keeps its datagrams; the catch-all takes only the rest.
TEST(UdpCatchAll, BoundSocketsWinOverCatchAll) {
  UdpTestbed t;
  SocketHandle all = t.bound(kAny4, 9999);
  SocketHandle dns = t.bound(kUs4, 53);
  ASSERT_FALSE(t.layer().set_catch_all(all));
  t.inject(dgram(kPeer4, 5000, kUs4, 53, "mine"));
  EXPECT_EQ(t.recv(dns), "mine");
  EXPECT_FALSE(t.recv_from(all).has_value());
}

// send_as answers from the far address and port the client wrote to.
TEST(UdpCatchAll, SendAsUsesTheGivenSource) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 9999);
  ASSERT_FALSE(t.layer().set_catch_all(s));
  std::string reply = "answer";
  auto n = t.layer().send_as(t.now(), s, as_bytes(reply), UdpEndpoint{kFar4, 53},
                             UdpEndpoint{kPeer4, 5000}, t.ip());
  ASSERT_TRUE(n.ok());
  FakeUdpIp::Sent sent = t.pop_sent();
  EXPECT_EQ(sent.src, kFar4);
  EXPECT_EQ(sent.dst, kPeer4);
  EXPECT_EQ(sent.parse().src_port, 53);
  EXPECT_EQ(sent.payload(), "answer");
}

// Only the catch-all socket may send as another address.
TEST(UdpCatchAll, SendAsRefusedOnOrdinarySockets) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 9999);
  std::string data = "x";
  auto n = t.layer().send_as(t.now(), s, as_bytes(data), UdpEndpoint{kFar4, 53},
                             UdpEndpoint{kPeer4, 5000}, t.ip());
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error(), UdpError::kInvalid);
}

}  // namespace
}  // namespace ustack::testing
