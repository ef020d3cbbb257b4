// Socket life cycle: bind (Linux's rules, ephemeral ports per RFC 6056), connect and
// disconnect, group membership, options, close and stale handles.
#include <gtest/gtest.h>

#include <set>

#include "stack/udp/testbed.h"

namespace ustack::testing {
namespace {

// ip(7): bind() sets what getsockname() reports; an unbound socket shows the any address.
TEST(UdpBind, BindSetsTheLocalEndpoint) {
  UdpTestbed t;
  SocketHandle s = t.layer().open(IpVersion::kV6);
  EXPECT_EQ(*t.layer().local_endpoint(s), (UdpEndpoint{kAny6, 0}));
  ASSERT_EQ(t.layer().bind(s, kUs6, 5353, t.ip()), std::nullopt);
  EXPECT_EQ(*t.layer().local_endpoint(s), (UdpEndpoint{kUs6, 5353}));
  EXPECT_EQ(t.layer().remote_endpoint(s).error(), UdpError::kNotConnected);
}

// Linux inet_bind: a bound socket cannot bind again (EINVAL).
TEST(UdpBind, SecondBindIsInvalid) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 53);
  EXPECT_EQ(t.layer().bind(s, kAny4, 54, t.ip()), UdpError::kInvalid);
}

// ip(7): the address must be one of ours (EADDRNOTAVAIL).
TEST(UdpBind, AddressThatIsNotOursIsNotAvailable) {
  UdpTestbed t;
  SocketHandle s = t.layer().open(IpVersion::kV4);
  EXPECT_EQ(t.layer().bind(s, kPeer4, 53, t.ip()), UdpError::kAddressNotAvailable);
  EXPECT_EQ(t.layer().bind(s, kUs4Second, 53, t.ip()), std::nullopt);
}

// ip(7): binding to a multicast group address (to receive only that group) is allowed.
TEST(UdpBind, MulticastAddressMayBeBound) {
  UdpTestbed t;
  SocketHandle s = t.layer().open(IpVersion::kV4);
  EXPECT_EQ(t.layer().bind(s, kGroup4, 5000, t.ip()), std::nullopt);
}

// An IPv4 address on an IPv6 socket or back: EAFNOSUPPORT.
TEST(UdpBind, AddressOfTheOtherFamilyIsAFamilyMismatch) {
  UdpTestbed t;
  SocketHandle v6 = t.layer().open(IpVersion::kV6);
  EXPECT_EQ(t.layer().bind(v6, kUs4, 53, t.ip()), UdpError::kFamilyMismatch);
  SocketHandle v4 = t.layer().open(IpVersion::kV4);
  EXPECT_EQ(t.layer().bind(v4, kUs6, 53, t.ip()), UdpError::kFamilyMismatch);
}

// Linux udp_lib_lport_inuse, socket(7) SO_REUSEADDR / SO_REUSEPORT: overlapping addresses on
// one port conflict unless both sockets set SO_REUSEADDR or both set SO_REUSEPORT; the
// families never conflict (IPv6 sockets are V6ONLY).
TEST(UdpBind, ConflictsFollowLinuxRules) {
  enum Flags { kNone, kAddr, kPort, kBoth };
  struct Case {
    const char* what;
    IpAddr first;
    Flags first_flags;
    IpAddr second;
    Flags second_flags;
    bool in_use;
  };
  const Case cases[] = {
      {"same address", kUs4, kNone, kUs4, kNone, true},
      {"any, any", kAny4, kNone, kAny4, kNone, true},
      {"any then specific", kAny4, kNone, kUs4, kNone, true},
      {"specific then any", kUs4, kNone, kAny4, kNone, true},
      {"two specific addresses", kUs4, kNone, kUs4Second, kNone, false},
      {"group and any", kGroup4, kNone, kAny4, kNone, true},
      {"both SO_REUSEADDR", kAny4, kAddr, kAny4, kAddr, false},
      {"only the first SO_REUSEADDR", kAny4, kAddr, kAny4, kNone, true},
      {"only the second SO_REUSEADDR", kAny4, kNone, kAny4, kAddr, true},
      {"both SO_REUSEPORT", kUs4, kPort, kUs4, kPort, false},
      {"only one SO_REUSEPORT", kUs4, kPort, kUs4, kNone, true},
      {"SO_REUSEADDR and SO_REUSEPORT", kAny4, kAddr, kAny4, kPort, true},
      {"both flags on both", kAny4, kBoth, kAny4, kBoth, false},
      {"v4 any and v6 any", kAny4, kNone, kAny6, kNone, false},
      {"v6 specific then v6 any", kUs6, kNone, kAny6, kNone, true},
      {"v6 both SO_REUSEPORT", kAny6, kPort, kAny6, kPort, false},
  };
  auto opts = [](Flags f) {
    UdpSocketOptions o;
    o.reuse_addr = f == kAddr || f == kBoth;
    o.reuse_port = f == kPort || f == kBoth;
    return o;
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    UdpTestbed t;
    t.bound(c.first, 7000, opts(c.first_flags));
    SocketHandle s = t.layer().open(c.second.version());
    t.layer().set_options(s, opts(c.second_flags));
    auto e = t.layer().bind(s, c.second, 7000, t.ip());
    EXPECT_EQ(e, c.in_use ? std::optional(UdpError::kAddressInUse) : std::nullopt);
  }
}

// A closed socket's port is free again.
TEST(UdpBind, ClosingFreesThePort) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 53);
  t.layer().close(t.now(), s, t.ip());
  t.bound(kAny4, 53);
}

// RFC 6056 / Linux ip_local_port_range: port 0 picks an ephemeral port in the range, a
// different one for every socket.
TEST(UdpBind, EphemeralPortsAreInTheRangeAndUnique) {
  UdpTestbed t;
  std::set<std::uint16_t> ports;
  for (int i = 0; i < 2000; ++i) {
    SocketHandle s = t.bound(i % 2 ? kAny4 : kUs4, 0);
    std::uint16_t p = t.layer().local_endpoint(s)->port;
    EXPECT_GE(p, 32768);
    EXPECT_LE(p, 60999);
    ports.insert(p);
  }
  EXPECT_EQ(ports.size(), 2000u);
}

// Every ephemeral port taken: EADDRNOTAVAIL, and one comes back when a socket closes.
TEST(UdpBind, ExhaustedEphemeralRangeIsNotAvailable) {
  UdpLayerConfig cfg = UdpTestbed::default_config();
  cfg.ephemeral_low = 40000;
  cfg.ephemeral_high = 40003;
  UdpTestbed t(cfg);
  std::vector<SocketHandle> held;
  for (int i = 0; i < 4; ++i) held.push_back(t.bound(kAny4, 0));
  SocketHandle s = t.layer().open(IpVersion::kV4);
  EXPECT_EQ(t.layer().bind(s, kAny4, 0, t.ip()), UdpError::kAddressNotAvailable);
  EXPECT_EQ(t.send(s, "x", UdpEndpoint{kPeer4, 53}).error(), UdpError::kAddressNotAvailable);
  std::uint16_t freed = t.layer().local_endpoint(held[2])->port;
  t.layer().close(t.now(), held[2], t.ip());
  ASSERT_EQ(t.layer().bind(s, kAny4, 0, t.ip()), std::nullopt);
  EXPECT_EQ(t.layer().local_endpoint(s)->port, freed);
}

// An explicitly bound port in the ephemeral range is skipped by the search.
TEST(UdpBind, EphemeralSearchSkipsExplicitlyBoundPorts) {
  UdpLayerConfig cfg = UdpTestbed::default_config();
  cfg.ephemeral_low = 40000;
  cfg.ephemeral_high = 40001;
  UdpTestbed t(cfg);
  t.bound(kUs4, 40000);
  SocketHandle s = t.bound(kAny6, 0);
  EXPECT_EQ(t.layer().local_endpoint(s)->port, 40001);
}

// Linux inet_autobind: sending from an unbound socket binds it to an ephemeral port first.
TEST(UdpBind, SendingFromAnUnboundSocketBindsIt) {
  UdpTestbed t;
  SocketHandle s = t.layer().open(IpVersion::kV4);
  ASSERT_TRUE(t.send(s, "x", UdpEndpoint{kPeer4, 53}).ok());
  UdpEndpoint local = *t.layer().local_endpoint(s);
  EXPECT_EQ(local.addr, kAny4);
  EXPECT_NE(local.port, 0);
  EXPECT_EQ(t.pop_sent().parse().src_port, local.port);
  // Replies to that port reach it.
  t.inject(dgram(kPeer4, 53, kUs4, local.port, "reply"));
  EXPECT_EQ(t.recv(s), "reply");
}

// udp(7) connect(): the peer becomes the default destination, the route's source becomes the
// local address, and an unbound socket gets a port.
TEST(UdpConnect, ConnectSetsPeerSourceAndPort) {
  UdpTestbed t;
  SocketHandle s = t.layer().open(IpVersion::kV4);
  ASSERT_EQ(t.layer().connect(s, kPeer4, 53, t.ip()), std::nullopt);
  EXPECT_EQ(*t.layer().remote_endpoint(s), (UdpEndpoint{kPeer4, 53}));
  UdpEndpoint local = *t.layer().local_endpoint(s);
  EXPECT_EQ(local.addr, kUs4);
  EXPECT_NE(local.port, 0);
}

// Linux __udp_disconnect: the peer and a connect()-chosen address are forgotten; the port
// stays (a deviation: Linux releases a port bind() did not name).
TEST(UdpConnect, DisconnectForgetsThePeerAndTheChosenAddress) {
  UdpTestbed t;
  SocketHandle s = t.layer().open(IpVersion::kV4);
  t.layer().connect(s, kPeer4, 53, t.ip());
  std::uint16_t port = t.layer().local_endpoint(s)->port;
  ASSERT_EQ(t.layer().disconnect(s), std::nullopt);
  EXPECT_EQ(t.layer().remote_endpoint(s).error(), UdpError::kNotConnected);
  EXPECT_EQ(*t.layer().local_endpoint(s), (UdpEndpoint{kAny4, port}));
  EXPECT_EQ(t.send(s, "x").error(), UdpError::kDestinationRequired);
}

// SOCK_BINDADDR_LOCK: an address bind() named survives connect() and disconnect().
TEST(UdpConnect, ExplicitlyBoundAddressSurvivesDisconnect) {
  UdpTestbed t;
  SocketHandle s = t.bound(kUs4Second, 4000);
  t.layer().connect(s, kPeer4, 53, t.ip());
  EXPECT_EQ(t.layer().local_endpoint(s)->addr, kUs4Second);
  ASSERT_TRUE(t.send(s, "x").ok());
  EXPECT_EQ(t.pop_sent().src, kUs4Second);
  t.layer().disconnect(s);
  EXPECT_EQ(*t.layer().local_endpoint(s), (UdpEndpoint{kUs4Second, 4000}));
}

// Connecting again moves the association to the new peer.
TEST(UdpConnect, ReconnectReplacesThePeer) {
  UdpTestbed t;
  SocketHandle s = t.connected(4000, kPeer4, 53);
  ASSERT_EQ(t.layer().connect(s, kOther4, 54, t.ip()), std::nullopt);
  EXPECT_EQ(t.inject(dgram(kPeer4, 53, kUs4, 4000, "old")), RxVerdict::kPortUnreachable);
  t.inject(dgram(kOther4, 54, kUs4, 4000, "new"));
  EXPECT_EQ(t.recv(s), "new");
}

// Linux ip4_datagram_connect: a broadcast peer needs SO_BROADCAST (EACCES); no route is
// ENETUNREACH; the other family is EAFNOSUPPORT.
TEST(UdpConnect, ConnectRefusesBroadcastUnroutableAndOtherFamily) {
  UdpTestbed t;
  SocketHandle s = t.layer().open(IpVersion::kV4);
  EXPECT_EQ(t.layer().connect(s, kBroadcast4, 67, t.ip()), UdpError::kAccessDenied);
  EXPECT_EQ(t.layer().connect(s, kPeer6, 53, t.ip()), UdpError::kFamilyMismatch);
  EXPECT_EQ(t.layer().connect(s, kPeer4, 0, t.ip()), UdpError::kInvalid);
  t.ip().reachable = false;
  EXPECT_EQ(t.layer().connect(s, kPeer4, 53, t.ip()), UdpError::kNetUnreachable);
}

// ip(7) IP_ADD_MEMBERSHIP: the first join reaches the IP layer; a second join of the same
// group is EADDRINUSE; a unicast or other-family group is EINVAL.
TEST(UdpGroups, JoinRulesAndIpLayerMembership) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 5000);
  EXPECT_EQ(t.layer().join_group(t.now(), s, kGroup4, t.ip()), std::nullopt);
  EXPECT_EQ(t.layer().join_group(t.now(), s, kGroup4, t.ip()), UdpError::kAddressInUse);
  EXPECT_EQ(t.layer().join_group(t.now(), s, kPeer4, t.ip()), UdpError::kInvalid);
  EXPECT_EQ(t.layer().join_group(t.now(), s, kGroup6, t.ip()), UdpError::kInvalid);
  EXPECT_EQ(t.ip().joins, std::vector<IpAddr>{kGroup4});
}

// IP_DROP_MEMBERSHIP: leaving stops delivery and tells the IP layer; leaving a group not
// joined is EADDRNOTAVAIL.
TEST(UdpGroups, LeaveStopsDelivery) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 5000);
  t.layer().join_group(t.now(), s, kGroup4, t.ip());
  ASSERT_EQ(t.layer().leave_group(t.now(), s, kGroup4, t.ip()), std::nullopt);
  EXPECT_EQ(t.ip().leaves, std::vector<IpAddr>{kGroup4});
  t.inject(dgram(kPeer4, 5000, kGroup4, 5000, "late"));
  EXPECT_EQ(t.layer().queued_datagrams(s), 0u);
  EXPECT_EQ(t.layer().leave_group(t.now(), s, kGroup4, t.ip()), UdpError::kAddressNotAvailable);
}

// Linux ip_mc_drop_socket: closing a socket leaves every group it joined.
TEST(UdpGroups, CloseLeavesEveryGroup) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 5000);
  t.layer().join_group(t.now(), s, kGroup4, t.ip());
  t.layer().join_group(t.now(), s, kOtherGroup4, t.ip());
  ASSERT_EQ(t.layer().close(t.now(), s, t.ip()), std::nullopt);
  EXPECT_EQ(t.ip().leaves, (std::vector<IpAddr>{kGroup4, kOtherGroup4}));
  EXPECT_EQ(t.layer().socket_count(), 0u);
}

// setsockopt(): options read back as set; the reuse flags cannot change once bound (the
// bind rules were applied with the old ones).
TEST(UdpOptions, ReuseFlagsAreFixedOnceBound) {
  UdpTestbed t;
  SocketHandle s = t.layer().open(IpVersion::kV4);
  UdpSocketOptions o = *t.layer().options(s);
  EXPECT_EQ(o.recv_buffer, 212992u);  // net.core.rmem_default
  o.reuse_addr = true;
  o.ip.ttl = 9;
  ASSERT_EQ(t.layer().set_options(s, o), std::nullopt);
  EXPECT_EQ(t.layer().options(s)->ip.ttl, 9);
  t.layer().bind(s, kAny4, 53, t.ip());
  o.reuse_addr = false;
  EXPECT_EQ(t.layer().set_options(s, o), UdpError::kInvalid);
  o.reuse_addr = true;
  o.broadcast = true;
  EXPECT_EQ(t.layer().set_options(s, o), std::nullopt);
}

// IP_MULTICAST_IF takes a unicast address of the socket's family.
TEST(UdpOptions, MulticastSourceMustBeUnicastOfTheSocketsFamily) {
  UdpTestbed t;
  SocketHandle s = t.layer().open(IpVersion::kV4);
  UdpSocketOptions o;
  o.multicast_source = kUs6;
  EXPECT_EQ(t.layer().set_options(s, o), UdpError::kInvalid);
  o.multicast_source = kGroup4;
  EXPECT_EQ(t.layer().set_options(s, o), UdpError::kInvalid);
  o.multicast_source = kUs4Second;
  EXPECT_EQ(t.layer().set_options(s, o), std::nullopt);
}

// Generation-checked handles: every call on a closed socket's handle is EBADF, even after
// its slot is reused.
TEST(UdpSocket, StaleHandleIsABadHandle) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 53);
  t.layer().close(t.now(), s, t.ip());
  SocketHandle reused = t.bound(kAny4, 53);
  EXPECT_EQ(reused.index, s.index);
  ByteVec buf(10);
  UdpLayer& l = t.layer();
  EXPECT_EQ(l.bind(s, kAny4, 54, t.ip()), UdpError::kBadHandle);
  EXPECT_EQ(l.connect(s, kPeer4, 53, t.ip()), UdpError::kBadHandle);
  EXPECT_EQ(l.disconnect(s), UdpError::kBadHandle);
  EXPECT_EQ(t.send(s, "x", UdpEndpoint{kPeer4, 53}).error(), UdpError::kBadHandle);
  EXPECT_EQ(l.recv_from(s, buf).error(), UdpError::kBadHandle);
  EXPECT_EQ(l.peek(s).error(), UdpError::kBadHandle);
  EXPECT_EQ(l.close(t.now(), s, t.ip()), UdpError::kBadHandle);
  EXPECT_EQ(l.join_group(t.now(), s, kGroup4, t.ip()), UdpError::kBadHandle);
  EXPECT_EQ(l.leave_group(t.now(), s, kGroup4, t.ip()), UdpError::kBadHandle);
  EXPECT_EQ(l.options(s).error(), UdpError::kBadHandle);
  EXPECT_EQ(l.set_options(s, {}), UdpError::kBadHandle);
  EXPECT_EQ(l.take_error(s), UdpError::kBadHandle);
  EXPECT_EQ(l.local_endpoint(s).error(), UdpError::kBadHandle);
  EXPECT_EQ(l.remote_endpoint(s).error(), UdpError::kBadHandle);
  EXPECT_EQ(l.queued_bytes(s), 0u);
  EXPECT_TRUE(l.readiness(s).error);
  EXPECT_EQ(*l.local_endpoint(reused), (UdpEndpoint{kAny4, 53}));
}

// Closing drops what was queued; the layer forgets the socket.
TEST(UdpSocket, CloseDropsQueuedDatagrams) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 53);
  t.inject(dgram(kPeer4, 5000, kUs4, 53, "unread"));
  t.layer().close(t.now(), s, t.ip());
  EXPECT_EQ(t.layer().socket_count(), 0u);
  EXPECT_EQ(t.inject(dgram(kPeer4, 5000, kUs4, 53, "late")), RxVerdict::kPortUnreachable);
}

}  // namespace
}  // namespace ustack::testing
