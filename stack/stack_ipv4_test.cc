// Stack over IPv4 on an IP (TUN-like) link: input checks, ICMP, fragmentation, reassembly,
// PMTU and the transport seam. The test plays the peer at 198.18.0.1.
#include "stack/stack_test_util.h"
#include "stack/tcp/tcp_layer.h"

namespace ustack::testing {
namespace {

std::optional<Ipv4Repr> parse4(const ByteVec& p) {
  auto r = Ipv4Repr::parse(p);
  if (!r) return std::nullopt;
  return *r;
}

// RFC 792, RFC 1122 §3.2.2.6: an echo request gets a reply with the same id, seq and data.
TEST(StackIpv4, AnswersEchoRequest) {
  Rig rig;
  ByteVec data = pattern(56);
  rig.inject(V4(kPeer4, kUs4, IpProto::kIcmp, icmp4_echo_request(7, 1, data)).bytes());
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  auto ip = parse4(out[0]);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->src, kUs4);
  EXPECT_EQ(ip->dst, kPeer4);
  EXPECT_EQ(ip->ttl, 64);
  auto icmp = Icmpv4Repr::parse(ip->payload);
  ASSERT_TRUE(icmp);
  EXPECT_EQ(icmp->type, Icmpv4Type::kEchoReply);
  EXPECT_EQ(icmp->ident, 7);
  EXPECT_EQ(icmp->seq_no, 1);
  EXPECT_EQ(ByteVec(icmp->data.begin(), icmp->data.end()), data);
  EXPECT_EQ(rig.counter("icmp.in_echos"), 1u);
  EXPECT_EQ(rig.counter("icmp.out_echo_reps"), 1u);
  EXPECT_EQ(rig.counter("ip.in_receives"), 1u);
  EXPECT_EQ(rig.counter("ip.in_delivers"), 1u);
}

// Echo replies wait for pop_echo_reply() in a bounded queue; the rest are counted drops.
TEST(StackIpv4, EchoRepliesBeyondTheQueueLimitAreDropped) {
  StackConfig cfg = test_config();
  cfg.echo_reply_queue_limit = 2;
  Rig rig(Medium::kIp, cfg);
  const ByteVec data = pattern(4);
  for (std::uint16_t seq = 1; seq <= 3; ++seq) {
    Icmpv4Repr reply = Icmpv4Repr::echo_reply_to(Icmpv4Repr::echo_request(7, seq, data));
    rig.inject(V4(kPeer4, kUs4, IpProto::kIcmp, emit_icmpv4(reply)).bytes());
  }
  EXPECT_EQ(rig.counter("icmp.in_echo_reps"), 3u);
  EXPECT_EQ(rig.counter("drops.echo_reply_queue_full"), 1u);
  auto first = rig.stack.pop_echo_reply();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->from, IpAddr(kPeer4));
  EXPECT_EQ(first->seq, 1);
  EXPECT_EQ(first->payload, data);
  EXPECT_TRUE(rig.stack.pop_echo_reply());
  EXPECT_FALSE(rig.stack.pop_echo_reply());
}

// RFC 1122 §3.2.1.7: a host must not discard a datagram because its TTL is below 2, and
// never sends TTL 0.
TEST(StackIpv4, TtlZeroIsDeliveredToAHost) {
  Rig rig;
  rig.inject(V4(kPeer4, kUs4, IpProto::kIcmp, icmp4_echo_request(1, 1, {})).ttl(0).bytes());
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(parse4(out[0])->ttl, 64);
}

TEST(StackIpv4, MalformedPacketsAreCountedByReason) {
  Rig rig;
  V4 good(kPeer4, kUs4, IpProto::kIcmp, icmp4_echo_request(1, 1, {}));
  V4 bad = good;
  bad.corrupt_checksum = true;
  rig.inject(bad.bytes());
  ByteVec truncated = good.bytes();
  truncated.resize(12);
  rig.inject(truncated);
  ByteVec version = good.bytes();
  version[0] = 0x55;
  rig.inject(version);
  ByteVec short_total = good.bytes();
  short_total[3] = 10;  // total length below the header length
  rig.inject(short_total);
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.ipv4_bad_checksum"), 1u);
  EXPECT_EQ(rig.counter("drops.ipv4_truncated"), 1u);
  EXPECT_EQ(rig.counter("drops.ipv4_bad_version"), 1u);
  EXPECT_EQ(rig.counter("drops.ipv4_bad_length") + rig.counter("drops.ipv4_bad_checksum"), 2u);
  EXPECT_EQ(rig.stack.counters().total_drops(), 4u);
}

TEST(StackIpv4, PacketForAnotherHostIsDropped) {
  Rig rig;
  rig.inject(V4(kPeer4, ip4("198.18.0.77"), IpProto::kIcmp, icmp4_echo_request(1, 1, {})).bytes());
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.ipv4_not_for_us"), 1u);
}

// RFC 1122 §3.2.1.3: a broadcast or multicast source is not a host.
TEST(StackIpv4, BroadcastSourceIsDropped) {
  Rig rig;
  rig.inject(V4(ip4("198.18.0.255"), kUs4, IpProto::kIcmp, icmp4_echo_request(1, 1, {})).bytes());
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.ipv4_bad_source"), 1u);
}

// Linux icmp_echo_ignore_broadcasts; RFC 1122 §3.2.2: no ICMP errors about broadcasts.
TEST(StackIpv4, BroadcastIsAcceptedButNotAnswered) {
  Rig rig;
  rig.inject(V4(kPeer4, ip4("198.18.0.255"), IpProto::kIcmp, icmp4_echo_request(1, 1, {})).bytes());
  rig.inject(V4(kPeer4, ip4("255.255.255.255"), IpProto::kUdp,
                udp_datagram(kPeer4, ip4("255.255.255.255"), 68, 67, pattern(10)))
                 .bytes());
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.icmp_broadcast_echo"), 1u);
  EXPECT_EQ(rig.counter("drops.udp_no_port"), 1u);
  EXPECT_EQ(rig.counter("icmp.out_dest_unreachs"), 0u);
}

TEST(StackIpv4, BroadcastUdpReachesTransportMarkedAsBroadcast) {
  Rig rig;
  FakeTransport udp(IpProto::kUdp);
  rig.stack.register_transport(udp);
  rig.inject(V4(kPeer4, ip4("198.18.0.255"), IpProto::kUdp,
                udp_datagram(kPeer4, ip4("198.18.0.255"), 68, 67, pattern(10)))
                 .bytes());
  ASSERT_EQ(udp.packets.size(), 1u);
  EXPECT_TRUE(udp.packets[0].meta.dst_is_broadcast_or_multicast);
}

// RFC 1122 §4.1.3.1: UDP to a port nobody listens on → port unreachable quoting it.
TEST(StackIpv4, UdpWithoutListenerGetsPortUnreachable) {
  Rig rig;
  ByteVec pkt =
      V4(kPeer4, kUs4, IpProto::kUdp, udp_datagram(kPeer4, kUs4, 4000, 9, pattern(20))).bytes();
  rig.inject(pkt);
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  auto ip = parse4(out[0]);
  auto icmp = Icmpv4Repr::parse(ip->payload);
  ASSERT_TRUE(icmp);
  EXPECT_EQ(icmp->type, Icmpv4Type::kDestUnreachable);
  EXPECT_EQ(icmp->code, 3);
  EXPECT_EQ(ByteVec(icmp->data.begin(), icmp->data.end()), pkt);  // whole datagram quoted
  EXPECT_EQ(rig.counter("drops.udp_no_port"), 1u);
}

// A transport that finds no socket asks the IP layer for the port unreachable.
TEST(StackIpv4, TransportVerdictPortUnreachableSendsIcmp) {
  Rig rig;
  FakeTransport udp(IpProto::kUdp, RxVerdict::kPortUnreachable);
  rig.stack.register_transport(udp);
  rig.inject(
      V4(kPeer4, kUs4, IpProto::kUdp, udp_datagram(kPeer4, kUs4, 4000, 9, pattern(4))).bytes());
  EXPECT_EQ(udp.packets.size(), 1u);
  ASSERT_EQ(rig.sent().size(), 1u);
  EXPECT_EQ(rig.counter("icmp.out_dest_unreachs"), 1u);
}

// RFC 1122 §3.2.2.1: protocol unreachable for a protocol we do not implement.
TEST(StackIpv4, UnknownProtocolGetsProtocolUnreachable) {
  Rig rig;
  rig.inject(V4(kPeer4, kUs4, static_cast<IpProto>(253), pattern(8)).bytes());
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  auto icmp = Icmpv4Repr::parse(parse4(out[0])->payload);
  EXPECT_EQ(icmp->type, Icmpv4Type::kDestUnreachable);
  EXPECT_EQ(icmp->code, 2);
  EXPECT_EQ(rig.counter("drops.ipv4_unknown_protocol"), 1u);
}

// RFC 1812 §4.3.2.8 / Linux: a burst of six per destination, then one per second.
TEST(StackIpv4, IcmpErrorsAreRateLimited) {
  Rig rig;
  for (int i = 0; i < 20; ++i) {
    rig.inject(V4(kPeer4, kUs4, IpProto::kUdp, udp_datagram(kPeer4, kUs4, 4000, 9, pattern(4)))
                   .ident(static_cast<std::uint16_t>(i))
                   .bytes());
  }
  EXPECT_EQ(rig.sent().size(), 6u);
  EXPECT_EQ(rig.counter("icmp.out_rate_limited"), 14u);
  rig.now += 1_s;
  rig.inject(
      V4(kPeer4, kUs4, IpProto::kUdp, udp_datagram(kPeer4, kUs4, 4000, 9, pattern(4))).bytes());
  EXPECT_EQ(rig.sent().size(), 1u);
}

// RFC 1122 §3.2.2: never an ICMP error about an ICMP error (here: a fragmented one that
// never completes, which would otherwise earn a Time Exceeded).
TEST(StackIpv4, NoErrorAboutAnError) {
  Rig rig;
  ByteVec quoted = V4(kUs4, kPeer4, IpProto::kUdp, pattern(1000)).bytes();
  Icmpv4Repr err = Icmpv4Repr::dest_unreachable(Icmpv4Unreach::kHost, quoted);
  ByteVec msg(err.buffer_len());
  err.emit(msg);
  V4 p(kPeer4, kUs4, IpProto::kIcmp, msg);
  rig.inject(p.fragment(0, 512, true));
  rig.advance(31_s);
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.ipv4_reassembly_timeout"), 1u);
}

// Timestamp requests, redirects, router discovery: not acted on, counted by reason.
TEST(StackIpv4, UnhandledIcmpTypeIsCounted) {
  Rig rig;
  Icmpv4Repr timestamp;
  timestamp.type = static_cast<Icmpv4Type>(13);
  const ByteVec stamps(12, 0);
  timestamp.data = stamps;
  rig.inject(V4(kPeer4, kUs4, IpProto::kIcmp, emit_icmpv4(timestamp)).bytes());
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.icmp_unhandled_type"), 1u);
}

// RFC 791 §3.2: fragments arriving in any order are reassembled; the reply to a
// fragmented echo request is fragmented the same way (RFC 1122 §3.2.2.6).
TEST(StackIpv4, ReassemblesOutOfOrderFragmentsAndFragmentsTheReply) {
  Rig rig;
  ByteVec data = pattern(3000);
  V4 req(kPeer4, kUs4, IpProto::kIcmp, icmp4_echo_request(9, 3, data));
  rig.inject(req.fragment(2960, 48, false));
  rig.inject(req.fragment(1480, 1480, true));
  rig.inject(req.fragment(1480, 1480, true));  // a duplicate
  EXPECT_TRUE(rig.sent().empty());
  rig.inject(req.fragment(0, 1480, true));
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 3u);
  std::size_t expect_off = 0;
  ByteVec whole;
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto f = parse4(out[i]);
    ASSERT_TRUE(f);
    EXPECT_LE(out[i].size(), 1500u);
    EXPECT_EQ(f->frag_offset_bytes(), expect_off);
    EXPECT_EQ(f->more_frags, i + 1 < out.size());
    EXPECT_FALSE(f->dont_frag);
    expect_off += f->payload.size();
    whole.insert(whole.end(), f->payload.begin(), f->payload.end());
  }
  auto icmp = Icmpv4Repr::parse(whole);
  ASSERT_TRUE(icmp);
  EXPECT_EQ(ByteVec(icmp->data.begin(), icmp->data.end()), data);
  EXPECT_EQ(rig.counter("ip.reasm_oks"), 1u);
  EXPECT_EQ(rig.counter("ip.frag_creates"), 3u);
  EXPECT_EQ(rig.stack.reassembly_datagrams(), 0u);
}

// RFC 1122 §3.3.2 / RFC 792: an incomplete datagram is dropped after the timeout; if the
// first fragment came, the sender gets Time Exceeded (fragment reassembly, code 1).
TEST(StackIpv4, ReassemblyTimeoutSendsTimeExceeded) {
  Rig rig;
  V4 req(kPeer4, kUs4, IpProto::kIcmp, icmp4_echo_request(9, 3, pattern(2000)));
  rig.inject(req.fragment(0, 1480, true));
  EXPECT_EQ(rig.stack.poll_at(), rig.now + 30_s);
  rig.advance(29_s);
  EXPECT_TRUE(rig.sent().empty());
  rig.advance(1_s);
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  auto icmp = Icmpv4Repr::parse(parse4(out[0])->payload);
  EXPECT_EQ(icmp->type, Icmpv4Type::kTimeExceeded);
  EXPECT_EQ(icmp->code, 1);
  EXPECT_EQ(rig.counter("drops.ipv4_reassembly_timeout"), 1u);
  EXPECT_EQ(rig.counter("ip.reasm_fails"), 1u);
}

TEST(StackIpv4, ReassemblyTimeoutWithoutFirstFragmentIsSilent) {
  Rig rig;
  V4 req(kPeer4, kUs4, IpProto::kIcmp, icmp4_echo_request(9, 3, pattern(2000)));
  rig.inject(req.fragment(1480, 528, false));
  rig.advance(31_s);
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.ipv4_reassembly_timeout"), 1u);
}

// The limits hold, and a full table makes room by evicting the oldest incomplete datagram
// (Linux inet_frag_evictor before 4.17), counted.
TEST(StackIpv4, ReassemblyLimitsAreEnforced) {
  StackConfig cfg = test_config();
  cfg.reassembly_max_datagrams = 3;
  cfg.reassembly_memory_cap = 5000;
  Rig rig(Medium::kIp, cfg);
  for (std::uint16_t id = 0; id < 5; ++id) {
    V4 req(kPeer4, kUs4, IpProto::kIcmp, icmp4_echo_request(id, 0, pattern(3000)));
    rig.inject(req.ident(id).fragment(0, 1480, true));
  }
  EXPECT_EQ(rig.stack.reassembly_datagrams(), 3u);
  EXPECT_EQ(rig.counter("drops.ipv4_reassembly_evicted"), 2u);
  EXPECT_LE(rig.stack.reassembly_memory(), 5000u);
  V4 big(kPeer4, kUs4, IpProto::kIcmp, icmp4_echo_request(9, 0, pattern(6000)));
  rig.inject(big.ident(9).fragment(1480, 4000, true));  // more than the whole cap by itself
  EXPECT_EQ(rig.counter("drops.ipv4_reassembly_memory"), 1u);
  EXPECT_LE(rig.stack.reassembly_memory(), 5000u);
  EXPECT_EQ(rig.counter("ip.reasm_fails"), 3u);
}

// A flood of first fragments that never complete fills the table of datagrams in progress;
// a legitimate fragmented echo request arriving afterwards is still answered at once, because
// the oldest incomplete datagrams are evicted for it (Linux inet_frag_evictor, before 4.17)
// instead of the newcomer being dropped until the flood's 30 s timeouts run out.
TEST(StackIpv4, FragmentFloodDoesNotStarveALegitimateDatagram) {
  Rig rig;
  for (std::uint16_t id = 0; id < 2000; ++id) {
    V4 junk(kPeer4, kUs4, IpProto::kUdp, pattern(3000));
    rig.inject(junk.ident(id).fragment(0, 1480, true));
  }
  EXPECT_LE(rig.stack.reassembly_datagrams(), 256u);
  ByteVec data = pattern(2000, 5);
  V4 req(kPeer4, kUs4, IpProto::kIcmp, icmp4_echo_request(7, 1, data));
  rig.inject(req.ident(40000).fragment(0, 1480, true));
  rig.inject(req.ident(40000).fragment(1480, req.payload.size() - 1480, false));
  ByteVec whole;
  auto out = rig.sent();
  ASSERT_FALSE(out.empty());
  // The reply is fragmented too; reassemble it by hand.
  for (const auto& p : out) {
    auto ip = parse4(p);
    ASSERT_TRUE(ip);
    whole.resize(std::max(whole.size(), ip->frag_offset_bytes() + ip->payload.size()));
    std::copy(ip->payload.begin(), ip->payload.end(), whole.begin() + ip->frag_offset_bytes());
  }
  auto icmp = Icmpv4Repr::parse(whole);
  ASSERT_TRUE(icmp);
  EXPECT_EQ(icmp->type, Icmpv4Type::kEchoReply);
  EXPECT_EQ(ByteVec(icmp->data.begin(), icmp->data.end()), data);
  EXPECT_GE(rig.counter("drops.ipv4_reassembly_evicted"), 2000u - 256u);
}

// The same with the memory cap: fragments far into a datagram (each costs the bytes up to its
// end) fill the 4 MiB; the oldest are evicted down to the low threshold (Linux
// ipfrag_low_thresh) so a legitimate datagram fits.
TEST(StackIpv4, FragmentMemoryFloodDoesNotStarveALegitimateDatagram) {
  Rig rig;
  for (std::uint16_t id = 0; id < 200; ++id) {
    V4 junk(kPeer4, kUs4, IpProto::kUdp, pattern(65000));
    rig.inject(junk.ident(id).fragment(64000, 8, true));
  }
  EXPECT_LE(rig.stack.reassembly_memory(), 4u << 20);
  ByteVec data = pattern(2000, 5);
  V4 req(kPeer4, kUs4, IpProto::kIcmp, icmp4_echo_request(7, 1, data));
  rig.inject(req.ident(40000).fragment(0, 1480, true));
  rig.inject(req.ident(40000).fragment(1480, req.payload.size() - 1480, false));
  EXPECT_EQ(rig.sent().size(), 2u);
  EXPECT_GT(rig.counter("drops.ipv4_reassembly_evicted"), 0u);
  EXPECT_EQ(rig.counter("drops.ipv4_reassembly_memory"), 0u);
  EXPECT_EQ(rig.counter("ip.reasm_oks"), 1u);
}

// RFC 791 §3.1: a datagram is at most 65535 bytes; a fragment reaching past that is dropped.
TEST(StackIpv4, FragmentPastTheLargestDatagramIsDropped) {
  Rig rig;
  V4 big(kPeer4, kUs4, IpProto::kIcmp, pattern(65544));
  rig.inject(big.fragment(65528, 16, false));
  EXPECT_EQ(rig.counter("drops.ipv4_reassembly_too_big"), 1u);
  EXPECT_EQ(rig.counter("ip.reasm_fails"), 1u);
  EXPECT_EQ(rig.stack.reassembly_datagrams(), 0u);
}

// "Ping of death": fragments whose payload fits in 65535 bytes but whose header + payload
// does not are dropped after reassembly, never rebuilt into an oversized datagram.
TEST(StackIpv4, ReassembledDatagramOverTotalLengthLimitIsDropped) {
  Rig rig;
  V4 big(kPeer4, kUs4, IpProto::kIcmp, icmp4_echo_request(1, 1, pattern(65520 - 8)));
  for (std::size_t off = 0; off < 65520; off += 1480) {
    const std::size_t len = std::min<std::size_t>(1480, 65520 - off);
    rig.inject(big.fragment(off, len, off + len < 65520));
  }
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.ipv4_reassembly_too_big"), 1u);
  EXPECT_EQ(rig.counter("ip.reasm_fails"), 1u);
  EXPECT_EQ(rig.stack.reassembly_datagrams(), 0u);
}

// Two "last" fragments that disagree on where the datagram ends: the datagram is dropped.
TEST(StackIpv4, ConflictingLastFragmentsDropDatagram) {
  Rig rig;
  V4 d(kPeer4, kUs4, IpProto::kUdp, pattern(80));
  rig.inject(d.fragment(40, 32, false));  // ends at 72 ...
  rig.inject(d.fragment(72, 8, false));   // ... and at 80
  EXPECT_EQ(rig.counter("drops.ipv4_bad_fragment"), 1u);
  EXPECT_EQ(rig.counter("ip.reasm_fails"), 1u);
  EXPECT_EQ(rig.stack.reassembly_datagrams(), 0u);
}

// A fragment wholly inside bytes already received is a duplicate (Linux IPFRAG_DUP): it is
// ignored and cannot rewrite them.
TEST(StackIpv4, DuplicateFragmentCannotRewriteReceivedBytes) {
  Rig rig;
  FakeTransport udp(IpProto::kUdp);
  rig.stack.register_transport(udp);
  ByteVec data = pattern(64);
  V4 d(kPeer4, kUs4, IpProto::kUdp, udp_datagram(kPeer4, kUs4, 1, 2, data));
  ByteVec evil_payload = d.payload;
  std::fill(evil_payload.begin(), evil_payload.end(), 0xee);
  V4 evil(kPeer4, kUs4, IpProto::kUdp, evil_payload);
  rig.inject(d.fragment(0, 40, true));
  rig.inject(evil.fragment(0, 40, true));  // exact overlap with different bytes
  rig.inject(d.fragment(40, 32, false));
  ASSERT_EQ(udp.packets.size(), 1u);
  EXPECT_EQ(udp.packets[0].payload, d.payload);
}

// Linux since the FragmentSmack fixes (CVE-2018-5391): fragments that overlap in part
// discard the whole datagram, and the drop is counted with its reason.
TEST(StackIpv4, OverlappingFragmentsDropDatagram) {
  Rig rig;
  FakeTransport udp(IpProto::kUdp);
  rig.stack.register_transport(udp);
  V4 d(kPeer4, kUs4, IpProto::kUdp, udp_datagram(kPeer4, kUs4, 1, 2, pattern(64)));
  rig.inject(d.fragment(0, 40, true));
  rig.inject(d.fragment(32, 16, true));  // [32,48) overlaps [0,40)
  rig.inject(d.fragment(40, 32, false));
  EXPECT_TRUE(udp.packets.empty());
  EXPECT_EQ(rig.counter("drops.ipv4_reassembly_overlap"), 1u);
  EXPECT_EQ(rig.counter("ip.reasm_fails"), 1u);
  EXPECT_EQ(rig.stack.reassembly_datagrams(), 1u);  // the last fragment waits alone
}

// RFC 791: DF set and larger than the MTU → not fragmented, not sent.
TEST(StackIpv4, DontFragmentTooBigIsNotSent) {
  Rig rig;
  EXPECT_FALSE(rig.stack.send_echo_request(rig.now, IpAddr(kPeer4), 1, 1, pattern(2000),
                                           IpSendOptions{.pmtu = PmtuDiscovery::kDo}));
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.ipv4_df_too_big"), 1u);
  EXPECT_TRUE(rig.stack.send_echo_request(rig.now, IpAddr(kPeer4), 1, 2, pattern(1000),
                                          IpSendOptions{.pmtu = PmtuDiscovery::kDo}));
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(parse4(out[0])->dont_frag);
}

TEST(StackIpv4, NoRouteIsCounted) {
  Rig rig;
  EXPECT_FALSE(rig.stack.send_echo_request(rig.now, ip("198.19.0.1"), 1, 1, {}));
  EXPECT_EQ(rig.counter("drops.ipv4_no_route"), 1u);
  rig.stack.set_default_gateway(IpAddr(kPeer4));
  EXPECT_TRUE(rig.stack.send_echo_request(rig.now, ip("198.19.0.1"), 1, 1, {}));
  EXPECT_EQ(rig.sent().size(), 1u);
}

ByteVec frag_needed(std::uint16_t mtu, const ByteVec& offending) {
  Icmpv4Repr m = Icmpv4Repr::dest_unreachable(Icmpv4Unreach::kFragNeeded, offending, mtu);
  ByteVec out(m.buffer_len());
  m.emit(out);
  return V4(ip4("198.18.0.254"), kUs4, IpProto::kIcmp, out).bytes();
}

// RFC 1191 §6.1: "fragmentation needed" lowers the path MTU to that destination.
TEST(StackIpv4, FragmentationNeededLowersPathMtu) {
  Rig rig;
  rig.stack.set_default_gateway(IpAddr(kPeer4));
  IpAddr far = ip("198.19.0.1");
  ByteVec ours =
      V4(kUs4, far.v4(), IpProto::kUdp, udp_datagram(kUs4, far, 5000, 53, pattern(1400))).bytes();
  rig.inject(frag_needed(1000, ours));
  EXPECT_EQ(rig.stack.path_mtu(far), 1000u);
  EXPECT_EQ(rig.stack.path_mtu(IpAddr(kPeer4)), 1500u);
  EXPECT_EQ(rig.counter("ip.pmtu_updates"), 1u);
  rig.stack.send_echo_request(rig.now, far, 1, 1, pattern(1400));
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 2u);
  for (const auto& p : out) EXPECT_LE(p.size(), 1000u);
}

// RFC 5927 §4.1 / Linux tcp_v4_err: a "fragmentation needed" the transport rejects (no such
// connection, or a TCP sequence number not in flight) leaves the path MTU alone, so a blind
// forger cannot make us fragment.
TEST(StackIpv4, FragmentationNeededRejectedByTheTransportKeepsThePathMtu) {
  Rig rig;
  FakeTransport tcp(IpProto::kTcp);
  tcp.accept_icmp_errors = false;
  rig.stack.register_transport(tcp);
  ByteVec ours = V4(kUs4, kPeer4, IpProto::kTcp, ByteVec(40, 0)).bytes();
  rig.inject(frag_needed(1200, ours));
  ASSERT_EQ(tcp.errors.size(), 1u);
  EXPECT_EQ(rig.stack.path_mtu(IpAddr(kPeer4)), 1500u);
  tcp.accept_icmp_errors = true;
  rig.inject(frag_needed(1200, ours));
  EXPECT_EQ(rig.stack.path_mtu(IpAddr(kPeer4)), 1200u);
}

// Linux __ip_rt_update_pmtu (net.ipv4.route.min_pmtu = 552): a "fragmentation needed" below
// the floor sets the floor, not the reported MTU, and locks the path MTU, so DF is cleared
// (Linux ip_dont_fragment) and routers may fragment. A forged MTU of 68 cannot make us send
// 68-byte packets; the transport is told the floor too (tcp_v4_mtu_reduced reads dst_mtu).
TEST(StackIpv4, FragmentationNeededBelowTheFloorSetsTheFloorAndClearsDf) {
  Rig rig;
  FakeTransport udp(IpProto::kUdp);
  rig.stack.register_transport(udp);
  rig.stack.set_default_gateway(IpAddr(kPeer4));
  IpAddr far = ip("198.19.0.1");
  ByteVec ours =
      V4(kUs4, far.v4(), IpProto::kUdp, udp_datagram(kUs4, far, 5000, 53, pattern(1400))).bytes();
  rig.inject(frag_needed(68, ours));
  EXPECT_EQ(rig.stack.path_mtu(far), 552u);
  ASSERT_EQ(udp.errors.size(), 1u);
  EXPECT_EQ(udp.errors[0].next_hop_mtu, 552u);
  rig.stack.send_echo_request(rig.now, far, 1, 1, pattern(500), IpSendOptions{});
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(parse4(out[0])->dont_frag);
  rig.stack.send_echo_request(rig.now, far, 1, 2, pattern(1000), IpSendOptions{});
  out = rig.sent();
  ASSERT_EQ(out.size(), 2u);
  for (const auto& p : out) EXPECT_LE(p.size(), 552u);
  // Other destinations keep DF (RFC 1191 §3).
  rig.stack.send_echo_request(rig.now, IpAddr(kPeer4), 1, 3, pattern(500), IpSendOptions{});
  out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(parse4(out[0])->dont_frag);
}

// RFC 1191 §6.1 within the floor: a report between 552 and the current MTU is taken as is and
// DF stays set; once the entry expires (RFC 1191 §6.3) the lock goes with it.
TEST(StackIpv4, FragmentationNeededAboveTheFloorKeepsDf) {
  Rig rig;
  rig.stack.set_default_gateway(IpAddr(kPeer4));
  IpAddr far = ip("198.19.0.1");
  ByteVec ours =
      V4(kUs4, far.v4(), IpProto::kUdp, udp_datagram(kUs4, far, 5000, 53, pattern(1400))).bytes();
  rig.inject(frag_needed(600, ours));
  EXPECT_EQ(rig.stack.path_mtu(far), 600u);
  rig.stack.send_echo_request(rig.now, far, 1, 1, pattern(500), IpSendOptions{});
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(parse4(out[0])->dont_frag);
  rig.inject(frag_needed(100, ours));
  EXPECT_EQ(rig.stack.path_mtu(far), 552u);
  rig.advance(601_s);
  EXPECT_EQ(rig.stack.path_mtu(far), 1500u);
  rig.stack.send_echo_request(rig.now, far, 1, 2, pattern(500), IpSendOptions{});
  out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(parse4(out[0])->dont_frag);
}

// The TCP consequence (Linux tcp_v4_mtu_reduced -> tcp_sync_mss(dst_mtu)): after a forged
// MTU of 68 accepted for an in-flight segment, the connection's MSS is the floor's
// (552 - 20 - 20 = 512) and what it resends fits in 552 bytes.
TEST(StackIpv4, FragmentationNeededBelowTheFloorLeavesTcpAtTheFloorsMss) {
  Rig rig;
  TcpLayerConfig tc;
  TcpLayer tcp(tc);
  rig.stack.register_transport(tcp);
  auto h = tcp.connect(rig.now, rig.stack, IpAddr(kPeer4), 80);
  ASSERT_TRUE(h);
  rig.stack.poll(rig.now);
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  auto syn = TcpRepr::parse(parse4(out[0])->payload, IpAddr(kUs4), IpAddr(kPeer4));
  ASSERT_TRUE(syn);
  TcpRepr synack;
  synack.src_port = 80;
  synack.dst_port = syn->src_port;
  synack.seq = SeqNum(5000);
  synack.ack = syn->seq + 1;
  synack.flags = tcp_flags::kSyn | tcp_flags::kAck;
  synack.window = 65535;
  synack.options.mss = 1460;
  rig.inject(
      V4(kPeer4, kUs4, IpProto::kTcp, emit_tcp(synack, IpAddr(kPeer4), IpAddr(kUs4))).bytes());
  rig.sent();
  ASSERT_EQ(*tcp.maxseg(*h), 1460u);
  ASSERT_TRUE(tcp.send(*h, pattern(3000)));
  rig.stack.poll(rig.now);
  out = rig.sent();
  ASSERT_GE(out.size(), 1u);
  rig.inject(frag_needed(68, out[0]));
  EXPECT_EQ(*tcp.maxseg(*h), 512u);
  rig.stack.poll(rig.now);
  out = rig.sent();
  ASSERT_GE(out.size(), 1u);
  EXPECT_EQ(out[0].size(), 552u);  // full-sized: the MSS did not go below the floor's
  for (const auto& p : out) {
    EXPECT_LE(p.size(), 552u);
    EXPECT_FALSE(parse4(p)->dont_frag);  // the path MTU is locked
  }
}

// RFC 1191 §5: a router that reports MTU 0 → next plateau below what we sent.
TEST(StackIpv4, FragmentationNeededWithoutMtuUsesPlateau) {
  Rig rig;
  ByteVec ours =
      V4(kUs4, kPeer4, IpProto::kUdp, udp_datagram(kUs4, IpAddr(kPeer4), 1, 2, pattern(1472)))
          .bytes();
  rig.inject(frag_needed(0, ours));
  EXPECT_EQ(rig.stack.path_mtu(IpAddr(kPeer4)), 1492u);
}

// RFC 1122 §4.2.3.9 / RFC 5927: an ICMP error reaches the transport that owns the quoted
// flow, with the quoted addresses and transport header.
TEST(StackIpv4, IcmpErrorIsHandedToTheQuotedTransport) {
  Rig rig;
  FakeTransport udp(IpProto::kUdp);
  rig.stack.register_transport(udp);
  ByteVec ours =
      V4(kUs4, kPeer4, IpProto::kUdp, udp_datagram(kUs4, IpAddr(kPeer4), 5000, 53, pattern(8)))
          .bytes();
  Icmpv4Repr m = Icmpv4Repr::dest_unreachable(Icmpv4Unreach::kPort, ours);
  ByteVec msg(m.buffer_len());
  m.emit(msg);
  rig.inject(V4(kPeer4, kUs4, IpProto::kIcmp, msg).bytes());
  ASSERT_EQ(udp.errors.size(), 1u);
  const IcmpError& e = udp.errors[0];
  EXPECT_EQ(e.kind, IcmpError::Kind::kPortUnreachable);
  EXPECT_TRUE(e.hard);
  EXPECT_EQ(e.reporter, IpAddr(kPeer4));
  EXPECT_EQ(e.quoted_src, IpAddr(kUs4));
  EXPECT_EQ(e.quoted_dst, IpAddr(kPeer4));
  EXPECT_EQ(e.quoted_proto, IpProto::kUdp);
  ASSERT_GE(udp.error_transport[0].size(), 8u);
  EXPECT_EQ(load_be16(udp.error_transport[0], 0), 5000);
  EXPECT_EQ(load_be16(udp.error_transport[0], 2), 53);
  EXPECT_EQ(rig.counter("icmp.errors_to_transport"), 1u);
}

TEST(StackIpv4, IcmpErrorQuotingSomeoneElsesPacketIsDropped) {
  Rig rig;
  FakeTransport udp(IpProto::kUdp);
  rig.stack.register_transport(udp);
  ByteVec theirs = V4(ip4("198.18.0.50"), kPeer4, IpProto::kUdp, pattern(8)).bytes();
  Icmpv4Repr m = Icmpv4Repr::dest_unreachable(Icmpv4Unreach::kPort, theirs);
  ByteVec msg(m.buffer_len());
  m.emit(msg);
  rig.inject(V4(kPeer4, kUs4, IpProto::kIcmp, msg).bytes());
  EXPECT_TRUE(udp.errors.empty());
  EXPECT_EQ(rig.counter("drops.icmp_unmatched_error"), 1u);
}

TEST(StackIpv4, TransportGetsPacketWithMeta) {
  Rig rig;
  FakeTransport tcp(IpProto::kTcp);
  rig.stack.register_transport(tcp);
  ByteVec seg = pattern(20);
  V4 p(kPeer4, kUs4, IpProto::kTcp, seg);
  p.r.tos = 0x10;
  rig.inject(p.ttl(33).bytes());
  ASSERT_EQ(tcp.packets.size(), 1u);
  EXPECT_EQ(tcp.packets[0].meta.src, IpAddr(kPeer4));
  EXPECT_EQ(tcp.packets[0].meta.dst, IpAddr(kUs4));
  EXPECT_EQ(tcp.packets[0].meta.hop_limit, 33);
  EXPECT_EQ(tcp.packets[0].meta.tos, 0x10);
  EXPECT_FALSE(tcp.packets[0].meta.dst_is_broadcast_or_multicast);
  EXPECT_EQ(tcp.packets[0].payload, seg);
}

// A device that offloads checksums (TUN with IFF_VNET_HDR, TAP with TUNSETOFFLOAD): the
// transports are told to leave their checksums to it, and that received ones were verified.
TEST(StackIpv4, ChecksumOffloadOfTheDeviceReachesTransports) {
  Rig plain;
  EXPECT_EQ(plain.stack.checksum_mode(), ChecksumMode::kCompute);

  LinkConfig lc = link_config(Medium::kIp, 1500);
  lc.checksum_offload = true;
  Link link(lc);
  Stack stack(test_config(), link.a());
  stack.add_address(IpCidr{kUs4, 24});
  FakeTransport tcp(IpProto::kTcp);
  stack.register_transport(tcp);
  EXPECT_EQ(stack.checksum_mode(), ChecksumMode::kOffload);
  link.a().inject(Instant::from_millis(1), V4(kPeer4, kUs4, IpProto::kTcp, pattern(20)).bytes());
  stack.poll(Instant::from_millis(1));
  ASSERT_EQ(tcp.packets.size(), 1u);
  EXPECT_TRUE(tcp.packets[0].meta.checksum_verified);
}

// IpSender::send: transports' packets go out with the stack's header.
TEST(StackIpv4, IpSenderSendsTransportPayload) {
  Rig rig;
  ByteVec seg = pattern(100);
  EXPECT_EQ(rig.stack.select_source(IpAddr(kPeer4)), IpAddr(kUs4));
  EXPECT_TRUE(rig.stack.is_local_address(IpAddr(kUs4)));
  EXPECT_TRUE(rig.stack.send(rig.now, IpAddr(kUs4), IpAddr(kPeer4), IpProto::kTcp, seg.size(),
                             [&](MutBytes out) { std::copy(seg.begin(), seg.end(), out.begin()); },
                             {}));
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  auto p = parse4(out[0]);
  EXPECT_EQ(p->protocol, IpProto::kTcp);
  EXPECT_TRUE(p->dont_frag);  // RFC 1191: TCP probes the path MTU
  EXPECT_EQ(ByteVec(p->payload.begin(), p->payload.end()), seg);
}

TEST(StackIpv4, OptionsAreTolerated) {
  Rig rig;
  V4 p(kPeer4, kUs4, IpProto::kIcmp, icmp4_echo_request(1, 1, pattern(8)));
  ByteVec rr = {7, 7, 4, 0, 0, 0, 0, 1};  // record route with room for one address
  ASSERT_TRUE(p.r.set_options(rr).ok());
  rig.inject(p.bytes());
  EXPECT_EQ(rig.sent().size(), 1u);
}

TEST(StackIpv4, UnspecifiedSourceIsFilledFromTheRoute) {
  Rig rig;
  ByteVec seg = pattern(8);
  EXPECT_TRUE(
      rig.stack.send(rig.now, IpAddr(Ipv4Addr::any()), IpAddr(kPeer4), IpProto::kUdp, seg.size(),
                     [&](MutBytes out) { std::copy(seg.begin(), seg.end(), out.begin()); }, {}));
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(parse4(out[0])->src, kUs4);
}

// RFC 1122 §3.2.2.5: a malformed option gets a Parameter Problem pointing at it.
TEST(StackIpv4, MalformedOptionGetsParameterProblem) {
  Rig rig;
  V4 p(kPeer4, kUs4, IpProto::kIcmp, icmp4_echo_request(1, 1, pattern(8)));
  ASSERT_TRUE(p.r.set_options(ByteVec{1, 1, 1, 1}).ok());  // four NOPs, then break one
  ByteVec bytes = p.bytes();
  bytes[20] = 7;  // record route ...
  bytes[21] = 9;  // ... whose length runs past the header
  store_be16(bytes, 10, 0);
  store_be16(bytes, 10, internet_checksum(Bytes(bytes).first(24)));
  rig.inject(bytes);
  auto out = rig.sent();
  ASSERT_EQ(out.size(), 1u);
  auto icmp = Icmpv4Repr::parse(parse4(out[0])->payload);
  ASSERT_TRUE(icmp);
  EXPECT_EQ(icmp->type, Icmpv4Type::kParamProblem);
  EXPECT_EQ(icmp->pointer, 21);
  EXPECT_EQ(rig.counter("drops.ipv4_bad_option"), 1u);
  EXPECT_EQ(rig.counter("icmp.out_parm_probs"), 1u);
}

}  // namespace
}  // namespace ustack::testing
