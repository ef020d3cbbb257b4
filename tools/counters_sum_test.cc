#include "tools/counters_sum.h"

#include <gtest/gtest.h>

namespace ustack::tools {
namespace {

TEST(CountersSum, SameCountersAreAddedSectionBySection) {
  std::string a = "Ip:\n    10 packets_in\n    4 packets_out\nTcp:\n    2 passive_opens\n";
  std::string b = "Ip:\n    5 packets_in\n    1 packets_out\nTcp:\n    3 passive_opens\n";
  EXPECT_EQ(sum_counters_text({a, b}),
            "Ip:\n    15 packets_in\n    5 packets_out\nTcp:\n    5 passive_opens\n");
}

// Zero counters are not printed, so a shard can have a counter (or a section) the first one
// lacks: it joins its own section, after the names seen before.
TEST(CountersSum, ACounterOnlyALaterShardHasLandsInItsSection) {
  std::string a = "Ip:\n    10 packets_in\nTcp:\n    2 passive_opens\n";
  std::string b = "Ip:\n    1 packets_in\n    7 frag_creates\nDrops:\n    3 no_route\n";
  EXPECT_EQ(sum_counters_text({a, b}),
            "Ip:\n    11 packets_in\n    7 frag_creates\nTcp:\n    2 passive_opens\n"
            "Drops:\n    3 no_route\n");
}

TEST(CountersSum, TheSameNameInTwoSectionsStaysApart) {
  std::string a = "Services:\n    1 accepted\nService echo 7:\n    1 accepted\n";
  std::string b = "Services:\n    2 accepted\nService echo 7:\n    2 accepted\n";
  EXPECT_EQ(sum_counters_text({a, b}),
            "Services:\n    3 accepted\nService echo 7:\n    3 accepted\n");
}

TEST(CountersSum, OneTextComesBackAsItWas) {
  std::string a = "Device:\n    0 rx_errors\n    12 rx_packets\nRuntime:\n    3 batches\n";
  EXPECT_EQ(sum_counters_text({a}), a);
}

TEST(CountersSum, ALineThatIsNoCounterIsKeptOnce) {
  std::string a = "Resolver:\n    cache empty\n    2 queries\n";
  std::string b = "Resolver:\n    cache empty\n    1 queries\n";
  EXPECT_EQ(sum_counters_text({a, b}), "Resolver:\n    cache empty\n    3 queries\n");
}

TEST(CountersSum, LargeValuesDoNotWrapBelow64Bits) {
  std::string a = "Tcp:\n    4294967296 bytes\n";
  EXPECT_EQ(sum_counters_text({a, a, a}), "Tcp:\n    12884901888 bytes\n");
}

TEST(CounterValue, ReadsOneCounterOfOneSection) {
  std::string t = "Ip:\n    10 packets_in\nTcp:\n    2 passive_opens\n    9 packets_in\n";
  EXPECT_EQ(counter_value(t, "Tcp", "passive_opens"), 2u);
  EXPECT_EQ(counter_value(t, "Tcp", "packets_in"), 9u);
  EXPECT_EQ(counter_value(t, "Ip", "packets_in"), 10u);
  EXPECT_EQ(counter_value(t, "Ip", "passive_opens"), 0u);
  EXPECT_EQ(counter_value(t, "Udp", "packets_in"), 0u);
}

}  // namespace
}  // namespace ustack::tools
