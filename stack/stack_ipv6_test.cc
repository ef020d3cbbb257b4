// Stack over IPv6 on an IP (TUN-like) link: extension headers and option action bits,
// fragmentation and reassembly (RFC 8200, RFC 5722, RFC 6946), ICMPv6 (RFC 4443), PMTU
// (RFC 8201). The test plays the peer at fd00:1::1.
#include "stack/stack_test_util.h"

namespace ustack::testing {
namespace {

struct Parsed6 {
  Ipv6Repr ip;
  Icmpv6Repr icmp;
};

std::optional<Parsed6> parse_icmp6(const ByteVec& p) {
  auto ip = Ipv6Repr::parse(p);
  if (!ip || ip->upper_proto != IpProto::kIcmpv6) return std::nullopt;
  auto icmp = Icmpv6Repr::parse(ip->upper_payload, ip->src, ip->dst);
  if (!icmp) return std::nullopt;
  return Parsed6{*ip, *icmp};
}

// `packet` is an ICMPv6 Parameter Problem with this code and pointer (RFC 4443 §3.4).
void expect_param_problem(const ByteVec& packet, std::uint8_t code, std::uint32_t pointer) {
  auto p = parse_icmp6(packet);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->icmp.type, Icmpv6Type::kParamProblem);
  EXPECT_EQ(p->icmp.code, code);
  EXPECT_EQ(p->icmp.pointer, pointer);
}

ByteVec echo6(std::uint16_t seq, const ByteVec& data, const Ipv6Addr& dst = kUs6) {
  return v6_packet(kPeer6, dst, IpProto::kIcmpv6, icmp6_echo_request(kPeer6, dst, 5, seq, data));
}

// A Destination Options header carrying one option of `type` (4 data bytes), then an echo
// request. The option's type byte sits at offset 42.
ByteVec echo6_with_option(std::uint8_t type, const Ipv6Addr& dst = kUs6) {
  ByteVec body = {static_cast<std::uint8_t>(IpProto::kIcmpv6), 0, type, 4, 0, 0, 0, 0};
  ByteVec echo = icmp6_echo_request(kPeer6, dst, 5, 1, pattern(16));
  body.insert(body.end(), echo.begin(), echo.end());
  return v6_packet(kPeer6, dst, IpProto::kIpv6Opts, body);
}

TEST(StackIpv6, AnswersEchoRequest) {
  Rig rig;
  ByteVec data = pattern(100);
  rig.inject(echo6(3, data));
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  auto p = parse_icmp6(out[0]);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->ip.src, kUs6);
  EXPECT_EQ(p->ip.dst, kPeer6);
  EXPECT_EQ(p->icmp.type, Icmpv6Type::kEchoReply);
  EXPECT_EQ(p->icmp.seq_no, 3);
  EXPECT_EQ(ByteVec(p->icmp.data.begin(), p->icmp.data.end()), data);
  EXPECT_EQ(rig.counter("icmp6.in_echos"), 1u);
  EXPECT_EQ(rig.counter("icmp6.out_echo_reps"), 1u);
}

// RFC 4443 §4.2: a request to a multicast group is answered from a unicast address.
TEST(StackIpv6, AnswersMulticastEchoFromUnicastAddress) {
  Rig rig;
  rig.inject(echo6(1, pattern(8), Ipv6Addr::all_nodes()));
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(parse_icmp6(out[0])->ip.src, kUs6);
}

// RFC 8200 §3: only routers decrement the hop limit; a host accepts hop limit 0.
TEST(StackIpv6, HopLimitZeroIsDelivered) {
  Rig rig;
  ByteVec p = echo6(1, {});
  p[7] = 0;
  rig.inject(p);
  EXPECT_EQ(rig.sent().size(), 1u);
}

TEST(StackIpv6, MalformedPacketsAreCountedByReason) {
  Rig rig;
  ByteVec p = echo6(1, pattern(8));
  ByteVec truncated(p.begin(), p.begin() + 30);
  rig.inject(truncated);
  ByteVec bad_sum = p;
  bad_sum.back() ^= 0xff;
  rig.inject(bad_sum);
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.ipv6_truncated"), 1u);
  EXPECT_EQ(rig.counter("drops.icmpv6_bad_checksum"), 1u);
}

// RFC 8200 §4.2: unrecognised option type 00xxxxxx → skip it and process the packet.
TEST(StackIpv6, UnknownOptionSkip) {
  Rig rig;
  rig.inject(echo6_with_option(0x1e));
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(parse_icmp6(out[0])->icmp.type, Icmpv6Type::kEchoReply);
}

// 01xxxxxx → discard silently.
TEST(StackIpv6, UnknownOptionDiscard) {
  Rig rig;
  rig.inject(echo6_with_option(0x5e));
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.ipv6_unknown_option"), 1u);
}

// 10xxxxxx → discard and send Parameter Problem code 2 pointing at the option, even when
// the destination was multicast.
TEST(StackIpv6, UnknownOptionAction10SendsParameterProblem) {
  Rig rig;
  rig.inject(echo6_with_option(0x9e));
  rig.inject(echo6_with_option(0x9e, Ipv6Addr::all_nodes()));
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 2u);
  for (const auto& o : out) {
    auto p = parse_icmp6(o);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->icmp.type, Icmpv6Type::kParamProblem);
    EXPECT_EQ(p->icmp.code, 2);
    EXPECT_EQ(p->icmp.pointer, 42u);
    EXPECT_EQ(p->ip.src, kUs6);
  }
}

// 11xxxxxx → Parameter Problem only if the destination was not multicast.
TEST(StackIpv6, UnknownOptionAction11OnlyForUnicast) {
  Rig rig;
  rig.inject(echo6_with_option(0xde, Ipv6Addr::all_nodes()));
  EXPECT_TRUE(rig.sent().empty());
  rig.inject(echo6_with_option(0xde));
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(parse_icmp6(out[0])->icmp.pointer, 42u);
  EXPECT_EQ(rig.counter("drops.ipv6_unknown_option"), 2u);
}

// RFC 8200 §4: an unrecognised Next Header → Parameter Problem code 1 at that field.
TEST(StackIpv6, UnknownNextHeaderGetsParameterProblem) {
  Rig rig;
  rig.inject(v6_packet(kPeer6, kUs6, static_cast<IpProto>(253), pattern(8)));
  rig.inject(v6_packet(kPeer6, kUs6, IpProto::kTcp, pattern(20)));  // no TCP registered
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 2u);
  for (const auto& o : out) expect_param_problem(o, 1, 6);
  EXPECT_EQ(rig.counter("drops.ipv6_unknown_next_header"), 2u);
}

// RFC 4291 §2.7: a multicast address is never a source.
TEST(StackIpv6, MulticastSourceIsDropped) {
  Rig rig;
  rig.inject(v6_packet(ip6("ff02::1"), kUs6, IpProto::kUdp,
                       udp_datagram(ip("ff02::1"), IpAddr(kUs6), 4000, 9, pattern(10))));
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.ipv6_bad_source"), 1u);
}

// RFC 8200 §4.4: a Routing header of a type we do not implement with Segments Left > 0 →
// Parameter Problem code 0 pointing at its Routing Type.
TEST(StackIpv6, RoutingHeaderWithSegmentsLeftGetsParameterProblem) {
  Rig rig;
  ByteVec payload = {static_cast<std::uint8_t>(IpProto::kUdp), 0, 4, 1, 0, 0, 0, 0};
  ByteVec udp = udp_datagram(IpAddr(kPeer6), IpAddr(kUs6), 4000, 9, pattern(10));
  payload.insert(payload.end(), udp.begin(), udp.end());
  rig.inject(v6_packet(kPeer6, kUs6, IpProto::kIpv6Route, payload));
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  expect_param_problem(out[0], 0, 42);
  EXPECT_EQ(rig.counter("drops.ipv6_routing_header"), 1u);
}

// RFC 8200 §4.7: No Next Header: nothing follows, nothing is answered.
TEST(StackIpv6, NoNextHeaderIsDroppedSilently) {
  Rig rig;
  rig.inject(v6_packet(kPeer6, kUs6, IpProto::kIpv6NoNext, {}));
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.ipv6_no_next_header"), 1u);
}

// RFC 4443 §2.4(b): an unknown informational message is discarded (and counted).
TEST(StackIpv6, UnhandledIcmpv6TypeIsCounted) {
  Rig rig;
  Icmpv6Repr m;
  m.type = static_cast<Icmpv6Type>(200);
  rig.inject(v6_packet(kPeer6, kUs6, IpProto::kIcmpv6, emit_icmpv6(m, kPeer6, kUs6)));
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.icmpv6_unhandled_type"), 1u);
}

// RFC 4443 §3.1: UDP without a listener → destination unreachable, port (code 4).
TEST(StackIpv6, UdpWithoutListenerGetsPortUnreachable) {
  Rig rig;
  rig.inject(v6_packet(kPeer6, kUs6, IpProto::kUdp,
                       udp_datagram(IpAddr(kPeer6), IpAddr(kUs6), 4000, 9, pattern(10))));
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  auto p = parse_icmp6(out[0]);
  EXPECT_EQ(p->icmp.type, Icmpv6Type::kDestUnreachable);
  EXPECT_EQ(p->icmp.code, 4);
}

TEST(StackIpv6, TransportGetsPacketWithMeta) {
  Rig rig;
  FakeTransport udp(IpProto::kUdp);
  rig.stack.register_transport(udp);
  ByteVec d = udp_datagram(IpAddr(kPeer6), IpAddr(kUs6), 4000, 9, pattern(10));
  rig.inject(v6_packet(kPeer6, kUs6, IpProto::kUdp, d, 17));
  ASSERT_EQ(udp.packets.size(), 1u);
  EXPECT_EQ(udp.packets[0].meta.src, IpAddr(kPeer6));
  EXPECT_EQ(udp.packets[0].meta.hop_limit, 17);
  EXPECT_EQ(udp.packets[0].payload, d);
}

// RFC 8200 §4.5: fragments in any order are reassembled; our reply is fragmented with a
// Fragment header, every fragment but the last a multiple of 8 bytes.
TEST(StackIpv6, ReassemblesAndFragmentsReply) {
  Rig rig;
  ByteVec data = pattern(4000);
  ByteVec body = icmp6_echo_request(kPeer6, kUs6, 5, 9, data);
  rig.inject(
      v6_fragment(kPeer6, kUs6, IpProto::kIcmpv6, 99, body, 2896, body.size() - 2896, false));
  rig.inject(v6_fragment(kPeer6, kUs6, IpProto::kIcmpv6, 99, body, 1448, 1448, true));
  EXPECT_TRUE(rig.sent().empty());
  rig.inject(v6_fragment(kPeer6, kUs6, IpProto::kIcmpv6, 99, body, 0, 1448, true));
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 3u);
  ByteVec whole;
  std::optional<std::uint32_t> ident;
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_LE(out[i].size(), 1500u);
    auto ip = Ipv6Repr::parse(out[i]);
    ASSERT_TRUE(ip);
    ASSERT_TRUE(ip->frag);
    EXPECT_EQ(ip->frag->frag_offset_bytes(), whole.size());
    EXPECT_EQ(ip->frag->more_frags, i + 1 < out.size());
    EXPECT_EQ(ip->frag->next_header, IpProto::kIcmpv6);
    if (ip->frag->more_frags) {
      EXPECT_EQ(ip->upper_payload.size() % 8, 0u);
    }
    if (ident) {
      EXPECT_EQ(ip->frag->ident, *ident);
    }
    ident = ip->frag->ident;
    whole.insert(whole.end(), ip->upper_payload.begin(), ip->upper_payload.end());
  }
  auto icmp = Icmpv6Repr::parse(whole, kUs6, kPeer6);
  ASSERT_TRUE(icmp);
  EXPECT_EQ(icmp->type, Icmpv6Type::kEchoReply);
  EXPECT_EQ(ByteVec(icmp->data.begin(), icmp->data.end()), data);
  EXPECT_EQ(rig.counter("ip6.reasm_oks"), 1u);
  EXPECT_EQ(rig.counter("ip6.frag_creates"), 3u);
}

// A flood of incomplete IPv6 fragments: the oldest datagrams are evicted (counted) so a
// legitimate fragmented echo request is answered at once (Linux inet_frag_evictor).
TEST(StackIpv6, FragmentFloodDoesNotStarveALegitimateDatagram) {
  Rig rig;
  ByteVec junk = pattern(3000);
  for (std::uint32_t id = 0; id < 2000; ++id) {
    rig.inject(v6_fragment(kPeer6, kUs6, IpProto::kUdp, id, junk, 0, 1448, true));
  }
  EXPECT_LE(rig.stack.reassembly_datagrams(), 256u);
  ByteVec body = icmp6_echo_request(kPeer6, kUs6, 5, 9, pattern(2000));
  rig.inject(v6_fragment(kPeer6, kUs6, IpProto::kIcmpv6, 99999, body, 0, 1448, true));
  rig.inject(
      v6_fragment(kPeer6, kUs6, IpProto::kIcmpv6, 99999, body, 1448, body.size() - 1448, false));
  EXPECT_EQ(rig.sent().size(), 2u);
  EXPECT_EQ(rig.counter("ip6.reasm_oks"), 1u);
  EXPECT_GE(rig.counter("drops.ipv6_reassembly_evicted"), 2000u - 256u);
}

// RFC 5722 §4: overlapping fragments → the whole datagram is silently discarded.
TEST(StackIpv6, OverlappingFragmentsDropDatagram) {
  Rig rig;
  ByteVec body = icmp6_echo_request(kPeer6, kUs6, 5, 9, pattern(2000));
  rig.inject(v6_fragment(kPeer6, kUs6, IpProto::kIcmpv6, 7, body, 0, 1448, true));
  rig.inject(v6_fragment(kPeer6, kUs6, IpProto::kIcmpv6, 7, body, 1440, body.size() - 1440, false));
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.ipv6_reassembly_overlap"), 1u);
  EXPECT_EQ(rig.stack.reassembly_datagrams(), 0u);
}

// RFC 6946 §4: an atomic fragment (offset 0, M clear) is processed on its own and does not
// disturb a pending datagram with the same identification.
TEST(StackIpv6, AtomicFragmentIsProcessedAlone) {
  Rig rig;
  ByteVec big = icmp6_echo_request(kPeer6, kUs6, 5, 1, pattern(2000));
  rig.inject(v6_fragment(kPeer6, kUs6, IpProto::kIcmpv6, 42, big, 0, 1448, true));
  ByteVec small = icmp6_echo_request(kPeer6, kUs6, 5, 2, pattern(30));
  rig.inject(v6_fragment(kPeer6, kUs6, IpProto::kIcmpv6, 42, small, 0, small.size(), false));
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(parse_icmp6(out[0])->icmp.seq_no, 2);
  EXPECT_EQ(rig.counter("ip6.atomic_fragments"), 1u);
  rig.inject(v6_fragment(kPeer6, kUs6, IpProto::kIcmpv6, 42, big, 1448, big.size() - 1448, false));
  out = rig.sent();
  ASSERT_EQ(out.size(), 2u);  // the big reply, in two fragments
}

// RFC 8200 §4.5: a non-last fragment whose length is not a multiple of 8 → Parameter
// Problem code 0 pointing at the Payload Length field.
TEST(StackIpv6, FragmentNotMultipleOfEightIsRejected) {
  Rig rig;
  ByteVec body = icmp6_echo_request(kPeer6, kUs6, 5, 9, pattern(200));
  rig.inject(v6_fragment(kPeer6, kUs6, IpProto::kIcmpv6, 7, body, 0, 100, true));
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  expect_param_problem(out[0], 0, 4);
}

// RFC 8200 §4.5: a fragment reaching past 65535 bytes → Parameter Problem code 0 pointing at
// its Fragment Offset field.
TEST(StackIpv6, FragmentPastTheLargestPacketGetsParameterProblem) {
  Rig rig;
  ByteVec body = pattern(65544);
  rig.inject(v6_fragment(kPeer6, kUs6, IpProto::kIcmpv6, 7, body, 65528, 16, false));
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  expect_param_problem(out[0], 0, 42);
  EXPECT_EQ(rig.counter("drops.ipv6_bad_fragment"), 1u);
  EXPECT_EQ(rig.stack.reassembly_datagrams(), 0u);
}

// RFC 8200 §4.5: reassembly time exceeded (code 1) once the first fragment arrived.
TEST(StackIpv6, ReassemblyTimeoutSendsTimeExceeded) {
  Rig rig;
  ByteVec body = icmp6_echo_request(kPeer6, kUs6, 5, 9, pattern(2000));
  rig.inject(v6_fragment(kPeer6, kUs6, IpProto::kIcmpv6, 7, body, 0, 1448, true));
  rig.advance(30_s);
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  auto p = parse_icmp6(out[0]);
  EXPECT_EQ(p->icmp.type, Icmpv6Type::kTimeExceeded);
  EXPECT_EQ(p->icmp.code, 1);
  // The quote is the first fragment as received, Fragment header included.
  ByteVec first = v6_fragment(kPeer6, kUs6, IpProto::kIcmpv6, 7, body, 0, 1448, true);
  ASSERT_GE(p->icmp.data.size(), 48u);
  EXPECT_TRUE(std::equal(p->icmp.data.begin(), p->icmp.data.end(), first.begin()));
  EXPECT_EQ(rig.counter("drops.ipv6_reassembly_timeout"), 1u);
}

ByteVec packet_too_big(std::uint32_t mtu, const ByteVec& offending) {
  Icmpv6Repr m = Icmpv6Repr::packet_too_big(mtu, offending);
  ByteVec out(m.buffer_len());
  Ipv6Addr router = ip6("fd00:1::fe");
  m.emit(out, router, kUs6);
  return v6_packet(router, kUs6, IpProto::kIcmpv6, out);
}

// RFC 8201 §4: Packet Too Big lowers the path MTU (never below 1280) and reaches the
// transport that owns the quoted flow.
TEST(StackIpv6, PacketTooBigLowersPathMtu) {
  Rig rig;
  FakeTransport udp(IpProto::kUdp);
  rig.stack.register_transport(udp);
  Ipv6Addr far = ip6("fd00:1::99");
  ByteVec ours = v6_packet(kUs6, far, IpProto::kUdp,
                           udp_datagram(IpAddr(kUs6), IpAddr(far), 5000, 53, pattern(1400)));
  rig.inject(packet_too_big(1400, ours));
  EXPECT_EQ(rig.stack.path_mtu(IpAddr(far)), 1400u);
  ASSERT_EQ(udp.errors.size(), 1u);
  EXPECT_EQ(udp.errors[0].kind, IcmpError::Kind::kFragmentationNeeded);
  EXPECT_EQ(udp.errors[0].next_hop_mtu, 1400u);
  EXPECT_EQ(udp.errors[0].quoted_dst, IpAddr(far));
  EXPECT_EQ(load_be16(udp.error_transport[0], 0), 5000);
  rig.inject(packet_too_big(600, ours));
  EXPECT_EQ(rig.stack.path_mtu(IpAddr(far)), 1280u);
  rig.stack.send_echo_request(rig.now, IpAddr(far), 1, 1, pattern(1300));
  for (const auto& p : rig.sent()) EXPECT_LE(p.size(), 1280u);
}

// RFC 8200 §5 / Linux ip6_update_pmtu: a Packet Too Big below 1280 reaches the transport as
// 1280 (tcp_v6_mtu_reduced reads dst_mtu), so a forged PTB cannot shrink a TCP MSS below
// 1280's.
TEST(StackIpv6, PacketTooBigBelowTheMinimumReachesTheTransportAs1280) {
  Rig rig;
  FakeTransport udp(IpProto::kUdp);
  rig.stack.register_transport(udp);
  Ipv6Addr far = ip6("fd00:1::99");
  ByteVec ours = v6_packet(kUs6, far, IpProto::kUdp,
                           udp_datagram(IpAddr(kUs6), IpAddr(far), 5000, 53, pattern(1400)));
  rig.inject(packet_too_big(68, ours));
  EXPECT_EQ(rig.stack.path_mtu(IpAddr(far)), 1280u);
  ASSERT_EQ(udp.errors.size(), 1u);
  EXPECT_EQ(udp.errors[0].next_hop_mtu, 1280u);
}

// RFC 5927 §4.1: an error quoting a packet we did not send changes nothing.
TEST(StackIpv6, IcmpErrorQuotingSomeoneElsesPacketIsDropped) {
  Rig rig;
  FakeTransport udp(IpProto::kUdp);
  rig.stack.register_transport(udp);
  Ipv6Addr far = ip6("fd00:1::99");
  ByteVec theirs = v6_packet(ip6("fd00:1::50"), far, IpProto::kUdp,
                             udp_datagram(ip("fd00:1::50"), IpAddr(far), 5000, 53, pattern(1400)));
  rig.inject(packet_too_big(1400, theirs));
  EXPECT_TRUE(udp.errors.empty());
  EXPECT_EQ(rig.counter("drops.icmpv6_unmatched_error"), 1u);
  EXPECT_EQ(rig.stack.path_mtu(IpAddr(far)), 1500u);
}

// RFC 4443 §2.4(e): no error to a multicast source; RFC 4443 §2.4(f): errors rate limited.
TEST(StackIpv6, ErrorsAreRateLimited) {
  Rig rig;
  for (int i = 0; i < 10; ++i) {
    rig.inject(v6_packet(kPeer6, kUs6, IpProto::kUdp,
                         udp_datagram(IpAddr(kPeer6), IpAddr(kUs6), 4000, 9, pattern(10))));
  }
  EXPECT_EQ(rig.sent().size(), 6u);
  EXPECT_EQ(rig.counter("icmp6.out_rate_limited"), 4u);
}

TEST(StackIpv6, PacketForAnotherHostIsDropped) {
  Rig rig;
  rig.inject(echo6(1, {}, ip6("fd00:1::77")));
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.ipv6_not_for_us"), 1u);
}

TEST(StackIpv6, NoRouteIsCounted) {
  Rig rig;
  EXPECT_FALSE(rig.stack.send_echo_request(rig.now, ip("fd01::1"), 1, 1, {}));
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.ipv6_no_route"), 1u);
}

// RFC 3542 §11.2 (IPV6_DONTFRAG): a packet larger than the path MTU is not fragmented.
TEST(StackIpv6, DontFragmentTooBigIsNotSent) {
  Rig rig;
  EXPECT_FALSE(rig.stack.send_echo_request(rig.now, IpAddr(kPeer6), 1, 1, pattern(2000),
                                           IpSendOptions{.pmtu = PmtuDiscovery::kDo}));
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.ipv6_too_big"), 1u);
}

}  // namespace
}  // namespace ustack::testing
