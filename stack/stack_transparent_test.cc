// StackConfig::transparent (`ustack sandbox`'s gateway): TCP and UDP to any unicast address
// reach the transports; nothing else to a far address is taken.
#include "stack/stack_test_util.h"
#include "stack/tcp/tcp_layer.h"

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

// The sending side (`ustack sandbox --publish`, source-IP preservation): a connection opened
// *from* an address not ours, toward a peer that routes everything through us. Its SYN leaves
// with that source, the peer's SYN-ACK to that address is taken by the connection (not by a
// catch-all listener, there is none), and the handshake completes with the ACK from it.
struct ForeignSourceOpen {
  explicit ForeignSourceOpen(StackConfig cfg) : rig(Medium::kIp, cfg), tcp(tcp_config()) {
    rig.stack.register_transport(tcp);
  }
  static TcpLayerConfig tcp_config() {
    TcpLayerConfig c;
    c.fixed_isn = 1000;
    return c;
  }
  // The stack's segments since the last call, with their IP source and destination.
  struct Out {
    Ipv4Repr ip;
    TcpRepr tcp;
    ByteVec bytes;
  };
  std::vector<Out> sent() {
    std::vector<Out> out;
    for (ByteVec& p : rig.sent()) {
      Out o;
      o.bytes = std::move(p);
      o.ip = *Ipv4Repr::parse(o.bytes);
      o.tcp = *TcpRepr::parse(o.ip.payload, IpAddr(o.ip.src), IpAddr(o.ip.dst));
      out.push_back(std::move(o));
    }
    return out;
  }
  // Opens the connection from kFar4:40000 to kPeer4:80; the SYN it sent.
  Out open() {
    auto r = tcp.connect(rig.now, rig.stack, IpAddr(kPeer4), 80, IpAddr(kFar4), 40000);
    EXPECT_TRUE(r.ok());
    h = r.ok() ? *r : SocketHandle{};
    rig.stack.poll(rig.now);
    std::vector<Out> out = sent();
    EXPECT_EQ(out.size(), 1u);
    return out.empty() ? Out{} : out[0];
  }
  void inject_syn_ack(const Out& syn) {
    TcpRepr sa;
    sa.src_port = 80;
    sa.dst_port = 40000;
    sa.seq = SeqNum(5000);
    sa.ack = syn.tcp.seq + 1;
    sa.flags = tcp_flags::kSyn | tcp_flags::kAck;
    sa.window = 65535;
    sa.options.mss = 1460;
    IpAddr far(kFar4), peer(kPeer4);
    rig.inject(V4(kPeer4, kFar4, IpProto::kTcp, emit_tcp(sa, peer, far)).bytes());
  }
  Rig rig;
  TcpLayer tcp;
  SocketHandle h;
};

TEST(StackTransparent, TcpOpenedFromAForeignAddressCompletesItsHandshake) {
  ForeignSourceOpen t(transparent_config());
  ForeignSourceOpen::Out syn = t.open();
  EXPECT_EQ(syn.ip.src, kFar4);  // the client's address, not ours (198.18.0.2)
  EXPECT_EQ(syn.ip.dst, kPeer4);
  EXPECT_EQ(syn.tcp.src_port, 40000);
  EXPECT_EQ(syn.tcp.flags, tcp_flags::kSyn);
  t.inject_syn_ack(syn);
  auto ack = t.sent();
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].ip.src, kFar4);
  EXPECT_EQ(ack[0].tcp.flags, tcp_flags::kAck);
  EXPECT_EQ(ack[0].tcp.ack, SeqNum(5001));
  EXPECT_EQ(t.tcp.state(t.h).value(), TcpState::kEstablished);
}

// Without transparent mode the SYN still leaves (the source is the caller's business, as with
// Linux's IP_FREEBIND), but the answer to an address not ours is dropped: no handshake.
TEST(StackTransparent, OffTheAnswerToAForeignSourceIsDropped) {
  ForeignSourceOpen t(test_config());
  t.inject_syn_ack(t.open());
  EXPECT_TRUE(t.sent().empty());
  EXPECT_EQ(t.rig.counter("drops.ipv4_not_for_us"), 1u);
  EXPECT_EQ(t.tcp.state(t.h).value(), TcpState::kSynSent);
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
