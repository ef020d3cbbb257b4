// StackConfig::transparent (`ustack sandbox`'s gateway): TCP and UDP to any unicast address
// reach the transports; nothing else to a far address is taken.
#include "stack/stack_test_util.h"

namespace ustack::testing {
namespace {

const Ipv4Addr kFar4 = ip4("198.19.7.7");
const Ipv6Addr kFar6 = ip6("fd00:77::7");

StackConfig transparent_config() {
  StackConfig cfg = test_config();
  cfg.transparent = true;
  return cfg;
}

// The baseline: a host drops what is not for it (RFC 1122 §3.2.1.3).
TEST(StackTransparent, OffByDefault) {
  Rig rig;
  FakeTransport udp(IpProto::kUdp);
  rig.stack.register_transport(udp);
  rig.inject(
      V4(kPeer4, kFar4, IpProto::kUdp, udp_datagram(kPeer4, kFar4, 4000, 53, pattern(8))).bytes());
  EXPECT_TRUE(udp.packets.empty());
  EXPECT_EQ(rig.counter("drops.ipv4_not_for_us"), 1u);
}

TEST(StackTransparent, UdpAndTcpToAFarAddressReachTheTransports) {
  Rig rig(Medium::kIp, transparent_config());
  FakeTransport udp(IpProto::kUdp);
  FakeTransport tcp(IpProto::kTcp);
  rig.stack.register_transport(udp);
  rig.stack.register_transport(tcp);
  rig.inject(
      V4(kPeer4, kFar4, IpProto::kUdp, udp_datagram(kPeer4, kFar4, 4000, 53, pattern(8))).bytes());
  rig.inject(V4(kPeer4, kFar4, IpProto::kTcp, pattern(20)).bytes());
  ASSERT_EQ(udp.packets.size(), 1u);
  EXPECT_EQ(udp.packets[0].meta.dst, IpAddr(kFar4));
  EXPECT_FALSE(udp.packets[0].meta.dst_is_broadcast_or_multicast);
  ASSERT_EQ(tcp.packets.size(), 1u);
  EXPECT_EQ(tcp.packets[0].meta.dst, IpAddr(kFar4));
}

// A ping to a far host is not answered in its name (nor is any other protocol taken).
TEST(StackTransparent, IcmpToAFarAddressIsStillDropped) {
  Rig rig(Medium::kIp, transparent_config());
  rig.inject(V4(kPeer4, kFar4, IpProto::kIcmp, icmp4_echo_request(1, 1, {})).bytes());
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.ipv4_not_for_us"), 1u);
}

TEST(StackTransparent, Ipv6UdpToAFarAddressReachesTheTransport) {
  Rig rig(Medium::kIp, transparent_config());
  FakeTransport udp(IpProto::kUdp);
  rig.stack.register_transport(udp);
  rig.inject(
      v6_packet(kPeer6, kFar6, IpProto::kUdp, udp_datagram(kPeer6, kFar6, 4000, 53, pattern(8))));
  ASSERT_EQ(udp.packets.size(), 1u);
  EXPECT_EQ(udp.packets[0].meta.dst, IpAddr(kFar6));
}

TEST(StackTransparent, Ipv6IcmpToAFarAddressIsStillDropped) {
  Rig rig(Medium::kIp, transparent_config());
  rig.inject(
      v6_packet(kPeer6, kFar6, IpProto::kIcmpv6, icmp6_echo_request(kPeer6, kFar6, 1, 1, {})));
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.ipv6_not_for_us"), 1u);
}

}  // namespace
}  // namespace ustack::testing
