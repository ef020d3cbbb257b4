// Which socket gets a datagram: connected before bound, a specific address before the any
// address, SO_REUSEADDR's latest binder, the SO_REUSEPORT hash (Linux __udp4_lib_lookup),
// and every matching socket for broadcast and multicast (Linux __udp4_lib_mcast_deliver).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "stack/udp/testbed.h"

namespace ustack::testing {
namespace {

// Linux compute_score: a socket bound to the destination address beats one on the any address.
TEST(UdpDemux, SpecificAddressBeatsTheAnyAddress) {
  UdpTestbed t;
  SocketHandle any = t.bound(kAny4, 53, UdpTestbed::reuse_addr());
  SocketHandle specific = t.bound(kUs4, 53, UdpTestbed::reuse_addr());
  SocketHandle other = t.bound(kUs4Second, 53, UdpTestbed::reuse_addr());
  t.inject(dgram(kPeer4, 5000, kUs4, 53, "to .2"));
  EXPECT_EQ(t.layer().queued_datagrams(specific), 1u);
  EXPECT_EQ(t.layer().queued_datagrams(any), 0u);
  EXPECT_EQ(t.layer().queued_datagrams(other), 0u);
}

// The any-address socket gets what no specific socket claims.
TEST(UdpDemux, AnyAddressGetsDatagramsToOtherLocalAddresses) {
  UdpTestbed t;
  SocketHandle any = t.bound(kAny4, 53, UdpTestbed::reuse_addr());
  t.bound(kUs4, 53, UdpTestbed::reuse_addr());
  t.inject(dgram(kPeer4, 5000, kUs4Second, 53, "to .3"));
  EXPECT_EQ(t.recv(any), "to .3");
}

// udp(7) connect(): a socket connected to the sender wins over the unconnected ones.
TEST(UdpDemux, ConnectedSocketWinsForItsPeer) {
  UdpTestbed t;
  SocketHandle server = t.bound(kAny4, 53, UdpTestbed::reuse_addr());
  SocketHandle conn = t.layer().open(IpVersion::kV4);
  t.layer().set_options(conn, UdpTestbed::reuse_addr());
  ASSERT_EQ(t.layer().bind(conn, kAny4, 53, t.ip()), std::nullopt);
  ASSERT_EQ(t.layer().connect(conn, kPeer4, 5000, t.ip()), std::nullopt);
  // The server bound after the connected socket's bind: it would win a plain tie.
  SocketHandle later = t.bound(kAny4, 53, UdpTestbed::reuse_addr());
  t.inject(dgram(kPeer4, 5000, kUs4, 53, "from the peer"));
  t.inject(dgram(kPeer4, 5001, kUs4, 53, "other port"));
  EXPECT_EQ(t.recv(conn), "from the peer");
  EXPECT_EQ(t.layer().queued_datagrams(conn), 0u);
  EXPECT_EQ(t.layer().queued_datagrams(server), 0u);
  EXPECT_EQ(t.recv(later), "other port");
}

// udp(7): a connected socket receives only from its peer; with nobody else on the port,
// a datagram from anyone else is port unreachable.
TEST(UdpDemux, ConnectedSocketIgnoresOtherSenders) {
  UdpTestbed t;
  SocketHandle s = t.connected(4000, kPeer4, 53);
  EXPECT_EQ(t.inject(dgram(kOther4, 53, kUs4, 4000, "spoof")), RxVerdict::kPortUnreachable);
  EXPECT_EQ(t.inject(dgram(kPeer4, 54, kUs4, 4000, "wrong port")), RxVerdict::kPortUnreachable);
  EXPECT_EQ(t.inject(dgram(kPeer4, 53, kUs4, 4000, "answer")), RxVerdict::kDelivered);
  EXPECT_EQ(t.layer().queued_datagrams(s), 1u);
  EXPECT_EQ(t.recv(s), "answer");
}

// connect(AF_UNSPEC) dissolves the association: anyone may send again.
TEST(UdpDemux, DisconnectRestoresReceivingFromAnyone) {
  UdpTestbed t;
  SocketHandle s = t.connected(4000, kPeer4, 53);
  ASSERT_EQ(t.layer().disconnect(s), std::nullopt);
  EXPECT_EQ(t.inject(dgram(kOther4, 99, kUs4, 4000, "hello")), RxVerdict::kDelivered);
  EXPECT_EQ(t.recv(s), "hello");
}

// socket(7) SO_REUSEADDR, Linux: of sockets bound alike, the one bound last gets unicast.
TEST(UdpDemux, ReuseAddrTheMostRecentlyBoundSocketWins) {
  UdpTestbed t;
  SocketHandle first = t.bound(kAny4, 53, UdpTestbed::reuse_addr());
  SocketHandle second = t.bound(kAny4, 53, UdpTestbed::reuse_addr());
  for (std::uint16_t p = 1000; p < 1010; ++p) t.inject(dgram(kPeer4, p, kUs4, 53, "x"));
  EXPECT_EQ(t.layer().queued_datagrams(first), 0u);
  EXPECT_EQ(t.layer().queued_datagrams(second), 10u);
  t.layer().close(t.now(), second, t.ip());
  t.inject(dgram(kPeer4, 1000, kUs4, 53, "x"));
  EXPECT_EQ(t.layer().queued_datagrams(first), 1u);
}

// socket(7) SO_REUSEPORT: a hash of the 4-tuple picks the socket, so every datagram of one
// flow reaches the same socket.
TEST(UdpDemux, ReusePortSendsEachFlowToOneSocket) {
  UdpTestbed t;
  std::vector<SocketHandle> group;
  for (int i = 0; i < 4; ++i) group.push_back(t.bound(kAny4, 443, UdpTestbed::reuse_port()));
  for (std::uint16_t flow = 0; flow < 20; ++flow) {
    for (int i = 0; i < 5; ++i) t.inject(dgram(kPeer4, 2000 + flow, kUs4, 443, "x"));
    std::set<std::size_t> holders;
    for (std::size_t k = 0; k < group.size(); ++k) {
      while (auto from = t.recv_from(group[k])) {
        EXPECT_EQ(from->port, 2000 + flow);
        holders.insert(k);
      }
    }
    EXPECT_EQ(holders.size(), 1u) << "flow " << flow;
  }
}

// SO_REUSEPORT spreads flows over the group (the point of it: one socket per thread).
TEST(UdpDemux, ReusePortSpreadsFlowsAcrossTheGroup) {
  UdpTestbed t;
  std::vector<SocketHandle> group;
  for (int i = 0; i < 4; ++i) group.push_back(t.bound(kAny4, 443, UdpTestbed::reuse_port()));
  for (std::uint16_t flow = 0; flow < 400; ++flow) {
    t.inject(dgram(kPeer4, 10000 + flow, kUs4, 443, "x"));
  }
  for (SocketHandle h : group) {
    EXPECT_GT(t.layer().queued_datagrams(h), 50u);
    EXPECT_LT(t.layer().queued_datagrams(h), 150u);
  }
}

// The hash is keyed from the seed: the same seed replays the same choice.
TEST(UdpDemux, ReusePortChoiceIsReplayableFromTheSeed) {
  auto owners = [] {
    UdpTestbed t;
    std::vector<SocketHandle> group;
    for (int i = 0; i < 3; ++i) group.push_back(t.bound(kAny4, 443, UdpTestbed::reuse_port()));
    std::vector<std::size_t> out;
    for (std::uint16_t flow = 0; flow < 30; ++flow) {
      t.inject(dgram(kPeer4, 3000 + flow, kUs4, 443, "x"));
      for (std::size_t k = 0; k < group.size(); ++k) {
        if (t.recv_from(group[k])) out.push_back(k);
      }
    }
    return out;
  };
  EXPECT_EQ(owners(), owners());
}

// IPv6 sockets are V6ONLY: an IPv4 datagram never reaches one.
TEST(UdpDemux, Ipv6SocketDoesNotGetIpv4Datagrams) {
  UdpTestbed t;
  SocketHandle v6 = t.bound(kAny6, 53);
  EXPECT_EQ(t.inject(dgram(kPeer4, 5000, kUs4, 53, "v4")), RxVerdict::kPortUnreachable);
  EXPECT_EQ(t.layer().queued_datagrams(v6), 0u);
  SocketHandle v4 = t.bound(kAny4, 53);
  t.inject(dgram(kPeer6, 5000, kUs6, 53, "v6"));
  t.inject(dgram(kPeer4, 5000, kUs4, 53, "v4"));
  EXPECT_EQ(t.recv(v6), "v6");
  EXPECT_EQ(t.recv(v4), "v4");
}

// RFC 1112 §7.2 / ip(7) IP_ADD_MEMBERSHIP: a group's datagrams go to every socket on the port
// that joined the group, and only to those (Linux with IP_MULTICAST_ALL off).
TEST(UdpDemux, MulticastGoesToEverySocketThatJoinedTheGroup) {
  UdpTestbed t;
  SocketHandle a = t.bound(kAny4, 5353, UdpTestbed::reuse_addr());
  SocketHandle b = t.bound(kAny4, 5353, UdpTestbed::reuse_addr());
  SocketHandle not_member = t.bound(kAny4, 5353, UdpTestbed::reuse_addr());
  SocketHandle other_group = t.bound(kAny4, 5353, UdpTestbed::reuse_addr());
  ASSERT_EQ(t.layer().join_group(t.now(), a, kGroup4, t.ip()), std::nullopt);
  ASSERT_EQ(t.layer().join_group(t.now(), b, kGroup4, t.ip()), std::nullopt);
  ASSERT_EQ(t.layer().join_group(t.now(), other_group, kOtherGroup4, t.ip()), std::nullopt);
  EXPECT_EQ(t.inject(dgram(kPeer4, 5353, kGroup4, 5353, "mdns")), RxVerdict::kDelivered);
  EXPECT_EQ(t.recv(a), "mdns");
  EXPECT_EQ(t.recv(b), "mdns");
  EXPECT_EQ(t.layer().queued_datagrams(not_member), 0u);
  EXPECT_EQ(t.layer().queued_datagrams(other_group), 0u);
  EXPECT_EQ(t.layer().counters().in_datagrams, 1u);
}

// ip(7): a socket bound to the group address gets that group's datagrams (and a socket bound
// to a unicast address does not).
TEST(UdpDemux, MulticastReachesASocketBoundToTheGroupAddress) {
  UdpTestbed t;
  SocketHandle on_group = t.bound(kGroup4, 5000, UdpTestbed::reuse_addr());
  SocketHandle on_unicast = t.bound(kUs4, 5000, UdpTestbed::reuse_addr());
  t.layer().join_group(t.now(), on_group, kGroup4, t.ip());
  t.layer().join_group(t.now(), on_unicast, kGroup4, t.ip());
  t.inject(dgram(kPeer4, 5000, kGroup4, 5000, "group"));
  EXPECT_EQ(t.recv(on_group), "group");
  EXPECT_EQ(t.layer().queued_datagrams(on_unicast), 0u);
}

// IPv6 multicast works the same way (RFC 3493 §5.2 IPV6_JOIN_GROUP).
TEST(UdpDemux, Ipv6MulticastGoesToMembers) {
  UdpTestbed t;
  SocketHandle member = t.bound(kAny6, 5000, UdpTestbed::reuse_addr());
  SocketHandle other = t.bound(kAny6, 5000, UdpTestbed::reuse_addr());
  t.layer().join_group(t.now(), member, kGroup6, t.ip());
  t.inject(dgram(kPeer6, 5000, kGroup6, 5000, "six"));
  EXPECT_EQ(t.recv(member), "six");
  EXPECT_EQ(t.layer().queued_datagrams(other), 0u);
}

// RFC 1122 §4.1.3.1: never ICMP port unreachable for a datagram to a group nobody wants.
TEST(UdpDemux, MulticastWithoutMembersIsIgnoredWithoutPortUnreachable) {
  UdpTestbed t;
  t.bound(kAny4, 5000);
  EXPECT_EQ(t.inject(dgram(kPeer4, 5000, kGroup4, 5000, "nobody")), RxVerdict::kDelivered);
  EXPECT_EQ(t.inject(dgram(kPeer4, 5000, kGroup4, 5001, "no port")), RxVerdict::kDelivered);
  EXPECT_EQ(t.layer().counters().no_ports, 0u);
  EXPECT_EQ(t.layer().counters().ignored_multi, 2u);
}

// RFC 1122 §4.1.3.5 / Linux: a broadcast goes to every IPv4 socket on the port bound to the
// any address or to the broadcast address, whatever SO_REUSEADDR says about unicast.
TEST(UdpDemux, BroadcastGoesToEverySocketOnThePort) {
  UdpTestbed t;
  SocketHandle a = t.bound(kAny4, 67, UdpTestbed::reuse_addr());
  SocketHandle b = t.bound(kAny4, 67, UdpTestbed::reuse_addr());
  SocketHandle on_bcast = t.bound(kSubnetBroadcast4, 67, UdpTestbed::reuse_addr());
  SocketHandle on_unicast = t.bound(kUs4, 67, UdpTestbed::reuse_addr());
  SocketHandle v6 = t.bound(kAny6, 67);
  SocketHandle other_port = t.bound(kAny4, 68);
  EXPECT_EQ(t.inject(dgram(kPeer4, 68, kSubnetBroadcast4, 67, "dhcp")), RxVerdict::kDelivered);
  EXPECT_EQ(t.recv(a), "dhcp");
  EXPECT_EQ(t.recv(b), "dhcp");
  EXPECT_EQ(t.recv(on_bcast), "dhcp");
  EXPECT_EQ(t.layer().queued_datagrams(on_unicast), 0u);
  EXPECT_EQ(t.layer().queued_datagrams(v6), 0u);
  EXPECT_EQ(t.layer().queued_datagrams(other_port), 0u);
}

// Linux __udp_is_mcast_sock: connect() gave the socket the route's source as its local
// address, and a socket bound to a unicast address takes no broadcast, not even its peer's.
TEST(UdpDemux, BroadcastSkipsConnectedSockets) {
  UdpTestbed t;
  SocketHandle conn = t.connected(67, kOther4, 68, UdpTestbed::reuse_addr());
  SocketHandle any = t.bound(kAny4, 67, UdpTestbed::reuse_addr());
  t.inject(dgram(kPeer4, 68, kBroadcast4, 67, "bcast"));
  t.inject(dgram(kOther4, 68, kBroadcast4, 67, "from peer"));
  EXPECT_EQ(t.layer().queued_datagrams(conn), 0u);
  EXPECT_EQ(t.layer().queued_datagrams(any), 2u);
}

// Each member's queue is its own: one full socket does not starve the others.
TEST(UdpDemux, GroupDeliveryDropsOnlyForTheFullSocket) {
  UdpTestbed t;
  UdpSocketOptions small = UdpTestbed::reuse_addr();
  small.recv_buffer = 256;
  SocketHandle full = t.bound(kAny4, 5000, small);
  SocketHandle roomy = t.bound(kAny4, 5000, UdpTestbed::reuse_addr());
  t.layer().join_group(t.now(), full, kGroup4, t.ip());
  t.layer().join_group(t.now(), roomy, kGroup4, t.ip());
  t.inject(dgram(kPeer4, 5000, kGroup4, 5000, ByteVec(200, 1)));
  t.inject(dgram(kPeer4, 5000, kGroup4, 5000, ByteVec(200, 2)));
  EXPECT_EQ(t.layer().queued_datagrams(full), 1u);
  EXPECT_EQ(t.layer().queued_datagrams(roomy), 2u);
  EXPECT_EQ(t.layer().counters().drops_rcvbuf_full, 1u);
  EXPECT_EQ(t.layer().counters().in_datagrams, 2u);
}

}  // namespace
}  // namespace ustack::testing
