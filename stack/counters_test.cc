// Counters: named, grouped per layer, drops by reason (netstat -s style).
#include "stack/counters.h"

#include <gtest/gtest.h>

#include <set>

namespace ustack {
namespace {

TEST(Counters, IncrementAndReadByName) {
  Counters c;
  c.inc(Ctr::kIpInReceives);
  c.inc(Ctr::kIpInReceives, 2);
  EXPECT_EQ(c.get(Ctr::kIpInReceives), 3u);
  EXPECT_EQ(c.get("ip.in_receives"), 3u);
  EXPECT_EQ(c.get("no.such_counter"), 0u);
}

TEST(Counters, ParseDropsAreNamedByLayerAndReason) {
  Counters c;
  c.inc_parse_drop(ParseLayer::kIpv4, ParseError::kBadChecksum);
  EXPECT_STREQ(parse_drop_name(ParseLayer::kIpv4, ParseError::kBadChecksum),
               "drops.ipv4_bad_checksum");
  EXPECT_EQ(c.get("drops.ipv4_bad_checksum"), 1u);
  EXPECT_STREQ(parse_drop_name(ParseLayer::kIcmpv6, ParseError::kTruncated),
               "drops.icmpv6_truncated");
}

TEST(Counters, TotalDropsSumsEveryReason) {
  Counters c;
  c.inc(Ctr::kDropIpv4ReasmTimeout);
  c.inc_parse_drop(ParseLayer::kEthernet, ParseError::kTruncated);
  c.inc(Ctr::kIpInReceives);
  EXPECT_EQ(c.total_drops(), 2u);
}

TEST(Counters, PrintsNetstatStyleSections) {
  Counters c;
  c.inc(Ctr::kIpInReceives, 5);
  c.inc(Ctr::kIcmpOutEchoReps);
  c.inc(Ctr::kDropIpv4ReasmTimeout);
  std::string s = c.to_string();
  EXPECT_EQ(s,
            "Ip:\n    5 in_receives\nIcmp:\n    1 out_echo_reps\nDrops:\n"
            "    1 ipv4_reassembly_timeout\n");
}

TEST(Counters, NamesAreUnique) {
  Counters c;
  std::set<std::string> seen;
  c.for_each([&](std::string_view n, std::uint64_t) { EXPECT_TRUE(seen.emplace(n).second) << n; },
             true);
  EXPECT_GT(seen.size(), 100u);
}

}  // namespace
}  // namespace ustack
