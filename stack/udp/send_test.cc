// Sending (RFC 768, RFC 1122 §4.1.3.4, Linux udp_sendmsg's synchronous errors), ICMP errors
// as socket errors (RFC 1122 §4.1.3.3), and the counters' text.
#include <gtest/gtest.h>

#include "stack/udp/testbed.h"

namespace ustack::testing {
namespace {

// RFC 768: header with our port and the peer's, length, and a checksum over the pseudo header.
TEST(UdpSend, SendToEmitsAChecksummedDatagram) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 4000);
  auto n = t.send(s, "hello", UdpEndpoint{kPeer4, 53});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 5u);
  FakeUdpIp::Sent sent = t.pop_sent();
  EXPECT_EQ(sent.src, kUs4);
  EXPECT_EQ(sent.dst, kPeer4);
  UdpRepr r = sent.parse();
  EXPECT_EQ(r.src_port, 4000);
  EXPECT_EQ(r.dst_port, 53);
  EXPECT_EQ(r.length, 13);
  EXPECT_NE(r.checksum, 0);
  EXPECT_EQ(sent.payload(), "hello");
  EXPECT_EQ(t.layer().counters().out_datagrams, 1u);
}

// RFC 8200 §8.1: over IPv6 the checksum is mandatory.
TEST(UdpSend, Ipv6DatagramCarriesAChecksum) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny6, 4000);
  ASSERT_TRUE(t.send(s, "", UdpEndpoint{kPeer6, 53}).ok());
  FakeUdpIp::Sent sent = t.pop_sent();
  EXPECT_EQ(sent.src, kUs6);
  EXPECT_NE(sent.parse().checksum, 0);
  EXPECT_EQ(sent.bytes.size(), 8u);  // an empty datagram is just the header
}

// ip(7): IP_TTL, IP_TOS, IP_MTU_DISCOVER and the multicast options travel with each datagram.
TEST(UdpSend, SocketIpOptionsGoWithTheDatagram) {
  UdpTestbed t;
  UdpSocketOptions o;
  o.ip.ttl = 7;
  o.ip.tos = 0xb8;
  o.ip.pmtu = PmtuDiscovery::kDont;
  o.ip.multicast_ttl = 4;
  o.ip.multicast_loop = false;
  SocketHandle s = t.bound(kAny4, 4000, o);
  ASSERT_TRUE(t.send(s, "x", UdpEndpoint{kPeer4, 53}).ok());
  IpSendOptions sent = t.pop_sent().opts;
  EXPECT_EQ(sent.ttl, 7);
  EXPECT_EQ(sent.tos, 0xb8);
  EXPECT_EQ(sent.pmtu, PmtuDiscovery::kDont);
  EXPECT_EQ(sent.multicast_ttl, 4);
  EXPECT_FALSE(sent.multicast_loop);
}

// udp(7) send(): a connected socket sends to its peer; sendto() may still name another.
TEST(UdpSend, ConnectedSocketSendsToItsPeer) {
  UdpTestbed t;
  SocketHandle s = t.connected(4000, kPeer4, 53);
  ASSERT_TRUE(t.send(s, "to peer").ok());
  ASSERT_TRUE(t.send(s, "elsewhere", UdpEndpoint{kOther4, 54}).ok());
  FakeUdpIp::Sent a = t.pop_sent();
  EXPECT_EQ(a.dst, kPeer4);
  EXPECT_EQ(a.parse().dst_port, 53);
  EXPECT_EQ(t.pop_sent().dst, kOther4);
}

// EDESTADDRREQ: send() without a destination on an unconnected socket.
TEST(UdpSend, UnconnectedSendWithoutDestinationIsRefused) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 4000);
  EXPECT_EQ(t.send(s, "x").error(), UdpError::kDestinationRequired);
  EXPECT_EQ(t.layer().counters().send_errors, 1u);
  EXPECT_TRUE(t.ip().sent.empty());
}

// RFC 768 / RFC 791: 65535 - 20 - 8 = 65507 bytes is the largest IPv4 payload; one more is
// EMSGSIZE.
TEST(UdpSend, LargestIpv4PayloadIs65507Bytes) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 4000);
  EXPECT_EQ(*t.send(s, 65507, UdpEndpoint{kPeer4, 53}), 65507u);
  EXPECT_EQ(t.send(s, 65508, UdpEndpoint{kPeer4, 53}).error(), UdpError::kMessageTooBig);
  EXPECT_EQ(t.ip().sent.size(), 1u);
  EXPECT_EQ(t.pop_sent().parse().length, 65515);
}

// RFC 8200: the IPv6 payload length is 16 bits: 65535 - 8 = 65527 (no jumbograms).
TEST(UdpSend, LargestIpv6PayloadIs65527Bytes) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny6, 4000);
  EXPECT_EQ(*t.send(s, 65527, UdpEndpoint{kPeer6, 53}), 65527u);
  EXPECT_EQ(t.send(s, 65528, UdpEndpoint{kPeer6, 53}).error(), UdpError::kMessageTooBig);
  EXPECT_EQ(t.ip().sent.size(), 1u);
}

// ip(7) IP_PMTUDISC_DO: never fragmented, so larger than the path MTU is EMSGSIZE.
TEST(UdpSend, PmtuDiscDoRefusesDatagramsLargerThanThePath) {
  UdpTestbed t;
  UdpSocketOptions o;
  o.ip.pmtu = PmtuDiscovery::kDo;
  SocketHandle v4 = t.bound(kAny4, 4000, o);
  SocketHandle v6 = t.bound(kAny6, 4000, o);
  EXPECT_TRUE(t.send(v4, 1472, UdpEndpoint{kPeer4, 53}).ok());  // 20 + 8 + 1472 = 1500
  EXPECT_EQ(t.send(v4, 1473, UdpEndpoint{kPeer4, 53}).error(), UdpError::kMessageTooBig);
  EXPECT_TRUE(t.send(v6, 1452, UdpEndpoint{kPeer6, 53}).ok());  // 40 + 8 + 1452 = 1500
  EXPECT_EQ(t.send(v6, 1453, UdpEndpoint{kPeer6, 53}).error(), UdpError::kMessageTooBig);
  t.ip().mtu = 1280;  // the path shrank (ICMP packet too big)
  EXPECT_EQ(t.send(v6, 1452, UdpEndpoint{kPeer6, 53}).error(), UdpError::kMessageTooBig);
}

// ip(7) IP_PMTUDISC_WANT (the default): a datagram larger than the path is handed to IP to
// fragment.
TEST(UdpSend, DefaultPmtuModeLeavesFragmentationToIp) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 4000);
  EXPECT_TRUE(t.send(s, 9000, UdpEndpoint{kPeer4, 53}).ok());
  EXPECT_EQ(t.pop_sent().opts.pmtu, PmtuDiscovery::kWant);
}

// RFC 1122 §4.1.3.4 / socket(7) SO_BROADCAST: EACCES for a broadcast destination unless the
// socket asked for it, for the limited and the subnet broadcast.
TEST(UdpSend, BroadcastNeedsSoBroadcast) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 68);
  EXPECT_EQ(t.send(s, "x", UdpEndpoint{kBroadcast4, 67}).error(), UdpError::kAccessDenied);
  EXPECT_EQ(t.send(s, "x", UdpEndpoint{kSubnetBroadcast4, 67}).error(), UdpError::kAccessDenied);
  UdpSocketOptions o = *t.layer().options(s);
  o.broadcast = true;
  t.layer().set_options(s, o);
  EXPECT_TRUE(t.send(s, "x", UdpEndpoint{kBroadcast4, 67}).ok());
  EXPECT_EQ(t.pop_sent().dst, kBroadcast4);
  EXPECT_EQ(t.layer().counters().send_errors, 2u);
}

// ENETUNREACH when there is no route.
TEST(UdpSend, NoRouteIsNetUnreachable) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 4000);
  t.ip().reachable = false;
  EXPECT_EQ(t.send(s, "x", UdpEndpoint{kPeer4, 53}).error(), UdpError::kNetUnreachable);
}

// EAFNOSUPPORT: an IPv6 destination from an IPv4 socket.
TEST(UdpSend, DestinationOfTheOtherFamilyIsAFamilyMismatch) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 4000);
  EXPECT_EQ(t.send(s, "x", UdpEndpoint{kPeer6, 53}).error(), UdpError::kFamilyMismatch);
}

// Linux udp_sendmsg: destination port 0 is EINVAL.
TEST(UdpSend, DestinationPortZeroIsInvalid) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 4000);
  EXPECT_EQ(t.send(s, "x", UdpEndpoint{kPeer4, 0}).error(), UdpError::kInvalid);
}

// ip(7) IP_MULTICAST_IF: datagrams to a group leave from the chosen address.
TEST(UdpSend, MulticastSourceIsUsedForGroupDestinations) {
  UdpTestbed t;
  UdpSocketOptions o;
  o.multicast_source = kUs4Second;
  SocketHandle s = t.bound(kAny4, 5000, o);
  ASSERT_TRUE(t.send(s, "group", UdpEndpoint{kGroup4, 5000}).ok());
  ASSERT_TRUE(t.send(s, "unicast", UdpEndpoint{kPeer4, 5000}).ok());
  EXPECT_EQ(t.pop_sent().src, kUs4Second);
  EXPECT_EQ(t.pop_sent().src, kUs4);
}

// A socket bound to a group address sends from the route's unicast source.
TEST(UdpSend, SocketBoundToAGroupSendsFromAUnicastAddress) {
  UdpTestbed t;
  SocketHandle s = t.bound(kGroup4, 5000);
  ASSERT_TRUE(t.send(s, "x", UdpEndpoint{kPeer4, 5000}).ok());
  EXPECT_EQ(t.pop_sent().src, kUs4);
}

// ENOBUFS when the IP layer or the device refuses the packet.
TEST(UdpSend, RefusedByTheDeviceIsNoBuffers) {
  RecordingTracer tracer;
  UdpTestbed t(UdpTestbed::default_config(), &tracer);
  SocketHandle s = t.bound(kAny4, 4000);
  t.ip().device_full = true;
  EXPECT_EQ(t.send(s, "x", UdpEndpoint{kPeer4, 53}).error(), UdpError::kNoBuffers);
  EXPECT_EQ(t.layer().counters().out_datagrams, 0u);
  EXPECT_EQ(t.layer().counters().send_errors, 1u);
  EXPECT_TRUE(tracer.saw("udp.send_errors"));
}

// --- ICMP errors ----------------------------------------------------------------------------

// RFC 1122 §4.1.3.3, Linux udp(7): port unreachable for a connected socket's datagram is
// ECONNREFUSED, reported once by the next send() and then cleared.
TEST(UdpIcmp, PortUnreachableRefusesTheNextSendOnce) {
  UdpTestbed t;
  SocketHandle s = t.connected(4000, kPeer4, 53);
  ASSERT_TRUE(t.send(s, "query").ok());
  t.icmp(IcmpError::Kind::kPortUnreachable, kUs4, 4000, kPeer4, 53);
  EXPECT_EQ(t.layer().counters().icmp_errors_delivered, 1u);
  EXPECT_EQ(t.send(s, "again").error(), UdpError::kConnectionRefused);
  EXPECT_TRUE(t.send(s, "and again").ok());
  EXPECT_EQ(t.ip().sent.size(), 2u);  // the refused call sent nothing
}

// The same error is reported by recv_from() when that comes first, before any datagram.
TEST(UdpIcmp, PortUnreachableIsReportedOnceByRecv) {
  UdpTestbed t;
  SocketHandle s = t.connected(4000, kPeer4, 53);
  t.inject(dgram(kPeer4, 53, kUs4, 4000, "earlier"));
  t.icmp(IcmpError::Kind::kPortUnreachable, kUs4, 4000, kPeer4, 53);
  ByteVec buf(100);
  EXPECT_EQ(t.layer().peek(s).error(), UdpError::kConnectionRefused);  // peek leaves it
  EXPECT_EQ(t.layer().recv_from(s, buf).error(), UdpError::kConnectionRefused);
  EXPECT_EQ(t.recv(s), "earlier");
  EXPECT_EQ(t.layer().recv_from(s, buf).error(), UdpError::kWouldBlock);
}

// SO_ERROR and pushed readiness: the error makes the socket readable and ready.
TEST(UdpIcmp, ErrorMarksTheSocketReadyAndTakeErrorClearsIt) {
  UdpTestbed t;
  SocketHandle s = t.connected(4000, kPeer4, 53);
  t.icmp(IcmpError::Kind::kPortUnreachable, kUs4, 4000, kPeer4, 53);
  EXPECT_EQ(t.take_ready(), std::vector<SocketHandle>{s});
  UdpReadiness r = t.layer().readiness(s);
  EXPECT_TRUE(r.error);
  EXPECT_TRUE(r.readable);
  EXPECT_EQ(t.layer().take_error(s), UdpError::kConnectionRefused);
  EXPECT_EQ(t.layer().take_error(s), std::nullopt);
  EXPECT_FALSE(t.layer().readiness(s).readable);
}

// Linux __udp4_lib_err without IP_RECVERR: an unconnected socket cannot tell which sendto()
// failed, so the error is ignored (and counted).
TEST(UdpIcmp, ErrorForAnUnconnectedSocketIsIgnored) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 4000);
  ASSERT_TRUE(t.send(s, "query", UdpEndpoint{kPeer4, 53}).ok());
  t.icmp(IcmpError::Kind::kPortUnreachable, kUs4, 4000, kPeer4, 53);
  EXPECT_EQ(t.layer().counters().icmp_errors_ignored, 1u);
  EXPECT_EQ(t.layer().take_error(s), std::nullopt);
  EXPECT_TRUE(t.send(s, "again", UdpEndpoint{kPeer4, 53}).ok());
  EXPECT_FALSE(t.layer().any_ready());
}

// RFC 5927 §4.1-style matching: an error quoting another peer or port is not this socket's.
TEST(UdpIcmp, ErrorQuotingAnotherTupleIsIgnored) {
  UdpTestbed t;
  SocketHandle s = t.connected(4000, kPeer4, 53);
  t.icmp(IcmpError::Kind::kPortUnreachable, kUs4, 4000, kPeer4, 54);
  t.icmp(IcmpError::Kind::kPortUnreachable, kUs4, 4001, kPeer4, 53);
  t.icmp(IcmpError::Kind::kPortUnreachable, kUs4Second, 4000, kPeer4, 53);
  EXPECT_EQ(t.layer().take_error(s), std::nullopt);
  EXPECT_EQ(t.layer().counters().icmp_errors_ignored, 3u);
}

// Linux icmp_err_convert: administratively prohibited is a hard error (EHOSTUNREACH); host
// and net unreachable and time exceeded are soft and, without IP_RECVERR, never reach a UDP
// socket.
TEST(UdpIcmp, OnlyHardErrorsReachTheSocket) {
  UdpTestbed t;
  SocketHandle s = t.connected(4000, kPeer4, 53);
  t.icmp(IcmpError::Kind::kAdminProhibited, kUs4, 4000, kPeer4, 53);
  EXPECT_EQ(t.layer().take_error(s), UdpError::kHostUnreachable);
  t.icmp(IcmpError::Kind::kHostUnreachable, kUs4, 4000, kPeer4, 53);
  t.icmp(IcmpError::Kind::kNetUnreachable, kUs4, 4000, kPeer4, 53);
  t.icmp(IcmpError::Kind::kTimeExceeded, kUs4, 4000, kPeer4, 53);
  EXPECT_EQ(t.layer().take_error(s), std::nullopt);
  EXPECT_EQ(t.layer().counters().icmp_errors_ignored, 3u);
}

// IP_RECVERR: an unconnected socket hears port unreachable, and soft errors too, with the
// endpoint the error is about (how the resolver skips a dead server at once).
TEST(UdpIcmp, RecvErrorsReachUnconnectedSocketsWithTheRemote) {
  UdpTestbed t;
  SocketHandle s = t.layer().open(IpVersion::kV4);
  UdpSocketOptions o;
  o.recv_errors = true;
  ASSERT_EQ(t.layer().set_options(s, o), std::nullopt);
  ASSERT_EQ(t.layer().bind(s, kUs4, 4000, t.ip()), std::nullopt);
  t.icmp(IcmpError::Kind::kPortUnreachable, kUs4, 4000, kPeer4, 53);
  EXPECT_TRUE(t.layer().readiness(s).error);
  auto r = t.layer().take_error_report(s);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error, UdpError::kConnectionRefused);
  EXPECT_EQ(r->remote, (UdpEndpoint{kPeer4, 53}));
  t.icmp(IcmpError::Kind::kNetUnreachable, kUs4, 4000, kPeer4, 53);
  EXPECT_EQ(t.layer().take_error(s), UdpError::kNetUnreachable);
  EXPECT_EQ(t.layer().take_error_report(s), std::nullopt);
}

// Without IP_RECVERR an unconnected socket never hears ICMP errors (Linux's default).
TEST(UdpIcmp, UnconnectedSocketIgnoresErrorsWithoutRecvErrors) {
  UdpTestbed t;
  SocketHandle s = t.layer().open(IpVersion::kV4);
  ASSERT_EQ(t.layer().bind(s, kUs4, 4000, t.ip()), std::nullopt);
  t.icmp(IcmpError::Kind::kPortUnreachable, kUs4, 4000, kPeer4, 53);
  EXPECT_EQ(t.layer().take_error(s), std::nullopt);
  EXPECT_EQ(t.layer().counters().icmp_errors_ignored, 1u);
}

// A quote too short to hold the ports, or of another protocol, matches nothing.
TEST(UdpIcmp, ShortOrForeignQuoteIsIgnored) {
  UdpTestbed t;
  SocketHandle s = t.connected(4000, kPeer4, 53);
  ByteVec quoted = {0x0f, 0xa0, 0x00};  // 3 bytes: not even both ports
  IcmpError e;
  e.kind = IcmpError::Kind::kPortUnreachable;
  e.quoted_src = kUs4;
  e.quoted_dst = kPeer4;
  e.quoted_proto = IpProto::kUdp;
  e.quoted_transport = quoted;
  t.layer().on_icmp_error(t.now(), e, t.ip());
  ByteVec tcp_quote = {0x0f, 0xa0, 0x00, 0x35, 0, 0, 0, 0};
  e.quoted_proto = IpProto::kTcp;
  e.quoted_transport = tcp_quote;
  t.layer().on_icmp_error(t.now(), e, t.ip());
  EXPECT_EQ(t.layer().take_error(s), std::nullopt);
  EXPECT_EQ(t.layer().counters().icmp_errors_ignored, 2u);
}

// --- Text -----------------------------------------------------------------------------------

// The counters print like Counters::to_string (netstat -s): a group title, indented
// "<value> <name>" lines, drops last.
TEST(UdpCounters, PrintLikeNetstat) {
  UdpLayerCounters c;
  c.in_datagrams = 3;
  c.no_ports = 1;
  c.drops_bad_checksum = 2;
  EXPECT_EQ(c.to_string(),
            "Udp:\n"
            "    3 in_datagrams\n"
            "    1 no_ports\n"
            "Drops:\n"
            "    2 udp_bad_checksum\n");
  std::string all = UdpLayerCounters{}.to_string(true);
  for (const char* name :
       {"in_datagrams", "out_datagrams", "no_ports", "icmp_errors_delivered", "icmp_errors_ignored",
        "send_errors", "ignored_multi", "udp_bad_checksum", "udp_malformed", "udp_rcvbuf_full"}) {
    EXPECT_NE(all.find(std::string("    0 ") + name + "\n"), std::string::npos) << name;
  }
}

TEST(UdpCounters, ErrorsHaveNames) {
  EXPECT_STREQ(to_string(UdpError::kConnectionRefused), "connection refused");
  EXPECT_STREQ(to_string(UdpError::kAddressInUse), "address in use");
  EXPECT_STREQ(to_string(UdpError::kMessageTooBig), "message too big");
}

}  // namespace
}  // namespace ustack::testing
