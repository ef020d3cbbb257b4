#include "stack/base/addr.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

TEST(Addr, ParseAndPrintRoundTrip) {
  EXPECT_EQ(Ipv4Addr::parse("198.18.0.2")->to_string(), "198.18.0.2");
  EXPECT_EQ(Ipv6Addr::parse("fd00:1:0:0::2")->to_string(), "fd00:1::2");
  EXPECT_EQ(MacAddr::parse("02:00:5e:10:00:01")->to_string(), "02:00:5e:10:00:01");
  EXPECT_FALSE(Ipv4Addr::parse("198.18.0").has_value());
  EXPECT_FALSE(Ipv4Addr::parse("198.18.0.256").has_value());
  EXPECT_FALSE(Ipv6Addr::parse("fd00:::1").has_value());
  EXPECT_FALSE(MacAddr::parse("02:00:5e:10:00").has_value());
  EXPECT_FALSE(MacAddr::parse("02:00:5e:10:00:zz").has_value());
}

TEST(Addr, CidrParseRejectsBadPrefixes) {
  EXPECT_TRUE(IpCidr::parse("198.18.0.2/24").has_value());
  EXPECT_FALSE(IpCidr::parse("198.18.0.2").has_value());
  EXPECT_FALSE(IpCidr::parse("198.18.0.2/33").has_value());
  EXPECT_FALSE(IpCidr::parse("198.18.0.2/").has_value());
  EXPECT_FALSE(IpCidr::parse("198.18.0.2/2x").has_value());
  EXPECT_TRUE(IpCidr::parse("fd00:1::2/128").has_value());
  EXPECT_FALSE(IpCidr::parse("fd00:1::2/129").has_value());
}

TEST(Addr, CidrContainsAndNetwork) {
  auto c = *IpCidr::parse("198.18.0.2/23");
  EXPECT_TRUE(c.contains(*IpAddr::parse("198.18.1.255")));
  EXPECT_FALSE(c.contains(*IpAddr::parse("198.18.2.0")));
  EXPECT_FALSE(c.contains(*IpAddr::parse("fd00::1")));
  EXPECT_EQ(c.network().to_string(), "198.18.0.0");
  EXPECT_EQ(c.broadcast_v4()->to_string(), "198.18.1.255");
  auto c6 = *IpCidr::parse("fd00:1::2/60");
  EXPECT_EQ(c6.network().to_string(), "fd00:1::");
  EXPECT_TRUE(c6.contains(*IpAddr::parse("fd00:1:0:f::1")));
  EXPECT_FALSE(c6.contains(*IpAddr::parse("fd00:1:0:10::1")));
  EXPECT_TRUE(IpCidr::parse("0.0.0.0/0")->contains(*IpAddr::parse("198.18.9.9")));
}

// RFC 4291 §2.7.1 and App. A; RFC 2464 §7.
TEST(Addr, Ipv6DerivedAddresses) {
  auto a = *Ipv6Addr::parse("fd00:1::12:3456");
  EXPECT_EQ(Ipv6Addr::solicited_node(a).to_string(), "ff02::1:ff12:3456");
  EXPECT_EQ(Ipv6Addr::solicited_node(a).multicast_mac().to_string(), "33:33:ff:12:34:56");
  auto mac = *MacAddr::parse("00:11:22:33:44:55");
  EXPECT_EQ(Ipv6Addr::link_local_from_mac(mac).to_string(), "fe80::211:22ff:fe33:4455");
  EXPECT_TRUE(Ipv6Addr::link_local_from_mac(mac).is_link_local());
}

TEST(Addr, IpAddrOrderingAndHash) {
  IpAddr v4 = *IpAddr::parse("198.18.0.1");
  IpAddr v6 = *IpAddr::parse("fd00::1");
  EXPECT_NE(v4, v6);
  EXPECT_EQ(v4, IpAddr(*Ipv4Addr::parse("198.18.0.1")));
  EXPECT_EQ(std::hash<IpAddr>()(v4), std::hash<IpAddr>()(*IpAddr::parse("198.18.0.1")));
  EXPECT_EQ(v4.bytes().size(), 4u);
  EXPECT_EQ(v6.bytes().size(), 16u);
}

}  // namespace
}  // namespace ustack
