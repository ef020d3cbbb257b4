// Stack on an Ethernet (TAP-like) link: ARP (RFC 826, RFC 1122 §2.3.2), NDP (RFC 4861),
// DAD and SLAAC (RFC 4862). The test plays the peer 198.18.0.1 / fd00:1::1 at kPeerMac.
#include "stack/stack_test_util.h"

namespace ustack::testing {
namespace {

struct Frame {
  EthernetRepr eth;
  ByteVec bytes;
};

std::vector<Frame> frames(Rig& rig) {
  std::vector<Frame> out;
  for (ByteVec& b : rig.sent()) {
    auto e = EthernetRepr::parse(b);
    EXPECT_TRUE(e);
    if (!e) continue;
    out.push_back({*e, b});
    out.back().eth.payload = Bytes(out.back().bytes).subspan(e->header_len());
  }
  return out;
}

std::optional<ArpRepr> as_arp(const Frame& f) {
  if (f.eth.ethertype != EtherType::kArp) return std::nullopt;
  auto a = ArpRepr::parse(f.eth.payload);
  if (!a) return std::nullopt;
  return *a;
}

struct Ndp {
  Ipv6Repr ip;
  NdpRepr ndp;
};

std::optional<Ndp> as_ndp(const Frame& f) {
  if (f.eth.ethertype != EtherType::kIpv6) return std::nullopt;
  auto ip = Ipv6Repr::parse(f.eth.payload);
  if (!ip || ip->upper_proto != IpProto::kIcmpv6) return std::nullopt;
  auto icmp = Icmpv6Repr::parse(ip->upper_payload, ip->src, ip->dst);
  if (!icmp || !icmp->is_ndp()) return std::nullopt;
  auto n = NdpRepr::parse(*icmp, ip->src, ip->dst);
  if (!n) return std::nullopt;
  return Ndp{*ip, *n};
}

// An Ethernet rig whose addresses are already usable (DAD done, router solicitations sent).
struct EthRig : Rig {
  explicit EthRig(StackConfig cfg = test_config()) : Rig(Medium::kEthernet, cfg) {
    advance(15_s);
    sent();
  }
  void inject_arp(const ArpRepr& a, MacAddr dst = kUsMac) {
    inject(eth_frame(dst, kPeerMac, EtherType::kArp, arp_bytes(a)));
  }
  void inject_v6(const ByteVec& packet, MacAddr dst = kUsMac, MacAddr src = kPeerMac) {
    inject(eth_frame(dst, src, EtherType::kIpv6, packet));
  }
  void inject_ndp(const NdpRepr& n, const Ipv6Addr& src, const Ipv6Addr& dst,
                  std::uint8_t hop_limit = 255, MacAddr eth_dst = kUsMac) {
    inject_v6(v6_packet(src, dst, IpProto::kIcmpv6, ndp_bytes(n, src, dst), hop_limit), eth_dst);
  }
};

// --- ARP ---

// RFC 826 / RFC 1122 §2.3.2.2: an unresolved next hop gets a broadcast ARP request; the
// packet waits and goes out once the reply arrives.
TEST(StackArp, ResolvesAndSendsQueuedPacket) {
  EthRig rig;
  rig.stack.send_echo_request(rig.now, IpAddr(kPeer4), 1, 1, pattern(8));
  rig.stack.poll(rig.now);
  auto out = frames(rig);
  ASSERT_EQ(out.size(), 1u);
  auto req = as_arp(out[0]);
  ASSERT_TRUE(req);
  EXPECT_TRUE(out[0].eth.dst.is_broadcast());
  EXPECT_EQ(req->op, ArpOp::kRequest);
  EXPECT_EQ(req->tpa, kPeer4);
  EXPECT_EQ(req->spa, kUs4);
  EXPECT_EQ(req->sha, kUsMac);
  EXPECT_EQ(rig.stack.neighbor_state(IpAddr(kPeer4)), NeighborState::kIncomplete);

  rig.inject_arp(ArpRepr::reply_to(*req, kPeerMac));
  out = frames(rig);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].eth.dst, kPeerMac);
  EXPECT_EQ(out[0].eth.ethertype, EtherType::kIpv4);
  EXPECT_EQ(rig.stack.neighbor_state(IpAddr(kPeer4)), NeighborState::kReachable);
  EXPECT_EQ(rig.counter("arp.in_replies"), 1u);
}

// RFC 1122 §2.3.2.1: retransmit at most once a second; give up after 3 requests and
// drop what was waiting.
TEST(StackArp, RetriesThenFailsAndCountsDroppedPackets) {
  EthRig rig;
  rig.stack.send_echo_request(rig.now, IpAddr(kPeer4), 1, 1, pattern(8));
  rig.stack.send_echo_request(rig.now, IpAddr(kPeer4), 1, 2, pattern(8));
  int requests = 0;
  for (int i = 0; i < 50; ++i) {
    rig.advance(100_ms);
    for (const Frame& f : frames(rig)) requests += as_arp(f).has_value();
  }
  EXPECT_EQ(requests, 3);
  EXPECT_EQ(rig.counter("arp.out_requests"), 3u);
  EXPECT_EQ(rig.counter("drops.arp_resolution_failed"), 2u);
  EXPECT_FALSE(rig.stack.neighbor_state(IpAddr(kPeer4)).has_value());
}

// RFC 4861 §7.2.2 / Linux neigh error report: the transport whose packet waited for a
// neighbour that never answered hears "host unreachable" for it.
TEST(StackArp, ResolutionFailureIsReportedToTheTransport) {
  EthRig rig;
  FakeTransport udp(IpProto::kUdp);
  rig.stack.register_transport(udp);
  ByteVec d = udp_datagram(IpAddr(kUs4), IpAddr(kPeer4), 5000, 53, pattern(4));
  rig.stack.send(rig.now, IpAddr(kUs4), IpAddr(kPeer4), IpProto::kUdp, d.size(),
                 [&](MutBytes out) { std::copy(d.begin(), d.end(), out.begin()); }, {});
  rig.advance(4_s);
  ASSERT_EQ(udp.errors.size(), 1u);
  EXPECT_EQ(udp.errors[0].kind, IcmpError::Kind::kHostUnreachable);
  EXPECT_EQ(udp.errors[0].quoted_dst, IpAddr(kPeer4));
  EXPECT_EQ(load_be16(udp.error_transport[0], 0), 5000);
}

// The queue for an unresolved neighbour is bounded; the oldest packets are dropped.
TEST(StackArp, QueueIsBounded) {
  StackConfig cfg = test_config();
  cfg.arp.max_queue_per_entry = 4;
  EthRig rig(cfg);
  for (std::uint16_t i = 0; i < 10; ++i) {
    rig.stack.send_echo_request(rig.now, IpAddr(kPeer4), 1, i, pattern(8));
  }
  EXPECT_EQ(rig.counter("drops.arp_queue_full"), 6u);
  rig.stack.poll(rig.now);
  auto req = as_arp(frames(rig).at(0));
  rig.inject_arp(ArpRepr::reply_to(*req, kPeerMac));
  auto out = frames(rig);
  ASSERT_EQ(out.size(), 4u);
  auto first = Ipv4Repr::parse(out[0].eth.payload);
  EXPECT_EQ(Icmpv4Repr::parse(first->payload)->seq_no, 6);  // 0..5 were dropped
}

// RFC 826: a request for our address is answered, and the requester is remembered.
TEST(StackArp, AnswersRequestForOurAddress) {
  EthRig rig;
  rig.inject_arp(ArpRepr::request(kPeerMac, kPeer4, kUs4), MacAddr::broadcast());
  auto out = frames(rig);
  ASSERT_EQ(out.size(), 1u);
  auto rep = as_arp(out[0]);
  ASSERT_TRUE(rep);
  EXPECT_EQ(out[0].eth.dst, kPeerMac);
  EXPECT_EQ(rep->op, ArpOp::kReply);
  EXPECT_EQ(rep->sha, kUsMac);
  EXPECT_EQ(rep->spa, kUs4);
  EXPECT_EQ(rep->tpa, kPeer4);
  EXPECT_EQ(rig.stack.neighbor_state(IpAddr(kPeer4)), NeighborState::kStale);
  EXPECT_EQ(rig.counter("arp.out_replies"), 1u);
}

TEST(StackArp, IgnoresRequestForOtherAddress) {
  EthRig rig;
  rig.inject_arp(ArpRepr::request(kPeerMac, kPeer4, ip4("198.18.0.9")), MacAddr::broadcast());
  EXPECT_TRUE(frames(rig).empty());
  EXPECT_FALSE(rig.stack.neighbor_state(IpAddr(kPeer4)).has_value());
  EXPECT_EQ(rig.counter("drops.arp_not_for_us"), 1u);
}

// RFC 5227 §2.4: another host claiming one of our addresses is counted as a conflict; its
// binding is not learnt and the request is not answered.
TEST(StackArp, RequestFromOurOwnAddressIsAConflict) {
  EthRig rig;
  MacAddr other = mac("02:00:00:00:00:77");
  rig.inject(eth_frame(MacAddr::broadcast(), other, EtherType::kArp,
                       arp_bytes(ArpRepr::request(other, kUs4, kPeer4))));
  EXPECT_TRUE(frames(rig).empty());
  EXPECT_EQ(rig.counter("arp.in_requests"), 1u);
  EXPECT_EQ(rig.counter("arp.address_conflicts"), 1u);
  EXPECT_FALSE(rig.stack.neighbor_state(IpAddr(kUs4)).has_value());
}

// RFC 5227 §3: a new address is announced with a gratuitous ARP.
TEST(StackArp, GratuitousArpOnAddressAdd) {
  EthRig rig;
  rig.stack.add_address(cidr("198.18.0.3/24"));
  rig.stack.poll(rig.now);
  auto out = frames(rig);
  ASSERT_EQ(out.size(), 1u);
  auto g = as_arp(out[0]);
  ASSERT_TRUE(g);
  EXPECT_TRUE(out[0].eth.dst.is_broadcast());
  EXPECT_TRUE(g->is_gratuitous());
  EXPECT_EQ(g->spa, ip4("198.18.0.3"));
  EXPECT_EQ(rig.counter("arp.out_gratuitous"), 2u);  // 198.18.0.2 at start-up, then this
}

// A gratuitous ARP updates an existing entry (the peer's MAC changed) but creates none.
TEST(StackArp, GratuitousArpUpdatesKnownEntryOnly) {
  EthRig rig;
  rig.inject_arp(ArpRepr::request(kPeerMac, kPeer4, kUs4), MacAddr::broadcast());
  frames(rig);
  MacAddr moved = mac("02:00:00:00:00:99");
  rig.inject(eth_frame(MacAddr::broadcast(), moved, EtherType::kArp,
                       arp_bytes(ArpRepr::request(moved, kPeer4, kPeer4))));
  EXPECT_EQ(rig.stack.neighbor_mac(IpAddr(kPeer4)), moved);
  rig.inject(eth_frame(MacAddr::broadcast(), moved, EtherType::kArp,
                       arp_bytes(ArpRepr::request(moved, ip4("198.18.0.7"), ip4("198.18.0.7")))));
  EXPECT_FALSE(rig.stack.neighbor_state(ip("198.18.0.7")).has_value());
}

TEST(StackEthernet, FramesForOtherMacsAreDropped) {
  EthRig rig;
  rig.inject(eth_frame(mac("02:00:00:00:00:77"), kPeerMac, EtherType::kIpv4,
                       V4(kPeer4, kUs4, IpProto::kIcmp, icmp4_echo_request(1, 1, {})).bytes()));
  rig.inject(eth_frame(kUsMac, kPeerMac, static_cast<EtherType>(0x88cc), pattern(46)));
  EXPECT_TRUE(frames(rig).empty());
  EXPECT_EQ(rig.counter("drops.eth_not_for_us"), 1u);
  EXPECT_EQ(rig.counter("drops.eth_unknown_ethertype"), 1u);
}

// --- NDP and DAD ---

// RFC 4862 §5.4.2: a new address is tentative; DAD sends a NS from :: to its solicited-node
// group and the address becomes usable after RetransTimer with no answer.
TEST(StackNdp, DuplicateAddressDetectionSucceeds) {
  Rig rig(Medium::kEthernet);
  rig.stack.poll(rig.now);
  EXPECT_EQ(rig.stack.address_state(IpAddr(kUs6)), AddressState::kTentative);
  EXPECT_FALSE(rig.stack.is_local_address(IpAddr(kUs6)));
  bool saw_dad = false;
  for (const Frame& f : frames(rig)) {
    auto n = as_ndp(f);
    if (!n || n->ndp.target != kUs6) continue;
    saw_dad = true;
    EXPECT_EQ(n->ndp.type, Icmpv6Type::kNeighborSolicit);
    EXPECT_TRUE(n->ip.src.is_unspecified());
    EXPECT_EQ(n->ip.dst, Ipv6Addr::solicited_node(kUs6));
    EXPECT_EQ(f.eth.dst, Ipv6Addr::solicited_node(kUs6).multicast_mac());
    EXPECT_FALSE(n->ndp.options.source_link_addr.has_value());
  }
  EXPECT_TRUE(saw_dad);
  rig.advance(999_ms);
  EXPECT_EQ(rig.stack.address_state(IpAddr(kUs6)), AddressState::kTentative);
  rig.advance(1_ms);
  EXPECT_EQ(rig.stack.address_state(IpAddr(kUs6)), AddressState::kPreferred);
}

// RFC 4862 §5.4.4: an advertisement for a tentative address means someone owns it.
TEST(StackNdp, DadConflictFromAdvert) {
  Rig rig(Medium::kEthernet);
  rig.stack.poll(rig.now);
  NdpRepr na = NdpRepr::neighbor_advert(kUs6, kPeerMac, false, false, true);
  ByteVec pkt = v6_packet(kPeer6, Ipv6Addr::all_nodes(), IpProto::kIcmpv6,
                          ndp_bytes(na, kPeer6, Ipv6Addr::all_nodes()), 255);
  rig.inject(eth_frame(Ipv6Addr::all_nodes().multicast_mac(), kPeerMac, EtherType::kIpv6, pkt));
  EXPECT_EQ(rig.stack.address_state(IpAddr(kUs6)), AddressState::kDuplicate);
  EXPECT_EQ(rig.counter("ndp.dad_conflicts"), 1u);
  rig.advance(5_s);
  EXPECT_EQ(rig.stack.address_state(IpAddr(kUs6)), AddressState::kDuplicate);
  EXPECT_FALSE(rig.stack.is_local_address(IpAddr(kUs6)));
}

// RFC 4862 §5.4.3: another node probing the same tentative address → duplicate too.
TEST(StackNdp, DadConflictFromSimultaneousProbe) {
  Rig rig(Medium::kEthernet);
  rig.stack.poll(rig.now);
  NdpRepr ns = NdpRepr::neighbor_solicit(kUs6, std::nullopt);
  Ipv6Addr snm = Ipv6Addr::solicited_node(kUs6);
  ByteVec pkt =
      v6_packet(Ipv6Addr::any(), snm, IpProto::kIcmpv6, ndp_bytes(ns, Ipv6Addr::any(), snm), 255);
  rig.inject(eth_frame(snm.multicast_mac(), kPeerMac, EtherType::kIpv6, pkt));
  EXPECT_EQ(rig.stack.address_state(IpAddr(kUs6)), AddressState::kDuplicate);
}

// RFC 4862 §5.4: packets to a tentative address are discarded.
TEST(StackNdp, PacketToTentativeAddressIsDropped) {
  Rig rig(Medium::kEthernet);
  rig.stack.poll(rig.now);
  frames(rig);
  rig.inject(eth_frame(
      kUsMac, kPeerMac, EtherType::kIpv6,
      v6_packet(kPeer6, kUs6, IpProto::kIcmpv6, icmp6_echo_request(kPeer6, kUs6, 1, 1, {}))));
  EXPECT_TRUE(frames(rig).empty());
  EXPECT_EQ(rig.counter("drops.ipv6_to_tentative_address"), 1u);
}

// RFC 4861 §7.2.4: a NS for our address gets a solicited NA with our link address; the
// solicitor's link address is cached (STALE).
TEST(StackNdp, AnswersNeighborSolicitation) {
  EthRig rig;
  NdpRepr ns = NdpRepr::neighbor_solicit(kUs6, kPeerMac);
  Ipv6Addr snm = Ipv6Addr::solicited_node(kUs6);
  rig.inject_ndp(ns, kPeer6, snm, 255, snm.multicast_mac());
  auto out = frames(rig);
  ASSERT_EQ(out.size(), 1u);
  auto n = as_ndp(out[0]);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->ndp.type, Icmpv6Type::kNeighborAdvert);
  EXPECT_EQ(n->ndp.target, kUs6);
  EXPECT_TRUE(n->ndp.solicited);
  EXPECT_TRUE(n->ndp.override_);
  EXPECT_EQ(n->ndp.options.target_link_addr, kUsMac);
  EXPECT_EQ(n->ip.dst, kPeer6);
  EXPECT_EQ(n->ip.hop_limit, 255);
  EXPECT_EQ(out[0].eth.dst, kPeerMac);
  EXPECT_EQ(rig.stack.neighbor_state(IpAddr(kPeer6)), NeighborState::kStale);
}

// RFC 4861 §7.2.3: a solicitation for an address that is not ours is not answered.
TEST(StackNdp, SolicitationForAnotherAddressIsNotAnswered) {
  EthRig rig;
  // Sent to our unicast address (§7.2.2 allows it), so only the target is wrong.
  rig.inject_ndp(NdpRepr::neighbor_solicit(ip6("fd00:1::9"), kPeerMac), kPeer6, kUs6);
  EXPECT_TRUE(frames(rig).empty());
  EXPECT_EQ(rig.counter("ndp.in_neighbor_solicits"), 1u);
  EXPECT_EQ(rig.counter("drops.ndp_not_for_us"), 1u);
}

// RFC 4861 §7.1.1: hop limit other than 255 → the message may have come from off-link.
TEST(StackNdp, HopLimitBelow255IsDropped) {
  EthRig rig;
  NdpRepr ns = NdpRepr::neighbor_solicit(kUs6, kPeerMac);
  Ipv6Addr snm = Ipv6Addr::solicited_node(kUs6);
  rig.inject_ndp(ns, kPeer6, snm, 64, snm.multicast_mac());
  EXPECT_TRUE(frames(rig).empty());
  EXPECT_EQ(rig.counter("drops.ndp_bad_hop_limit"), 1u);
}

// RFC 4861 §7.2.2 and §7.2.5: resolution by multicast NS; the solicited NA sends the
// queued packet; §7.3.3: STALE → DELAY on use → PROBE with unicast NS.
TEST(StackNdp, ResolutionAndUnreachabilityDetection) {
  EthRig rig;
  rig.stack.send_echo_request(rig.now, IpAddr(kPeer6), 1, 1, pattern(8));
  rig.stack.poll(rig.now);
  auto out = frames(rig);
  ASSERT_EQ(out.size(), 1u);
  auto ns = as_ndp(out[0]);
  ASSERT_TRUE(ns);
  EXPECT_EQ(ns->ndp.type, Icmpv6Type::kNeighborSolicit);
  EXPECT_EQ(ns->ip.dst, Ipv6Addr::solicited_node(kPeer6));
  EXPECT_EQ(ns->ndp.options.source_link_addr, kUsMac);

  rig.inject_ndp(NdpRepr::neighbor_advert(kPeer6, kPeerMac, false, true, true), kPeer6, kUs6);
  out = frames(rig);
  ASSERT_EQ(out.size(), 1u);  // the echo request
  EXPECT_EQ(out[0].eth.dst, kPeerMac);
  EXPECT_EQ(rig.stack.neighbor_state(IpAddr(kPeer6)), NeighborState::kReachable);

  rig.advance(46_s);  // past 1.5 × ReachableTime
  EXPECT_EQ(rig.stack.neighbor_state(IpAddr(kPeer6)), NeighborState::kStale);
  rig.stack.send_echo_request(rig.now, IpAddr(kPeer6), 1, 2, pattern(8));
  EXPECT_EQ(rig.stack.neighbor_state(IpAddr(kPeer6)), NeighborState::kDelay);
  frames(rig);
  rig.advance(5_s);
  EXPECT_EQ(rig.stack.neighbor_state(IpAddr(kPeer6)), NeighborState::kProbe);
  out = frames(rig);
  ASSERT_EQ(out.size(), 1u);
  auto probe = as_ndp(out[0]);
  ASSERT_TRUE(probe);
  EXPECT_EQ(probe->ip.dst, kPeer6);  // unicast
  EXPECT_EQ(out[0].eth.dst, kPeerMac);
  rig.advance(3_s);
  EXPECT_FALSE(rig.stack.neighbor_state(IpAddr(kPeer6)).has_value());
}

// RFC 4861 §7.2.2: after MAX_MULTICAST_SOLICIT solicitations without an answer the packets
// that waited are dropped; the wait queue is bounded, the oldest packets go first.
TEST(StackNdp, QueueIsBoundedAndResolutionFailureIsCounted) {
  StackConfig cfg = test_config();
  cfg.ndp.max_queue_per_entry = 4;
  EthRig rig(cfg);
  for (std::uint16_t i = 0; i < 10; ++i) {
    rig.stack.send_echo_request(rig.now, IpAddr(kPeer6), 1, i, pattern(8));
  }
  EXPECT_EQ(rig.counter("drops.ndp_queue_full"), 6u);
  const std::uint64_t dad_solicits = rig.counter("ndp.out_neighbor_solicits");
  int solicits = 0;
  for (int i = 0; i < 50; ++i) {
    rig.advance(100_ms);
    for (const Frame& f : frames(rig)) {
      auto n = as_ndp(f);
      solicits += n && n->ndp.type == Icmpv6Type::kNeighborSolicit;
    }
  }
  EXPECT_EQ(solicits, 3);
  EXPECT_EQ(rig.counter("ndp.out_neighbor_solicits") - dad_solicits, 3u);
  EXPECT_EQ(rig.counter("drops.ndp_resolution_failed"), 4u);
  EXPECT_FALSE(rig.stack.neighbor_state(IpAddr(kPeer6)).has_value());
}

// RFC 4861 §6.3.7: router solicitations once the link-local address is usable, three at
// most, four seconds apart.
TEST(StackNdp, SendsRouterSolicitations) {
  Rig rig(Medium::kEthernet);
  rig.advance(20_s);
  int rs = 0;
  for (const Frame& f : frames(rig)) {
    auto n = as_ndp(f);
    if (!n || n->ndp.type != Icmpv6Type::kRouterSolicit) continue;
    ++rs;
    EXPECT_EQ(n->ip.dst, Ipv6Addr::all_routers());
    EXPECT_TRUE(n->ip.src.is_link_local());
  }
  EXPECT_EQ(rs, 3);
}

// A router's side (`ustack sandbox --router-advertisements`): router solicitations to
// ff02::2 (joined, as a Linux router does) are queued for the advertiser; the source
// link-layer option is learnt (RFC 4861 §6.2.6: STALE).
StackConfig router_config() {
  StackConfig c = test_config();
  c.queue_router_solicits = true;
  return c;
}

void inject_rs(EthRig& rig, const NdpRepr& rs, const Ipv6Addr& src, std::uint8_t hop_limit = 255) {
  Ipv6Addr dst = Ipv6Addr::all_routers();
  rig.inject_ndp(rs, src, dst, hop_limit, dst.multicast_mac());
}

TEST(StackNdp, RouterSolicitationIsQueuedForTheRouter) {
  EthRig rig(router_config());
  rig.stack.join_group(rig.now, IpAddr(Ipv6Addr::all_routers()));
  frames(rig);
  Ipv6Addr host = ip6("fe80::1");
  inject_rs(rig, NdpRepr::router_solicit(kPeerMac), host);
  inject_rs(rig, NdpRepr::router_solicit(std::nullopt), Ipv6Addr::any());
  EXPECT_TRUE(frames(rig).empty());  // answered by the advertiser, not the Stack
  EXPECT_EQ(rig.counter("ndp.in_router_solicits"), 2u);
  auto a = rig.stack.pop_router_solicit();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->from, host);
  EXPECT_EQ(a->at, rig.now);
  auto b = rig.stack.pop_router_solicit();
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->from.is_unspecified());
  EXPECT_FALSE(rig.stack.pop_router_solicit());
  EXPECT_EQ(rig.stack.neighbor_state(IpAddr(host)), NeighborState::kStale);
  EXPECT_EQ(rig.stack.neighbor_mac(IpAddr(host)), kPeerMac);
}

// RFC 4861 §6.1.1: hop limit not 255, code not 0, fewer than 8 octets, a source link-layer
// option from :: — each silently discarded, nothing queued.
TEST(StackNdp, InvalidRouterSolicitationsAreDropped) {
  EthRig rig(router_config());
  rig.stack.join_group(rig.now, IpAddr(Ipv6Addr::all_routers()));
  frames(rig);
  Ipv6Addr host = ip6("fe80::1"), dst = Ipv6Addr::all_routers();
  inject_rs(rig, NdpRepr::router_solicit(kPeerMac), host, 254);
  inject_rs(rig, NdpRepr::router_solicit(kPeerMac), Ipv6Addr::any());
  // Raw ICMPv6 bodies with a correct checksum: code 1; then only 4 octets.
  auto raw = [&](ByteVec icmp) {
    std::uint32_t sum = pseudo_header_sum_v6(host, dst, 58, icmp.size());
    std::uint16_t c = checksum_finish(checksum_add(sum, icmp));
    icmp[2] = static_cast<std::uint8_t>(c >> 8);
    icmp[3] = static_cast<std::uint8_t>(c);
    rig.inject_v6(v6_packet(host, dst, IpProto::kIcmpv6, icmp, 255), dst.multicast_mac());
  };
  raw({133, 1, 0, 0, 0, 0, 0, 0});
  raw({133, 0, 0, 0});
  EXPECT_FALSE(rig.stack.pop_router_solicit());
  EXPECT_EQ(rig.counter("ndp.in_router_solicits"), 0u);
  EXPECT_EQ(rig.counter("drops.ndp_bad_hop_limit"), 1u);
  EXPECT_TRUE(frames(rig).empty());
}

// A host (no queue_router_solicits) drops them, as before.
TEST(StackNdp, HostDropsRouterSolicitations) {
  EthRig rig;
  rig.stack.join_group(rig.now, IpAddr(Ipv6Addr::all_routers()));
  inject_rs(rig, NdpRepr::router_solicit(kPeerMac), ip6("fe80::1"));
  EXPECT_FALSE(rig.stack.pop_router_solicit());
  EXPECT_EQ(rig.counter("drops.icmpv6_unhandled_type"), 1u);
}

// A bounded queue: further solicitations are counted and dropped.
TEST(StackNdp, RouterSolicitQueueIsBounded) {
  StackConfig c = router_config();
  c.router_solicit_queue_limit = 2;
  EthRig rig(c);
  rig.stack.join_group(rig.now, IpAddr(Ipv6Addr::all_routers()));
  for (int i = 0; i < 3; ++i) inject_rs(rig, NdpRepr::router_solicit(kPeerMac), ip6("fe80::1"));
  EXPECT_EQ(rig.counter("drops.router_solicit_queue_full"), 1u);
  EXPECT_TRUE(rig.stack.pop_router_solicit());
  EXPECT_TRUE(rig.stack.pop_router_solicit());
  EXPECT_FALSE(rig.stack.pop_router_solicit());
}

// RFC 4861 §6.3.4 / RFC 4862 §5.5.3: a router advertisement gives a default router, an
// on-link prefix, an MTU and (A flag) a SLAAC address that goes through DAD.
TEST(StackNdp, RouterAdvertisementConfiguresHost) {
  EthRig rig;
  Ipv6Addr router = ip6("fe80::1");
  MacAddr router_mac = mac("02:00:00:00:00:fe");
  NdpRepr ra;
  ra.type = Icmpv6Type::kRouterAdvert;
  ra.cur_hop_limit = 42;
  ra.router_lifetime_s = 1800;
  ra.options.source_link_addr = router_mac;
  ra.options.mtu = 1400;
  NdpPrefixInfo pi;
  pi.prefix = ip6("fd00:5::");
  pi.prefix_len = 64;
  pi.on_link = true;
  pi.autonomous = true;
  pi.valid_lifetime_s = 3600;
  pi.preferred_lifetime_s = 1800;
  ra.options.add_prefix(pi);
  rig.inject_ndp(ra, router, Ipv6Addr::all_nodes(), 255, Ipv6Addr::all_nodes().multicast_mac());
  EXPECT_EQ(rig.counter("ndp.in_router_adverts"), 1u);

  Ipv6Addr slaac = ip6("fd00:5::");
  auto b = slaac.array();
  auto iid = Ipv6Addr::link_local_from_mac(kUsMac).array();
  std::copy(iid.begin() + 8, iid.end(), b.begin() + 8);
  slaac = Ipv6Addr(b);
  EXPECT_EQ(rig.stack.address_state(IpAddr(slaac)), AddressState::kTentative);
  rig.advance(2_s);
  EXPECT_EQ(rig.stack.address_state(IpAddr(slaac)), AddressState::kPreferred);
  frames(rig);

  IpAddr far = ip("fd00:5:0:1::9");  // off-link, closest to the SLAAC prefix
  EXPECT_EQ(rig.stack.path_mtu(far), 1400u);
  EXPECT_EQ(rig.stack.select_source(far), IpAddr(slaac));
  rig.stack.send_echo_request(rig.now, far, 1, 1, pattern(8));
  auto out = frames(rig);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].eth.dst, router_mac);  // via the default router, already known
  auto ip6p = Ipv6Repr::parse(out[0].eth.payload);
  EXPECT_EQ(ip6p->hop_limit, 42);

  // The router and the SLAAC address expire with their lifetimes.
  rig.advance(3600_s);
  EXPECT_FALSE(rig.stack.address_state(IpAddr(slaac)).has_value());
  EXPECT_FALSE(rig.stack.send_echo_request(rig.now, far, 1, 2, {}));
}

}  // namespace
}  // namespace ustack::testing
