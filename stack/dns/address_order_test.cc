// RFC 6724 §6 destination address ordering with the §2.1 default policy table.
#include "stack/dns/address_order.h"

#include <gtest/gtest.h>

#include <map>

namespace ustack {
namespace {

IpAddr ip(const char* s) { return *IpAddr::parse(s); }

// A host whose route table gives these sources (nullopt: unreachable).
struct Host {
  std::map<IpAddr, IpAddr> sources;
  std::optional<IpAddr> v4_src, v6_src;
  std::optional<IpAddr> operator()(const IpAddr& d) const {
    if (auto it = sources.find(d); it != sources.end()) return it->second;
    return d.is_v4() ? v4_src : v6_src;
  }
};

std::vector<IpAddr> sorted(std::vector<IpAddr> v, const Host& h) {
  sort_destinations(v, h);
  return v;
}

TEST(DefaultPolicy, Rfc6724Table) {
  EXPECT_EQ(default_policy(ip("::1")).precedence, 50);
  EXPECT_EQ(default_policy(ip("2001:db8::1")).precedence, 40);
  EXPECT_EQ(default_policy(ip("198.18.0.1")).precedence, 35);
  EXPECT_EQ(default_policy(ip("198.18.0.1")).label, 4);
  EXPECT_EQ(default_policy(ip("2002::1")).label, 2);
  EXPECT_EQ(default_policy(ip("2001::1")).precedence, 5);  // Teredo
  EXPECT_EQ(default_policy(ip("fd00::1")).label, 13);
  EXPECT_EQ(default_policy(ip("fec0::1")).label, 11);
  EXPECT_EQ(address_scope(ip("169.254.1.1")), 2);
  EXPECT_EQ(address_scope(ip("127.0.0.1")), 2);
  EXPECT_EQ(address_scope(ip("fe80::1")), 2);
  EXPECT_EQ(address_scope(ip("ff05::1")), 5);
  EXPECT_EQ(address_scope(ip("198.18.0.1")), 14);
}

// Rule 6: global IPv6 (precedence 40) before IPv4 (35).
TEST(AddressOrder, GlobalV6BeforeV4) {
  Host h{.v4_src = ip("198.18.0.2"), .v6_src = ip("2001:db8:1::2")};
  EXPECT_EQ(sorted({ip("198.51.100.1"), ip("2001:db8::1")}, h),
            (std::vector{ip("2001:db8::1"), ip("198.51.100.1")}));
}

// Rule 6: a ULA (fc00::/7, precedence 3) comes after IPv4 (RFC 6724 §10.6 example).
TEST(AddressOrder, UlaAfterV4) {
  Host h{.v4_src = ip("198.18.0.2"), .v6_src = ip("fd00:1::2")};
  EXPECT_EQ(sorted({ip("fd00:1::1"), ip("198.18.0.1")}, h),
            (std::vector{ip("198.18.0.1"), ip("fd00:1::1")}));
}

// Rule 1: a destination with no source address (no route) goes last.
TEST(AddressOrder, UnusableFamilyLast) {
  Host h{.v4_src = ip("198.18.0.2")};
  EXPECT_EQ(sorted({ip("2001:db8::1"), ip("198.51.100.1")}, h),
            (std::vector{ip("198.51.100.1"), ip("2001:db8::1")}));
}

// Rule 2: prefer the destination whose scope matches its source's.
TEST(AddressOrder, MatchingScopeFirst) {
  Host h{.v6_src = ip("fe80::2")};  // only a link-local source
  EXPECT_EQ(sorted({ip("2001:db8::1"), ip("fe80::1")}, h),
            (std::vector{ip("fe80::1"), ip("2001:db8::1")}));
}

// Rule 5: prefer a matching label (6to4 source for a 6to4 destination).
TEST(AddressOrder, MatchingLabelFirst) {
  Host h{.sources = {{ip("2002:c633:6401::1"), ip("2002:c633:6402::2")},
                     {ip("2001:db8::1"), ip("2002:c633:6402::2")}}};
  EXPECT_EQ(sorted({ip("2001:db8::1"), ip("2002:c633:6401::1")}, h),
            (std::vector{ip("2002:c633:6401::1"), ip("2001:db8::1")}));
}

// Rule 8: with everything else equal, the smaller scope first.
TEST(AddressOrder, SmallerScopeFirst) {
  Host h{.sources = {{ip("fe80::1"), ip("fe80::2")}, {ip("2001:db8::1"), ip("2001:db8::2")}}};
  EXPECT_EQ(sorted({ip("2001:db8::1"), ip("fe80::1")}, h),
            (std::vector{ip("fe80::1"), ip("2001:db8::1")}));
}

// Rule 9: the longest prefix shared with the source (IPv6: at most 64 bits).
TEST(AddressOrder, LongestMatchingPrefixWithinFamily) {
  Host h{.v6_src = ip("2001:db8:1::2")};
  EXPECT_EQ(sorted({ip("2001:db8:2::1"), ip("2001:db8:1::1")}, h),
            (std::vector{ip("2001:db8:1::1"), ip("2001:db8:2::1")}));
  // Beyond 64 bits (the interface identifier) does not count: order kept.
  EXPECT_EQ(sorted({ip("2001:db8:1::ffff"), ip("2001:db8:1::3")}, h),
            (std::vector{ip("2001:db8:1::ffff"), ip("2001:db8:1::3")}));
}

// Rule 10: otherwise the order received (round robin survives).
TEST(AddressOrder, StableOtherwise) {
  Host h{.v4_src = ip("10.1.1.1")};
  std::vector<IpAddr> v{ip("198.51.100.3"), ip("198.51.100.1"), ip("198.51.100.2")};
  EXPECT_EQ(sorted(v, h), v);
}

// Rule 6: ::1 (precedence 50) before 127.0.0.1 (35), as getent ahosts localhost shows.
TEST(AddressOrder, LoopbackV6First) {
  Host h{.v4_src = ip("127.0.0.1"), .v6_src = ip("::1")};
  EXPECT_EQ(sorted({ip("127.0.0.1"), ip("::1")}, h), (std::vector{ip("::1"), ip("127.0.0.1")}));
}

}  // namespace
}  // namespace ustack
