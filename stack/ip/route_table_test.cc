// Route selection: longest prefix wins, default gateways, both families (RFC 1812 §5.2.4.3).
#include "stack/ip/route_table.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

IpCidr cidr(const char* s) { return *IpCidr::parse(s); }
IpAddr ip(const char* s) { return *IpAddr::parse(s); }

TEST(RouteTable, LongestPrefixWins) {
  RouteTable t;
  t.add(Route{cidr("0.0.0.0/0"), ip("198.18.0.1")});
  t.add(Route{cidr("198.18.0.0/16"), ip("198.18.0.2")});
  t.add(Route{cidr("198.18.5.0/24"), std::nullopt});
  EXPECT_EQ(t.lookup(ip("198.18.5.7"))->next_hop, ip("198.18.5.7"));  // on-link /24
  EXPECT_EQ(t.lookup(ip("198.18.9.7"))->next_hop, ip("198.18.0.2"));  // /16
  EXPECT_EQ(t.lookup(ip("198.19.0.1"))->next_hop, ip("198.18.0.1"));  // default
}

TEST(RouteTable, NoRouteWithoutDefault) {
  RouteTable t;
  t.add(Route{cidr("198.18.0.0/24"), std::nullopt});
  EXPECT_FALSE(t.lookup(ip("198.19.0.1")).has_value());
}

TEST(RouteTable, FamiliesDoNotMix) {
  RouteTable t;
  t.add(Route{cidr("0.0.0.0/0"), ip("198.18.0.1")});
  EXPECT_FALSE(t.lookup(ip("fd00::1")).has_value());
  t.add(Route{cidr("::/0"), ip("fe80::1")});
  t.add(Route{cidr("fd00:1::/64"), std::nullopt});
  EXPECT_EQ(t.lookup(ip("fd00:1::9"))->next_hop, ip("fd00:1::9"));
  EXPECT_EQ(t.lookup(ip("fd00:2::9"))->next_hop, ip("fe80::1"));
  EXPECT_EQ(t.lookup(ip("198.18.3.3"))->next_hop, ip("198.18.0.1"));
}

TEST(RouteTable, HostBitsAreIgnoredAndSameRouteReplaced) {
  RouteTable t;
  t.add(Route{cidr("198.18.0.77/24"), std::nullopt, RouteOrigin::kStatic, Instant::never(), 5});
  t.add(Route{cidr("198.18.0.0/24"), std::nullopt, RouteOrigin::kStatic, Instant::never(), 1});
  ASSERT_EQ(t.routes().size(), 1u);
  EXPECT_EQ(t.routes()[0].metric, 1u);
}

TEST(RouteTable, LowerMetricWinsAmongEqualPrefixes) {
  RouteTable t;
  t.add(Route{cidr("0.0.0.0/0"), ip("198.18.0.1"), RouteOrigin::kStatic, Instant::never(), 10});
  t.add(Route{cidr("0.0.0.0/0"), ip("198.18.0.2"), RouteOrigin::kStatic, Instant::never(), 1});
  EXPECT_EQ(t.lookup(ip("198.19.1.1"))->next_hop, ip("198.18.0.2"));
}

TEST(RouteTable, ExpiredRoutesAreRemoved) {
  RouteTable t;
  t.add(Route{cidr("::/0"), ip("fe80::1"), RouteOrigin::kRouterAdvert, Instant::from_millis(1800)});
  EXPECT_EQ(t.next_expiry(), Instant::from_millis(1800));
  EXPECT_EQ(t.expire(Instant::from_millis(1799)), 0u);
  EXPECT_EQ(t.expire(Instant::from_millis(1800)), 1u);
  EXPECT_FALSE(t.lookup(ip("fd00::5")).has_value());
}

TEST(RouteTable, RemoveByGateway) {
  RouteTable t;
  t.add(Route{cidr("::/0"), ip("fe80::1")});
  t.add(Route{cidr("::/0"), ip("fe80::2")});
  EXPECT_EQ(t.remove(cidr("::/0"), ip("fe80::1")), 1u);
  EXPECT_EQ(t.lookup(ip("fd00::5"))->next_hop, ip("fe80::2"));
}

}  // namespace
}  // namespace ustack
