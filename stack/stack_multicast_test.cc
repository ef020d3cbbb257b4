// Multicast in the Stack: group membership and the receive filter (RFC 1112 §6, RFC 4291
// §2.7.1), IGMPv2 (RFC 2236) and MLDv2 (RFC 3810) as a host, and the loopback of what we send
// to our own groups and to broadcast addresses (Linux ip_mc_output). The test plays the peer
// (and the multicast router) on a TUN-like link unless it says Ethernet; times are virtual and
// the random delays come from the rig's seed, so every instant below replays.
#include <memory>

#include "stack/stack_test_util.h"
#include "stack/wire/igmp.h"
#include "stack/wire/mld.h"

namespace ustack::testing {
namespace {

const Ipv4Addr kGroup4 = ip4("239.1.2.3");
const Ipv4Addr kOtherGroup4 = ip4("239.9.9.9");
const Ipv4Addr kAllHosts = ip4("224.0.0.1");
const Ipv4Addr kAllRouters4 = ip4("224.0.0.2");
const Ipv6Addr kGroup6 = ip6("ff05::1:3");
const Ipv6Addr kMldv2Routers = ip6("ff02::16");
const Ipv6Addr kRouterLl = ip6("fe80::1");
const std::uint8_t kRouterAlert[] = {148, 4, 0, 0};

// --- What the stack sent ---

// The IP packets sent so far (Ethernet headers stripped, their destination MAC kept).
struct Out {
  ByteVec ip;
  std::optional<MacAddr> eth_dst;
};

std::vector<Out> sent_ip(Rig& rig) {
  std::vector<Out> out;
  for (ByteVec& b : rig.sent()) {
    if (rig.stack.medium() == Medium::kIp) {
      out.push_back({b, std::nullopt});
      continue;
    }
    auto e = EthernetRepr::parse(b);
    if (!e || e->ethertype == EtherType::kArp) continue;
    out.push_back({ByteVec(e->payload.begin(), e->payload.end()), e->dst});
  }
  return out;
}

// The reprs below are views: they keep the packet they point into alive.
using Keep = std::shared_ptr<const ByteVec>;

struct Igmp {
  Ipv4Repr ip;
  IgmpRepr msg;
  Keep bytes;
};

// An IGMP packet whose IP and IGMP checksums verify.
std::optional<Igmp> as_igmp(const ByteVec& packet) {
  if (packet.empty() || packet[0] >> 4 != 4) return std::nullopt;
  Keep keep = std::make_shared<const ByteVec>(packet);
  auto ip = Ipv4Repr::parse(*keep);
  if (!ip || ip->protocol != IpProto::kIgmp) return std::nullopt;
  auto m = IgmpRepr::parse(ip->payload);
  if (!m) return std::nullopt;
  return Igmp{*ip, *m, keep};
}

struct Mld {
  Ipv6Repr ip;
  MldRepr msg;
  Keep bytes;
  bool router_alert = false;
};

// An MLD message whose ICMPv6 checksum verifies.
std::optional<Mld> as_mld(const ByteVec& packet) {
  if (packet.empty() || packet[0] >> 4 != 6) return std::nullopt;
  Keep keep = std::make_shared<const ByteVec>(packet);
  auto ip = Ipv6Repr::parse(*keep);
  if (!ip || ip->upper_proto != IpProto::kIcmpv6) return std::nullopt;
  auto m = MldRepr::parse(ip->upper_payload, ip->src, ip->dst);
  if (!m) return std::nullopt;
  Mld out{*ip, *m, keep};
  for (const Ipv6Option& o : ip->options()) {
    out.router_alert |= o.header == IpProto::kHopByHop && o.type == ipv6_option::kRouterAlert;
  }
  return out;
}

// The messages of one kind among what the stack sent so far.
template <class Msg>
std::vector<Msg> sent_as(Rig& rig, std::optional<Msg> (*as)(const ByteVec&)) {
  std::vector<Msg> v;
  for (const Out& o : sent_ip(rig)) {
    if (auto m = as(o.ip)) v.push_back(*m);
  }
  return v;
}
std::vector<Igmp> igmp_sent(Rig& rig) { return sent_as(rig, as_igmp); }
std::vector<Mld> mld_sent(Rig& rig) { return sent_as(rig, as_mld); }

// Steps virtual time 1 ms at a time until the stack sends an IGMP/MLD message (at most
// `limit`); returns when, and what.
template <class Msg, class Get>
std::optional<std::pair<Instant, Msg>> next_message(Rig& rig, Duration limit, Get get) {
  Instant end = rig.now + limit;
  while (rig.now < end) {
    rig.advance(1_ms);
    auto v = get(rig);
    if (!v.empty()) return std::pair<Instant, Msg>{rig.now, v.front()};
  }
  return std::nullopt;
}
std::optional<std::pair<Instant, Igmp>> next_igmp(Rig& rig, Duration limit) {
  return next_message<Igmp>(rig, limit, igmp_sent);
}
std::optional<std::pair<Instant, Mld>> next_mld(Rig& rig, Duration limit) {
  return next_message<Mld>(rig, limit, mld_sent);
}

// --- What the test sends ---

ByteVec igmp_packet(Ipv4Addr dst, const IgmpRepr& m, Ipv4Addr src = kPeer4) {
  ByteVec body(m.buffer_len());
  m.emit(body);
  V4 v(src, dst, IpProto::kIgmp, body);
  v.ttl(1);
  EXPECT_TRUE(v.r.set_options(kRouterAlert).ok());
  return v.bytes();
}

ByteVec mld_packet(const Ipv6Addr& src, const Ipv6Addr& dst, const MldRepr& m,
                   std::uint8_t hop_limit = 1, bool router_alert = true) {
  ByteVec body(Ipv6RouterAlertHeader::kLen + m.buffer_len());
  Ipv6RouterAlertHeader{}.emit(body);
  m.emit(MutBytes(body).subspan(Ipv6RouterAlertHeader::kLen), src, dst);
  if (!router_alert) body[2] = ipv6_option::kPadN;  // the option becomes padding
  return v6_packet(src, dst, IpProto::kHopByHop, body, hop_limit);
}

ByteVec udp4(Ipv4Addr dst, Ipv4Addr src = kPeer4) {
  return V4(src, dst, IpProto::kUdp, udp_datagram(IpAddr(src), IpAddr(dst), 4000, 5000, pattern(8)))
      .bytes();
}

ByteVec udp6(const Ipv6Addr& dst) {
  return v6_packet(kPeer6, dst, IpProto::kUdp,
                   udp_datagram(IpAddr(kPeer6), IpAddr(dst), 4000, 5000, pattern(8)));
}

// A UDP datagram from us to `dst` through IpSender::send.
bool send_udp(Rig& rig, const IpAddr& dst, const IpSendOptions& opts) {
  IpAddr src = dst.is_v4() ? IpAddr(kUs4) : IpAddr(kUs6);
  ByteVec d = udp_datagram(src, dst, 5000, 5000, pattern(8));
  return rig.stack.send(
      rig.now, src, dst, IpProto::kUdp, d.size(),
      [&](MutBytes out) { std::copy(d.begin(), d.end(), out.begin()); }, opts);
}

// A TUN rig whose first poll (address set-up) is done.
struct McRig : Rig {
  explicit McRig(Medium m = Medium::kIp, StackConfig cfg = test_config()) : Rig(m, cfg) {
    stack.poll(now);
    sent();
  }
  void join(const IpAddr& g) { EXPECT_TRUE(stack.join_group(now, g)); }
  // Lets the unsolicited reports (and their repeats) go out, and forgets them.
  void settle() {
    advance(20_s);
    sent();
  }
  // A member of `g` whose announcement is over.
  void member_of(const IpAddr& g) {
    join(g);
    settle();
  }
};

// ... with a UDP transport that records what reaches it.
struct UdpRig : McRig {
  FakeTransport udp;
  explicit UdpRig(RxVerdict verdict = RxVerdict::kDelivered) : udp(IpProto::kUdp, verdict) {
    stack.register_transport(udp);
  }
};

// ============================== IGMPv2 =====================================================

// RFC 2236 §3, §2: the first join sends an unsolicited v2 report to the group, TTL 1, Router
// Alert (RFC 2113), checksum over the message, repeated once within the Unsolicited Report
// Interval (10 s).
TEST(StackIgmp, JoinSendsReportNowAndOnceMore) {
  McRig rig;
  rig.join(IpAddr(kGroup4));
  auto now = igmp_sent(rig);
  ASSERT_EQ(now.size(), 1u);
  const Igmp& r = now[0];
  EXPECT_EQ(r.msg.type, IgmpType::kV2MembershipReport);
  EXPECT_EQ(r.msg.group, kGroup4);
  EXPECT_EQ(r.ip.dst, kGroup4);
  EXPECT_EQ(r.ip.src, kUs4);
  EXPECT_EQ(r.ip.ttl, 1);
  EXPECT_EQ(ByteVec(r.ip.options().begin(), r.ip.options().end()),
            ByteVec(std::begin(kRouterAlert), std::end(kRouterAlert)));
  EXPECT_EQ(r.msg.buffer_len(), 8u);

  Instant joined = rig.now;
  auto again = next_igmp(rig, 10_s);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->second.msg.type, IgmpType::kV2MembershipReport);
  EXPECT_GT(again->first, joined);
  EXPECT_LE(again->first - joined, 10_s);
  EXPECT_FALSE(next_igmp(rig, 30_s));
  EXPECT_EQ(rig.counter("igmp.out_reports"), 2u);
}

// The repeat's instant comes from the seed: the same seed gives the same one, another seed
// another one.
TEST(StackIgmp, ReportDelaysReplayWithTheSeed) {
  auto repeat_at = [](std::uint64_t seed) {
    McRig rig(Medium::kIp, test_config(seed));
    rig.join(IpAddr(kGroup4));
    rig.sent();
    auto r = next_igmp(rig, 10_s);
    return r ? r->first : Instant::never();
  };
  EXPECT_EQ(repeat_at(42), repeat_at(42));
  EXPECT_NE(repeat_at(42), repeat_at(43));
}

// On Ethernet the report goes to the group's MAC (RFC 1112 §6.4).
TEST(StackIgmp, OnEthernetTheReportGoesToTheGroupMac) {
  McRig rig(Medium::kEthernet);
  rig.advance(15_s);
  rig.sent();
  rig.join(IpAddr(kGroup4));
  auto out = sent_ip(rig);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].eth_dst, mac("01:00:5e:01:02:03"));
  EXPECT_TRUE(as_igmp(out[0].ip));
}

// RFC 2236 §3: the last leave sends Leave Group to 224.0.0.2 (we reported last).
TEST(StackIgmp, LastLeaveSendsLeaveToAllRouters) {
  McRig rig;
  rig.member_of(IpAddr(kGroup4));
  rig.stack.leave_group(rig.now, IpAddr(kGroup4));
  auto out = igmp_sent(rig);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].msg.type, IgmpType::kLeaveGroup);
  EXPECT_EQ(out[0].msg.group, kGroup4);
  EXPECT_EQ(out[0].ip.dst, kAllRouters4);
  EXPECT_EQ(out[0].ip.ttl, 1);
  EXPECT_EQ(rig.counter("igmp.out_leaves"), 1u);
  EXPECT_EQ(rig.stack.group_refs(IpAddr(kGroup4)), 0u);
}

// Two joins, one leave: still a member, nothing sent, the group's packets still arrive.
TEST(StackIgmp, MembershipIsReferenceCounted) {
  UdpRig rig;
  FakeTransport& udp = rig.udp;
  rig.join(IpAddr(kGroup4));
  rig.join(IpAddr(kGroup4));
  rig.advance(20_s);
  EXPECT_EQ(igmp_sent(rig).size(), 2u);  // one join's report and its repeat
  rig.stack.leave_group(rig.now, IpAddr(kGroup4));
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.stack.group_refs(IpAddr(kGroup4)), 1u);
  rig.inject(udp4(kGroup4));
  EXPECT_EQ(udp.packets.size(), 1u);
}

// RFC 2236 §3: a General Query (to 224.0.0.1, group 0) is answered after a random delay in
// [0, Max Resp Time]: not at once, and before 1 s here.
TEST(StackIgmp, GeneralQueryIsAnsweredAfterARandomDelay) {
  McRig rig;
  rig.member_of(IpAddr(kGroup4));
  rig.inject(igmp_packet(kAllHosts, IgmpRepr::v2_query(Ipv4Addr::any(), 10)));  // 1 s
  EXPECT_TRUE(rig.sent().empty());
  Instant queried = rig.now;
  auto r = next_igmp(rig, 2_s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->second.msg.type, IgmpType::kV2MembershipReport);
  EXPECT_EQ(r->second.msg.group, kGroup4);
  EXPECT_GT(r->first, queried);
  EXPECT_LE(r->first - queried, 1_s);
  EXPECT_FALSE(next_igmp(rig, 5_s));
  EXPECT_EQ(rig.counter("igmp.in_queries"), 1u);
}

// RFC 2236 §3: another host's report for the group, heard first, suppresses ours.
TEST(StackIgmp, AnotherHostsReportSuppressesOurs) {
  McRig rig;
  rig.member_of(IpAddr(kGroup4));
  rig.inject(igmp_packet(kAllHosts, IgmpRepr::v2_query(Ipv4Addr::any(), 100)));
  rig.inject(igmp_packet(kGroup4, IgmpRepr::v2_report(kGroup4), ip4("198.18.0.9")));
  EXPECT_FALSE(next_igmp(rig, 11_s));
  EXPECT_EQ(rig.counter("igmp.reports_suppressed"), 1u);
  // ... and as we did not report last, leaving sends nothing.
  rig.stack.leave_group(rig.now, IpAddr(kGroup4));
  EXPECT_TRUE(igmp_sent(rig).empty());
}

// RFC 2236 §3: a Group-Specific Query for a group we are not in gets no answer.
TEST(StackIgmp, GroupSpecificQueryForAnotherGroupIsIgnored) {
  McRig rig;
  rig.member_of(IpAddr(kGroup4));
  // To the other group: not a member, dropped by the receive filter.
  rig.inject(igmp_packet(kOtherGroup4, IgmpRepr::v2_query(kOtherGroup4, 10)));
  EXPECT_EQ(rig.counter("drops.ipv4_multicast_not_member"), 1u);
  // Naming the other group but sent to all-hosts: read, and ignored.
  rig.inject(igmp_packet(kAllHosts, IgmpRepr::v2_query(kOtherGroup4, 10)));
  EXPECT_EQ(rig.counter("igmp.in_queries"), 1u);
  EXPECT_FALSE(next_igmp(rig, 2_s));
  // For our group: answered.
  rig.inject(igmp_packet(kGroup4, IgmpRepr::v2_query(kGroup4, 10)));
  auto r = next_igmp(rig, 2_s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->second.msg.group, kGroup4);
}

// RFC 2236 §2.5 / RFC 3376 §7: an IGMPv3 query is answered with a v2 report.
TEST(StackIgmp, V3QueryIsAnsweredWithV2Report) {
  McRig rig;
  rig.member_of(IpAddr(kGroup4));
  IgmpRepr q = IgmpRepr::v2_query(Ipv4Addr::any(), 10);
  const std::uint8_t v3[] = {0x02, 0x7d, 0x00, 0x00};  // QRV 2, QQIC 125, no sources
  q.extra = v3;
  rig.inject(igmp_packet(kAllHosts, q));
  auto r = next_igmp(rig, 2_s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->second.msg.type, IgmpType::kV2MembershipReport);
}

// RFC 2236 §4: an IGMPv1 query (Max Resp 0) is answered within 10 s with a v1 report, and
// while the v1 router is present, leaving sends nothing.
TEST(StackIgmp, V1QueryGetsV1ReportAndNoLeave) {
  McRig rig;
  rig.member_of(IpAddr(kGroup4));
  rig.inject(igmp_packet(kAllHosts, IgmpRepr::v2_query(Ipv4Addr::any(), 0)));
  Instant queried = rig.now;
  auto r = next_igmp(rig, 11_s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->second.msg.type, IgmpType::kV1MembershipReport);
  EXPECT_LE(r->first - queried, 10_s);
  rig.stack.leave_group(rig.now, IpAddr(kGroup4));
  EXPECT_TRUE(igmp_sent(rig).empty());
}

// 224.0.0.1 is a member from the start and never reported (RFC 2236 §6).
TEST(StackIgmp, AllHostsIsNeverReported) {
  McRig rig;
  rig.join(IpAddr(kAllHosts));
  rig.inject(igmp_packet(kAllHosts, IgmpRepr::v2_query(Ipv4Addr::any(), 10)));
  EXPECT_FALSE(next_igmp(rig, 2_s));
}

TEST(StackIgmp, MalformedMessagesAreDroppedAndCounted) {
  McRig rig;
  ByteVec bad = igmp_packet(kAllHosts, IgmpRepr::v2_query(Ipv4Addr::any(), 10));
  bad[bad.size() - 1] ^= 1;  // IGMP checksum
  rig.inject(bad);
  ByteVec body{0x11, 0x64, 0, 0};  // 4 bytes
  V4 v(kPeer4, kAllHosts, IpProto::kIgmp, body);
  rig.inject(v.bytes());
  // A query naming a unicast group.
  rig.inject(igmp_packet(kAllHosts, IgmpRepr::v2_query(kPeer4, 10)));
  EXPECT_EQ(rig.counter("drops.igmp_bad_checksum"), 1u);
  EXPECT_EQ(rig.counter("drops.igmp_truncated"), 1u);
  EXPECT_EQ(rig.counter("drops.igmp_bad_query"), 1u);
  EXPECT_TRUE(rig.sent().empty());  // and no ICMP protocol unreachable
}

// ============================== Receive filter =============================================

TEST(StackMulticastFilter, GroupsWeAreNotInAreDroppedAndCounted) {
  UdpRig rig;
  FakeTransport& udp = rig.udp;
  rig.inject(udp4(kGroup4));
  rig.inject(udp6(kGroup6));
  rig.inject(udp6(Ipv6Addr::all_routers()));
  EXPECT_TRUE(udp.packets.empty());
  EXPECT_EQ(rig.counter("drops.ipv4_multicast_not_member"), 1u);
  EXPECT_EQ(rig.counter("drops.ipv6_multicast_not_member"), 2u);
  EXPECT_TRUE(rig.sent().empty());
}

TEST(StackMulticastFilter, JoinedGroupsReachTheTransport) {
  UdpRig rig;
  FakeTransport& udp = rig.udp;
  rig.join(IpAddr(kGroup4));
  rig.join(IpAddr(kGroup6));
  rig.inject(udp4(kGroup4));
  rig.inject(udp6(kGroup6));
  ASSERT_EQ(udp.packets.size(), 2u);
  EXPECT_EQ(udp.packets[0].meta.dst, IpAddr(kGroup4));
  EXPECT_TRUE(udp.packets[0].meta.dst_is_broadcast_or_multicast);
  EXPECT_EQ(udp.packets[1].meta.dst, IpAddr(kGroup6));
  EXPECT_TRUE(udp.packets[1].meta.dst_is_broadcast_or_multicast);
  // After the last leave, no more.
  rig.stack.leave_group(rig.now, IpAddr(kGroup4));
  rig.inject(udp4(kGroup4));
  EXPECT_EQ(udp.packets.size(), 2u);
  EXPECT_EQ(rig.counter("drops.ipv4_multicast_not_member"), 1u);
}

TEST(StackMulticastFilter, JoinRefusesUnicastAddresses) {
  McRig rig;
  EXPECT_FALSE(rig.stack.join_group(rig.now, IpAddr(kPeer4)));
  EXPECT_FALSE(rig.stack.join_group(rig.now, IpAddr(kPeer6)));
  EXPECT_TRUE(rig.sent().empty());
}

// ============================== Loopback ===================================================

// IP_MULTICAST_LOOP (on by default): what we send to a group we are in goes on the wire with
// TTL multicast_ttl and comes back to us at the next poll, as multicast.
TEST(StackMulticastLoop, GroupTrafficComesBackToUs) {
  UdpRig rig;
  FakeTransport& udp = rig.udp;
  rig.join(IpAddr(kGroup4));
  rig.sent();
  ASSERT_TRUE(send_udp(rig, IpAddr(kGroup4), IpSendOptions{}));
  auto out = sent_ip(rig);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Ipv4Repr::parse(out[0].ip)->ttl, 1);
  EXPECT_TRUE(udp.packets.empty());
  rig.stack.poll(rig.now);
  ASSERT_EQ(udp.packets.size(), 1u);
  EXPECT_EQ(udp.packets[0].meta.src, IpAddr(kUs4));
  EXPECT_TRUE(udp.packets[0].meta.dst_is_broadcast_or_multicast);
  EXPECT_EQ(udp.packets[0].payload, ByteVec(Ipv4Repr::parse(out[0].ip)->payload.begin(),
                                            Ipv4Repr::parse(out[0].ip)->payload.end()));
}

TEST(StackMulticastLoop, LoopOffOrNotAMemberSendsOnlyOnTheWire) {
  UdpRig rig;
  FakeTransport& udp = rig.udp;
  rig.join(IpAddr(kGroup6));
  rig.sent();
  IpSendOptions no_loop;
  no_loop.multicast_loop = false;
  ASSERT_TRUE(send_udp(rig, IpAddr(kGroup6), no_loop));
  ASSERT_TRUE(send_udp(rig, IpAddr(kOtherGroup4), IpSendOptions{}));
  EXPECT_EQ(sent_ip(rig).size(), 2u);
  rig.advance(1_ms);
  EXPECT_TRUE(udp.packets.empty());
}

// IP_MULTICAST_TTL 0: to our own members only, nothing on the wire.
TEST(StackMulticastLoop, TtlZeroLoopsBackOnly) {
  UdpRig rig;
  FakeTransport& udp = rig.udp;
  rig.member_of(IpAddr(kGroup6));
  IpSendOptions ttl0;
  ttl0.multicast_ttl = 0;
  ASSERT_TRUE(send_udp(rig, IpAddr(kGroup6), ttl0));
  rig.stack.poll(rig.now);
  EXPECT_TRUE(rig.sent().empty());
  ASSERT_EQ(udp.packets.size(), 1u);
  EXPECT_EQ(udp.packets[0].meta.dst, IpAddr(kGroup6));
}

// Linux ip_mc_output: every broadcast we send is looped back too, whatever multicast_loop
// says; 255.255.255.255 and our subnet's broadcast alike.
TEST(StackMulticastLoop, BroadcastsComeBackToUs) {
  UdpRig rig;
  FakeTransport& udp = rig.udp;
  IpSendOptions no_loop;
  no_loop.multicast_loop = false;
  ASSERT_TRUE(send_udp(rig, ip("255.255.255.255"), no_loop));
  ASSERT_TRUE(send_udp(rig, ip("198.18.0.255"), IpSendOptions{}));
  EXPECT_EQ(sent_ip(rig).size(), 2u);
  rig.stack.poll(rig.now);
  ASSERT_EQ(udp.packets.size(), 2u);
  EXPECT_EQ(udp.packets[0].meta.dst, ip("255.255.255.255"));
  EXPECT_EQ(udp.packets[1].meta.dst, ip("198.18.0.255"));
  EXPECT_TRUE(udp.packets[1].meta.dst_is_broadcast_or_multicast);
}

// RFC 1122 §4.1.3.1: a looped-back group datagram nobody listens to gets no ICMP error.
TEST(StackMulticastLoop, LoopedBackDatagramWithoutListenerGetsNoIcmpError) {
  UdpRig rig(RxVerdict::kPortUnreachable);
  FakeTransport& udp = rig.udp;
  rig.join(IpAddr(kGroup4));
  rig.sent();
  ASSERT_TRUE(send_udp(rig, IpAddr(kGroup4), IpSendOptions{}));
  rig.sent();
  rig.stack.poll(rig.now);
  EXPECT_EQ(udp.packets.size(), 1u);
  EXPECT_TRUE(rig.sent().empty());
  EXPECT_EQ(rig.counter("drops.udp_no_port"), 1u);
}

// ============================== MLD ========================================================

// RFC 3810 §6.1, §5.2: a join sends an MLDv2 report to ff02::16, hop limit 1, Hop-by-Hop
// Router Alert, one CHANGE_TO_EXCLUDE record without sources; repeated once within 1 s. On a
// TUN there is no link-local address: the source is :: (§5.2.13).
TEST(StackMld, JoinSendsChangeToExcludeReport) {
  McRig rig;
  rig.join(IpAddr(kGroup6));
  auto now = mld_sent(rig);
  ASSERT_EQ(now.size(), 1u);
  const Mld& r = now[0];
  EXPECT_EQ(r.ip.dst, kMldv2Routers);
  EXPECT_EQ(r.ip.hop_limit, 1);
  EXPECT_TRUE(r.ip.src.is_unspecified());
  EXPECT_TRUE(r.router_alert);
  EXPECT_EQ(r.msg.type, Icmpv6Type::kMldv2Report);
  ASSERT_EQ(r.msg.num_records, 1);
  EXPECT_EQ(r.msg.record(0).type, MldRecordType::kChangeToExclude);
  EXPECT_EQ(r.msg.record(0).group, kGroup6);
  EXPECT_EQ(r.msg.record(0).num_sources, 0);
  Instant joined = rig.now;
  auto again = next_mld(rig, 1_s);
  ASSERT_TRUE(again);
  EXPECT_LE(again->first - joined, 1_s);
  EXPECT_EQ(again->second.msg.record(0).type, MldRecordType::kChangeToExclude);
  EXPECT_EQ(rig.counter("mld.out_reports"), 2u);
}

// RFC 3810 §6.1: the last leave sends CHANGE_TO_INCLUDE, twice.
TEST(StackMld, LeaveSendsChangeToIncludeTwice) {
  McRig rig;
  rig.member_of(IpAddr(kGroup6));
  rig.stack.leave_group(rig.now, IpAddr(kGroup6));
  auto now = mld_sent(rig);
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0].msg.record(0).type, MldRecordType::kChangeToInclude);
  EXPECT_EQ(now[0].msg.record(0).group, kGroup6);
  auto again = next_mld(rig, 1_s);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->second.msg.record(0).type, MldRecordType::kChangeToInclude);
  EXPECT_FALSE(next_mld(rig, 5_s));
}

// RFC 3810 §6.2: a General Query gets one Current-State report with a MODE_IS_EXCLUDE record
// per group, after a random delay within the Maximum Response Delay.
TEST(StackMld, GeneralQueryGetsModeIsExcludeForEveryGroup) {
  McRig rig;
  rig.join(IpAddr(kGroup6));
  rig.join(ip("ff0e::1:4"));
  rig.join(IpAddr(Ipv6Addr::all_nodes()));  // never reported
  rig.settle();
  MldRepr q = MldRepr::v2_query(Ipv6Addr::any(), 2_s);
  q.qrv = 2;
  q.qqic = 125;
  rig.inject(mld_packet(kRouterLl, Ipv6Addr::all_nodes(), q));
  EXPECT_TRUE(rig.sent().empty());
  Instant queried = rig.now;
  auto r = next_mld(rig, 3_s);
  ASSERT_TRUE(r);
  EXPECT_GT(r->first, queried);
  EXPECT_LE(r->first - queried, 2_s);
  ASSERT_EQ(r->second.msg.num_records, 2);
  EXPECT_EQ(r->second.msg.record(0).type, MldRecordType::kModeIsExclude);
  EXPECT_EQ(r->second.msg.record(0).group, kGroup6);
  EXPECT_EQ(r->second.msg.record(1).group, ip6("ff0e::1:4"));
  EXPECT_FALSE(next_mld(rig, 5_s));
  EXPECT_EQ(rig.counter("mld.in_queries"), 1u);
}

// RFC 3810 §8.2.1 / RFC 2710: an MLDv1 query is answered with an MLDv1 report to the group;
// the leave is then a Done to ff02::2.
TEST(StackMld, V1QueryIsAnsweredWithV1Report) {
  McRig rig;
  rig.member_of(IpAddr(kGroup6));
  rig.inject(
      mld_packet(kRouterLl, Ipv6Addr::all_nodes(), MldRepr::v1_query(Ipv6Addr::any(), 1000)));
  auto r = next_mld(rig, 2_s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->second.msg.type, Icmpv6Type::kMldReport);
  EXPECT_EQ(r->second.msg.group, kGroup6);
  EXPECT_EQ(r->second.ip.dst, kGroup6);
  EXPECT_TRUE(r->second.router_alert);
  rig.stack.leave_group(rig.now, IpAddr(kGroup6));
  auto done = mld_sent(rig);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].msg.type, Icmpv6Type::kMldDone);
  EXPECT_EQ(done[0].ip.dst, Ipv6Addr::all_routers());
  EXPECT_EQ(rig.counter("mld.out_dones"), 1u);
}

// RFC 3810 §6.2: a query from a non-link-local source, with a hop limit other than 1 or
// without a Router Alert is dropped; malformed MLD is dropped and counted.
TEST(StackMld, InvalidAndMalformedQueriesAreDropped) {
  McRig rig;
  rig.member_of(IpAddr(kGroup6));
  MldRepr q = MldRepr::v2_query(Ipv6Addr::any(), 1_s);
  rig.inject(mld_packet(kPeer6, Ipv6Addr::all_nodes(), q));
  rig.inject(mld_packet(kRouterLl, Ipv6Addr::all_nodes(), q, 64));
  rig.inject(mld_packet(kRouterLl, Ipv6Addr::all_nodes(), q, 1, false));
  EXPECT_EQ(rig.counter("drops.mld_bad_query"), 3u);
  // A 26-byte query (RFC 3810 §8.1: neither v1 nor v2).
  ByteVec body(26, 0);
  body[0] = 130;
  store_be16(body, 2, icmpv6_checksum(body, kRouterLl, Ipv6Addr::all_nodes()));
  rig.inject(v6_packet(kRouterLl, Ipv6Addr::all_nodes(), IpProto::kIcmpv6, body, 1));
  EXPECT_EQ(rig.counter("drops.mld_bad_length"), 1u);
  EXPECT_FALSE(next_mld(rig, 3_s));
}

// On Ethernet the solicited-node group of every address is announced as Linux does, from ::
// while the link-local address is tentative (RFC 3810 §5.2.13), to 33:33:00:00:00:16; ff02::1
// never.
TEST(StackMld, OnEthernetSolicitedNodeGroupsAreAnnouncedDuringDad) {
  Rig rig(Medium::kEthernet);
  rig.stack.poll(rig.now);
  std::vector<Out> out = sent_ip(rig);
  std::vector<Ipv6Addr> groups;
  for (const Out& o : out) {
    auto m = as_mld(o.ip);
    if (!m) continue;
    EXPECT_EQ(o.eth_dst, mac("33:33:00:00:00:16"));
    EXPECT_TRUE(m->ip.src.is_unspecified());
    for (std::size_t i = 0; i < m->msg.num_records; ++i) groups.push_back(m->msg.record(i).group);
  }
  // fe80::…:ff:fe00:2 and fd00:1::2 share ff02::1:ff00:2: one group, counted twice.
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0], Ipv6Addr::solicited_node(kUs6));
  EXPECT_EQ(rig.stack.group_refs(IpAddr(groups[0])), 2u);
  // Once the link-local address is usable, reports come from it.
  rig.advance(15_s);
  rig.sent();
  rig.stack.join_group(rig.now, IpAddr(kGroup6));
  auto later = mld_sent(rig);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].ip.src, Ipv6Addr::link_local_from_mac(kUsMac));
  // Removing both addresses leaves the group.
  rig.stack.remove_address(IpAddr(kUs6));
  rig.stack.remove_address(IpAddr(Ipv6Addr::link_local_from_mac(kUsMac)));
  EXPECT_EQ(rig.stack.group_refs(IpAddr(Ipv6Addr::solicited_node(kUs6))), 0u);
}

}  // namespace
}  // namespace ustack::testing
