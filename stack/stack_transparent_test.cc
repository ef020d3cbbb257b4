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

StackConfig relay_echo_config() {
  StackConfig cfg = transparent_config();
  cfg.relay_echo = true;
  return cfg;
}

// relay_echo: a ping to a far host is queued for the gateway to relay, not answered.
TEST(StackTransparent, RelayEchoQueuesEchoRequestsToFarAddresses) {
  Rig rig(Medium::kIp, relay_echo_config());
  rig.inject(V4(kPeer4, kFar4, IpProto::kIcmp, icmp4_echo_request(77, 5, pattern(12))).bytes());
  rig.inject(
      v6_packet(kPeer6, kFar6, IpProto::kIcmpv6, icmp6_echo_request(kPeer6, kFar6, 78, 6, {})));
  EXPECT_TRUE(rig.sent().empty());
  auto e = rig.stack.pop_relayed_echo();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->from, IpAddr(kPeer4));
  EXPECT_EQ(e->to, IpAddr(kFar4));
  EXPECT_EQ(e->ident, 77);
  EXPECT_EQ(e->seq, 5);
  EXPECT_EQ(e->payload, pattern(12));
  auto e6 = rig.stack.pop_relayed_echo();
  ASSERT_TRUE(e6);
  EXPECT_EQ(e6->to, IpAddr(kFar6));
  EXPECT_EQ(e6->ident, 78);
  EXPECT_FALSE(rig.stack.pop_relayed_echo());
  // A ping to our own address is still answered by us, not queued.
  rig.inject(V4(kPeer4, kUs4, IpProto::kIcmp, icmp4_echo_request(1, 1, {})).bytes());
  EXPECT_EQ(rig.sent().size(), 1u);
  EXPECT_FALSE(rig.stack.pop_relayed_echo());
}

TEST(StackTransparent, RelayEchoStillDropsOtherIcmpToFarAddresses) {
  Rig rig(Medium::kIp, relay_echo_config());
  Icmpv4Repr r = *Icmpv4Repr::parse(icmp4_echo_request(1, 1, {}));
  r.type = Icmpv4Type::kEchoReply;
  ByteVec good(r.buffer_len());
  r.emit(good);
  rig.inject(V4(kPeer4, kFar4, IpProto::kIcmp, good).bytes());
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_FALSE(rig.stack.pop_relayed_echo());
  EXPECT_EQ(rig.counter("drops.ipv4_not_for_us"), 1u);
}

TEST(StackTransparent, SendEchoReplyFromAFarAddress) {
  Rig rig(Medium::kIp, relay_echo_config());
  ASSERT_TRUE(rig.stack.send_echo_reply(rig.now, kFar4, kPeer4, 77, 5, pattern(4)));
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  auto ip = Ipv4Repr::parse(out[0]);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->src, kFar4);
  EXPECT_EQ(ip->dst, kPeer4);
  auto icmp = Icmpv4Repr::parse(ip->payload);
  ASSERT_TRUE(icmp);
  EXPECT_EQ(icmp->type, Icmpv4Type::kEchoReply);
  EXPECT_EQ(icmp->ident, 77);
  EXPECT_EQ(icmp->seq_no, 5);
}

struct UnreachableCase {
  Stack::Unreachable why;
  std::uint8_t code;  // on the wire
};

// A gateway's report about a SYN it could not carry on: the quote holds the rebuilt header and
// the 8 transport bytes given (ports and sequence number), from our address, code by reason.
TEST(StackTransparent, SendUnreachableV4) {
  Rig rig(Medium::kIp, transparent_config());
  ByteVec head = pattern(8);
  for (UnreachableCase c :
       {UnreachableCase{Stack::Unreachable::kNet, 0}, UnreachableCase{Stack::Unreachable::kHost, 1},
        UnreachableCase{Stack::Unreachable::kPort, 3}}) {
    rig.now = rig.now + Duration::seconds(10);  // past the ICMP rate limit
    rig.stack.send_unreachable(rig.now, c.why, kPeer4, kFar4, IpProto::kTcp, head);
    auto out = rig.sent();
    ASSERT_EQ(out.size(), 1u);
    auto ip = Ipv4Repr::parse(out[0]);
    ASSERT_TRUE(ip);
    EXPECT_EQ(ip->src, kUs4);
    EXPECT_EQ(ip->dst, kPeer4);
    auto icmp = Icmpv4Repr::parse(ip->payload);
    ASSERT_TRUE(icmp);
    EXPECT_EQ(icmp->type, Icmpv4Type::kDestUnreachable);
    EXPECT_EQ(icmp->code, c.code);
    auto q = icmp->quote();
    ASSERT_TRUE(q);
    EXPECT_EQ(q->src, kPeer4);
    EXPECT_EQ(q->dst, kFar4);
    EXPECT_EQ(q->proto, IpProto::kTcp);
    EXPECT_EQ(ByteVec(q->transport.begin(), q->transport.end()), head);
  }
}

TEST(StackTransparent, SendUnreachableV6) {
  Rig rig(Medium::kIp, transparent_config());
  ByteVec head = pattern(8);
  for (UnreachableCase c :
       {UnreachableCase{Stack::Unreachable::kNet, 0}, UnreachableCase{Stack::Unreachable::kHost, 3},
        UnreachableCase{Stack::Unreachable::kPort, 4}}) {
    rig.now = rig.now + Duration::seconds(10);
    rig.stack.send_unreachable(rig.now, c.why, kPeer6, kFar6, IpProto::kUdp, head);
    auto out = rig.sent();
    ASSERT_EQ(out.size(), 1u);
    auto ip = Ipv6Repr::parse(out[0]);
    ASSERT_TRUE(ip);
    EXPECT_EQ(ip->src, kUs6);
    EXPECT_EQ(ip->dst, kPeer6);
    auto icmp = Icmpv6Repr::parse(ip->upper_payload, ip->src, ip->dst);
    ASSERT_TRUE(icmp);
    EXPECT_EQ(icmp->type, Icmpv6Type::kDestUnreachable);
    EXPECT_EQ(icmp->code, c.code);
    auto q = icmp->quote();
    ASSERT_TRUE(q);
    EXPECT_EQ(q->src, kPeer6);
    EXPECT_EQ(q->dst, kFar6);
    EXPECT_EQ(ByteVec(q->transport.begin(), q->transport.end()), head);
  }
}

}  // namespace
}  // namespace ustack::testing
