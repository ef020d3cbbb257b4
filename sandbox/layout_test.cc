#include "sandbox/layout.h"

#include <gtest/gtest.h>

namespace ustack::sandbox {
namespace {

IpAddr ip(const char* s) { return *IpAddr::parse(s); }

// slirp4netns's layout: gateway .2, DNS .3, guest .100 of the --cidr network.
TEST(SandboxLayout, SlirpHostNumbers) {
  LayoutResult r = layout_for_cidr("198.18.5.0/24");
  ASSERT_TRUE(r.layout) << r.error;
  EXPECT_EQ(r.layout->gateway, ip("198.18.5.2"));
  EXPECT_EQ(r.layout->dns, ip("198.18.5.3"));
  EXPECT_EQ(r.layout->guest, ip("198.18.5.100"));
  EXPECT_EQ(r.layout->guest_cidr().to_string(), "198.18.5.100/24");
}

TEST(SandboxLayout, HostBitsOfTheCidrAreIgnored) {
  LayoutResult r = layout_for_cidr("198.18.5.77/24");
  ASSERT_TRUE(r.layout);
  EXPECT_EQ(r.layout->gateway, ip("198.18.5.2"));
}

TEST(SandboxLayout, RejectsNetworksWithoutRoomForTheGuest) {
  EXPECT_FALSE(layout_for_cidr("198.18.5.0/26").layout);
  EXPECT_FALSE(layout_for_cidr("fd00::/64").layout);
  EXPECT_EQ(layout_for_cidr("nonsense").error,
            "--cidr nonsense: not an IPv4 network (198.18.5.0/24)");
}

// --enable-ipv6: the same host numbers in the /64.
TEST(SandboxLayout, Ipv6HostNumbers) {
  SandboxLayout l = *layout_for_cidr("198.18.5.0/24").layout;
  std::string error;
  ASSERT_TRUE(add_ipv6_layout(l, "fd00:5::/64", error)) << error;
  EXPECT_EQ(l.v6->gateway, ip("fd00:5::2"));
  EXPECT_EQ(l.v6->dns, ip("fd00:5::3"));
  EXPECT_EQ(l.v6->guest, ip("fd00:5::100"));
  EXPECT_FALSE(add_ipv6_layout(l, "fd00:5::/48", error));
  EXPECT_EQ(error, "--ipv6-cidr fd00:5::/48: not an IPv6 /64 (fd00::/64)");
}

TEST(SandboxLayout, DnsUpstreamForms) {
  EXPECT_EQ(parse_dns_upstream("198.18.9.1"), (Endpoint{ip("198.18.9.1"), 53}));
  EXPECT_EQ(parse_dns_upstream("198.18.9.1:5353"), (Endpoint{ip("198.18.9.1"), 5353}));
  EXPECT_EQ(parse_dns_upstream("[fd00::1]:54"), (Endpoint{ip("fd00::1"), 54}));
  EXPECT_EQ(parse_dns_upstream("fd00::1"), (Endpoint{ip("fd00::1"), 53}));
  EXPECT_FALSE(parse_dns_upstream("198.18.9.1:0"));
  EXPECT_FALSE(parse_dns_upstream("host:53"));
}

using V = Route::Verdict;

// Where the flow goes, or how it is refused ("closed", "host").
std::string where(const SandboxLayout& l, Proto p, const Endpoint& dst) {
  Route r = route_flow(l, p, dst);
  if (r.verdict == V::kClosed) return "closed";
  if (r.verdict == V::kHostBlocked) return "host";
  return r.to.to_string();
}

// DNS to .3:53 goes to the upstream (even one on the host's loopback); other ports of .3 are
// closed; far addresses go where they were addressed.
TEST(SandboxLayout, RouteFlow) {
  SandboxLayout l = *layout_for_cidr("198.18.5.0/24").layout;
  l.dns_upstream = Endpoint{ip("198.18.9.1"), 53};
  EXPECT_EQ(where(l, Proto::kUdp, {ip("198.18.5.3"), 53}), "198.18.9.1:53");
  EXPECT_EQ(where(l, Proto::kTcp, {ip("198.18.5.3"), 53}), "198.18.9.1:53");
  EXPECT_EQ(where(l, Proto::kTcp, {ip("198.18.5.3"), 80}), "closed");
  EXPECT_EQ(where(l, Proto::kTcp, {ip("198.18.9.1"), 80}), "198.18.9.1:80");
  EXPECT_EQ(where(l, Proto::kUdp, {ip("224.0.0.251"), 5353}), "closed");
  l.dns_upstream = Endpoint{ip("127.0.0.53"), 53};
  EXPECT_EQ(where(l, Proto::kUdp, {ip("198.18.5.3"), 53}), "127.0.0.53:53");
  std::string error;
  ASSERT_TRUE(add_ipv6_layout(l, "fd00:5::/64", error));
  EXPECT_EQ(where(l, Proto::kUdp, {ip("fd00:5::3"), 53}), "127.0.0.53:53");
  EXPECT_EQ(where(l, Proto::kTcp, {ip("fd00:9::1"), 80}), "[fd00:9::1]:80");
}

// Safety by default: the gateway (the host's loopback in slirp4netns), loopback addresses and
// the host's own addresses are refused; --allow-host-loopback opens them.
TEST(SandboxLayout, HostItselfOnlyWhenAllowed) {
  SandboxLayout l = *layout_for_cidr("198.18.5.0/24").layout;
  std::string error;
  ASSERT_TRUE(add_ipv6_layout(l, "fd00:5::/64", error));
  *l.host_addresses = {ip("198.18.9.2"), ip("fd00:9::2")};
  for (const char* a : {"198.18.5.2", "fd00:5::2", "127.0.0.1", "127.1.2.3", "::1",
                        "::ffff:127.0.0.1", "198.18.9.2", "fd00:9::2"}) {
    EXPECT_EQ(where(l, Proto::kTcp, {ip(a), 22}), "host") << a;
    EXPECT_EQ(where(l, Proto::kUdp, {ip(a), 22}), "host") << a;
  }
  EXPECT_EQ(where(l, Proto::kTcp, {ip("198.18.9.1"), 22}), "198.18.9.1:22");
  l.allow_host_loopback = true;
  EXPECT_EQ(where(l, Proto::kTcp, {ip("198.18.5.2"), 22}), "127.0.0.1:22");
  EXPECT_EQ(where(l, Proto::kTcp, {ip("fd00:5::2"), 22}), "[::1]:22");
  EXPECT_EQ(where(l, Proto::kTcp, {ip("198.18.9.2"), 22}), "198.18.9.2:22");
  EXPECT_EQ(where(l, Proto::kTcp, {ip("127.0.0.1"), 22}), "127.0.0.1:22");
}

}  // namespace
}  // namespace ustack::sandbox
