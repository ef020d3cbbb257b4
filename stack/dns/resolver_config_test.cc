// resolv.conf(5) parsing as glibc's res_init reads it, with ustack's port extension.
#include "stack/dns/resolver_config.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

using namespace literals;

NameServer ns(const char* addr, std::uint16_t port = 53) { return {*IpAddr::parse(addr), port}; }

TEST(ResolvConf, DefaultsWhenEmpty) {
  auto p = parse_resolv_conf("");
  EXPECT_TRUE(p.warnings.empty());
  EXPECT_TRUE(p.config.nameservers.empty());
  EXPECT_EQ(p.config.ndots, 1u);
  EXPECT_EQ(p.config.timeout, 5_s);
  EXPECT_EQ(p.config.attempts, 2u);
  EXPECT_FALSE(p.config.rotate);
  EXPECT_TRUE(p.config.edns);              // RFC 6891, on by default unlike glibc
  EXPECT_EQ(p.config.edns_payload, 1232);  // DNS flag day 2020
  EXPECT_FALSE(p.config.force_tcp);
}

TEST(ResolvConf, NameserversV4AndV6InOrder) {
  auto p = parse_resolv_conf("nameserver 198.18.0.1\nnameserver fd00:1::1\n");
  EXPECT_TRUE(p.warnings.empty());
  EXPECT_EQ(p.config.nameservers, (std::vector{ns("198.18.0.1"), ns("fd00:1::1")}));
}

TEST(ResolvConf, NameserverPortExtension) {
  auto p = parse_resolv_conf("nameserver 198.18.0.1:5353\nnameserver [fd00:1::1]:5300\n");
  EXPECT_TRUE(p.warnings.empty());
  EXPECT_EQ(p.config.nameservers, (std::vector{ns("198.18.0.1", 5353), ns("fd00:1::1", 5300)}));
  EXPECT_EQ(p.config.nameservers[0].to_string(), "198.18.0.1:5353");
  EXPECT_EQ(p.config.nameservers[1].to_string(), "[fd00:1::1]:5300");
}

// glibc MAXNS: the fourth nameserver is ignored, and we say so.
TEST(ResolvConf, MoreThanThreeNameserversWarns) {
  auto p = parse_resolv_conf(
      "nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nnameserver 10.0.0.4\n");
  ASSERT_EQ(p.config.nameservers.size(), 3u);
  EXPECT_EQ(p.config.nameservers[2], ns("10.0.0.3"));
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].find("line 4"), std::string::npos) << p.warnings[0];
  EXPECT_NE(p.warnings[0].find("10.0.0.4"), std::string::npos) << p.warnings[0];
}

TEST(ResolvConf, BadNameserversWarn) {
  auto p = parse_resolv_conf(
      "nameserver\nnameserver 10.0.0\nnameserver fe80::1%eth0\nnameserver 10.0.0.1:0\n");
  EXPECT_TRUE(p.config.nameservers.empty());
  EXPECT_EQ(p.warnings.size(), 4u);
}

TEST(ResolvConf, SearchListAndDomainLastOneWins) {
  auto p = parse_resolv_conf("search a.test b.test.\n");
  EXPECT_EQ(p.config.search, (std::vector<std::string>{"a.test", "b.test"}));
  p = parse_resolv_conf("search a.test b.test\ndomain c.test\n");
  EXPECT_EQ(p.config.search, (std::vector<std::string>{"c.test"}));
  p = parse_resolv_conf("domain c.test\nsearch a.test\n");
  EXPECT_EQ(p.config.search, (std::vector<std::string>{"a.test"}));
}

TEST(ResolvConf, EveryOption) {
  auto p = parse_resolv_conf("options ndots:3 timeout:2 attempts:4 rotate edns0 use-vc\n");
  EXPECT_TRUE(p.warnings.empty());
  EXPECT_EQ(p.config.ndots, 3u);
  EXPECT_EQ(p.config.timeout, 2_s);
  EXPECT_EQ(p.config.attempts, 4u);
  EXPECT_TRUE(p.config.rotate);
  EXPECT_TRUE(p.config.edns);
  EXPECT_TRUE(p.config.force_tcp);
}

// glibc: RES_MAXNDOTS 15, RES_MAXRETRANS 30, RES_MAXRETRY 5.
TEST(ResolvConf, OptionsClampedLikeGlibc) {
  auto p = parse_resolv_conf("options ndots:40 timeout:99 attempts:9\n");
  EXPECT_EQ(p.config.ndots, 15u);
  EXPECT_EQ(p.config.timeout, 30_s);
  EXPECT_EQ(p.config.attempts, 5u);
  p = parse_resolv_conf("options timeout:0 attempts:0 ndots:0\n");
  EXPECT_EQ(p.config.timeout, 1_s);
  EXPECT_EQ(p.config.attempts, 1u);
  EXPECT_EQ(p.config.ndots, 0u);
}

TEST(ResolvConf, GarbageLinesWarnAndAreSkipped) {
  auto p = parse_resolv_conf(
      "# comment\n; another\n\nnameservr 1.2.3.4\noptions ndots:x bogus single-request\n"
      "nameserver 198.18.0.1 # trailing comment\n\x01\x02\n");
  EXPECT_EQ(p.config.nameservers, (std::vector{ns("198.18.0.1")}));
  EXPECT_EQ(p.config.ndots, 1u);
  EXPECT_EQ(p.warnings.size(), 5u);  // nameservr, ndots:x, bogus, single-request, \x01\x02
  EXPECT_NE(p.warnings[0].find("line 4"), std::string::npos);
}

// The retransmission schedule (BIND 4.9 res_send, inherited by glibc): the timeout doubles
// each round and is shared among the servers.
TEST(ResolvConf, TryTimeoutScheduleAndDeadline) {
  ResolverConfig c;
  c.nameservers = {ns("10.0.0.1")};
  EXPECT_EQ(c.try_timeout(0), 5_s);
  EXPECT_EQ(c.try_timeout(1), 10_s);
  EXPECT_EQ(c.lookup_deadline(), 15_s);
  c.nameservers.push_back(ns("10.0.0.2"));
  EXPECT_EQ(c.try_timeout(1), 5_s);
  EXPECT_EQ(c.lookup_deadline(), 20_s);
  c.deadline = 3_s;
  EXPECT_EQ(c.lookup_deadline(), 3_s);
  c.deadline = Duration::zero();
  c.timeout = 30_s;
  c.attempts = 5;
  c.nameservers.push_back(ns("10.0.0.3"));
  EXPECT_EQ(c.lookup_deadline(), ResolverConfig::kMaxAutoDeadline);
}

}  // namespace
}  // namespace ustack
