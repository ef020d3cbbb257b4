#include "sandbox/publish_spec.h"

#include <gtest/gtest.h>

namespace ustack::sandbox {
namespace {

IpAddr ip(const char* s) { return *IpAddr::parse(s); }

SandboxLayout layout(bool v6) {
  SandboxLayout l = *layout_for_cidr("198.18.5.0/24").layout;
  std::string error;
  if (v6) {
    EXPECT_TRUE(add_ipv6_layout(l, "fd00:5::/64", error)) << error;
  }
  return l;
}

ForwardSpec parsed(const char* s, bool v6 = true) {
  ForwardSpecResult r = parse_publish(s, layout(v6));
  EXPECT_TRUE(r.spec) << r.error;
  return r.spec.value_or(ForwardSpec{});
}

std::string error_of(const char* s) { return parse_publish(s, layout(true)).error; }

TEST(PublishSpec, PortsOnlyListenOnEveryIpv4AddressForTheGuest) {
  ForwardSpec f = parsed("8080:80");
  EXPECT_EQ(f.proto, Proto::kTcp);
  EXPECT_EQ(f.host_addr, ip("0.0.0.0"));
  EXPECT_EQ(f.host_port, 8080);
  EXPECT_EQ(f.guest_addr, ip("198.18.5.100"));
  EXPECT_EQ(f.guest_port, 80);
}

TEST(PublishSpec, HostAddressAndProtocol) {
  ForwardSpec f = parsed("198.18.1.1:5353:53/udp");
  EXPECT_EQ(f.proto, Proto::kUdp);
  EXPECT_EQ(f.host_addr, ip("198.18.1.1"));
  EXPECT_EQ(f.host_port, 5353);
  EXPECT_EQ(f.guest_port, 53);
  EXPECT_EQ(parsed("1:2/tcp").proto, Proto::kTcp);
}

// An IPv6 host address goes in brackets; it forwards to the guest's IPv6 address when the
// sandbox has one, else to its IPv4 address (every client then shown as the gateway).
TEST(PublishSpec, Ipv6HostAddressInBrackets) {
  ForwardSpec f = parsed("[fd00:1::1]:8080:80");
  EXPECT_EQ(f.host_addr, ip("fd00:1::1"));
  EXPECT_EQ(f.guest_addr, ip("fd00:5::100"));
  EXPECT_EQ(parsed("[::]:8080:80/udp", /*v6=*/false).guest_addr, ip("198.18.5.100"));
}

TEST(PublishSpec, ErrorsSayWhatIsWrongAndTheForm) {
  const std::string form =
      " (want [HOSTADDR:]HOSTPORT:GUESTPORT[/tcp|/udp], e.g. 8080:80, 198.18.1.1:8080:80/udp, "
      "[fd00::1]:8080:80)";
  EXPECT_EQ(error_of("8080"), "--publish '8080': no guest port" + form);
  EXPECT_EQ(error_of("8080:0"), "--publish '8080:0': guest port 0 out of range (1..65535)" + form);
  EXPECT_EQ(error_of("70000:80"),
            "--publish '70000:80': host port 70000 out of range (1..65535)" + form);
  EXPECT_EQ(error_of("http:80"), "--publish 'http:80': host port 'http' is not a number" + form);
  EXPECT_EQ(error_of("8080:80/sctp"), "--publish '8080:80/sctp': unknown protocol 'sctp'" + form);
  EXPECT_EQ(
      error_of("fd00::1:8080:80"),
      "--publish 'fd00::1:8080:80': too many ':' (an IPv6 host address goes in brackets)" + form);
  EXPECT_EQ(error_of("1.2.3:8080:80"),
            "--publish '1.2.3:8080:80': '1.2.3' is not an IPv4 address" + form);
  EXPECT_EQ(error_of("[198.18.1.1]:8080:80"),
            "--publish '[198.18.1.1]:8080:80': '198.18.1.1' is not an IPv6 address" + form);
  EXPECT_EQ(error_of("[fd00::1]8080:80"),
            "--publish '[fd00::1]8080:80': an IPv6 address in brackets must be followed by "
            "':HOSTPORT:GUESTPORT'" +
                form);
  EXPECT_EQ(error_of("224.0.0.1:8080:80"),
            "--publish '224.0.0.1:8080:80': the host address is a multicast address" + form);
  EXPECT_FALSE(parse_publish("", layout(true)).spec);
  EXPECT_FALSE(parse_publish(":80", layout(true)).spec);
  EXPECT_FALSE(parse_publish("80:", layout(true)).spec);
}

// The guest sees a client as itself when it can answer it through ustack (its default route).
TEST(ForwardSource, ARoutableClientKeepsItsAddress) {
  SandboxLayout l = layout(true);
  EXPECT_EQ(forward_source(l, ip("198.18.1.1"), l.guest), ip("198.18.1.1"));
  EXPECT_EQ(forward_source(l, ip("fd00:1::1"), l.v6->guest), ip("fd00:1::1"));
}

// ... and as the gateway (slirp4netns's only choice) when it cannot: a loopback client (the
// guest drops packets from 127/8 as martians), the other family, a link-local address, an
// address inside the sandbox's own network (the guest would look for it on the link).
TEST(ForwardSource, UnanswerableClientsAreShownAsTheGateway) {
  SandboxLayout l = layout(true);
  for (const char* c : {"127.0.0.1", "169.254.1.1", "198.18.5.100", "198.18.5.7", "0.0.0.0"}) {
    EXPECT_EQ(forward_source(l, ip(c), l.guest), std::nullopt) << c;
  }
  for (const char* c : {"::1", "fe80::1", "fd00:5::9", "::ffff:198.18.1.1"}) {
    EXPECT_EQ(forward_source(l, ip(c), l.v6->guest), std::nullopt) << c;
  }
  EXPECT_EQ(forward_source(l, ip("fd00:1::1"), l.guest), std::nullopt);
  EXPECT_EQ(gateway_for(l, l.guest), ip("198.18.5.2"));
  EXPECT_EQ(gateway_for(l, l.v6->guest), ip("fd00:5::2"));
}

TEST(ValidGuestAddr, AHostOfTheSandboxNetworkButNotUs) {
  SandboxLayout l = layout(true);
  EXPECT_TRUE(valid_guest_addr(l, ip("198.18.5.100")));
  EXPECT_TRUE(valid_guest_addr(l, ip("198.18.5.101")));
  EXPECT_TRUE(valid_guest_addr(l, ip("fd00:5::100")));
  EXPECT_FALSE(valid_guest_addr(l, ip("198.18.5.2")));
  EXPECT_FALSE(valid_guest_addr(l, ip("198.18.5.3")));
  EXPECT_FALSE(valid_guest_addr(l, ip("fd00:5::2")));
  EXPECT_FALSE(valid_guest_addr(l, ip("198.18.6.100")));
  EXPECT_FALSE(valid_guest_addr(layout(false), ip("fd00:5::100")));
}

}  // namespace
}  // namespace ustack::sandbox
